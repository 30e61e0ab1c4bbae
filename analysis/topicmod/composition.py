"""Topic-prevalence effects with the topic model's own uncertainty: the method of composition.

A post-hoc regression of estimated topic shares on document variables
(:func:`analysis.topicmod.model.stat_topic_effects`) treats the shares as data and
its intervals are too narrow. The method of composition (Tanner 1996; Treier &
Jackman 2008), which stm's ``estimateEffect(uncertainty = "Global")`` uses
(Roberts, Stewart & Tingley 2019), integrates over the shares instead:

1. draw a full set of document-topic proportions ``theta^(m)`` from the fitted
   model's posterior;
2. regress each draw on the covariate design (OLS, standard errors clustered by
   document, as the post-hoc regression; :class:`ClusterOLS` factorises the shared
   design once and gives statsmodels' estimates and covariances);
3. draw one coefficient vector from each regression's sampling distribution,
   ``beta^(m) ~ Normal(beta_hat^(m), V^(m))``, and pool the ``beta^(m)``: their
   mean is the estimate, their standard deviation the standard error, and the
   interval is ``estimate -/+ z_{(1 + level) / 2} * std_err`` (normal; percentile
   intervals from stm's 25-100 draws are biased inward, measured in
   docs/notes/topics13.md).

The posterior approximated in step 1: for a collapsed-Gibbs model (LDA, DMR,
seeded LDA) the conditional posterior of unit ``u``'s proportions given the final
Gibbs state is exactly ``theta_u | z, alpha ~ Dirichlet(n_u1 + alpha_u1, ...,
n_uK + alpha_uK)``, with ``n_uk`` the unit's tokens assigned to topic ``k`` and
``alpha_u`` its Dirichlet prior (per unit under DMR). Passing several Gibbs states
(a 3-d ``counts`` array) mixes over them; with one state the uncertainty of the
assignments ``z`` and of the topic-word distributions is not propagated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.errors import UsageError, require_columns
from analysis.topicmod.tables import TABLE_COLUMNS

__all__ = ["EFFECT_COLUMNS", "ClusterOLS", "composition_effects_from_fit", "effect_design", "iter_theta_draws",
           "posterior_theta_draws", "stat_composition_effects"]

#: ``topic_effects`` columns (``analysis.topicmod.tables.TABLE_COLUMNS``, ending with ``method``).
EFFECT_COLUMNS = list(TABLE_COLUMNS["topic_effects"])


def posterior_theta_draws(counts: np.ndarray, prior: np.ndarray, n_draws: int,
                          random_state: int = 0) -> np.ndarray:
    """``n_draws`` draws of every row's topic proportions, ``Dirichlet(counts + prior)``.

    ``counts`` is (n, K) or (n_states, n, K) (draw ``m`` uses state ``m mod n_states``).
    Returns an array (n_draws, n, K) whose rows sum to one. Gamma variates are
    normalised, so each draw is an exact Dirichlet draw (Devroye 1986, ch. XI).
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim == 2:
        c = c[None]
    out = np.empty((int(n_draws), *c.shape[1:]))
    for m, theta in enumerate(iter_theta_draws(c, prior, n_draws, random_state)):
        out[m] = theta
    return out


def iter_theta_draws(counts: np.ndarray, prior: np.ndarray, n_draws: int, random_state: int = 0):
    """The draws of :func:`posterior_theta_draws` one at a time (each (n, K)), in the same order.

    Holds one draw in memory instead of ``n_draws`` (a 50-draw array of 88,000
    units x 30 topics is 1 GB).
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim == 2:
        c = c[None]
    a = np.asarray(prior, dtype=np.float64)
    if a.shape != c.shape[1:] or np.any(a <= 0):
        raise UsageError(f"prior must be positive with shape {c.shape[1:]}, got {a.shape}")
    rng = np.random.default_rng(random_state)
    for m in range(int(n_draws)):
        g = rng.standard_gamma(c[m % len(c)] + a)
        yield g / g.sum(axis=1, keepdims=True)


class ClusterOLS:
    """Least squares of many responses on one design, with cluster-robust (CRV1) covariances.

    For each column ``y`` of ``Y``, :meth:`fit` gives what statsmodels'
    ``OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": groups})`` gives as
    ``params`` and ``cov_params()``: the pseudo-inverse estimate and the sandwich
    ``(X'X)^-1 (sum_g X_g' e_g e_g' X_g) (X'X)^-1`` times the small-sample factor
    ``G/(G-1) (n-1)/(n-p)`` (Liang & Zeger 1986; the factor as in Cameron & Miller 2015).
    The pseudo-inverse, the bread and the cluster indicator are computed once, so
    50 posterior draws of 40 topics cost 50 products with the design instead of
    2,000 separate fits (tested against statsmodels).

    References
    ----------
    Liang, K.-Y., & Zeger, S. L. (1986). Longitudinal data analysis using generalized
    linear models. *Biometrika*, 73(1), 13-22.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. *Journal of Human Resources*, 50(2), 317-372.
    """

    def __init__(self, X: np.ndarray, groups: np.ndarray):
        import scipy.sparse as sp

        self.X = np.asarray(X, dtype=np.float64)
        n, p = self.X.shape
        groups = np.asarray(groups)
        if groups.shape != (n,):
            raise UsageError(f"groups must have one entry per row of X ({n}), got shape {groups.shape}")
        codes, labels = pd.factorize(groups)
        n_groups = len(labels)
        if n_groups < 2:
            raise UsageError("cluster-robust errors need at least two clusters (documents)")
        self.pinv = np.linalg.pinv(self.X)          # (p, n), as statsmodels' pinv_wexog
        self.bread = self.pinv @ self.pinv.T         # its normalized_cov_params
        self.indicator = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
        # row-major, so that each score product reaches the sparse product without a copy (patsy's
        # designs are column-major): the same values, a fifth less time on UNGDC-sized designs
        self._rows = np.ascontiguousarray(self.X)
        self.correction = n_groups / (n_groups - 1.0) * ((n - 1.0) / float(n - p))

    def fit(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(params, covs)``: (K, p) estimates and (K, p, p) covariances of the columns of ``Y``."""
        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim == 1:
            Y = Y[:, None]
        params = self.pinv @ Y                      # (p, K)
        resid = Y - self.X @ params
        p = self.X.shape[1]
        covs = np.empty((Y.shape[1], p, p))
        for j in range(Y.shape[1]):
            scores = self.indicator @ (self._rows * resid[:, j:j + 1])   # (G, p): sum of x_i e_i per cluster
            covs[j] = self.bread @ (scores.T @ scores) @ self.bread.T * self.correction
        return params.T, covs


def effect_design(units: pd.DataFrame, covariate: str | None = "speaker", spline_df: int = 4):
    """The design of :func:`~analysis.topicmod.model.stat_topic_effects`.

    A cubic B-spline of ``year`` (``bs(year, df=spline_df)``; a linear term below 3
    degrees of freedom) plus ``C(covariate)`` when it has two or more levels.
    Returns ``(keep, X, term_names, design_info, data)``: the mask of usable rows,
    the patsy design matrix of those rows, names as in the post-hoc table, the
    design info (to predict at new data) and the rows' data (``year``, ``cov``,
    ``doc_id``). ``X`` is None when nothing is left to regress on.
    """
    import patsy

    require_columns(units, ["doc_id", "year"], "units")
    units = units.reset_index(drop=True)
    data = pd.DataFrame({"year": pd.to_numeric(units["year"], errors="coerce").to_numpy(dtype=np.float64),
                         "doc_id": units["doc_id"].astype(str).to_numpy()})
    keep = ~np.isnan(data["year"].to_numpy())
    rhs = []
    n_years = data.loc[keep, "year"].nunique()
    if n_years >= 2:
        df_eff = int(min(spline_df, n_years - 1))
        rhs.append(f"bs(year, df={df_eff}, degree={min(3, df_eff)})" if df_eff >= 3 else "year")
    if covariate:
        require_columns(units, [covariate], "units")
        data["cov"] = units[covariate].astype(str).to_numpy()
        keep &= units[covariate].notna().to_numpy()
        if data.loc[keep, "cov"].nunique() >= 2:
            rhs.append("C(cov)")
    data = data[keep].reset_index(drop=True)
    if not rhs or data["doc_id"].nunique() < 2 or len(data) <= 2:
        return keep, None, [], None, data
    X = patsy.dmatrix(" + ".join(rhs), data, return_type="dataframe")
    names = [c.replace("C(cov)", f"C({covariate})") for c in X.columns]
    return keep, X.to_numpy(), names, X.design_info, data


def stat_composition_effects(counts: np.ndarray, prior: np.ndarray, units: pd.DataFrame,
                             covariate: str | None = "speaker", spline_df: int = 4, n_draws: int = 50,
                             level: float = 0.95, labels: Sequence[str] | None = None, model: str = "",
                             k: int | None = None, random_state: int = 0) -> pd.DataFrame:
    """``topic_effects`` by the method of composition (see the module docstring).

    Parameters
    ----------
    counts, prior : ndarray (n_units, K) (``counts`` may be (n_states, n_units, K))
        Topic counts and Dirichlet prior of each unit in the final Gibbs state(s):
        ``fit.doc_topic_counts_`` and ``fit.doc_topic_prior_`` of a
        :class:`~analysis.topicmod.gibbs.GibbsLDA`, DMR or seeded model.
    units : DataFrame
        One row per unit in the same order, with ``doc_id``, ``year`` and the covariate.
        Units without tokens are left out (their draws would be the prior alone).
    covariate, spline_df, level, labels, model, k
        As :func:`analysis.topicmod.model.stat_topic_effects`.
    n_draws : int
        Posterior draws (stm's ``nsims`` is 25).
    random_state : int
        Seed of the proportion draws and the coefficient draws.

    Returns
    -------
    DataFrame with :data:`EFFECT_COLUMNS`, ``method = "composition"``: rows of
    ``kind="coefficient"`` (``term`` as the post-hoc table) and ``kind="expected"``
    (expected share at each observed ``year``, the covariate at its most frequent
    level). Intervals and the two-sided ``p_value`` use the normal approximation
    with the pooled ``std_err``.

    References
    ----------
    Treier, S., & Jackman, S. (2008). Democracy as a latent variable. *American
    Journal of Political Science*, 52(1), 201-217.
    Tanner, M. A. (1996). *Tools for Statistical Inference* (3rd ed.). Springer.
    Roberts, M. E., Stewart, B. M., & Tingley, D. (2019). stm: An R package for
    structural topic models. *Journal of Statistical Software*, 91(2), 1-40.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to
    cluster-robust inference. *Journal of Human Resources*, 50(2), 317-372.
    """
    import patsy

    if not 0 < level < 1:
        raise UsageError(f"level must be in (0, 1), got {level}")
    if int(n_draws) < 2:
        raise UsageError(f"n_draws must be at least 2, got {n_draws}")
    c = np.asarray(counts, dtype=np.float64)
    c3 = c if c.ndim == 3 else c[None]
    if c3.shape[1] != len(units):
        raise UsageError(f"counts has {c3.shape[1]} rows but units has {len(units)}: pass them in the same order")
    units = units.reset_index(drop=True)
    nonempty = c3[0].sum(axis=1) > 0
    keep, X, names, info, data = effect_design(units[nonempty], covariate, spline_df)
    if X is None:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    rows_idx = np.flatnonzero(nonempty)[keep]
    K = c3.shape[2]
    draws = iter_theta_draws(c3[:, rows_idx], np.asarray(prior, dtype=np.float64)[rows_idx], n_draws,
                             random_state)
    groups = pd.factorize(data["doc_id"])[0]
    n_clusters = int(groups.max()) + 1
    newdata = pd.DataFrame({"year": np.sort(data["year"].unique())})
    if "cov" in data.columns and any(n.startswith(f"C({covariate})") for n in names):
        newdata["cov"] = data["cov"].value_counts().sort_index().idxmax()
    Xnew = np.asarray(patsy.build_design_matrices([info], newdata)[0])
    rng = np.random.default_rng([int(random_state), 1])
    B = np.empty((int(n_draws), K, X.shape[1]))
    ols = ClusterOLS(X, groups)  # one design for every draw and topic: factorised once
    for m, theta in enumerate(draws):
        params, covs = ols.fit(theta)
        for j in range(K):
            cov = covs[j]
            B[m, j] = rng.multivariate_normal(params[j], (cov + cov.T) / 2, method="eigh")
    z = norm.ppf((1 + level) / 2)
    kk = K if k is None else int(k)
    out = []
    for j in range(K):
        lab = labels[j] if labels is not None else ""
        est, se = B[:, j].mean(axis=0), B[:, j].std(axis=0, ddof=1)
        lo, hi = est - z * se, est + z * se
        p = 2 * norm.sf(np.abs(est) / np.where(se > 0, se, np.nan))
        for t, name in enumerate(names):
            out.append((model, kk, j + 1, lab, "coefficient", name, pd.NA, est[t], se[t], p[t], lo[t], hi[t],
                        len(data), n_clusters, "composition"))
        pred = B[:, j] @ Xnew.T  # (n_draws, n_years)
        for y, mu, s in zip(newdata["year"], pred.mean(0), pred.std(0, ddof=1)):
            out.append((model, kk, j + 1, lab, "expected", "year", int(y), mu, s, np.nan, mu - z * s, mu + z * s,
                        len(data), n_clusters, "composition"))
    df = pd.DataFrame(out, columns=EFFECT_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    return df


def composition_effects_from_fit(fit, units: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """:func:`stat_composition_effects` from a fitted Gibbs model (its final state).

    ``fit`` is a :class:`~analysis.topicmod.gibbs.GibbsLDA` or a subclass fitted on
    the rows of ``units`` in order; ``model`` defaults to ``fit.method`` and ``k``
    to its number of topics.
    """
    if not hasattr(fit, "doc_topic_counts_"):
        raise UsageError(f"{type(fit).__name__} keeps no Gibbs state: fit a GibbsLDA, DMR or seeded model")
    kwargs.setdefault("model", getattr(fit, "method", ""))
    kwargs.setdefault("k", int(fit.n_components))
    return stat_composition_effects(fit.doc_topic_counts_, fit.doc_topic_prior_, units, **kwargs)
