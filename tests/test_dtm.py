"""Document-term matrices: alignment with docvars, grouping, tf-idf against a dense computation."""

import numpy as np
import pytest
import pandas as pd

from analysis.dtm import build_dtm
from analysis.errors import UsageError
from analysis.text import TextSettings


FRAME = pd.DataFrame(
    {
        "doc_id": ["a", "b", "c"],
        "year": [2005, 2005, 2009],
        "text": ["prevention prevention atrocity", "atrocity crimes crimes", "prevention response"],
    }
)


def test_counts_and_docvars_travel():
    d = build_dtm(FRAME)
    assert list(d.terms) == ["atrocity", "crimes", "prevention", "response"]
    assert d.matrix.toarray().tolist() == [[1, 0, 2, 0], [1, 2, 0, 0], [0, 0, 1, 1]]
    assert d.docvars.columns.tolist() == ["doc_id", "year"]
    sub = d.subset(d.docvars["year"] == 2005)
    assert sub.docvars["doc_id"].tolist() == ["a", "b"] and sub.shape == (2, 4)


def test_group_sums_by_docvar():
    g = build_dtm(FRAME).group("year")
    assert g.docvars["year"].tolist() == [2005, 2009]
    assert g.docvars["n_docs"].tolist() == [2, 1]
    assert g.matrix.toarray().tolist() == [[2, 2, 2, 0], [0, 0, 1, 1]]


def test_tfidf_matches_dense_formula():
    d = build_dtm(FRAME, weighting="tfidf")
    counts = build_dtm(FRAME).matrix.toarray().astype(float)
    n = counts.shape[0]
    df = (counts > 0).sum(axis=0)
    idf = np.log((1 + n) / (1 + df)) + 1
    w = counts * idf
    w = w / np.linalg.norm(w, axis=1, keepdims=True)
    np.testing.assert_allclose(d.matrix.toarray(), w, rtol=1e-12)


def test_ngrams_and_long_form():
    d = build_dtm(FRAME, ngram_range=(1, 2), settings=TextSettings())
    assert "prevention atrocity" in set(d.terms)
    long = d.to_long()
    assert set(long.columns) == {"doc_id", "term", "count"}
    assert long["count"].sum() == d.matrix.sum()


def test_empty_vocabulary_gives_empty_matrix():
    d = build_dtm(pd.DataFrame({"doc_id": ["x"], "text": ["the of and"]}))
    assert d.shape == (1, 0)


def test_matrix_has_canonical_sorted_indices():
    d = build_dtm(pd.DataFrame({"doc_id": ["a"], "text": ["zeta alpha mu alpha"]}))
    assert d.matrix.has_sorted_indices and d.matrix.has_canonical_format


# ------------------------------------------- limits applied after counting, counting in blocks
def _vectorizer_reference(texts, settings, **kw):
    """scikit-learn's CountVectorizer with the project's term pipeline: the independent computation."""
    from functools import partial

    from sklearn.feature_extraction.text import CountVectorizer

    from analysis.tokens import terms

    vec = CountVectorizer(tokenizer=partial(terms, settings=settings), preprocessor=None, lowercase=False,
                          token_pattern=None, dtype=np.int64, **kw)
    return vec.fit_transform(texts), vec.get_feature_names_out()


def _speeches(n=400, seed=3):
    rng = np.random.default_rng(seed)
    words = ["prevention", "atrocity", "crimes", "sovereignty", "protect", "responsibility", "council", "veto",
             "genocide", "early", "warning", "assistance", "capacity", "states", "international", "community",
             "syria", "libya", "myanmar", "darfur", "rwanda", "srebrenica", "peace", "security", "rule", "law"]
    p = rng.dirichlet(np.full(len(words), 0.3))
    return pd.DataFrame({"unit_id": [f"u{i}" for i in range(n)], "doc_id": [f"d{i // 4}" for i in range(n)],
                         "text": [" ".join(rng.choice(words, size=rng.integers(0, 30), p=p)) for _ in range(n)]})


def test_limits_match_countvectorizer():
    units, s = _speeches(), TextSettings()
    for kw in ({"min_df": 2, "max_df": 0.5}, {"min_df": 0.05, "max_df": 40}, {"min_df": 3, "max_features": 7},
               {"ngram_range": (1, 2), "min_df": 4, "max_df": 0.3}):
        ref, ref_terms = _vectorizer_reference(units["text"].tolist(), s, **kw)
        d = build_dtm(units, id_col="unit_id", settings=s, **kw)
        assert d.terms.tolist() == ref_terms.tolist(), kw
        assert (d.matrix != ref).nnz == 0, kw


def test_prune_equals_counting_again_with_the_limits():
    from analysis.dtm import prune_dtm

    units, s = _speeches(), TextSettings()
    base = build_dtm(units, id_col="unit_id", settings=s)
    for min_df, max_df in ((2, 0.5), (1, 0.2), (0.1, 1.0), (5, 300)):
        want = build_dtm(units, id_col="unit_id", settings=s, min_df=min_df, max_df=max_df)
        got = prune_dtm(base, min_df, max_df)
        assert got.terms.tolist() == want.terms.tolist() and (got.matrix != want.matrix).nnz == 0
        assert got.params == want.params and got.docvars.equals(want.docvars)
    assert prune_dtm(base, 400, 400).shape == (len(units), 0)  # no term left: zero columns, as build_dtm
    with pytest.raises(ValueError, match="max_df corresponds to < documents than min_df"):
        prune_dtm(base, 50, 10)
    with pytest.raises(UsageError, match="min_df=1, max_df=1.0"):
        prune_dtm(want, 2, 0.5)


def test_blocks_on_workers_give_the_one_piece_matrix(monkeypatch):
    import analysis.dtm as dtm_mod
    from analysis.stats.parallel import pmap, use_workers

    units, s = _speeches(n=700), TextSettings()
    monkeypatch.setattr(dtm_mod, "DTM_CHUNK", 100)  # seven blocks, each with its own vocabulary
    one = build_dtm(units, id_col="unit_id", settings=s, min_df=2, max_df=0.6)
    with use_workers(2):
        blocks = build_dtm(units, id_col="unit_id", settings=s, min_df=2, max_df=0.6, map=pmap)
        fixed = build_dtm(units, id_col="unit_id", settings=s, vocabulary=["veto", "atrocity", "peace"], map=pmap)
    ref, ref_terms = _vectorizer_reference(units["text"].tolist(), s, min_df=2, max_df=0.6)
    assert blocks.terms.tolist() == one.terms.tolist() == ref_terms.tolist()
    assert (blocks.matrix != one.matrix).nnz == 0 and (blocks.matrix != ref).nnz == 0
    assert blocks.matrix.has_sorted_indices and blocks.matrix.dtype == np.int64
    ref_fixed, _ = _vectorizer_reference(units["text"].tolist(), s, vocabulary=["veto", "atrocity", "peace"])
    assert (fixed.matrix != ref_fixed).nnz == 0 and fixed.terms.tolist() == ["veto", "atrocity", "peace"]


def test_bad_limits_are_refused_before_counting():
    with pytest.raises(ValueError, match="max_df"):
        build_dtm(FRAME, max_df=1.5)
    with pytest.raises(ValueError, match="max_df corresponds to < documents than min_df"):
        build_dtm(FRAME, min_df=3, max_df=2)
