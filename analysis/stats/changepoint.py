"""Change points in yearly series: exact penalised l2 segmentation (the optimum of
PELT) with a penalty calibrated by permuting the series, plus ``ruptures``' methods.

Knows nothing of frames: :func:`stat_changepoints` takes any long table of
yearly values by group (the frames stage passes ``frames_years``).

References
----------
Antoch, J. and Huskova, M. (2001). Permutation tests in change point analysis.
*Statistics & Probability Letters* 53(1), 37-46 (the change-point penalty).
Killick, R., Fearnhead, P. and Eckley, I. A. (2012). Optimal detection of
changepoints with a linear computational cost. *JASA* 107(500), 1590-1598.
Truong, C., Oudre, L. and Vayatis, N. (2020). Selective review of offline
change point detection methods. *Signal Processing* 167, 107299 (``ruptures``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.stats.bootstrap import group_rng

__all__ = ["CHANGEPOINT_COLUMNS", "PENALTIES", "stat_changepoints"]

CHANGEPOINT_COLUMNS = ["frame", "changepoint_year", "last_year_before", "mean_before",
                       "mean_after", "shift", "n_years", "method", "model", "penalty"]


_MAD_TO_SD = 0.6744897501960817


def _noise_sd(x: np.ndarray) -> float:
    """Noise scale of a series with level shifts, from its first differences.

    The larger of two difference-based estimates of sigma: the MAD of first
    differences / (sqrt(2) * 0.6745), which ignores the few large differences at
    level shifts, and Rice's (1984) root mean squared difference / sqrt(2),
    which does not collapse to zero when most differences are zero (sparse
    frames whose yearly rate is mostly 0 with occasional bursts).  Taking the
    larger errs towards fewer change points.
    """
    x = np.asarray(x, dtype=float)
    if len(x) < 3:
        return float(np.std(x))
    d = np.diff(x)
    mad = np.median(np.abs(d - np.median(d))) / (np.sqrt(2) * _MAD_TO_SD)
    rice = np.sqrt(np.mean(d ** 2) / 2)
    return float(max(mad, rice))


def _segment_costs(x: np.ndarray, min_size: int) -> np.ndarray:
    """``cost[..., s, t]``: l2 cost (residual sum of squares) of ``x[..., s:t]``.

    Works on the last axis of ``x`` (so on a batch of series at once); segments
    shorter than ``min_size`` cost ``inf``.
    """
    n = x.shape[-1]
    pad = [(0, 0)] * (x.ndim - 1) + [(1, 0)]
    s1 = np.pad(np.cumsum(x, axis=-1), pad)
    s2 = np.pad(np.cumsum(x * x, axis=-1), pad)
    length = np.arange(n + 1)[None, :] - np.arange(n + 1)[:, None]       # t - s
    ok = length >= min_size
    with np.errstate(invalid="ignore", divide="ignore"):
        d1 = s1[..., None, :] - s1[..., :, None]
        cost = (s2[..., None, :] - s2[..., :, None]) - d1 * d1 / np.where(ok, length, 1)
    return np.where(ok, np.maximum(cost, 0.0), np.inf)


def _pelt_l2(x: np.ndarray, pen: float, min_size: int) -> list[int]:
    """Exact penalised l2 segmentation (the optimum PELT finds), as ruptures' breakpoints.

    Minimises ``sum of segment costs + pen * (number of change points)`` over
    segmentations with segments of at least ``min_size`` points by optimal
    partitioning (Jackson et al. 2005), the recursion PELT (Killick et al. 2012)
    speeds up by pruning; at yearly series lengths (a few hundred points) the
    unpruned recursion, vectorised over the last change, is faster than pruning
    in Python and returns the same optimum.  Returns the ends of the segments,
    the last being ``len(x)`` (ruptures' convention).
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 2 * min_size:
        return [n]
    cost = _segment_costs(x, min_size)
    F = np.full(n + 1, np.inf)
    F[0] = -pen
    last = np.zeros(n + 1, dtype=np.int64)
    for t in range(min_size, n + 1):
        cand = F[:t] + cost[:t, t]
        s = int(np.argmin(cand))          # first minimiser: ties favour earlier changes
        F[t] = cand[s] + pen
        last[t] = s
    bk, t = [], n
    while t > 0:
        bk.append(t)
        t = int(last[t])
    return bk[::-1]


def _zero_change_penalty(Y: np.ndarray, min_size: int, k_max: int = 10) -> np.ndarray:
    """For each row of ``Y``, the smallest penalty at which it gets no change point.

    That is ``max_k (C_0 - C_k) / k`` where ``C_k`` is the least l2 cost (residual
    sum of squares) with ``k`` changes and segments of at least ``min_size``,
    from the segment-neighbourhood recursion (Auger & Lawrence 1989) for
    ``k <= k_max``, vectorised over the rows.
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    n = Y.shape[1]
    K = max(1, min(k_max, n // min_size - 1))
    out = []
    for start in range(0, len(Y), 20):                           # chunks that fit in cache
        cost = _segment_costs(Y[start:start + 20], min_size)     # (B, n+1, n+1)
        C = cost[:, 0, :]                                        # 0 changes, prefix [0, t)
        c0 = C[:, n].copy()
        best = np.zeros(len(C))
        buf = np.empty_like(cost)
        for k in range(1, K + 1):
            np.add(C[:, :, None], cost, out=buf)
            C = buf.min(axis=1)
            ck = C[:, n]
            if not np.isfinite(ck).any():
                break
            best = np.maximum(best, np.where(np.isfinite(ck), (c0 - ck) / k, 0.0))
        out.append(best)
    return np.concatenate(out)


def _permutation_penalty(x: np.ndarray, min_size: int, level: float = 0.99,
                         n_perm: int = 199, seed: int = 0, label="") -> float:
    """Penalty from a Monte Carlo permutation test of "no change" at ``1 - level``.

    The series' own values are shuffled ``n_perm`` times (a series with no
    change is exchangeable, so this keeps its noise: sparsity, skew, bursts);
    the penalty is the ``level`` quantile of the smallest no-change penalty over
    the shuffles and the series itself (Phipson & Smyth 2010's ``(b + 1) /
    (B + 1)`` rule).  PELT then reports a change point only when the series'
    best segmentation beats that of all but ``1 - level`` of its shuffles.
    """
    rng = group_rng(seed, label)
    Y = np.vstack([x] + [rng.permutation(x) for _ in range(n_perm)])
    b = np.sort(_zero_change_penalty(Y, min_size))
    k = int(np.ceil(level * (n_perm + 1)))
    return float(b[min(k, len(b)) - 1]) * (1 + 1e-9)


_PENALTY_FACTOR = {"bic": 2.0, "mbic": 3.0}
PENALTIES = ("permutation", "bic", "mbic")


def _penalty(x: np.ndarray, penalty, min_size: int, level: float, seed: int,
             label="") -> float | None:
    if penalty is None:
        return None
    if not isinstance(penalty, str):
        return float(penalty)
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {list(PENALTIES)} or a number, not {penalty!r}")
    if penalty == "permutation":
        return _permutation_penalty(x, int(min_size), float(level), seed=int(seed), label=label)
    sd = _noise_sd(x)
    if sd <= 0:
        return 0.0
    return _PENALTY_FACTOR[penalty] * sd ** 2 * np.log(len(x))


def stat_changepoints(years: pd.DataFrame, value: str = "rate", by: str = "frame",
                      method: str = "pelt", model: str = "l2", penalty="permutation",
                      min_size: int = 5, n_bkps: int | None = None, level: float = 0.99,
                      seed: int = 0) -> pd.DataFrame:
    """Change points in each frame's yearly series.

    Years are the observed years in order (gaps are not interpolated), and a
    segment spans at least ``min_size`` observed years (default 5: a framing
    regime, not a one-off speech).  With ``method="pelt"`` and the ``l2`` cost
    (a change in mean) the segmentation minimising the residual sum of squares
    plus ``penalty`` per change point is found exactly (the optimum of PELT,
    Killick et al. 2012; other models use ``ruptures``' PELT).

    The default ``penalty="permutation"`` is calibrated on the series itself,
    as a Monte Carlo permutation test of "no change" (Antoch & Huskova 2001):
    a series without a change is exchangeable, so its values are shuffled 199
    times, and for each shuffle (and the series itself) the smallest penalty at
    which it gets no change point, ``max_k (C_0 - C_k) / k`` with ``C_k`` the
    least residual sum of squares with ``k`` changes, is computed exactly by
    the segment-neighbourhood recursion (Auger & Lawrence 1989; ``k <= 10``).
    The penalty is the ``level`` quantile of these (the ``(b + 1) / (B + 1)``
    rule of Phipson & Smyth 2010), so a series with no change gets no change
    point with probability at least ``level`` (default 0.99: with some twenty
    frames a per-frame 5% false-alarm rate would flag one or two frames by
    chance in most corpora).  Shuffling keeps the series' own noise, which for
    rates of rare frames is sparse, skewed and bursty, where penalties scaled
    by a Gaussian noise estimate (BIC-type criteria) give dozens of spurious
    changes; choosing the penalty by the false-alarm rate it implies follows
    Lavielle (2005) and Truong et al. (2020, sec. 6.2).  ``"mbic"`` uses
    ``3 * sigma^2 * log(n)`` (the leading term of Zhang & Siegmund's 2007
    modified BIC), ``"bic"`` ``2 * sigma^2 * log(n)``, with sigma the larger of
    the MAD of first differences / (sqrt(2) 0.6745) and Rice's (1984)
    difference-based estimate; a number sets the penalty directly.  Slow
    drifts show up as steps: read change points with ``frames_years`` and its
    intervals.  ``method="binseg"`` or ``"dynp"`` (``ruptures``) with
    ``n_bkps`` finds exactly that many changes.

    Parameters
    ----------
    years : DataFrame
        Long table with ``by``, ``year`` and ``value`` (``frames_years``).
    method, model : str
        ``"pelt"`` (penalised, default), ``"binseg"`` or ``"dynp"``; the
        ``ruptures`` cost model (default ``"l2"``, a change in mean).
    penalty : {"permutation", "mbic", "bic"} or float
        How the cost of a change point is set (see above).
    min_size : int
        Fewest observed years in a segment (default 5).
    n_bkps : int, optional
        With ``binseg``/``dynp``: exactly this many changes.
    level : float
        With ``penalty="permutation"``: probability that a series with no
        change gets no change point (default 0.99).
    seed : int
        Seed of the permutations (each frame's stream also depends on its name).

    Returns
    -------
    DataFrame
        One row per change point: ``frame, changepoint_year`` (first year of the
        new regime), ``last_year_before, mean_before, mean_after, shift,
        n_years, method, model, penalty``.  Frames without changes (or with
        fewer than ``2 * min_size`` years) have no rows.

    References
    ----------
    Antoch, J. and Huskova, M. (2001). Permutation tests in change point
    analysis. *Statistics & Probability Letters* 53(1), 37-46.
    Auger, I. E. and Lawrence, C. E. (1989). Algorithms for the optimal
    identification of segment neighborhoods. *Bulletin of Mathematical Biology*
    51(1), 39-54.
    Jackson, B. et al. (2005). An algorithm for optimal partitioning of data on
    an interval. *IEEE Signal Processing Letters* 12(2), 105-108.
    Killick, R., Fearnhead, P. and Eckley, I. A. (2012). Optimal detection of
    changepoints with a linear computational cost. *JASA* 107(500), 1590-1598.
    Lavielle, M. (2005). Using penalized contrasts for the change-point
    problem. *Signal Processing* 85(8), 1501-1510.
    Phipson, B. and Smyth, G. K. (2010). Permutation p-values should never be
    zero. *Statistical Applications in Genetics and Molecular Biology* 9(1), 39.
    Rice, J. (1984). Bandwidth choice for nonparametric regression. *Annals of
    Statistics* 12(4), 1215-1230.
    Truong, C., Oudre, L. and Vayatis, N. (2020). Selective review of offline
    change point detection methods. *Signal Processing* 167, 107299.
    Zhang, N. R. and Siegmund, D. O. (2007). A modified Bayes information
    criterion with applications to the analysis of comparative genomic
    hybridization data. *Biometrics* 63(1), 22-32.
    """
    rows = []
    if method not in ("pelt", "binseg", "dynp"):
        raise ValueError("method must be 'pelt', 'binseg' or 'dynp'")
    if method != "pelt" and n_bkps is None and penalty is None:
        raise ValueError(f"method {method!r} needs n_bkps or a penalty")
    if isinstance(penalty, str) and penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {list(PENALTIES)} or a number, not {penalty!r}")
    if penalty == "permutation" and model != "l2" and (method == "pelt" or n_bkps is None):
        raise ValueError(f"penalty='permutation' is calibrated for the l2 cost; with "
                         f"model={model!r} pass penalty='mbic', 'bic' or a number")
    if int(min_size) < 1:
        raise ValueError(f"min_size must be at least 1, not {min_size!r}")
    min_size = int(min_size)
    for f, g in years.groupby(by, sort=False):
        g = g[g[value].notna()].sort_values("year")
        x = g[value].to_numpy(dtype=float)
        yrs = g["year"].to_numpy()
        n = len(x)
        if n < 2 * min_size or np.allclose(x, x[0]):
            continue
        pen = None if (method != "pelt" and n_bkps is not None) else \
            _penalty(x, penalty, min_size, level, seed, label=f)
        bk = _detect(x, method, model, pen, min_size, n_bkps)
        if bk is None:
            continue
        edges = [0] + list(bk)
        for i, b in enumerate(bk[:-1]):
            before, after = x[edges[i]:b], x[b:edges[i + 2]]
            rows.append((f, int(yrs[b]), int(yrs[b - 1]), float(before.mean()),
                         float(after.mean()), float(after.mean() - before.mean()), n,
                         method, model, float(pen) if pen is not None else np.nan))
    out = pd.DataFrame(rows, columns=CHANGEPOINT_COLUMNS)
    return out.astype({"frame": "str", "method": "str", "model": "str",
                       "changepoint_year": "int64", "last_year_before": "int64",
                       "n_years": "int64", "mean_before": "float64", "mean_after": "float64",
                       "shift": "float64", "penalty": "float64"})


def _detect(x, method, model, pen, min_size, n_bkps):
    """Breakpoints (ruptures' convention) of one series, or None when not run."""
    n = len(x)
    if method == "pelt":
        if not pen:
            return None
        if model == "l2":
            return _pelt_l2(x, pen, min_size)
        import ruptures as rpt

        return rpt.Pelt(model=model, min_size=min_size, jump=1).fit(x.reshape(-1, 1)).predict(pen=pen)
    import ruptures as rpt

    algo = (rpt.Binseg if method == "binseg" else rpt.Dynp)(
        model=model, min_size=min_size, jump=1).fit(x.reshape(-1, 1))
    if n_bkps is not None:
        if n_bkps * min_size + min_size > n:
            return None
        return algo.predict(n_bkps=n_bkps)
    return algo.predict(pen=pen)

