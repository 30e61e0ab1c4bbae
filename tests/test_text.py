"""Text preparation: normalisation, UN header removal, paragraphs, sentences, tokens."""

import re
import warnings

import pytest

from analysis import text as T


def test_normalize_quotes_dashes_spaces():
    raw = "\ufeffThe \u201cthree pillars\u201d \u2014 prevention\u00a0and  response\u2019s\r\n\r\n\r\n\r\nNext\u00ad para \u2013 end "
    out = T.normalize(raw)
    assert out == 'The "three pillars" - prevention and response\'s\n\nNext para - end'


def test_normalize_is_nfc():
    assert T.normalize("Anto\u0301nio") == "Ant\u00f3nio"


def test_double_hyphen_becomes_dash_but_compound_survives():
    out = T.normalize("during the year -- the practice of well-being")
    assert out == "during the year - the practice of well-being"


def test_anchor_header_removed_and_paragraphs_counted(anchor_text):
    prepared = T.prepare(anchor_text)
    assert not prepared.startswith("New York")
    assert "6 September 2017" not in prepared
    assert "[as delivered]" not in prepared
    assert "Remarks to General Assembly" not in prepared
    assert prepared.startswith("The report that informs today's dialogue")
    # independent count: blank-line blocks of the raw file, less the 3 header blocks
    blocks = [b for b in re.split(r"\n\s*\n", anchor_text.strip()) if b.strip()]
    assert blocks[:2] == ["New York", "6 September 2017"] and blocks[2].startswith("## ")
    paras = T.paragraphs(prepared)
    assert len(paras) == len(blocks) - 3 == 27
    assert paras[-1] == "Thank you."


def test_header_variants_removed_body_kept():
    raw = "SG/SM/18676\nGeneva\n14 March 2018\nSecretary-General's message to the Human Rights Council\n\nStates bear the primary responsibility. We must act.\n\nNew York is a city."
    out = T.prepare(raw)
    assert out.startswith("States bear the primary responsibility.")
    assert out.endswith("New York is a city.")


def test_header_not_stripped_from_plain_body():
    body = "Fellow-Citizens of the Senate and House of Representatives:\n\nI embrace with great satisfaction."
    assert T.prepare(body) == body


def test_sentences_trained_on_corpus_when_no_pretrained(anchor_text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sents = T.sentences(T.prepare(anchor_text))
    assert sents[0] == "The report that informs today's dialogue is my first on the responsibility to protect."
    assert "These crimes are not on the retreat." in sents
    # the anchor has no abbreviations, so sentence ends are exactly [.!?] before space or end
    prepared = T.prepare(anchor_text)
    assert len(sents) == len(re.findall(r"[.!?](?=\s|$)", prepared))


def test_tokenize_defaults_and_options():
    s = "The Security Council's role: 2005 World Summit, well-being of populations."
    assert T.tokenize(s) == ["security", "council's", "role", "world", "summit", "well-being", "populations"]
    nums = T.tokenize(s, T.TextSettings(keep_numbers=True))
    assert "2005" in nums
    stem = T.tokenize("protecting populations", T.TextSettings(stem=True))
    assert stem == ["protect", "popul"]
    keep = T.tokenize("The State", T.TextSettings(remove_stopwords=False, lowercase=False))
    assert keep == ["The", "State"]


def test_word_tokens_keep_punctuation_and_case():
    toks = T.word_tokens("We must do more. We must do better!")
    assert toks == ["We", "must", "do", "more", ".", "We", "must", "do", "better", "!"]


def test_stopwords_fallback_warns(monkeypatch):
    import nltk.corpus

    class Missing:
        def words(self, lang):
            raise LookupError("no stopwords")

    T.stopwords.cache_clear()
    monkeypatch.setattr(nltk.corpus, "stopwords", Missing())
    with pytest.warns(UserWarning, match="nltk.download\\('stopwords'\\)"):
        sw = T.stopwords("english")
    assert "the" in sw
    T.stopwords.cache_clear()


def test_make_units_ids_and_merge(sg_corpus):
    units = T.make_units(sg_corpus)
    anchor = sg_corpus.anchor
    assert units["unit_id"].tolist()[:2] == [f"{anchor}#p1", f"{anchor}#p2"]
    assert units["n_tokens"].sum() == T.count_words(sg_corpus.texts[anchor])
    merged = T.make_units(sg_corpus, min_tokens=8)
    assert len(merged) < len(units)
    assert merged["n_tokens"].sum() == units["n_tokens"].sum()
    assert set(merged["unit_id"]) <= set(units["unit_id"])
    assert (merged["n_tokens"] >= 8).all()
    docs = T.make_units(sg_corpus, kind="document")
    assert docs["unit_id"].tolist() == [f"{anchor}#d"]
    win = T.make_units(sg_corpus, kind="window", window=100)
    assert win["n_tokens"].iloc[0] >= 95 and len(win) == -(-len(" ".join(T.paragraphs(sg_corpus.texts[anchor])).split()) // 100)


def _normalize_by_patterns(text):
    """normalize as its steps were first written: one regular expression per step."""
    import re
    import unicodedata

    from analysis.text import _QUOTE_MAP

    dashes = re.compile(r"\s*(?:[\u2012\u2013\u2014\u2015\u2212]|(?<!-)--(?!-))\s*")
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(str.maketrans({k: (v or None) for k, v in _QUOTE_MAP.items()}))
    text = dashes.sub(" - ", text)
    text = re.sub(r"[^\S\n]+", " ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def test_normalize_equals_the_pattern_definition_on_fuzzed_text():
    import random

    from analysis.text import normalize

    rng = random.Random(12)
    alphabet = list("ab -.\t\n\r\u00a0\u2013\u2014\u2015\u2212\u2019\u201c\u00ab\u00ad\u200b\u3000\u2028\x0c\x85")
    alphabet += ["--", "---", " -- ", "\n\n\n"]
    for _ in range(20_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert normalize(s) == _normalize_by_patterns(s), repr(s)
    assert normalize("1990\u20131999  and\u00a0 prevention \u2014\n and -- response") == \
        "1990 - 1999 and prevention - and - response"
