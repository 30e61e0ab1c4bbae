"""Similarity to the anchor, year matrix, centroid distance and the compare stage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.textstats.similarity import (
    CENTROID_COLUMNS,
    SIMILARITY_COLUMNS,
    SIMILARITY_YEARS_COLUMNS,
    default_comparisons,
    document_counts,
    stat_centroid_distance,
    stat_similarity_to_anchor,
    stat_similarity_years,
    unit_counts,
)
from analysis.corpus import Corpus
from analysis.stats.bootstrap import group_rng
from analysis.units import make_units


def _dense_tfidf(counts):
    """Independent TF-IDF: raw tf x (ln((1+n)/(1+df)) + 1), rows l2-normalised."""
    counts = np.asarray(counts, dtype=float)
    n = counts.shape[0]
    df = (counts > 0).sum(axis=0)
    idf = np.log((1 + n) / (1 + df)) + 1
    x = counts * idf
    return x / np.linalg.norm(x, axis=1, keepdims=True), idf


@pytest.fixture(scope="module")
def toy():
    paras = {
        "a": ["Prevention of atrocity crimes is our shared responsibility.",
              "States must protect their populations from genocide and war crimes.",
              "The international community should help states to protect."],
        "b": ["States must protect their populations from genocide.",
              "Prevention of atrocity crimes requires early warning."],
        "c": ["Trade and tariffs dominate the economic agenda.",
              "Budgets, taxes and revenue were discussed at length.",
              "Economic growth and trade again."],
        "d": ["Prevention of atrocity crimes is our shared responsibility.",
              "Economic growth and trade again."],
    }
    dv = pd.DataFrame({"doc_id": list(paras), "date": ["2009-01-01", "2012-01-01",
                                                       "2015-01-01", "2017-09-06"],
                       "year": [2009, 2012, 2015, 2017], "speaker": ["B", "B", "G", "G"]})
    return Corpus("toy", dv, {k: "\n\n".join(v) for k, v in paras.items()}, anchor="a")


def test_cosine_matches_dense_numpy(toy):
    units = make_units(toy, kind="paragraph")
    dv = toy.docvars
    sim = stat_similarity_to_anchor(units, dv, "a", n_boot=0)
    assert list(sim.columns) == SIMILARITY_COLUMNS
    udtm = unit_counts(units)
    ddtm, _ = document_counts(udtm, dv)
    X, _ = _dense_tfidf(ddtm.matrix.toarray())
    expected = X @ X[0]
    np.testing.assert_allclose(sim.cosine.to_numpy(), expected, rtol=1e-12)
    assert sim.cosine[0] == pytest.approx(1.0)
    assert sim.cosine[1] > sim.cosine[2]          # b shares the R2P vocabulary, c does not
    assert sim.ci_low.isna().all()


def test_an_anchor_without_terms_is_a_usage_error_naming_it(toy):
    """A stopwords-only anchor has a zero TF-IDF vector: every cosine would be 0 with no
    warning. It must stop with a UsageError that names the anchor's doc_id."""
    from analysis.errors import UsageError

    units = make_units(toy, kind="paragraph")
    stop_only = pd.DataFrame({"unit_id": ["z-1", "z-2"], "doc_id": ["z", "z"],
                              "text": ["And the of to it.", "We are, and they were."],
                              "position": [0, 1]})
    units = pd.concat([units, stop_only.reindex(columns=units.columns)], ignore_index=True)
    dv = pd.concat([toy.docvars, pd.DataFrame({"doc_id": ["z"], "year": [2018], "speaker": ["G"],
                                               "date": ["2018-01-01"]})], ignore_index=True)
    with pytest.raises(UsageError, match="anchor 'z' has no terms"):
        stat_similarity_to_anchor(units, dv, "z", n_boot=0)
    # the same document as a non-anchor only gets NaN, and the others keep their cosines
    sim = stat_similarity_to_anchor(units, dv, "a", n_boot=0)
    assert np.isnan(sim.set_index("doc_id").loc["z", "cosine"])
    assert sim.set_index("doc_id").loc["a", "cosine"] == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["normal", "percentile", "basic"])
def test_bootstrap_intervals_against_explicit_resampling(toy, method):
    units = make_units(toy, kind="paragraph")
    dv = toy.docvars
    sim = stat_similarity_to_anchor(units, dv, "a", n_boot=300, random_state=7, ci_method=method)
    again = stat_similarity_to_anchor(units, dv, "a", n_boot=300, random_state=7, ci_method=method)
    pd.testing.assert_frame_equal(sim, again)
    # explicit resampling: rebuild each replicate's document vector with the corpus idf
    udtm = unit_counts(units)
    P = udtm.matrix.toarray().astype(float)
    ddtm, codes = document_counts(udtm, dv)
    X, idf = _dense_tfidf(ddtm.matrix.toarray())
    for i in range(len(dv)):
        rows = np.flatnonzero(codes == i)
        k = len(rows)
        # each document's own stream (the package's one rule): seed 7 and its doc_id;
        # the k draws with replacement of each replicate, counted by hand
        rng = group_rng(7, dv["doc_id"].iloc[i])
        W = np.array([np.bincount(d, minlength=k) for d in rng.integers(0, k, size=(300, k))])
        reps = []
        for w in W:
            v = (w @ P[rows]) * idf
            reps.append(v @ X[0] / np.linalg.norm(v))
        est = X[i] @ X[0]
        q_lo, q_hi = np.quantile(reps, [0.025, 0.975])
        if method == "percentile":
            lo, hi = q_lo, q_hi
        elif method == "basic":
            lo, hi = 2 * est - q_hi, 2 * est - q_lo
        else:
            half = 1.959963984540054 * np.std(reps, ddof=1)
            lo, hi = max(est - half, 0), min(est + half, 1)
        assert sim.ci_low[i] == pytest.approx(lo, rel=1e-9)
        assert sim.ci_high[i] == pytest.approx(hi, rel=1e-9)
        if method == "normal":
            assert lo <= sim.cosine[i] <= hi
    # the mixed document d has a wider interval than the homogeneous c
    width = sim.ci_high - sim.ci_low
    assert width[3] > width[2]


def test_each_document_interval_comes_from_its_own_stream(toy):
    """Visiting the documents in another order (or splitting them across workers)
    changes no interval: a document's resamples come from the seed and its doc_id.
    (Adding a document changes the corpus idf, hence every cosine, so intervals are
    compared under a reordering, which keeps the idf.)"""
    units = make_units(toy, kind="paragraph")
    dv = toy.docvars
    sim = stat_similarity_to_anchor(units, dv, "a", n_boot=200, random_state=3)
    rev = stat_similarity_to_anchor(units, dv.iloc[::-1], "a", n_boot=200, random_state=3)
    rev = rev.set_index("doc_id").loc[sim["doc_id"]].reset_index()
    pd.testing.assert_frame_equal(sim, rev)
    other = stat_similarity_to_anchor(units, dv, "a", n_boot=200, random_state=4)
    assert not np.allclose(sim["ci_low"], other["ci_low"])


def test_paragraph_bootstrap_is_biased_downward(toy):
    """Why the default interval is 'normal': resampled documents repeat paragraphs,
    and their cosines to the anchor fall below the estimate."""
    units = make_units(toy, kind="paragraph")
    pct = stat_similarity_to_anchor(units, toy.docvars, "a", n_boot=300, ci_method="percentile")
    mid = (pct.ci_low + pct.ci_high) / 2
    assert (mid[:2] < pct.cosine[:2]).all()
    with pytest.raises(ValueError, match="ci_method"):
        stat_similarity_to_anchor(units, toy.docvars, "a", ci_method="bca")


def test_year_matrix_and_centroid_against_numpy(toy):
    units = make_units(toy, kind="paragraph")
    ddtm, _ = document_counts(unit_counts(units), toy.docvars)
    years = stat_similarity_years(ddtm)
    assert list(years.columns) == SIMILARITY_YEARS_COLUMNS
    X, _ = _dense_tfidf(ddtm.group("year").matrix.toarray())
    C = X @ X.T
    np.testing.assert_allclose(years.cosine.to_numpy(), C.ravel(), rtol=1e-12)
    assert years.year_a.tolist()[:4] == [2009] * 4 and years.year_b.tolist()[:4] == [2009, 2012, 2015, 2017]
    cen = stat_centroid_distance(ddtm)
    assert list(cen.columns) == CENTROID_COLUMNS
    m = X.mean(axis=0)
    np.testing.assert_allclose(cen.cosine.to_numpy(), X @ m / np.linalg.norm(m), rtol=1e-12)
    np.testing.assert_allclose(cen.distance, 1 - cen.cosine)
    assert cen.year.tolist() == [2009, 2012, 2015, 2017] and (cen.n_docs == 1).all()


def test_default_comparisons(toy, sg_corpus):
    from analysis.profiles import get_profile

    assert default_comparisons(toy) == ["anchor", "speaker=G vs B"]
    # the study's comparisons for its corpus come from the profile, not from a name test in the module
    study = get_profile().comparisons_for(sg_corpus.name)
    assert default_comparisons(sg_corpus, study) == ["anchor", "speaker=António Guterres vs Ban Ki-moon"]
    assert default_comparisons(toy, ("anchor", "speaker=B vs G")) == ["anchor", "speaker=B vs G"]
    assert get_profile().comparisons_for(toy.name) is None


TABLES = ["similarity_to_anchor", "similarity_years", "centroid_distance", "keyness", "collocates",
          "fightin_words", "style", "kwic", "collocations", "dispersion", "novelty"]


def test_stage_on_small_corpus(small_corpus, tmp_path):
    from analysis.run.runner import run_pipeline

    ctx = run_pipeline(small_corpus, out=tmp_path, only=["compare", "novelty"], use_cache=False,
                       verbose=False, progress=False,
                       overrides={"compare": {"n_boot": 50, "comparisons": "anchor; year>=1993",
                                              "kwic_patterns": "freedom, america*"}})
    assert ctx.errors == []
    for name in TABLES:
        assert (tmp_path / "tables" / f"{name}.csv").exists(), name
    t = ctx.tables
    n = len(small_corpus.available().docvars)
    assert len(t["similarity_to_anchor"]) == n and len(t["style"]) == n
    assert (t["similarity_to_anchor"].ci_low <= t["similarity_to_anchor"].ci_high).all()
    assert set(t["keyness"].comparison) == {"anchor vs rest", "year>=1993 vs rest"}
    assert set(t["fightin_words"].comparison) == {"anchor vs rest", "year>=1993 vs rest"}
    assert set(t["kwic"].pattern) == {"freedom", "america*"}
    assert len(t["similarity_years"]) == t["centroid_distance"].shape[0] ** 2
    assert t["novelty"].novelty.notna().sum() == n - 3
    assert (t["novelty"].basis == "terms").all()
    # same inputs, same bytes
    out2 = tmp_path / "again"
    run_pipeline(small_corpus, out=out2, only=["compare"], use_cache=False, verbose=False,
                 progress=False, overrides={"compare": {"n_boot": 50, "comparisons": "anchor; year>=1993",
                                                        "kwic_patterns": "freedom, america*"}})
    for name in TABLES[:-1]:
        assert (tmp_path / "tables" / f"{name}.csv").read_bytes() == (out2 / "tables" / f"{name}.csv").read_bytes()


def test_stage_with_only_the_anchor(sg_corpus, tmp_path):
    """sg-r2p offline: one document. Similarity to the anchor works; cross-document
    tables are empty with their columns; nothing fails."""
    from analysis.run.runner import run_pipeline

    ctx = run_pipeline(sg_corpus, out=tmp_path, only=["compare", "novelty"], use_cache=False,
                       verbose=False, progress=False, overrides={"compare": {"n_boot": 50}})
    assert ctx.errors == []
    sim = ctx.tables["similarity_to_anchor"]
    assert len(sim) == 1 and sim.cosine[0] == pytest.approx(1.0)
    assert 0 < sim.ci_low[0] <= sim.ci_high[0] <= 1 + 1e-12
    for name, cols in [("similarity_years", SIMILARITY_YEARS_COLUMNS),
                       ("centroid_distance", CENTROID_COLUMNS)]:
        df = pd.read_csv(tmp_path / "tables" / f"{name}.csv")
        assert df.empty and list(df.columns) == cols
    assert pd.read_csv(tmp_path / "tables" / "keyness.csv").empty
    assert pd.read_csv(tmp_path / "tables" / "novelty.csv").empty
    assert len(ctx.tables["style"]) == 1 and len(ctx.tables["kwic"]) > 0
    assert any("skipped" in m for m in ctx.messages)
    assert any("similarity_years and centroid_distance need at least two" in m for m in ctx.messages)


def test_stage_rejects_unknown_anchor(small_corpus, tmp_path):
    from analysis.run.runner import run_pipeline

    from analysis.errors import UsageError

    with pytest.raises(UsageError, match="no-such-doc"):
        run_pipeline(small_corpus, out=tmp_path, only=["compare"], use_cache=False, verbose=False,
                     progress=False, anchor="no-such-doc")
    with pytest.raises(UsageError, match="no-such-doc"):  # the deprecated compare.anchor too
        run_pipeline(small_corpus, out=tmp_path, only=["compare"], use_cache=False, verbose=False,
                     progress=False, overrides={"compare": {"anchor": "no-such-doc"}})


@pytest.mark.parametrize("key,value,msg", [
    ("correction", "bonferroni", "compare.correction"),
    ("n_boot", -5, "compare.n_boot"),
    ("ci", 95, "compare.ci"),
    ("fw_alpha0", 0, "compare.fw_alpha0"),
])
def test_stage_names_bad_parameters(small_corpus, tmp_path, key, value, msg):
    from analysis.run.runner import run_pipeline

    from analysis.errors import UsageError

    with pytest.raises(UsageError, match=msg):
        run_pipeline(small_corpus, out=tmp_path, only=["compare"], use_cache=False, verbose=False,
                     progress=False, overrides={"compare": {key: value}})
    assert not (tmp_path / "tables" / "similarity_to_anchor.csv").exists()
