"""Wordfish: the Poisson scaling model of Slapin & Proksch (2008).

The count of word ``j`` in document ``i`` is Poisson with

    log mu_ij = alpha_i + psi_j + beta_j * theta_i

where ``theta_i`` is the document's position, ``alpha_i`` its fixed effect
(length, "fixedness"), ``psi_j`` the word's fixed effect (frequency) and
``beta_j`` its weight (how it discriminates along the scale).

The estimate maximises the penalised log-likelihood of quanteda.textmodels
(``src/wordfish.cpp``, default ``priors = c(Inf, Inf, 3, 1)``)::

    lp = sum_ij (y_ij eta_ij - exp(eta_ij)) - sum_j beta_j^2 / (2 * 3^2) - sum_i theta_i^2 / 2

(:func:`penalised_loglik`; flat priors on ``alpha`` and ``psi``) over parameters
identified as Slapin & Proksch (2008) identify them: ``theta`` has mean 0 and
standard deviation 1 (``ddof=1``, R's ``sd``; the theta prior is then the constant
``(N - 1) / 2``), ``alpha_1 = 0`` (``psi`` absorbs the shift; quanteda centres
``alpha`` instead, which moves every ``psi`` by one constant and changes nothing else),
and the sign is fixed by two documents (``theta[dir[0]] < theta[dir[1]]``) or by a
document variable the positions must correlate positively with.

Algorithm. Standardising ``theta`` is a reparametrisation only when ``psi`` and
``beta`` absorb it (``theta' = (theta - m)/s``, ``beta' = s beta``,
``psi' = psi + m beta``); it then leaves the likelihood unchanged but multiplies the
beta penalty by ``s^2``. The objective is therefore written for a free ``theta`` as
``H = loglik - var(theta) * sum(beta^2) / (2 * 3^2)``, which equals ``lp`` after
standardising. Each iteration is either a joint Newton step on all parameters (the
words' 2 x 2 blocks eliminated by a Schur complement) with a backtracking line search
on ``H``, or, where that cannot raise ``H``, a block-coordinate sweep: every word's
``(psi_j, beta_j)`` given the documents, then every document's ``(alpha_i, theta_i)``
under the minorant ``-c/2 sum(theta_i^2)``, ``c = sum(beta^2) / (9 (N - 1))``
(``var(theta) <= sum(theta^2)/(N - 1)``, equal at mean 0), then re-standardising.
Neither kind of step lowers the objective (its history is ``convergence_["objective_history"]``).
A direct Newton step costs about ``(2N)^2 K`` operations, so for many documents the
Newton system is solved by preconditioned conjugate gradients instead (a truncated Newton
method; Nocedal & Wright 2006, ch. 7). ``converged`` is True only when every component
of the gradient of ``H`` at the standardised point, divided by 1 + the count mass it
sums over, is below ``tol``.

quanteda.textmodels (0.9.x) alternates the same conditional Newton steps but
standardises ``theta`` and centres ``alpha`` without letting ``psi`` and ``beta``
absorb it, and stops after at most 100 sweeps or at the first sweep whose ``lp``
rises by less than 1e-6, a fall included (``abs_err = FALSE``); that first fall comes
early (sweep 22 on the LBG example, 31 on the Irish budget debate), so its printed
positions are not at the maximum of its own ``lp``, and those printed here differ
from quanteda's (by up to 0.07 on the LBG example and 0.4 on the Irish budget debate,
with a higher ``lp`` in both: ``tests/conformance/cases_scaling.py``).

Standard errors of ``theta``: ``"hessian"`` inverts each document's observed
information for ``(theta_i, alpha_i)`` given the word parameters (the profile
standard errors of austin and quanteda); ``"bootstrap"`` is the parametric
bootstrap of Slapin & Proksch (2008, p. 711): counts are redrawn from the fitted
Poisson means, the model is refitted, and ``se`` and the percentile interval come
from the replicates (which also carry the word parameters' uncertainty).

References
----------
Slapin, J. B., & Proksch, S.-O. (2008). A scaling model for estimating
time-series party positions from texts. *American Journal of Political Science*
52(3), 705-722. doi:10.1111/j.1540-5907.2008.00338.x

Lowe, W. (2016). austin: Do things with words. R package (``wordfish``).

Benoit, K. et al. (2021). quanteda.textmodels: Scaling models and classifiers for
textual data. R package (``textmodel_wordfish``).

Nocedal, J., & Wright, S. J. (2006). *Numerical Optimization* (2nd ed.). Springer
(line searches, ch. 3; truncated Newton-CG, ch. 7).

Lange, K., Hunter, D. R., & Yang, I. (2000). Optimization transfer using surrogate
objective functions. *Journal of Computational and Graphical Statistics* 9(1), 1-20
(the minorise-maximise sweeps).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from analysis.dtm import DTM
from analysis.errors import UsageError, require_columns
from analysis.scaling.wordfish_fit import (  # noqa: F401 - re-exported for tests and users
    _fit_map,
    _identify,
    _objective,
    _standardise,
    _start,
    _sweep,
    penalised_loglik,
)
from analysis.stats.bootstrap import group_rng, one_blas_thread, percentile_interval

__all__ = ["SE_METHODS", "Wordfish", "penalised_loglik", "simulate_wordfish", "stat_wordfish"]

SE_METHODS = ("hessian", "bootstrap")


class Wordfish:
    """The Wordfish estimator (Slapin & Proksch 2008).

    Parameters
    ----------
    dir : tuple of two ints
        Row positions ``(i, j)`` with ``theta_i < theta_j`` after fitting (default:
        first and last row, as austin). Ignored when ``direction`` is given to ``fit``.
    beta_sd : float
        Prior standard deviation of ``beta`` (3, as austin and quanteda).
    se : {"hessian", "bootstrap"}
        How standard errors and intervals of ``theta`` are computed (module docstring).
    n_boot : int
        Parametric bootstrap replicates (``se="bootstrap"``).
    level : float
        Confidence level of the intervals.
    tol, max_iter : float, int
        Convergence: every gradient component of the penalised log-likelihood (in the
        identified parametrisation) divided by 1 + the count mass it sums over is below
        ``tol``; ``max_iter`` bounds the iterations (Newton steps or sweeps).
        ``convergence_["converged"]`` is False when ``tol`` was not met.
    random_state : int
        Seed of the parametric bootstrap; replicate ``b`` draws from
        ``group_rng(random_state, "wordfish", b)``.

    Attributes
    ----------
    theta_, alpha_, beta_, psi_ : ndarray
    se_theta_, ci_low_, ci_high_ : ndarray
    loglik_ : float
        Poisson log-likelihood at the estimate (with the ``log y!`` constant).
    objective_ : float
        The penalised log-likelihood ``lp`` maximised (:func:`penalised_loglik`).
    convergence_ : dict
        ``converged``, ``n_iter`` (``n_newton`` Newton steps and ``n_sweeps`` sweeps),
        ``message``, ``objective``, ``objective_history`` (the objective before the first
        and after every iteration: non-decreasing), ``grad_norm`` (largest absolute
        gradient component), ``rel_grad_norm`` (the convergence measure), ``tol``, and
        for the bootstrap ``n_boot_converged``.
    """

    def __init__(self, dir=None, beta_sd: float = 3.0, se: str = "hessian",
                 n_boot: int = 100, level: float = 0.95, tol: float = 1e-8, max_iter: int = 500,
                 random_state: int = 0):
        self.dir = dir
        self.beta_sd = beta_sd
        self.se = se
        self.n_boot = n_boot
        self.level = level
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def _check(self, X, direction):
        if self.se not in SE_METHODS:
            raise UsageError(f"se must be one of {', '.join(SE_METHODS)}, got {self.se!r}")
        if not 0 < self.level < 1:
            raise UsageError(f"level must be between 0 and 1, got {self.level}")
        if self.beta_sd <= 0:
            raise UsageError(f"beta_sd must be positive, got {self.beta_sd}")
        if not self.tol > 0:
            raise UsageError(f"tol must be positive, got {self.tol}")
        if int(self.max_iter) != self.max_iter or self.max_iter < 0:
            raise UsageError(f"max_iter must be a non-negative integer, got {self.max_iter}")
        X = X.toarray() if sp.issparse(X) else np.asarray(X)
        Y = np.asarray(X, dtype=float)
        if Y.ndim != 2 or Y.shape[0] < 3:
            raise UsageError(f"Wordfish needs a matrix of at least 3 documents, got shape {Y.shape}")
        if (Y < 0).any():
            raise UsageError("the count matrix has negative entries; Wordfish needs counts")
        if (Y.sum(axis=1) == 0).any():
            empty = np.flatnonzero(Y.sum(axis=1) == 0).tolist()
            raise UsageError(f"documents at rows {empty} have no tokens; drop them before scaling")
        D = Y.shape[0]
        if direction is not None:
            direction = np.asarray(direction, dtype=float)
            if direction.shape != (D,) or np.isnan(direction).any() or np.ptp(direction) == 0:
                raise UsageError("direction must be one non-missing, non-constant number per document")
            dir_pair = None
        else:
            dir_pair = tuple(self.dir) if self.dir is not None else (0, D - 1)
            if len(dir_pair) != 2 or not all(0 <= int(i) < D for i in dir_pair) or dir_pair[0] == dir_pair[1]:
                raise UsageError(f"dir must be two different row positions in 0..{D - 1}, got {self.dir}")
        return Y, direction, dir_pair

    @one_blas_thread
    def fit(self, X, terms=None, direction=None) -> Wordfish:
        """Fit on a documents x words count matrix; ``direction``: optional docvar values."""
        Y, direction, dir_pair = self._check(X, direction)
        keep = Y.sum(axis=0) > 0
        Y = Y[:, keep]
        if Y.shape[1] < 2:
            raise UsageError("Wordfish needs at least two words that occur in the documents")
        terms = np.asarray(terms if terms is not None else [f"w{j}" for j in range(len(keep))], dtype=str)
        params, rec = _fit_map(Y, _start(Y), self.beta_sd, self.tol, self.max_iter)
        alpha, theta, psi, beta = _identify(params, dir_pair, direction)
        self.alpha_, self.theta_, self.psi_, self.beta_ = alpha, theta, psi, beta
        self.terms_ = terms[keep]
        eta = alpha[:, None] + psi[None, :] + np.outer(theta, beta)
        mu = np.exp(eta)
        self.loglik_ = float((Y * eta - mu).sum() - _log_factorial_sum(Y))
        self.objective_ = penalised_loglik(Y, alpha, theta, psi, beta, beta_sd=self.beta_sd)
        self.convergence_ = rec
        self.se_hessian_ = _profile_se(mu, beta)
        z = float(stats.norm.ppf(0.5 + self.level / 2))
        if self.se == "hessian":
            self.se_theta_ = self.se_hessian_
            self.ci_low_, self.ci_high_ = theta - z * self.se_theta_, theta + z * self.se_theta_
        else:
            draws, n_ok = self._bootstrap(mu, (alpha, theta, psi, beta), dir_pair, direction)
            self.theta_boot_ = draws
            self.se_theta_ = np.nanstd(draws, axis=0, ddof=1)
            self.ci_low_, self.ci_high_ = percentile_interval(draws, ci=self.level)
            self.convergence_["n_boot_converged"] = n_ok
        return self

    def _bootstrap(self, mu, params, dir_pair, direction):
        draws = np.full((self.n_boot, mu.shape[0]), np.nan)
        n_ok = 0
        for b in range(self.n_boot):
            rng = group_rng(self.random_state, "wordfish", b)
            Yb = rng.poisson(mu).astype(float)
            if (Yb.sum(axis=1) == 0).any():
                continue
            alpha, theta, psi, beta = params
            seen = Yb.sum(axis=0) > 0  # a word drawn nowhere has no finite psi: leave it out
            start = (alpha - alpha[0], theta, psi[seen] + alpha[0], beta[seen])
            pb, rec = _fit_map(Yb[:, seen], start, self.beta_sd, self.tol, self.max_iter)
            # align the replicate with the estimate, not with dir (a sign flip is not uncertainty)
            _, tb, _, _ = _identify(pb, None, params[1])
            draws[b] = tb
            n_ok += bool(rec["converged"])
        return draws, n_ok

    def document_table(self) -> pd.DataFrame:
        return pd.DataFrame({"theta": self.theta_, "se": self.se_theta_, "ci_low": self.ci_low_,
                             "ci_high": self.ci_high_, "alpha": self.alpha_})

    def word_table(self) -> pd.DataFrame:
        """Tidy ``(term, beta, psi)`` rows (the data of the "Eiffel tower" plot)."""
        return pd.DataFrame({"term": self.terms_, "beta": self.beta_, "psi": self.psi_})


def _profile_se(mu, beta, theta_prec=0.0):
    """Standard errors of theta from each document's information for ``(theta_i, alpha_i)``
    given the word parameters (the profile SEs of austin and quanteda).

    quanteda adds its theta prior's precision (1) to the theta information
    (``theta_prec=1``); that changes an SE by a relative ``1 / (2 i_tt)``, below 0.1% on
    its examples. The estimator uses ``theta_prec=0``: with theta standardised the prior
    is a constant.
    """
    i_tt = mu @ beta**2 + theta_prec
    i_ta = mu @ beta
    i_aa = mu.sum(axis=1)
    return np.sqrt(i_aa / (i_tt * i_aa - i_ta**2))


def _log_factorial_sum(Y):
    from scipy.special import gammaln

    return float(gammaln(Y + 1).sum())


def stat_wordfish(dtm: DTM, id_col: str | None = None, dir=None, direction: str | None = None,
                  se: str = "hessian", n_boot: int = 100, level: float = 0.95, beta_sd: float = 3.0,
                  random_state: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Wordfish positions of the rows of a :class:`~analysis.dtm.DTM`.

    Parameters
    ----------
    dtm : DTM
        Counts; rows are the units scaled (documents, or years/speakers via ``DTM.group``).
    dir : tuple of two row labels
        ``(left, right)`` values of ``id_col``: ``left`` gets the lower position.
    direction : str
        A numeric docvar; positions are signed to correlate positively with it.
        Give ``dir`` or ``direction`` (without either: first row < last row).

    Returns
    -------
    positions : DataFrame
        ``id_col``, ``theta``, ``se``, ``ci_low``, ``ci_high``, ``alpha``, ``model``, docvars.
    words : DataFrame
        ``term``, ``beta``, ``psi``.
    convergence : dict
        The estimator's convergence record plus ``loglik``, ``n_docs``, ``n_terms``.

    References
    ----------
    Slapin & Proksch (2008): see the module docstring.
    """
    id_col = id_col or dtm.params.get("id_col", "doc_id")
    require_columns(dtm.docvars, [id_col], what="the document-term matrix's docvars")
    labels = dtm.docvars[id_col].astype(str).tolist()
    dir_pos = None
    dvals = None
    if direction is not None:
        require_columns(dtm.docvars, [direction], what="the document-term matrix's docvars",
                        hint="direction names a numeric docvar (e.g. year)")
        dvals = pd.to_numeric(dtm.docvars[direction], errors="coerce").to_numpy(dtype=float)
        if np.isnan(dvals).any():
            raise UsageError(f"direction column {direction!r} has missing or non-numeric values")
    elif dir is not None:
        if len(dir) != 2:
            raise UsageError(f"dir must name two rows (left, right), got {dir!r}")
        missing = [str(d) for d in dir if str(d) not in labels]
        if missing:
            raise UsageError(f"dir row(s) {', '.join(missing)} are not values of {id_col!r} "
                             f"(e.g. {', '.join(labels[:5])})")
        dir_pos = (labels.index(str(dir[0])), labels.index(str(dir[1])))
    model = Wordfish(dir=dir_pos, se=se, n_boot=n_boot, level=level, beta_sd=beta_sd,
                     random_state=random_state).fit(dtm.matrix, dtm.terms, direction=dvals)
    pos = pd.concat([dtm.docvars.reset_index(drop=True), model.document_table()], axis=1)
    pos["model"] = "wordfish"
    first = [id_col, "theta", "se", "ci_low", "ci_high", "alpha", "model"]
    pos = pos[first + [c for c in pos.columns if c not in first]]
    conv = {**model.convergence_, "loglik": model.loglik_, "n_docs": int(dtm.shape[0]),
            "n_terms": len(model.terms_), "se_method": se}
    return pos, model.word_table(), conv


def simulate_wordfish(n_docs: int = 10, n_words: int = 200, doc_length: int = 2000, beta_sd: float = 1.0,
                      seed: int = 0):
    """Counts drawn from the Wordfish model with known parameters (for tests and benchmarks).

    ``theta`` is evenly spaced and standardised (mean 0, sd 1), ``beta ~ N(0, beta_sd^2)``,
    ``psi ~ N(0, 1)``, ``alpha`` sets each document's expected length to ``doc_length``.
    Returns ``(Y, theta, beta, psi, alpha)``.
    """
    rng = np.random.default_rng(seed)
    theta = np.linspace(-1, 1, n_docs)
    theta = (theta - theta.mean()) / theta.std(ddof=1)
    beta = rng.normal(0, beta_sd, n_words)
    psi = rng.normal(0, 1, n_words)
    lin = psi[None, :] + np.outer(theta, beta)
    alpha = np.log(doc_length) - np.log(np.exp(lin).sum(axis=1))
    Y = rng.poisson(np.exp(alpha[:, None] + lin)).astype(np.int64)
    return Y, theta, beta, psi, alpha
