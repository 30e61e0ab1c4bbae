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
from analysis.stats.bootstrap import group_rng, one_blas_thread, percentile_interval

__all__ = ["Wordfish", "stat_wordfish", "simulate_wordfish", "penalised_loglik", "SE_METHODS"]

SE_METHODS = ("hessian", "bootstrap")


def _newton_rows(Y, own_a, own_b, other_a, other_b, prec, max_inner=25, step_tol=1e-10):
    """Maximise, row by row, ``sum_c (y_rc eta_rc - exp(eta_rc)) - prec/2 * b_r^2``.

    ``eta_rc = a_r + other_a_c + b_r * other_b_c``: given the other side's
    parameters the rows are independent, so every row's 2 x 2 Newton system is
    solved at once; a row's step is halved until its objective does not fall
    (a row without such a step keeps its values), and steps are repeated while
    any row still moves by more than ``step_tol`` (at most ``max_inner`` times).
    A row's objective therefore never decreases.
    """
    def rowobj(rows, a, b):
        eta = a[:, None] + other_a[None, :] + b[:, None] * other_b[None, :]
        return (Y[rows] * eta - np.exp(eta)).sum(axis=1) - 0.5 * prec * b**2

    a, b = own_a.copy(), own_b.copy()
    everything = np.arange(len(a))
    f0 = rowobj(everything, a, b)
    for _ in range(max_inner):
        eta = a[:, None] + other_a[None, :] + b[:, None] * other_b[None, :]
        mu = np.exp(eta)
        R = Y - mu
        g_a = R.sum(axis=1)
        g_b = R @ other_b - prec * b
        h_aa = mu.sum(axis=1)
        h_ab = mu @ other_b
        h_bb = mu @ other_b**2 + prec
        det = h_aa * h_bb - h_ab**2
        ok = det > 1e-12 * h_aa * h_bb
        det = np.where(ok, det, 1.0)
        d_a = np.where(ok, (h_bb * g_a - h_ab * g_b) / det, g_a / np.maximum(h_aa, 1e-300))
        d_b = np.where(ok, (h_aa * g_b - h_ab * g_a) / det, 0.0)
        # rows still moving whose predicted gain (half the Newton decrement) is above rounding
        gain = 0.5 * (g_a * d_a + g_b * d_b)
        rows = np.flatnonzero((np.maximum(np.abs(d_a), np.abs(d_b)) > step_tol)
                              & (gain > 1e-13 * np.maximum(np.abs(f0), 1.0)))
        if rows.size == 0:
            break
        a0, b0, da, db, fr = a[rows], b[rows], d_a[rows], d_b[rows], f0[rows]
        t = np.ones(rows.size)
        f1 = np.empty(rows.size)
        todo = np.arange(rows.size)
        for _ in range(50):
            f1[todo] = rowobj(rows[todo], a0[todo] + t[todo] * da[todo], b0[todo] + t[todo] * db[todo])
            todo = todo[~(f1[todo] >= fr[todo])]
            if todo.size == 0:
                break
            t[todo] /= 2
        t[todo] = 0.0  # no improving step: keep the row as it is
        f1[todo] = fr[todo]
        a[rows], b[rows], f0[rows] = a0 + t * da, b0 + t * db, f1
    return a, b


def _loglik(Y, alpha, theta, psi, beta):
    """Poisson log-likelihood without the ``log y!`` constant (quanteda's ``lp`` without priors)."""
    eta = alpha[:, None] + psi[None, :] + np.outer(theta, beta)
    return float((Y * eta - np.exp(eta)).sum())


def penalised_loglik(Y, alpha, theta, psi, beta, beta_sd=3.0, theta_sd=1.0):
    """quanteda.textmodels' log-posterior ``lp`` (``src/wordfish.cpp``) at the given parameters.

    ``sum_ij (y_ij eta_ij - exp(eta_ij)) - sum_j beta_j^2 / (2 beta_sd^2) - sum_i theta_i^2 / (2 theta_sd^2)``
    with ``eta_ij = alpha_i + psi_j + beta_j theta_i`` (flat priors on ``alpha`` and ``psi``,
    quanteda's default ``priors = c(Inf, Inf, 3, 1)``). :class:`Wordfish` maximises it
    over parameters whose ``theta`` has mean 0 and standard deviation 1.
    """
    Y = np.asarray(Y.toarray() if sp.issparse(Y) else Y, dtype=float)
    alpha, theta, psi, beta = (np.asarray(v, dtype=float) for v in (alpha, theta, psi, beta))
    return (_loglik(Y, alpha, theta, psi, beta) - 0.5 * float(beta @ beta) / beta_sd**2
            - 0.5 * float(theta @ theta) / theta_sd**2)


def _objective(Y, alpha, theta, psi, beta, prec):
    """``H``: the log-likelihood minus ``var(theta) * sum(beta^2) * prec / 2`` and minus the
    (then constant) theta prior ``(N - 1) / 2``.

    ``H`` is invariant to re-standardising ``theta`` (with ``beta``, ``psi`` absorbing it) and
    equals :func:`penalised_loglik` whenever ``theta`` has mean 0 and sd 1.
    """
    n = len(theta)
    return (_loglik(Y, alpha, theta, psi, beta) - 0.5 * prec * theta.var(ddof=1) * float(beta @ beta)
            - 0.5 * (n - 1))


def _standardise(alpha, theta, psi, beta):
    """theta -> (theta - m) / s, beta -> s beta, psi -> psi + beta m, alpha_1 = 0 (psi absorbs it):
    the Poisson means, and so ``_objective``, are unchanged."""
    m, s = theta.mean(), theta.std(ddof=1)
    psi = psi + beta * m + alpha[0]
    beta = beta * s
    theta = (theta - m) / s
    alpha = alpha - alpha[0]
    return alpha, theta, psi, beta


def _gradient(Y, alpha, theta, psi, beta, prec):
    """Gradient of ``_objective`` at a standardised point, in the order (alpha_2..N, theta, psi, beta)."""
    n = len(theta)
    eta = alpha[:, None] + psi[None, :] + np.outer(theta, beta)
    mu = np.exp(eta)
    R = Y - mu
    B = float(beta @ beta)
    g_alpha = R.sum(axis=1)[1:]
    g_theta = R @ beta - prec * B * (theta - theta.mean()) / (n - 1)
    g_psi = R.sum(axis=0)
    g_beta = theta @ R - prec * theta.var(ddof=1) * beta
    return np.concatenate([g_alpha, g_theta, g_psi, g_beta]), mu, R


def _sweep(Y, YT, params, prec):
    """One block-coordinate (minorise-maximise) sweep; never lowers ``_objective``.

    Words: each ``(psi_j, beta_j)`` maximised given the documents, with the N(0, beta_sd^2)
    prior. Documents: ``var(theta) <= sum(theta^2) / (N - 1)`` (equality at mean 0), so
    ``-c/2 sum(theta_i^2)`` with ``c = prec * sum(beta^2) / (N - 1)`` minorises the
    objective's theta part and separates by document; each ``(alpha_i, theta_i)`` is
    maximised under it, then theta is re-standardised (a reparametrisation).
    """
    alpha, theta, psi, beta = params
    n = len(theta)
    psi, beta = _newton_rows(YT, psi, beta, alpha, theta, prec)
    c = prec * float(beta @ beta) / (n - 1)
    alpha, theta = _newton_rows(Y, alpha, theta, psi, beta, c)
    return _standardise(alpha, theta, psi, beta)


NEWTON_FLOPS = 2e9  # a direct Newton step costs about (2N)^2 K multiplications; above: CG
_CHUNK = 4_000_000  # entries of a (2N - 1) x words block formed at once


def _newton_step(Y, params, prec, f0):
    """A joint Newton step on all parameters with a backtracking line search on ``_objective``.

    The negative Hessian's word part is block diagonal (2 x 2 per word), so the words are
    eliminated (Schur complement, formed over blocks of words to bound memory) and a
    (2N - 1)-square system is solved for ``alpha_2..alpha_N`` and ``theta`` (``alpha_1 = 0``
    removes the alpha/psi shift). Two more directions leave the objective unchanged (a
    shift and a rescaling of theta, absorbed by psi and beta); a positive multiple of the
    projection onto them is added to the theta block to fix them, Levenberg damping is
    added while the Cholesky factorisation fails, and the line search on the objective
    itself keeps every accepted step an ascent step. Returns ``(parameters, objective)``,
    or ``None`` when no step size raises the objective.
    """
    alpha, theta, psi, beta = params
    n, k = Y.shape
    g, mu, R = _gradient(Y, alpha, theta, psi, beta, prec)
    B = float(beta @ beta)
    ga, gt, gp, gb = g[:n - 1], g[n - 1:2 * n - 1], g[2 * n - 1:2 * n - 1 + k], g[2 * n - 1 + k:]
    tc = theta - theta.mean()
    # word blocks and their inverses
    w_pp = mu.sum(axis=0)
    w_pb = theta @ mu
    w_bb = (theta**2) @ mu + prec
    wdet = w_pp * w_bb - w_pb**2
    i_pp, i_pb, i_bb = w_bb / wdet, -w_pb / wdet, w_pp / wdet
    # document block (alpha_2..alpha_N, theta_1..theta_N)
    d = 2 * n - 1
    A = np.zeros((d, d))
    ra = np.arange(n - 1)
    A[ra, ra] = mu.sum(axis=1)[1:]
    A[n - 1:, n - 1:] = np.diag(mu @ beta**2) + prec * B / (n - 1) * (np.eye(n) - 1.0 / n)
    at = mu @ beta
    A[ra, n + ra] = at[1:]
    A[n + ra, ra] = at[1:]

    def cross(cols):
        """Rows: documents; P: their cross terms with psi, Q: with beta (words ``cols``)."""
        m, b = mu[:, cols], beta[cols]
        P = np.vstack([m[1:], m * b[None, :]])
        Q = np.vstack([m[1:] * theta[1:, None],
                       m * np.outer(theta, b) - R[:, cols] + 2 * prec * np.outer(tc, b) / (n - 1)])
        return P, Q

    blocks = [slice(j, j + max(1, _CHUNK // d)) for j in range(0, k, max(1, _CHUNK // d))]
    S = A
    rhs = np.concatenate([ga, gt])
    for c in blocks:
        P, Q = cross(c)
        S = S - (P * i_pp[c]) @ P.T - (P * i_pb[c]) @ Q.T - (Q * i_pb[c]) @ P.T - (Q * i_bb[c]) @ Q.T
        rhs = rhs - (P @ (i_pp[c] * gp[c] + i_pb[c] * gb[c]) + Q @ (i_pb[c] * gp[c] + i_bb[c] * gb[c]))
    u = np.zeros(d)
    u[n - 1:] = 1.0 / np.sqrt(n)
    v = np.zeros(d)
    v[n - 1:] = tc / np.sqrt(float(tc @ tc))
    scale = float(np.mean(np.abs(np.diag(S)))) or 1.0
    S = S + scale * (np.outer(u, u) + np.outer(v, v))
    lam = 0.0
    for _ in range(30):
        try:
            L = np.linalg.cholesky(S + lam * scale * np.eye(d))
            break
        except np.linalg.LinAlgError:
            lam = max(1e-8, lam * 10)
    else:
        return None
    dd = np.linalg.solve(L.T, np.linalg.solve(L, rhs))
    rp, rb = gp.copy(), gb.copy()
    for c in blocks:
        P, Q = cross(c)
        rp[c] -= P.T @ dd
        rb[c] -= Q.T @ dd
    dp, db = i_pp * rp + i_pb * rb, i_pb * rp + i_bb * rb
    da, dt = np.concatenate([[0.0], dd[:n - 1]]), dd[n - 1:]
    return _line_search(Y, params, (da, dt, dp, db), prec, f0)


def _line_search(Y, params, step, prec, f0):
    """Halve the step until ``_objective`` does not fall; ``None`` if that never happens."""
    t = 1.0
    for _ in range(40):
        cand = tuple(p + t * d for p, d in zip(params, step))
        with np.errstate(over="ignore", invalid="ignore"):
            f1 = _objective(Y, *cand, prec)
        if np.isfinite(f1) and f1 >= f0:
            return _standardise(*cand), f1
        t /= 2
    return None


def _newton_cg_step(Y, params, prec, f0, max_cg=250):
    """The Newton step of :func:`_newton_step` solved by preconditioned conjugate gradients.

    For matrices too large for the Schur complement: each product with the negative Hessian
    costs a few passes over the N x K matrix; the preconditioner is the 2 x 2 blocks of every
    word and every document. CG stops at a relative residual of ``min(0.1, sqrt(|g|))`` (a
    truncated Newton method, Nocedal & Wright 2006, ch. 7) or at negative curvature, keeping
    the last iterate (or the preconditioned gradient), and the line search keeps the step an
    ascent step.
    """
    alpha, theta, psi, beta = params
    n, k = Y.shape
    g, mu, R = _gradient(Y, alpha, theta, psi, beta, prec)
    B = float(beta @ beta)
    tc = theta - theta.mean()
    cb = 2 * prec / (n - 1)
    w_pp, w_pb, w_bb = mu.sum(axis=0), theta @ mu, (theta**2) @ mu + prec
    a_aa, a_at = mu.sum(axis=1), mu @ beta
    a_tt = mu @ beta**2 + prec * B / (n - 1)
    ctt = prec * B / (n - 1)
    scale = float(np.mean(a_tt)) or 1.0
    u = np.full(n, 1.0 / np.sqrt(n))
    v = tc / np.sqrt(float(tc @ tc))

    def split(x):
        return (np.concatenate([[0.0], x[:n - 1]]), x[n - 1:2 * n - 1],
                x[2 * n - 1:2 * n - 1 + k], x[2 * n - 1 + k:])

    def hess(x):
        va, vt, vp, vb = split(x)
        mvp, mbvb = mu @ vp, mu @ (beta * vb)
        h_a = a_aa * va + a_at * vt + mvp + theta * (mu @ vb)
        h_t = (a_at * va + (a_tt - ctt) * vt + ctt * (vt - vt.mean()) + mu @ (beta * vp)
               + theta * mbvb - R @ vb + cb * tc * float(beta @ vb)
               + scale * (u * float(u @ vt) + v * float(v @ vt)))
        mt = vt @ mu
        h_p = w_pp * vp + w_pb * vb + va @ mu + beta * mt
        h_b = (w_pb * vp + w_bb * vb + (theta * va) @ mu + beta * ((theta * vt) @ mu) - vt @ R
               + cb * beta * float(tc @ vt))
        return np.concatenate([h_a[1:], h_t, h_p, h_b])

    # block-diagonal preconditioner: documents (alpha_i, theta_i), words (psi_j, beta_j)
    d_det = a_aa * a_tt - a_at**2
    w_det = w_pp * w_bb - w_pb**2

    def precond(r):
        ra, rt, rp, rb = split(r)
        za = (a_tt * ra - a_at * rt) / d_det
        zt = (a_aa * rt - a_at * ra) / d_det
        zt[0] = rt[0] / a_tt[0]  # alpha_1 is fixed
        zp = (w_bb * rp - w_pb * rb) / w_det
        zb = (w_pp * rb - w_pb * rp) / w_det
        return np.concatenate([za[1:], zt, zp, zb])

    x = np.zeros_like(g)
    r = g.copy()
    z = precond(r)
    p = z.copy()
    rz = float(r @ z)
    gn = float(np.sqrt(g @ g))
    target = min(0.1, np.sqrt(gn)) * gn
    for _ in range(max_cg):
        hp = hess(p)
        curv = float(p @ hp)
        if curv <= 0:
            if not x.any():
                x = z
            break
        step = rz / curv
        x = x + step * p
        r = r - step * hp
        if float(np.sqrt(r @ r)) <= target:
            break
        z = precond(r)
        rz_new = float(r @ z)
        p = z + (rz_new / rz) * p
        rz = rz_new
    return _line_search(Y, params, split(x), prec, f0)


def _grad_scale(Y, theta, beta):
    """The count mass each gradient component sums over (same order as ``_gradient``)."""
    return np.concatenate([Y.sum(axis=1)[1:], Y @ np.abs(beta), Y.sum(axis=0), np.abs(theta) @ Y])


def _fit_map(Y, start, beta_sd, tol, max_iter):
    """Maximise quanteda's penalised log-likelihood over standardised theta (see :class:`Wordfish`).

    The first two iterations are block-coordinate sweeps (:func:`_sweep`); then joint Newton
    steps with a line search, solved directly (:func:`_newton_step`) or, when that would cost
    more than ``NEWTON_FLOPS`` multiplications (``(2N - 1)^2 K``: more than about 150
    documents with 20,000 words), by conjugate gradients (:func:`_newton_cg_step`); a sweep
    replaces a Newton step that cannot raise the objective. No iteration lowers it.
    Converged when every gradient component, divided by 1 + the count mass it sums over, is
    below ``tol``; the iterations stop early (not converged) when five in a row raise neither
    the objective nor lower the gradient.
    """
    alpha, theta, psi, beta = _standardise(*(np.array(v, dtype=float) for v in start))
    prec = 1.0 / beta_sd**2
    YT = np.ascontiguousarray(Y.T)
    params = (alpha, theta, psi, beta)
    obj = _objective(Y, *params, prec)
    history = [obj]
    steps = []

    def measure(params):
        g = _gradient(Y, *params, prec)[0]
        return float(np.abs(g).max()), float((np.abs(g) / (1.0 + _grad_scale(Y, params[1], params[3]))).max())

    gnorm, rel = measure(params)
    direct = (2 * Y.shape[0] - 1) ** 2 * Y.shape[1] <= NEWTON_FLOPS
    n_iter = stalled = 0
    while rel >= tol and n_iter < max_iter and stalled < 5:
        n_iter += 1
        res = (_newton_step if direct else _newton_cg_step)(Y, params, prec, obj) if n_iter > 2 else None
        if res is None:
            params = _sweep(Y, YT, params, prec)
            steps.append("sweep")
        else:
            params = res[0]
            steps.append("newton")
        new = _objective(Y, *params, prec)
        last_rel = rel
        obj_before, obj = obj, new
        history.append(obj)
        gnorm, rel = measure(params)
        stalled = stalled + 1 if (new <= obj_before and rel >= last_rel) else 0
    converged = rel < tol
    if converged:
        message = f"relative gradient {rel:.3g} < tol {tol:g}"
    elif stalled >= 5:
        message = (f"no further improvement after {n_iter} iterations; "
                   f"relative gradient {rel:.3g} >= tol {tol:g}")
    else:
        message = f"stopped at max_iter={max_iter}; relative gradient {rel:.3g} >= tol {tol:g}"
    record = {"converged": bool(converged), "n_iter": n_iter, "objective": float(obj),
              "grad_norm": gnorm, "rel_grad_norm": rel, "tol": tol,
              "objective_history": [float(h) for h in history],
              "n_newton": steps.count("newton"), "n_sweeps": steps.count("sweep"), "message": message}
    return params, record


def _start(Y):
    """Starting values as in Slapin & Proksch / quanteda: log means and an SVD of log residuals."""
    tot = Y.sum(axis=1)
    alpha = np.log(tot / tot[0])
    psi = np.log(Y.mean(axis=0) / np.exp(alpha).mean())
    R = np.log(Y + 1.0)
    R = R - R.mean(axis=1, keepdims=True) - R.mean(axis=0, keepdims=True) + R.mean()
    if min(R.shape) > 100:  # the leading pair only (deterministic start vector)
        from scipy.sparse.linalg import svds

        u, s, vt = svds(R, k=1, v0=np.ones(min(R.shape)) / np.sqrt(min(R.shape)))
    else:
        u, s, vt = np.linalg.svd(R, full_matrices=False)
    theta = u[:, 0] / (u[:, 0].std() or 1.0)
    beta = vt[0] * s[0] * (u[:, 0].std() or 1.0)
    beta = np.clip(beta, -3, 3)
    return alpha, theta, psi, beta


def _identify(params, dir_pair, direction):
    """Mean 0, sd 1 (ddof=1, as R's ``sd``), ``alpha_1 = 0`` and the sign (a reparametrisation)."""
    alpha, theta, psi, beta = _standardise(*params)
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
