"""Document-term matrices: alignment with docvars, grouping, tf-idf against a dense computation."""

import numpy as np
import pandas as pd

from analysis.dtm import build_dtm
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
