"""Document-term matrices that keep their document variables.

A thin wrapper around scikit-learn's ``CountVectorizer`` / ``TfidfVectorizer``
using the project's term pipeline (:func:`analysis.tokens.terms`), so that the
rows of the matrix stay aligned with a docvars DataFrame through subsetting and
grouping, and every choice is recorded in ``params``.

References
----------
Pedregosa, F. et al. (2011). Scikit-learn: Machine learning in Python. *JMLR* 12, 2825-2830.
Salton, G. and Buckley, C. (1988). Term-weighting approaches in automatic text
retrieval. *Information Processing & Management* 24(5), 513-523.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from analysis.errors import MissingColumnsError, UsageError, require_columns
from analysis.text import TextSettings
from analysis.tokens import terms as term_pipeline

__all__ = ["DTM", "build_dtm", "prune_dtm", "require_dtm"]

#: texts per task when :func:`build_dtm` counts on the run's worker processes
DTM_CHUNK = 8192


@dataclass
class DTM:
    """A sparse document-term matrix with its docvars.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Rows aligned with ``docvars``, columns with ``terms``.
    terms : ndarray of str
    docvars : DataFrame
        One row per matrix row (the non-text columns of the input frame).
    params : dict
        Settings used to build it (tokenizer, n-grams, document-frequency limits, weighting).
    """

    matrix: sp.csr_matrix
    terms: np.ndarray
    docvars: pd.DataFrame
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.matrix = sp.csr_matrix(self.matrix)
        self.docvars = self.docvars.reset_index(drop=True)
        if self.matrix.shape != (len(self.docvars), len(self.terms)):
            raise ValueError(
                f"matrix shape {self.matrix.shape} does not match {len(self.docvars)} docvars rows "
                f"and {len(self.terms)} terms"
            )

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def term_index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.terms)}

    def subset(self, mask) -> "DTM":
        """Rows selected by a boolean mask or integer positions."""
        idx = np.flatnonzero(np.asarray(mask)) if np.asarray(mask).dtype == bool else np.asarray(mask)
        return DTM(self.matrix[idx], self.terms, self.docvars.iloc[idx], dict(self.params))

    def group(self, by: str | list[str]) -> "DTM":
        """Sum rows within groups of a docvar (year, speaker, era...).

        Groups come out sorted; the docvars of the result are the grouping
        columns plus ``n_docs`` (how many rows were summed).
        """
        by = [by] if isinstance(by, str) else list(by)
        missing = [b for b in by if b not in self.docvars.columns]
        if missing:
            raise MissingColumnsError(f"cannot group by {missing}: docvars have {list(self.docvars.columns)}")
        keys = self.docvars[by].astype(object).where(self.docvars[by].notna(), None)
        codes, uniques = pd.MultiIndex.from_frame(keys).factorize(sort=True)
        n_groups = len(uniques)
        indicator = sp.csr_matrix(
            (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(n_groups, len(codes))
        )
        mat = indicator @ self.matrix
        dv = pd.DataFrame(list(uniques), columns=by)
        dv["n_docs"] = np.bincount(codes, minlength=n_groups)
        return DTM(mat.tocsr(), self.terms, dv, {**self.params, "grouped_by": by})

    def to_long(self, id_col: str | None = None) -> pd.DataFrame:
        """Tidy ``(id, term, count)`` rows for the non-zero cells."""
        id_col = id_col or self.params.get("id_col", "doc_id")
        coo = self.matrix.tocoo()
        ids = self.docvars[id_col].to_numpy() if id_col in self.docvars else coo.row
        return pd.DataFrame(
            {id_col: ids[coo.row], "term": self.terms[coo.col], "count": coo.data}
        ).sort_values([id_col, "term"], kind="stable", ignore_index=True)

    def totals(self) -> np.ndarray:
        """Row sums (tokens per row)."""
        return np.asarray(self.matrix.sum(axis=1)).ravel()

    def term_frequencies(self) -> pd.Series:
        """Column sums indexed by term."""
        return pd.Series(np.asarray(self.matrix.sum(axis=0)).ravel(), index=self.terms, name="count")


def build_dtm(
    frame: pd.DataFrame,
    text_col: str = "text",
    id_col: str = "doc_id",
    settings: TextSettings | None = None,
    ngram_range: tuple[int, int] = (1, 1),
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    weighting: str = "count",
    vocabulary=None,
    max_features: int | None = None,
    map=None,
) -> DTM:
    """Vectorize the ``text_col`` of ``frame`` (documents or units) into a :class:`DTM`.

    Parameters
    ----------
    frame : DataFrame
        One row per document or unit; all columns except ``text_col`` become docvars.
    settings : TextSettings
        Tokenizer choices (stopwords, stemming, case); n-grams are built from the
        filtered tokens, as quanteda's ``tokens_ngrams`` after ``tokens_remove``.
    ngram_range, min_df, max_df, vocabulary, max_features
        As in scikit-learn's ``CountVectorizer``.
    weighting : {"count", "tfidf"}
        ``tfidf`` applies scikit-learn's ``TfidfTransformer`` (smooth idf, l2 norm).
    map : callable, optional
        ``map(fn, tasks)`` (:func:`analysis.stats.parallel.pmap`, the run's workers): with
        it and many texts, fixed blocks of :data:`DTM_CHUNK` texts are counted as tasks and
        their vocabularies merged. The matrix is the one a single ``CountVectorizer``
        gives (the limits are applied once, after the merge), whatever runs the tasks.
    """
    require_columns(frame, [text_col], what="build_dtm: frame",
                    hint="pass units (analysis.units.make_units) or documents with a text column")
    if weighting not in ("count", "tfidf"):
        raise UsageError("weighting must be 'count' or 'tfidf'")
    settings = settings or TextSettings()
    texts = frame[text_col].fillna("").astype(str).tolist()
    # the limits are checked (scikit-learn's constraints and min_df <= max_df) before any counting
    CountVectorizer(min_df=min_df, max_df=max_df, max_features=max_features)._validate_params()
    if vocabulary is None:
        _df_limits(len(texts), min_df, max_df)
    mat, terms = _count(texts, settings, tuple(ngram_range), vocabulary, map)
    if vocabulary is None:
        mat, terms = _limit(mat, terms, min_df, max_df, max_features)
    if weighting == "tfidf" and mat.shape[1]:
        mat = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True).fit_transform(mat)
    mat = mat.tocsr()
    mat.sort_indices()  # canonical CSR, so no consumer sorts (and mutates) shared index arrays
    params = {
        "text_settings": settings.to_dict(),
        "ngram_range": list(ngram_range),
        "min_df": min_df,
        "max_df": max_df,
        "max_features": max_features,
        "weighting": weighting,
        "id_col": id_col,
    }
    dv = frame.drop(columns=[text_col])
    return DTM(mat, terms, dv, params)


def _vectorizer(settings: TextSettings, ngram_range: tuple[int, int], vocabulary=None) -> CountVectorizer:
    return CountVectorizer(tokenizer=partial(term_pipeline, settings=settings), preprocessor=None, lowercase=False,
                           token_pattern=None, ngram_range=ngram_range, vocabulary=vocabulary, dtype=np.int64)


def _count_chunk(texts: list[str], settings: TextSettings, ngram_range: tuple[int, int],
                 vocabulary=None) -> tuple[sp.csr_matrix, np.ndarray]:
    """Counts of one block of texts: the matrix and its terms (sorted), every term kept."""
    vec = _vectorizer(settings, ngram_range, vocabulary)
    try:
        mat = vec.fit_transform(texts)
        terms = vec.get_feature_names_out().astype(str)
    except ValueError as e:  # empty vocabulary
        if "empty vocabulary" not in str(e):
            raise
        return sp.csr_matrix((len(texts), 0), dtype=np.int64), np.array([], dtype=str)
    return sp.csr_matrix(mat, dtype=np.int64), terms


def _count(texts: list[str], settings: TextSettings, ngram_range: tuple[int, int],
           vocabulary=None, map=None) -> tuple[sp.csr_matrix, np.ndarray]:
    """Counts of every text: in one piece, or (with ``map`` and at least two blocks) in fixed
    blocks of :data:`DTM_CHUNK` texts whose vocabularies are merged.

    The merged matrix equals the one-piece matrix: the blocks depend only on the number of
    texts, each block's terms are sorted, and the union of the blocks' terms is sorted again.
    """
    if map is None or len(texts) < 2 * DTM_CHUNK:
        return _count_chunk(texts, settings, ngram_range, vocabulary)
    bounds = [(a, min(a + DTM_CHUNK, len(texts))) for a in range(0, len(texts), DTM_CHUNK)]
    parts = map(_count_chunk, [(texts[a:b], settings, ngram_range, vocabulary) for a, b in bounds])
    if vocabulary is not None:
        return sp.vstack([m for m, _ in parts], format="csr", dtype=np.int64), parts[0][1]
    terms = np.unique(np.concatenate([t for _, t in parts])) if parts else np.array([], dtype=str)
    blocks = []
    for m, t in parts:
        cols = np.searchsorted(terms, t)[m.indices] if len(t) else m.indices
        blocks.append(sp.csr_matrix((m.data, cols, m.indptr), shape=(m.shape[0], len(terms)), dtype=np.int64))
    return sp.vstack(blocks, format="csr", dtype=np.int64), terms.astype(str)


def _df_limits(n_rows: int, min_df: int | float, max_df: int | float) -> tuple[float, float]:
    """The document counts that ``min_df`` and ``max_df`` stand for (an int is a count, a float a share)."""
    from numbers import Integral

    high = max_df if isinstance(max_df, Integral) else max_df * n_rows
    low = min_df if isinstance(min_df, Integral) else min_df * n_rows
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    return low, high


def _limit(mat: sp.csr_matrix, terms: np.ndarray, min_df: int | float, max_df: int | float,
           max_features: int | None) -> tuple[sp.csr_matrix, np.ndarray]:
    """Keep the terms within the document-frequency limits (and the ``max_features`` most frequent),
    the rule of scikit-learn's ``CountVectorizer`` (``_limit_features``). No term left: zero columns."""
    if min_df == 1 and max_df == 1.0 and max_features is None:
        return mat, terms
    low, high = _df_limits(mat.shape[0], min_df, max_df)
    dfs = np.bincount(mat.indices, minlength=mat.shape[1]) if mat.nnz else np.zeros(mat.shape[1], np.int64)
    mask = (dfs <= high) & (dfs >= low)
    if max_features is not None and mask.sum() > max_features:
        tfs = np.asarray(mat.sum(axis=0)).ravel()
        keep = np.where(mask)[0][(-tfs[mask]).argsort(kind="quicksort")[:max_features]]
        mask = np.zeros(len(dfs), dtype=bool)
        mask[keep] = True
    kept = np.flatnonzero(mask)
    if len(kept) == len(terms):
        return mat, terms
    return mat[:, kept].tocsr(), terms[kept]


def prune_dtm(dtm: DTM, min_df: int | float = 1, max_df: int | float = 1.0) -> DTM:
    """The count matrix ``build_dtm`` gives with ``min_df`` and ``max_df``, from one built without limits.

    ``dtm`` must be a count matrix built by :func:`build_dtm` with ``min_df=1`` and
    ``max_df=1.0`` (every term kept): dropping the columns outside the limits then gives
    the same matrix, terms and ``params`` as counting the texts again with the limits
    (scikit-learn's ``CountVectorizer`` rule), without tokenizing them twice.
    """
    p = dtm.params
    if p.get("weighting", "count") != "count" or p.get("min_df", 1) != 1 or p.get("max_df", 1.0) != 1.0 \
            or p.get("max_features") is not None or "grouped_by" in p or "summed_from" in p:
        raise UsageError("prune_dtm needs a count matrix built by build_dtm with min_df=1, max_df=1.0 and no "
                         f"max_features; got params {p}")
    _df_limits(dtm.matrix.shape[0], min_df, max_df)
    mat, terms = _limit(sp.csr_matrix(dtm.matrix), np.asarray(dtm.terms), min_df, max_df, None)
    mat.sort_indices()
    return DTM(mat, terms, dtm.docvars, {**p, "min_df": min_df, "max_df": max_df})


def require_dtm(dtm, what: str = "this statistic", columns=()) -> "DTM":
    """Check that ``dtm`` is a :class:`DTM` whose docvars have ``columns``; return it.

    The count statistics (keyness, Fightin' Words, similarity across years) take
    one input type, a DTM; a units frame or a corpus must be vectorised first
    with :func:`build_dtm`.

    Raises
    ------
    analysis.errors.UsageError
        When ``dtm`` is not a DTM.
    analysis.errors.MissingColumnsError
        When its docvars lack one of ``columns``.
    """
    if not isinstance(dtm, DTM):
        raise UsageError(f"{what} needs a document-term matrix (analysis.dtm.DTM), not "
                         f"{type(dtm).__name__}; build one with analysis.dtm.build_dtm(units)")
    require_columns(dtm.docvars, columns, what=f"{what}: DTM docvars")
    return dtm
