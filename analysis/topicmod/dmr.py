"""Prevalence covariates inside the topic model: Dirichlet-multinomial regression (tomotopy).

In DMR (Mimno & McCallum 2008) each document's Dirichlet prior over topics is a
log-linear function of its document variables, ``alpha_dk = exp(lambda_k' x_d)``,
so speaker, era or source shape topic prevalence while the topics are estimated,
as stm's prevalence formula does (Roberts et al. 2014). Categorical variables
enter as indicators (tomotopy's ``multi_metadata``, one ``"column=value"`` label
each); a smooth function of ``year`` enters through g-DMR's topic distribution
function, a Legendre polynomial of degree ``year_degree`` over the observed
range of years, rescaled to [0, 1] (Lee & Song 2020; tomotopy's ``GDMRModel``). The fit keeps the
final Gibbs state with each document's own prior, so
:func:`analysis.topicmod.composition.stat_composition_effects` gives effects with
composition intervals, and :func:`stat_dmr_prevalence` reports the prevalence
the model itself implies for each covariate value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.errors import UsageError, require_columns
from analysis.topicmod.gibbs import TomotopyEstimator, as_counts, document_completion_split, row_words

__all__ = ["DMRTopicModel", "stat_dmr_prevalence"]


class DMRTopicModel(TomotopyEstimator):
    """Topic model with prevalence covariates (DMR / g-DMR by collapsed Gibbs sampling).

    Parameters
    ----------
    n_components : int
    covariates : sequence of str
        Categorical document variables (columns of ``docvars``), e.g.
        ``("speaker", "era", "source")``. Missing values get no indicator.
    year : str or None
        Numeric column for a smooth time trend (g-DMR); None for plain DMR.
    year_degree : int
        Degree of the Legendre polynomial of ``year`` (default 3).
    sigma : float
        Prior standard deviation of the regression weights ``lambda`` (tomotopy's
        default 1.0).
    random_state, max_iter, workers, infer_iter, topic_word_prior, alpha
        As :class:`analysis.topicmod.gibbs.GibbsLDA` (``alpha`` is ``exp`` of the
        prior mean of the intercepts).

    Notes
    -----
    ``fit(X, docvars=units)``: ``docvars`` has one row per row of ``X``, in order.
    ``transform``/``heldout_loglik`` of new rows take their ``docvars`` too. Each
    training row's prior (``doc_topic_prior_``) is ``exp(lambda' x_d) +
    alpha_epsilon`` as tomotopy samples with it.

    References
    ----------
    Mimno, D., & McCallum, A. (2008). Topic models conditioned on arbitrary features
    with Dirichlet-multinomial regression. *UAI*, 411-418.
    Lee, M., & Song, M. (2020). Incorporating citation impact into analysis of
    research trends. *Scientometrics*, 124, 1191-1224.
    Roberts, M. E., Stewart, B. M., Tingley, D., et al. (2014). Structural topic
    models for open-ended survey responses. *American Journal of Political
    Science*, 58(4), 1064-1082.
    """

    method = "dmr"

    def __init__(self, n_components: int = 10, covariates: Sequence[str] = ("speaker",), year: str | None = None,
                 year_degree: int = 3, sigma: float = 1.0, random_state: int | None = 0, max_iter: int = 500,
                 workers: int = 1, infer_iter: int = 100, topic_word_prior: float = 0.01, alpha: float = 0.1):
        self.n_components = n_components
        self.covariates = covariates
        self.year = year
        self.year_degree = year_degree
        self.sigma = sigma
        self.random_state = random_state
        self.max_iter = max_iter
        self.workers = workers
        self.infer_iter = infer_iter
        self.topic_word_prior = topic_word_prior
        self.alpha = alpha

    # --- document variables
    def _meta(self, docvars: pd.DataFrame, n: int, fitting: bool):
        cols = list(self.covariates or ())
        if self.year:
            cols.append(self.year)
        if docvars is None:
            raise UsageError(f"{type(self).__name__} needs docvars= (one row per row of X with {cols})")
        require_columns(docvars, cols, "docvars", hint="pass the units table the matrix was built from")
        if len(docvars) != n:
            raise UsageError(f"docvars has {len(docvars)} rows but the matrix {n}: pass them in the same order")
        dv = docvars.reset_index(drop=True)
        multi = [[f"{c}={v}" for c in self.covariates or () if pd.notna(v := dv.at[i, c])] for i in range(n)]
        years = None
        if self.year:
            years = pd.to_numeric(dv[self.year], errors="coerce").to_numpy(dtype=np.float64)
            bad = np.flatnonzero(np.isnan(years))
            if len(bad):
                raise UsageError(f"docvars column {self.year!r} is missing or not numeric in row(s) "
                                 f"{bad[:5].tolist()}: drop those rows or fill the year")
            if fitting:
                lo, hi = float(years.min()), float(years.max())
                self.year_range_ = (lo, hi if hi > lo else lo + 1.0)
            lo, hi = self.year_range_
            years = (np.clip(years, lo, hi) - lo) / (hi - lo)  # tomotopy 0.14.0 crashes on metadata_range=
        return multi, years

    def _make_model(self, tp, K, seed):
        kw = dict(k=K, alpha=float(self.alpha), eta=float(self.topic_word_prior), sigma=float(self.sigma), seed=seed)
        if self.year:
            return tp.GDMRModel(degrees=[int(self.year_degree)], **kw)
        return tp.DMRModel(**kw)

    def _add_doc(self, mdl, words, row):
        if self.year:
            return mdl.add_doc(words, numeric_metadata=[float(self._years[row])], multi_metadata=self._multi[row])
        return mdl.add_doc(words, multi_metadata=self._multi[row])

    def _log_prior(self, mdl, multi, year):
        if self.year:
            return np.asarray(mdl.tdf([float(year)], multi_metadata=multi, normalize=False), dtype=np.float64)
        return np.log(np.asarray(mdl.get_topic_prior(multi_metadata=multi), dtype=np.float64))

    def _doc_prior(self, mdl, rows):
        eps = float(mdl.alpha_epsilon)
        out = np.empty((len(rows), int(self.n_components)))
        cache = {}
        for r, i in enumerate(rows):
            key = (tuple(self._multi[i]), None if self._years is None else float(self._years[i]))
            if key not in cache:
                cache[key] = np.exp(self._log_prior(mdl, self._multi[i], key[1])) + eps
            out[r] = cache[key]
        return out

    def fit(self, X, y=None, terms=None, docvars: pd.DataFrame | None = None):
        """Fit on a DTM (or counts with ``terms``); ``docvars`` holds the covariates of each row."""
        self._check_params()
        M, terms = as_counts(X, terms)
        self._multi, self._years = self._meta(docvars, M.shape[0], fitting=True)
        tp, mdl, used = self._fit_counts(M, terms, M.shape[0])
        self._store(tp, mdl, M, terms, used)
        self.levels_ = sorted(set(mdl.multi_metadata_dict))
        self.engine_info_["covariates"] = list(self.covariates or ())
        self.engine_info_["year"] = self.year
        return self

    def fit_transform(self, X, y=None, terms=None, docvars=None):
        return self.fit(X, terms=terms, docvars=docvars).doc_topic_

    # --- new rows need their document variables
    def _make_docs(self, M, rows):
        mdl = self.model_
        docs = []
        for i in rows:
            words = row_words(M, self.terms_, i)
            multi = [m for m in self._new_multi[i] if m in self.levels_]
            if self.year:
                docs.append(mdl.make_doc(words, numeric_metadata=[float(self._new_years[i])], multi_metadata=multi))
            else:
                docs.append(mdl.make_doc(words, multi_metadata=multi))
        return docs

    def transform(self, X, docvars: pd.DataFrame | None = None):
        """Topic shares of new rows given their covariates (unseen levels are left out)."""
        M = self._check_X(X)
        self._new_multi, self._new_years = self._meta(docvars, M.shape[0], fitting=False)
        return self._infer(M)

    def heldout_loglik(self, X, random_state: int = 0, docvars: pd.DataFrame | None = None) -> float:
        """Document-completion log-likelihood per token (see :meth:`GibbsLDA.heldout_loglik`)."""
        M = self._check_X(X)
        obs, ev = document_completion_split(M, random_state)
        if ev.nnz == 0:
            return float("nan")
        theta = self.transform(obs, docvars=docvars)
        rows = np.repeat(np.arange(ev.shape[0]), np.diff(ev.indptr))
        p = np.einsum("ik,ik->i", theta[rows], self.components_[:, ev.indices].T)
        return float(np.sum(ev.data * np.log(np.maximum(p, 1e-300))) / ev.data.sum())

    def perplexity(self, X, random_state: int = 0, docvars: pd.DataFrame | None = None) -> float:
        return float(np.exp(-self.heldout_loglik(X, random_state, docvars=docvars)))

    def score(self, X, y=None, docvars=None) -> float:
        return self.heldout_loglik(X, 0 if self.random_state is None else int(self.random_state), docvars=docvars)

    def expected_shares(self, multi_metadata: Sequence[str] = (), year: float | None = None) -> np.ndarray:
        """The prior mean topic proportions ``alpha(x) / sum alpha(x)`` for covariate values ``x``.

        ``multi_metadata`` lists ``"column=value"`` labels (see ``levels_``).
        """
        unknown = [m for m in multi_metadata if m not in self.levels_]
        if unknown:
            raise UsageError(f"unknown covariate level(s) {unknown}; the model knows {self.levels_}")
        if self.year and year is None:
            raise UsageError("this model has a year trend: pass year=")
        if self.year:
            lo, hi = self.year_range_
            year = (min(max(float(year), lo), hi) - lo) / (hi - lo)
        a = np.exp(self._log_prior(self.model_, list(multi_metadata), year)) + float(self.model_.alpha_epsilon)
        return (a / a.sum())[self.order_]


def stat_dmr_prevalence(fit: DMRTopicModel, years: Sequence[float] | None = None,
                        model: str = "dmr") -> pd.DataFrame:
    """Model-implied prevalence: expected share of each topic for each covariate level (and year).

    One row per (covariate, level, year, topic); each level is set alone (the other
    covariates at their reference, i.e. no indicator). Returns ``model, k, topic,
    covariate, level, year, share``.
    """
    if not hasattr(fit, "levels_"):
        raise UsageError("fit the DMRTopicModel first")
    ys = [None] if not fit.year else list(years if years is not None else
                                          np.arange(fit.year_range_[0], fit.year_range_[1] + 1))
    rows = []
    cases = [("(none)", "(reference)", [])] + [(lv.split("=", 1)[0], lv.split("=", 1)[1], [lv]) for lv in fit.levels_]
    for cov, level, multi in cases:
        for y in ys:
            sh = fit.expected_shares(multi, y)
            for k, s in enumerate(sh):
                rows.append((model, int(fit.n_components), k + 1, cov, level, y, float(s)))
    out = pd.DataFrame(rows, columns=["model", "k", "topic", "covariate", "level", "year", "share"])
    return out
