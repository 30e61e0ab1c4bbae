"""Wordfish: the Poisson scaling model of Slapin & Proksch (2008).

The count of word ``j`` in document ``i`` is Poisson with

    log mu_ij = alpha_i + psi_j + beta_j * theta_i

where ``theta_i`` is the document's position, ``alpha_i`` its fixed effect
(length, "fixedness"), ``psi_j`` the word's fixed effect (frequency) and
``beta_j`` its weight (how it discriminates along the scale). Estimation is by
conditional maximum likelihood, as Slapin & Proksch and austin: alternate damped
Newton steps for every document's ``(alpha_i, theta_i)`` and every word's
``(psi_j, beta_j)`` (all 2 x 2 systems solved at once with numpy), standardising
``theta`` to mean 0 and standard deviation 1 after each document step, with the
prior ``beta_j ~ N(0, 3^2)`` of austin and quanteda, and ``alpha_1 = 0``. The
direction is fixed by two documents (``theta[dir[0]] < theta[dir[1]]``) or by a
document variable the positions must correlate positively with.

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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from analysis.dtm import DTM
from analysis.errors import UsageError, require_columns
from analysis.stats.bootstrap import group_rng, percentile_interval

__all__ = ["Wordfish", "stat_wordfish", "simulate_wordfish", "SE_METHODS"]

SE_METHODS = ("hessian", "bootstrap")


def _newton_rows(Y, own_a, own_b, other_a, other_b, prec):
    """One damped Newton step for every row's pair (a_r, b_r) of ``log mu_rc = a_r + other_a_c + b_r * other_b_c``.

    The penalty ``0.5 * prec * b_r^2`` is the prior on ``b``; rows are independent
    given the other side's parameters, so all 2 x 2 systems are solved at once, and
    each step is halved until that row's objective does not increase.
    """
    def rowobj(a, b):
        eta = a[:, None] + other_a[None, :] + b[:, None] * other_b[None, :]
        return (np.exp(eta) - Y * eta).sum(axis=1) + 0.5 * prec * b**2

    eta = own_a[:, None] + other_a[None, :] + own_b[:, None] * other_b[None, :]
    mu = np.exp(eta)
    G = mu - Y
    g_a = G.sum(axis=1)
    g_b = G @ other_b + prec * own_b
    h_aa = mu.sum(axis=1)
    h_ab = mu @ other_b
    h_bb = mu @ other_b**2 + prec
    det = h_aa * h_bb - h_ab**2
    ok = det > 1e-12 * np.maximum(h_aa * h_bb, 1e-300)
    det = np.where(ok, det, 1.0)
    d_a = np.where(ok, -(h_bb * g_a - h_ab * g_b) / det, -g_a / np.maximum(h_aa, 1e-12))
    d_b = np.where(ok, -(h_aa * g_b - h_ab * g_a) / det, 0.0)
    f0 = (mu - Y * eta).sum(axis=1) + 0.5 * prec * own_b**2
    step = np.ones_like(own_a)
    a_new, b_new = own_a + d_a, own_b + d_b
    for _ in range(30):
        f1 = rowobj(a_new, b_new)
        worse = ~(f1 <= f0 + 1e-12 * np.abs(f0))
        if not worse.any():
            break
        step = np.where(worse, step / 2, step)
        a_new = np.where(worse, own_a + step * d_a, a_new)
        b_new = np.where(worse, own_b + step * d_b, b_new)
    else:
        a_new = np.where(worse, own_a, a_new)
        b_new = np.where(worse, own_b, b_new)
    return a_new, b_new


def _loglik(Y, alpha, theta, psi, beta):
    eta = alpha[:, None] + psi[None, :] + np.outer(theta, beta)
    return float((Y * eta - np.exp(eta)).sum())


def _fit_map(Y, start, beta_sd, tol, max_iter):
    """Conditional maximum likelihood as Slapin & Proksch, austin and quanteda.

    Alternate (a) a Newton step for every document's ``(alpha_i, theta_i)`` given
    the words, (b) standardising ``theta`` (mean 0, sd 1), (c) a Newton step for
    every word's ``(psi_j, beta_j)`` given the documents, with the ``N(0, beta_sd^2)``
    prior on ``beta``; stop when the penalised log-likelihood changes by less than
    ``tol`` (relative) between sweeps.
    """
    alpha, theta, psi, beta = (np.array(v, dtype=float) for v in start)
    prec = 1.0 / beta_sd**2
    YT = np.ascontiguousarray(Y.T)
    obj = _loglik(Y, alpha, theta, psi, beta) - 0.5 * prec * beta @ beta
    history = []
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        alpha, theta = _newton_rows(Y, alpha, theta, psi, beta, 0.0)
        m, s = theta.mean(), theta.std(ddof=1)
        if s > 0:
            theta = (theta - m) / s
        psi, beta = _newton_rows(YT, psi, beta, alpha, theta, prec)
        new = _loglik(Y, alpha, theta, psi, beta) - 0.5 * prec * beta @ beta
        change = abs(new - obj) / max(abs(obj), 1.0)
        history.append(new)
        obj = new
        if change < tol:
            converged = True
            break
    shift = alpha[0]
    alpha, psi = alpha - shift, psi + shift
    record = {"converged": converged, "n_iter": n_iter, "objective": float(obj),
              "relative_change": float(change), "tol": tol}
    return (alpha, theta, psi, beta), record


def _start(Y):
    """Starting values as in Slapin & Proksch / quanteda: log means and an SVD of log residuals."""
    tot = Y.sum(axis=1)
    alpha = np.log(tot / tot[0])
    psi = np.log(Y.mean(axis=0) / np.exp(alpha).mean())
    R = np.log(Y + 1.0)
    R = R - R.mean(axis=1, keepdims=True) - R.mean(axis=0, keepdims=True) + R.mean()
    u, s, vt = np.linalg.svd(R, full_matrices=False)
    theta = u[:, 0] / (u[:, 0].std() or 1.0)
    beta = vt[0] * s[0] * (u[:, 0].std() or 1.0)
    beta = np.clip(beta, -3, 3)
    return alpha, theta, psi, beta


def _identify(params, dir_pair, direction):
    """Mean 0, sd 1 (ddof=1, as R's ``sd``) and the sign; ``beta``, ``psi`` absorb the change."""
    alpha, theta, psi, beta = params
    m, s = theta.mean(), theta.std(ddof=1)
    psi = psi + beta * m
    beta = beta * s
    theta = (theta - m) / s
    if direction is not None:
        flip = np.corrcoef(theta, direction)[0, 1] < 0
    else:
        flip = theta[dir_pair[0]] > theta[dir_pair[1]]
    if flip:
        theta, beta = -theta, -beta
    return alpha, theta, psi, beta


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
        Relative change of the penalised log-likelihood that stops the sweeps, and
        the most sweeps (``convergence_["converged"]`` says whether ``tol`` was met).
    random_state : int
        Seed of the parametric bootstrap; replicate ``b`` draws from
        ``group_rng(random_state, "wordfish", b)``.

    Attributes
    ----------
    theta_, alpha_, beta_, psi_ : ndarray
    se_theta_, ci_low_, ci_high_ : ndarray
    loglik_ : float
        Poisson log-likelihood at the estimate.
    convergence_ : dict
        ``converged``, ``n_iter``, ``message``, ``objective``, ``grad_norm``, and
        for the bootstrap ``n_boot_converged``.
    """

    def __init__(self, dir=None, beta_sd: float = 3.0, se: str = "hessian",
                 n_boot: int = 100, level: float = 0.95, tol: float = 1e-10, max_iter: int = 2000,
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

    def fit(self, X, terms=None, direction=None) -> "Wordfish":
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
        self.convergence_ = rec
        self.convergence_["n_sweeps"] = self.convergence_.pop("n_iter")
        # profile (conditional) information for (theta_i, alpha_i) given the word parameters
        i_tt = mu @ beta**2
        i_ta = mu @ beta
        i_aa = mu.sum(axis=1)
        self.se_hessian_ = np.sqrt(i_aa / (i_tt * i_aa - i_ta**2))
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
            start = (alpha - alpha[0], theta, psi + alpha[0], beta)
            pb, rec = _fit_map(Yb, start, self.beta_sd, self.tol, self.max_iter)
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
            "n_terms": int(len(model.terms_)), "se_method": se}
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
