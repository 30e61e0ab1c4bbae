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

__all__ = ["DTM", "build_dtm", "require_dtm"]


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
    """
    require_columns(frame, [text_col], what="build_dtm: frame",
                    hint="pass units (analysis.units.make_units) or documents with a text column")
    if weighting not in ("count", "tfidf"):
        raise UsageError("weighting must be 'count' or 'tfidf'")
    settings = settings or TextSettings()
    texts = frame[text_col].fillna("").astype(str).tolist()
    vec = CountVectorizer(
        tokenizer=partial(term_pipeline, settings=settings),
        preprocessor=None,
        lowercase=False,
        token_pattern=None,
        ngram_range=ngram_range,
        min_df=min_df,
        max_df=max_df,
        vocabulary=vocabulary,
        max_features=max_features,
        dtype=np.int64,
    )
    try:
        mat = vec.fit_transform(texts)
        terms = vec.get_feature_names_out().astype(str)
    except ValueError as e:  # empty vocabulary
        if "empty vocabulary" not in str(e) and "no terms remain" not in str(e):
            raise
        mat = sp.csr_matrix((len(texts), 0), dtype=np.int64)
        terms = np.array([], dtype=str)
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
