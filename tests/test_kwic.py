"""KWIC, dispersion and collocations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from analysis.corpus import Corpus
from analysis.textstats.kwic import (
    COLLOCATION_COLUMNS,
    compile_pattern,
    find_matches,
    stat_collocations,
    stat_dispersion,
    stat_kwic,
)


@pytest.fixture(scope="module")
def toy():
    texts = {
        "d1": "We affirm the responsibility to protect. Prevention is better than cure; "
              "preventing atrocities protects people.",
        "d2": "The Responsibility to Protect populations from genocide is ours.\n\n"
              "Sovereignty implies responsibility.",
    }
    dv = pd.DataFrame({"doc_id": ["d1", "d2"], "date": ["2009-07-21", "2017-09-06"],
                       "year": [2009, 2017], "speaker": ["Ban Ki-moon", "António Guterres"]})
    return Corpus("toy", dv, texts)


def test_kwic_globs_phrases_and_context(toy):
    k = stat_kwic(toy, ["responsibility to protect", "prevent*"], window=2)
    assert list(k.columns) == ["doc_id", "date", "year", "speaker", "pattern", "position",
                               "pre", "keyword", "post"]
    phrase = k[k.pattern == "responsibility to protect"]
    assert phrase.keyword.tolist() == ["responsibility to protect", "Responsibility to Protect"]
    assert phrase.doc_id.tolist() == ["d1", "d2"]
    first = phrase.iloc[0]
    assert first.position == 3 and first.pre == "affirm the" and first.post == ". Prevention is"
    assert phrase.iloc[1].pre == "The" and phrase.iloc[1].post == "populations from"
    pv = k[k.pattern == "prevent*"]
    assert pv.keyword.tolist() == ["Prevention", "preventing"]
    assert pv.iloc[1].pre == "than cure;"
    # case-sensitive and regex matching
    assert stat_kwic(toy, "Prevention", case_insensitive=False).shape[0] == 1
    assert stat_kwic(toy, "protect(s|ed)?", valuetype="regex").keyword.tolist() == [
        "protect", "protects", "Protect"]
    # a regular expression matches anywhere in a word, as quanteda's valuetype = "regex"
    # (kwic(x, "secur", valuetype = "regex") finds "security" and "secured"); ^...$ anchors it
    assert stat_kwic(toy, "vent", valuetype="regex").keyword.tolist() == ["Prevention", "preventing"]
    assert stat_kwic(toy, "^protect$", valuetype="regex").keyword.tolist() == ["protect", "Protect"]
    assert stat_kwic(toy, "^sov", valuetype="regex").keyword.tolist() == ["Sovereignty"]
    assert stat_kwic(toy, "ity$", valuetype="regex").keyword.tolist() == ["responsibility",
                                                                          "Responsibility", "responsibility"]


def test_a_phrase_does_not_match_across_punctuation():
    """quanteda keeps punctuation marks as tokens, so "war, against" is no match of the phrase
    "war against" (its kwic on the inaugural addresses finds 5 lines, not 2009-Obama's
    "at war, against"); single words are unaffected."""
    units = ["Our nation is at war, against a network. We wage war against poverty.",
             "war -- against all odds; war against want"]
    k = stat_kwic(units_frame(units), "war against", window=2)
    assert k.keyword.tolist() == ["war against", "war against"]
    assert k.position.tolist() == [10, 4]
    assert stat_kwic(units_frame(units), "against", window=1).shape[0] == 4
    d = stat_dispersion(units_frame(units), "war against")
    assert d.position.tolist() == [10, 4]
    from analysis.textstats.kwic import stat_collocates

    c = stat_collocates(units, "war against", window=1, min_count=1, remove_stopwords=False)
    assert sorted(c.collocate) == ["odds", "poverty", "wage", "want"]   # not "at" or "a" ("at war, against a")


def units_frame(texts):
    from analysis.corpus import Corpus

    ids = [f"u{i}" for i in range(len(texts))]
    return Corpus("t", pd.DataFrame({"doc_id": ids, "year": 2000}), dict(zip(ids, texts)))


def test_find_matches_against_brute_force():
    rng = np.random.default_rng(1)
    words = list(rng.choice(["alpha", "beta", "Gamma", "delta", "betamax"], size=500))
    comp = compile_pattern("beta* gamma")
    brute = [i for i in range(len(words) - 1)
             if words[i].lower().startswith("beta") and words[i + 1].lower() == "gamma"]
    assert find_matches(words, comp) == brute


def test_dispersion_positions(toy):
    d = stat_dispersion(toy, ["protect*", "sovereign*"])
    d1 = d[d.doc_id == "d1"]
    assert d1.term.tolist() == ["protect", "protects"]
    n1 = 15  # words in d1
    assert (d1.n_tokens == n1).all()
    assert d1.position.tolist() == [5, 13]
    np.testing.assert_allclose(d1.relative_position, np.array([5, 13]) / n1)
    assert d[d.pattern == "sovereign*"].doc_id.tolist() == ["d2"]


def test_collocations_match_nltk_and_scipy():
    from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder

    units = ["the responsibility to protect is a political commitment",
             "political commitment to the responsibility to protect",
             "early warning and early action save lives",
             "early warning systems and political commitment"] * 3
    co = stat_collocations(units, min_count=2, remove_stopwords=True)
    assert list(co.columns) == COLLOCATION_COLUMNS
    top = co.iloc[0]
    docs = [u.split() for u in units]
    finder = BigramCollocationFinder.from_documents(docs)
    pmi = dict(finder.score_ngrams(BigramAssocMeasures.pmi))
    g2 = dict(finder.score_ngrams(BigramAssocMeasures.likelihood_ratio))
    for r in co.itertuples():
        assert r.pmi == pytest.approx(pmi[(r.word1, r.word2)], rel=1e-9)
        assert r.g2 == pytest.approx(g2[(r.word1, r.word2)], rel=1e-6)
        assert r.count == finder.ngram_fd[(r.word1, r.word2)]
    n = top.n_words
    t = np.array([[top["count"], top.count_word1 - top["count"]],
                  [top.count_word2 - top["count"], n - top.count_word1 - top.count_word2 + top["count"]]])
    assert top.g2 == pytest.approx(chi2_contingency(t, correction=False, lambda_="log-likelihood")[0])
    assert top.pmi == pytest.approx(np.log2(top["count"] * n / (top.count_word1 * top.count_word2)))
    assert "political commitment" in set(co.collocation)
    assert "early warning" in set(co.collocation)
    # stopword pairs dropped, and pairs never cross unit boundaries
    assert not co.collocation.str.contains(r"\bthe\b|\bto\b").any()
    assert "protect political" not in set(stat_collocations(units, min_count=1).collocation)


def test_collocations_do_not_cross_punctuation_and_lambda_is_the_smoothed_log_odds_ratio():
    """Pairs stop at punctuation (quanteda's textstat_collocations; a sentence end is no pair),
    and lambda/z are the log odds ratio of the pair table with 0.5 per cell and its Wald z,
    computed here by hand from the pairs."""
    text = "early warning. Warning signs, early warning and early action"
    co = stat_collocations([text], min_count=1, remove_stopwords=False).set_index("collocation")
    assert "warning warning" not in co.index and "signs early" not in co.index
    pairs = [("early", "warning"), ("warning", "signs"), ("early", "warning"), ("warning", "and"),
             ("and", "early"), ("early", "action")]
    assert co.loc["early warning", "count"] == 2 and len(co) == 5
    n = len(pairs)
    for (w1, w2) in set(pairs):
        c11 = sum(p == (w1, w2) for p in pairs)
        c10 = sum(p[0] == w1 and p[1] != w2 for p in pairs)
        c01 = sum(p[0] != w1 and p[1] == w2 for p in pairs)
        c00 = n - c11 - c10 - c01
        cells = np.array([c11, c10, c01, c00]) + 0.5
        lam = np.log(cells[0] * cells[3] / (cells[1] * cells[2]))
        row = co.loc[f"{w1} {w2}"]
        assert row["lambda"] == pytest.approx(lam, rel=1e-12)
        assert row["z"] == pytest.approx(lam / np.sqrt((1 / cells).sum()), rel=1e-12)
    # word counts (the PMI/G2 margins) still count every running word
    assert co.loc["early warning", "count_word1"] == 3 and co.loc["early warning", "n_words"] == 9


def test_cli_kwic_and_keyness(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    runner = CliRunner()
    out = tmp_path / "k.csv"
    r = runner.invoke(app, ["kwic", "responsibility to protect", "--corpus", "sg-r2p", "-w", "3",
                            "--csv", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert len(df) > 5 and (df.keyword.str.lower() == "responsibility to protect").all()
    r = runner.invoke(app, ["kwic", "[", "--regex"])
    assert r.exit_code == 2 and "invalid regular expression" in " ".join(r.output.split())
    out = tmp_path / "key.csv"
    r = runner.invoke(app, ["keyness", "--corpus", "inaugural", "--compare", "year>=2001",
                            "--top", "3", "--csv", str(out)])
    assert r.exit_code == 0, r.output
    key = pd.read_csv(out)
    assert key.comparison.iloc[0] == "year>=2001 vs rest" and key.g2.iloc[0] > 0
    # sg-r2p offline has only the anchor: the Guterres vs Ban comparison cannot run
    r = runner.invoke(app, ["keyness", "--corpus", "sg-r2p"])
    assert r.exit_code == 2 and "0 reference document" in " ".join(r.output.split())


def test_window_collocates_against_brute_force():
    from analysis.textstats.kwic import COLLOCATE_COLUMNS, stat_collocates

    units = ["states must uphold sovereignty and protect populations from atrocity crimes",
             "sovereignty entails responsibility",
             "the international community must protect populations when states fail",
             "early warning saves populations"]
    res = stat_collocates(units, "sovereign*", window=2, min_count=1, remove_stopwords=False)
    assert list(res.columns) == COLLOCATE_COLUMNS
    # brute force: words within 2 of "sovereignty", same unit, node excluded
    toks = [u.split() for u in units]
    near = {}
    for ws in toks:
        covered = set()
        for i, w in enumerate(ws):
            if w.startswith("sovereign"):
                covered |= {j for j in range(max(i - 2, 0), min(i + 3, len(ws))) if j != i}
        for j in covered:
            near[ws[j]] = near.get(ws[j], 0) + 1
    assert dict(zip(res.collocate, res["count"])) == near
    n = sum(map(len, toks))
    assert (res.n_words == n).all() and (res.window_words == sum(near.values())).all()
    r = res.set_index("collocate").loc["uphold"]
    total = r.count_collocate
    t = np.array([[r["count"], r.window_words - r["count"]],
                  [total - r["count"], n - r.window_words - (total - r["count"])]])
    assert r.g2 == pytest.approx(chi2_contingency(t, correction=False, lambda_="log-likelihood")[0])
    assert r.pmi == pytest.approx(np.log2((r["count"] / r.window_words) / (total / n)))
    # "populations" occurs 3 times, never within 2 words of the node: not a collocate
    assert "populations" not in set(res.collocate)
    two = stat_collocates(units, ["sovereign*", "protect"], window=1, min_count=1)
    assert set(two.node) == {"sovereign*", "protect"}


@pytest.mark.parametrize("batch", [1, 3, 4096])
def test_collocations_are_the_same_whatever_the_tokenising_batch(inaugural, monkeypatch, batch):
    """Units are tokenised in batches (ids, not strings, are kept): the tables equal one pass over all words."""
    from analysis.units import make_units
    from analysis.textstats import kwic
    from analysis.tokens import tokens

    units = make_units(inaugural.subset(inaugural.doc_ids[-8:]))
    texts = units["text"].tolist()
    want_bigrams = stat_collocations(units, min_count=2)
    want_near = kwic.stat_collocates(units, ["freedom", "nation*"], window=3, min_count=2)
    monkeypatch.setattr(kwic, "TOKEN_BATCH", batch)
    ids, lengths, matcher = kwic._token_ids(texts, batch=batch)
    words = [w for t in texts for w in tokens(t, lowercase=True)]
    codes, uniques = pd.factorize(pd.Series(words, dtype=object), sort=False)  # the one-pass definition
    assert np.array_equal(ids, codes) and matcher.words == list(uniques)
    assert lengths.tolist() == [len(tokens(t, lowercase=True)) for t in texts]
    pd.testing.assert_frame_equal(stat_collocations(units, min_count=2), want_bigrams)
    pd.testing.assert_frame_equal(kwic.stat_collocates(units, ["freedom", "nation*"], window=3, min_count=2),
                                  want_near)
