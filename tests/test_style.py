"""Style measures against lexicalrichness (MTLD, MATTR) and textstat (readability)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.textstats.style import (
    STYLE_COLUMNS,
    count_syllables,
    flesch_kincaid_grade,
    flesch_reading_ease,
    mattr,
    mtld,
    stat_style,
    style_measures,
    style_words,
    ttr,
)


@pytest.fixture(scope="module")
def texts(small_corpus):
    av = small_corpus.available()
    return [av.texts[d] for d in av.docvars["doc_id"]]


def test_mtld_and_mattr_match_lexicalrichness(texts):
    from lexicalrichness import LexicalRichness

    for t in texts:
        words = style_words(t)
        lr = LexicalRichness(words, preprocessor=None, tokenizer=None)
        assert mtld(words, 0.72) == pytest.approx(lr.mtld(threshold=0.72), rel=1e-12)
        assert mattr(words, 100) == pytest.approx(lr.mattr(window_size=100), rel=1e-12)
        assert mattr(words, 37) == pytest.approx(lr.mattr(window_size=37), rel=1e-12)
        assert ttr(words) == pytest.approx(lr.ttr)


def test_mtld_and_mattr_match_lexicalrichness_on_random_word_sequences():
    """Vocabulary sizes from 3 to 5000 words: runs of every length, including runs longer than the
    scan's first span (a long run of distinct words before any repeat)."""
    from lexicalrichness import LexicalRichness

    rng = np.random.default_rng(11)
    for n, vocab in ((5, 3), (120, 4), (400, 50), (900, 5000), (2000, 300)):
        words = [f"w{i}" for i in rng.integers(0, vocab, size=n)]
        if vocab == 5000:
            words = [f"d{i}" for i in range(700)] + words  # a 700-word run before the first repeat
        lr = LexicalRichness(words, preprocessor=None, tokenizer=None)
        assert mtld(words, 0.72) == pytest.approx(lr.mtld(threshold=0.72), rel=1e-12)
        for window in (1, 7, 100):
            if len(words) >= window:
                assert mattr(words, window) == pytest.approx(lr.mattr(window_size=window), rel=1e-12)


def test_lexical_diversity_hand_examples():
    words = ["a", "b", "a", "b", "c", "c"]
    # windows of 3: {a,b}=2/3, {a,b}=2/3, {a,b,c}=1, {b,c}=2/3
    assert mattr(words, 3) == pytest.approx((2 / 3 * 3 + 1) / 4)
    assert np.isnan(mattr(words, 10))
    assert np.isnan(mtld(["only", "distinct", "words"]))
    assert ttr(words) == pytest.approx(0.5)


def test_readability_formulas_match_textstat_given_same_counts(monkeypatch):
    textstat = pytest.importorskip("textstat")
    import textstat.backend.counts._count_syllables as cs

    # offline: no CMU dictionary; textstat then syllabifies with Pyphen
    monkeypatch.setattr(cs, "get_cmudict", lambda lang: {})
    text = ("The Secretary-General spoke to the Assembly. Prevention saves lives and money. "
            "We must act together, early and decisively, to protect populations.")
    wps = textstat.words_per_sentence(text)
    spw = textstat.avg_syllables_per_word(text)
    textstat.set_rounding_points(None)
    assert flesch_reading_ease(wps, spw) == pytest.approx(textstat.flesch_reading_ease(text), abs=1e-9)
    assert flesch_kincaid_grade(wps, spw) == pytest.approx(textstat.flesch_kincaid_grade(text), abs=1e-9)


def test_readability_agrees_with_textstat_within_tolerance(texts, monkeypatch):
    """End to end, our counts (Punkt sentences, rule-based syllables) against textstat's
    (regex sentences, Pyphen syllables). Documented tolerance: Flesch within 10
    points, FK grade within 1.5 grades, per document; ranking of documents
    strongly correlated (Pearson r > 0.9)."""
    textstat = pytest.importorskip("textstat")
    import textstat.backend.counts._count_syllables as cs

    monkeypatch.setattr(cs, "get_cmudict", lambda lang: {})
    textstat.set_rounding_points(None)
    ours, theirs = [], []
    for t in texts:
        m = style_measures(t)
        ours.append((m["flesch_reading_ease"], m["fk_grade"], m["mean_sentence_length"]))
        theirs.append((textstat.flesch_reading_ease(t), textstat.flesch_kincaid_grade(t),
                       textstat.words_per_sentence(t)))
    ours, theirs = np.array(ours), np.array(theirs)
    assert np.all(np.abs(ours[:, 0] - theirs[:, 0]) < 10)
    assert np.all(np.abs(ours[:, 1] - theirs[:, 1]) < 1.5)
    assert np.all(np.abs(ours[:, 2] - theirs[:, 2]) / theirs[:, 2] < 0.1)
    assert np.corrcoef(ours[:, 0], theirs[:, 0])[0, 1] > 0.9
    assert np.corrcoef(ours[:, 1], theirs[:, 1])[0, 1] > 0.9


@pytest.mark.parametrize("word,n", [
    ("the", 1), ("protect", 2), ("nation", 2), ("violence", 3), ("people", 2),
    ("responsibility", 6), ("atrocity", 4), ("crimes", 1), ("table", 2), ("needed", 2),
    ("walked", 1), ("media", 3), ("cooperation", 5), ("being", 2), ("terrorism", 4),
    ("international", 5), ("genocide", 3), ("society", 4), ("makes", 1), ("states", 1),
    # "re-", "pre-", "de-" before a vowel: a syllable of its own only where the letters are not one vowel
    ("readability", 5), ("read", 1), ("ready", 2), ("reach", 1), ("real", 1), ("reason", 2),
    ("deep", 1), ("deal", 1), ("death", 1), ("reaffirm", 3), ("reality", 4), ("reopen", 3),
    ("reiterate", 4), ("reunite", 3), ("deactivate", 4), ("preeminent", 4), ("reelect", 3),
    ("deescalate", 4), ("reign", 1),
])
def test_syllable_counter_on_dictionary_words(word, n):
    assert count_syllables(word) == n


def test_first_person_shares_and_columns(small_corpus):
    m = style_measures("I think we must act. We will. I'm sure our people agree with me.")
    words = style_words("I think we must act. We will. I'm sure our people agree with me.")
    assert m["tokens"] == len(words) == 14
    assert m["first_person_singular"] == pytest.approx(3 / 14)   # I, I('m), me
    assert m["first_person_plural"] == pytest.approx(3 / 14)     # we, We, our
    assert m["sentences"] == 3
    df = stat_style(small_corpus)
    assert list(df.columns) == ["doc_id", "date", "year", "speaker", *STYLE_COLUMNS]
    assert len(df) == len(small_corpus.available().docvars)
    assert df["mtld"].between(20, 200).all()


def test_hard_line_breaks_do_not_end_sentences():
    """A passage hard-wrapped inside its sentences (Dale & Chall 1948, as quanteda.textstats'
    tests print it) has the sentences, words and Flesch score of the same text on one line."""
    from analysis.text import train_punkt
    from tests.conformance.cases_readability import DALE_CHALL

    for text in DALE_CHALL.values():
        flat = " ".join(text.split())
        tok = train_punkt([flat])
        wrapped, one_line = style_measures(text, tok), style_measures(flat, tok)
        assert wrapped == pytest.approx(one_line, nan_ok=True)
    # counted by hand: 9 and 6 sentences (quanteda's counts, tests/conformance/cases_readability.py)
    tok = train_punkt(list(DALE_CHALL.values()))
    assert [style_measures(DALE_CHALL[k], tok)["sentences"] for k in ("dc2", "dc3")] == [9, 6]
