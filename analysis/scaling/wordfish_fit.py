"""The penalised maximum of Wordfish: the optimiser behind :class:`analysis.scaling.wordfish.Wordfish`.

:func:`penalised_loglik` is quanteda.textmodels' log-posterior; :func:`_fit_map`
maximises it over standardised positions by joint Newton steps with a line search
(Newton-CG for many documents) and minorise-maximise block sweeps, never lowering
the objective. The model, its identification and the references are in the
docstring of :mod:`analysis.scaling.wordfish`.

References
----------
Slapin, J. B., & Proksch, S.-O. (2008). A scaling model for estimating
time-series party positions from texts. *American Journal of Political Science*
52(3), 705-722.
Nocedal, J., & Wright, S. J. (2006). *Numerical Optimization* (2nd ed.). Springer.
Lange, K., Hunter, D. R., & Yang, I. (2000). Optimization transfer using surrogate
objective functions. *Journal of Computational and Graphical Statistics* 9(1), 1-20.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ['penalised_loglik']


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
