"""Wordscores: positions of "virgin" texts from reference texts with known positions.

Laver, Benoit & Garry (2003) score every word by the reference positions of the
texts it occurs in, weighted by the probability of each reference text given the
word, and score a virgin text by the frequency-weighted mean of its words'
scores. This module follows quanteda.textmodels' ``textmodel_wordscores`` and
``predict.textmodel_wordscores`` (linear and logit scales, smoothing, raw scores
with standard errors, LBG and Martin-Vanberg rescaling), with one deliberate
difference noted under :meth:`Wordscores.predict`.

References
----------
Laver, M., Benoit, K., & Garry, J. (2003). Extracting policy positions from
political texts using words as data. *American Political Science Review* 97(2),
311-331. doi:10.1017/S0003055403000698

Martin, L. W., & Vanberg, G. (2008). A robust transformation procedure for
interpreting political text. *Political Analysis* 16(1), 93-100.
doi:10.1093/pan/mpm010

Beauchamp, N. (2012). Using text to scale legislatures with uninformative voting.
New York University, mimeo (the logit scale).

Benoit, K., Watanabe, K., Wang, H., Perry, P. O., Lauderdale, B., Gruber, J., &
Lowe, W. (2021). quanteda.textmodels: Scaling models and classifiers for textual
data. R package.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from analysis.dtm import DTM
from analysis.errors import UsageError, require_columns

__all__ = ["Wordscores", "stat_wordscores", "RESCALINGS"]

RESCALINGS = ("none", "lbg", "mv")


def _as_dense_counts(X) -> np.ndarray:
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise UsageError(f"the count matrix must be 2-dimensional, got shape {X.shape}")
    if (X < 0).any():
        raise UsageError("the count matrix has negative entries; Wordscores needs counts")
    return X


class Wordscores:
    """The Wordscores estimator (Laver, Benoit & Garry 2003).

    Parameters
    ----------
    scale : {"linear", "logit"}
        ``linear``: a word's score is the mean of the reference scores weighted by
        P(reference r | word w) (LBG 2003, eq. 1-2); ``logit`` (Beauchamp 2012, two
        reference texts only): log P(r_high | w) - log P(r_low | w).
    smooth : float
        Added to every count of the reference texts before fitting (quanteda's
        ``smooth``); 0 reproduces LBG 2003.

    Attributes
    ----------
    wordscores_ : ndarray
        Score of each scorable word (words that occur in a reference text).
    terms_ : ndarray of str
        The scorable words (same order as ``wordscores_``).
    scorable_ : ndarray of bool
        Which columns of the training matrix are scorable.
    reference_scores_ : ndarray
        The known positions of the reference texts.
    reference_raw_ : ndarray
        Raw scores of the reference texts themselves (used by MV rescaling).
    """

    def __init__(self, scale: str = "linear", smooth: float = 0.0):
        self.scale = scale
        self.smooth = smooth

    def fit(self, X, y, terms=None) -> "Wordscores":
        """Fit word scores on the rows of ``X`` whose ``y`` is not NaN (the reference texts)."""
        if self.scale not in ("linear", "logit"):
            raise UsageError(f"scale must be 'linear' or 'logit', got {self.scale!r}")
        if self.smooth < 0:
            raise UsageError(f"smooth must be >= 0, got {self.smooth}")
        X = _as_dense_counts(X)
        y = np.asarray(y, dtype=float)
        if len(y) != X.shape[0]:
            raise UsageError(f"{len(y)} reference scores for {X.shape[0]} documents: give one per row (NaN for virgin texts)")
        if not X.sum():
            raise UsageError("the count matrix is empty (no tokens)")
        ref = ~np.isnan(y)
        if ref.sum() < 2:
            raise UsageError("Wordscores needs at least two reference texts with known scores")
        terms = np.asarray(terms if terms is not None else [f"w{j}" for j in range(X.shape[1])], dtype=str)
        R = X[ref] + self.smooth
        totals = R.sum(axis=1, keepdims=True)
        if (totals == 0).any():
            raise UsageError("a reference text has no tokens; drop it or give it text")
        F = R / totals                               # F_wr: relative frequency of w in r
        colsum = F.sum(axis=0)
        scorable = colsum > 0
        P = F[:, scorable] / colsum[scorable]        # P_wr = P(r | w)
        yr = y[ref]
        if self.scale == "linear":
            S = yr @ P
        else:
            if len(yr) != 2:
                raise UsageError("the logit scale takes exactly two reference texts")
            hi, lo = (0, 1) if yr[0] > yr[1] else (1, 0)
            with np.errstate(divide="ignore"):
                S = np.log(P[hi]) - np.log(P[lo])
            finite = np.isfinite(S)
            scorable[np.flatnonzero(scorable)[~finite]] = False
            S = S[finite]
        self.wordscores_ = S
        self.terms_ = terms[scorable]
        self.scorable_ = scorable
        self.reference_scores_ = yr
        self.reference_index_ = np.flatnonzero(ref)
        self.n_features_in_ = X.shape[1]
        self.reference_raw_ = self._raw(X[ref])[0]
        return self

    def _raw(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw text scores, their standard errors and scorable token counts."""
        C = X[:, self.scorable_]
        n = C.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            F = C / n[:, None]
            raw = F @ self.wordscores_
            # LBG 2003, p. 317: variance of the word scores around the text score, weighted by F_wv
            var = (F * (raw[:, None] - self.wordscores_[None, :]) ** 2).sum(axis=1)
            se = np.sqrt(var) / np.sqrt(n)
        return raw, se, n

    def predict(self, X, rescaling: str = "none", level: float = 0.95) -> pd.DataFrame:
        """Score the rows of ``X`` (same columns as the training matrix).

        Returns a DataFrame with ``raw``, ``raw_se``, ``fit``, ``se``, ``ci_low``,
        ``ci_high``, ``n_scorable`` (one row per row of ``X``). ``fit`` is the raw
        score or its rescaled value:

        - ``lbg`` (LBG 2003, p. 316): ``(raw - mean) * sd_ref / sd_virgin + mean``,
          mean and sd (ddof=1) taken over the rows scored here, as quanteda does;
        - ``mv`` (Martin & Vanberg 2008): the linear map that sends the raw scores of
          the lowest and highest reference texts to their reference values.

        Intervals are the raw interval ``raw -/+ z * raw_se`` mapped by the same
        transformation, and ``se`` is ``raw_se`` times its slope. (quanteda adds the
        LBG shift to the standard error as well, ``(se - mean) * mult + mean``; a
        standard error is a scale, so only the multiplier applies here.)
        """
        if rescaling not in RESCALINGS:
            raise UsageError(f"rescaling must be one of {', '.join(RESCALINGS)}, got {rescaling!r}")
        if not 0 < level < 1:
            raise UsageError(f"level must be between 0 and 1, got {level}")
        X = _as_dense_counts(X)
        if X.shape[1] != self.n_features_in_:
            raise UsageError(f"X has {X.shape[1]} columns; the model was fitted on {self.n_features_in_}")
        raw, raw_se, n = self._raw(X)
        z = float(stats.norm.ppf(1 - (1 - level) / 2))
        if rescaling == "lbg":
            sd_r = float(np.std(self.reference_scores_, ddof=1))
            centre = float(np.nanmean(raw))
            sd_v = float(np.nanstd(raw, ddof=1)) if np.isfinite(raw).sum() > 1 else 0.0
            mult = sd_r / sd_v if sd_v > 0 else 0.0
            shift = centre
        elif rescaling == "mv":
            y = self.reference_scores_
            lo, hi = int(np.argmin(y)), int(np.argmax(y))
            mult = (y[hi] - y[lo]) / (self.reference_raw_[hi] - self.reference_raw_[lo])
            shift = None
        if rescaling == "none" or (rescaling == "lbg" and mult == 0):
            fit, se = raw, raw_se
            lo_ci, hi_ci = raw - z * raw_se, raw + z * raw_se
        elif rescaling == "lbg":
            def tr(v):
                return (v - shift) * mult + shift
            fit, se = tr(raw), raw_se * mult
            lo_ci, hi_ci = tr(raw - z * raw_se), tr(raw + z * raw_se)
        else:
            y = self.reference_scores_
            lo, hi = int(np.argmin(y)), int(np.argmax(y))

            def tr(v):
                return (v - self.reference_raw_[lo]) * mult + y[lo]
            fit, se = tr(raw), raw_se * abs(mult)
            lo_ci, hi_ci = tr(raw - z * raw_se), tr(raw + z * raw_se)
        return pd.DataFrame({
            "raw": raw, "raw_se": raw_se, "fit": fit, "se": se,
            "ci_low": np.minimum(lo_ci, hi_ci), "ci_high": np.maximum(lo_ci, hi_ci),
            "n_scorable": n.astype(np.int64),
        })

    def word_table(self) -> pd.DataFrame:
        """Tidy ``(term, score)`` rows of the fitted word scores."""
        return pd.DataFrame({"term": self.terms_, "score": self.wordscores_})


def stat_wordscores(
    dtm: DTM,
    reference: Mapping | str,
    id_col: str | None = None,
    rescaling: str = "lbg",
    level: float = 0.95,
    scale: str = "linear",
    smooth: float = 0.0,
    virgin_only: bool = False,
) -> pd.DataFrame:
    """Wordscores positions of the rows of a :class:`~analysis.dtm.DTM`.

    Parameters
    ----------
    dtm : DTM
        Counts (rows: documents, or groups made with ``DTM.group``).
    reference : mapping or str
        ``{row label: known position}`` (labels from ``id_col``), or the name of a
        numeric docvar whose non-missing values are the reference positions.
    id_col : str
        The docvar that labels rows (default: the DTM's ``id_col``).
    rescaling : {"none", "lbg", "mv"}
        See :meth:`Wordscores.predict`.
    virgin_only : bool
        Score only the virgin texts (the rescaling then uses their spread, as in
        LBG 2003); by default every row is scored, as quanteda's ``predict``.

    Returns
    -------
    DataFrame
        One row per scored row: the id column, ``reference_score`` (NaN for virgin
        texts), ``is_reference``, ``raw``, ``raw_se``, ``theta`` (the possibly
        rescaled score), ``se``, ``ci_low``, ``ci_high``, ``n_scorable``, ``model``,
        plus the other docvars.

    References
    ----------
    Laver, Benoit & Garry (2003); Martin & Vanberg (2008): see the module docstring.
    """
    id_col = id_col or dtm.params.get("id_col", "doc_id")
    require_columns(dtm.docvars, [id_col], what="the document-term matrix's docvars")
    labels = dtm.docvars[id_col].astype(str).to_numpy()
    if isinstance(reference, str):
        require_columns(dtm.docvars, [reference], what="the document-term matrix's docvars",
                        hint="name a numeric column holding the reference positions")
        y = pd.to_numeric(dtm.docvars[reference], errors="coerce").to_numpy(dtype=float)
    else:
        ref = {str(k): float(v) for k, v in dict(reference).items()}
        unknown = sorted(set(ref) - set(labels))
        if unknown:
            raise UsageError(f"reference text(s) {', '.join(unknown)} are not rows of the matrix "
                             f"(its {id_col!r} values are e.g. {', '.join(labels[:5])})")
        y = np.array([ref.get(lab, np.nan) for lab in labels])
    model = Wordscores(scale=scale, smooth=smooth).fit(dtm.matrix, y, dtm.terms)
    rows = np.flatnonzero(np.isnan(y)) if virgin_only else np.arange(len(y))
    if len(rows) == 0:
        raise UsageError("no virgin texts to score: every row is a reference text")
    pred = model.predict(dtm.matrix[rows], rescaling=rescaling, level=level)
    out = dtm.docvars.iloc[rows].reset_index(drop=True).copy()
    out["reference_score"] = y[rows]
    out["is_reference"] = ~np.isnan(y[rows])
    out = pd.concat([out, pred.rename(columns={"fit": "theta"})], axis=1)
    out["model"] = "wordscores"
    first = [id_col, "theta", "se", "ci_low", "ci_high", "raw", "raw_se", "reference_score",
             "is_reference", "n_scorable", "model"]
    return out[first + [c for c in out.columns if c not in first]]
