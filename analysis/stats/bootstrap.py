"""One resampling rule for the whole package: the nonparametric bootstrap, seeded per group.

Every bootstrap in the toolkit (similarity to the anchor, topic prevalence, frame
rates and indices, sentiment) draws its resamples from :func:`group_rng`: the
random stream of a group (a year, a document, a speaker) is derived from the run
seed *and the group's label*, never from the position of the group in a loop.
Adding a year to a corpus therefore leaves every other year's interval unchanged,
and the intervals do not depend on the order in which groups are visited or on how
the work is split across workers.

References
----------
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall.

Davison, A. C., & Hinkley, D. V. (1997). *Bootstrap Methods and their
Application*. Cambridge University Press (ch. 5: confidence intervals).
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from typing import Any

import numpy as np

__all__ = ["CI_METHODS", "group_rng", "group_seed_sequence", "one_blas_thread", "percentile_interval",
           "resample_counts", "resample_sums"]

CI_METHODS = ("percentile", "basic", "normal")


def group_seed_sequence(seed: int, *labels: Any) -> np.random.SeedSequence:
    """A :class:`numpy.random.SeedSequence` from the run seed and a group label.

    The label is rendered with ``str`` and hashed (SHA-256), so ``2011`` and
    ``"2011"`` give the same stream, and labels of any length or type are fine.
    Further labels (for example a stage or table name) give independent streams
    for the same group in different analyses.
    """
    if seed is None or isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"the bootstrap needs an integer seed (the run seed), got {seed!r}")
    words = [int(seed) & 0xFFFFFFFF]
    for label in labels:
        digest = hashlib.sha256(str(label).encode("utf-8")).digest()
        words.extend(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
    return np.random.SeedSequence(words)


def group_rng(seed: int, *labels: Any) -> np.random.Generator:
    """The random generator of one group: ``default_rng(group_seed_sequence(seed, *labels))``."""
    return np.random.default_rng(group_seed_sequence(seed, *labels))


def resample_counts(k: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``k`` items is drawn in each of ``n_boot`` resamples (``n_boot x k``).

    Each resample draws ``k`` items with replacement (Efron & Tibshirani 1993,
    ch. 6); the returned weights multiply per-item statistics, so a resampled sum
    is ``W @ x`` without copying data.
    """
    if k <= 0 or n_boot <= 0:
        return np.zeros((max(int(n_boot), 0), max(int(k), 0)))
    draws = rng.integers(0, k, size=(n_boot, k))
    flat = (draws + (np.arange(n_boot) * k)[:, None]).ravel()
    return np.bincount(flat, minlength=n_boot * k).reshape(n_boot, k).astype(np.float64)


def resample_sums(X, n_boot: int, rng: np.random.Generator, max_cells: int = 1 << 21) -> np.ndarray:
    """``resample_counts(len(X), n_boot, rng) @ X`` without holding the ``n_boot x k`` weights.

    The weights are drawn in consecutive batches of an even number of replicates
    from the same stream, which gives the very draws of one ``resample_counts``
    call (NumPy fills bounded integers in order, two per 64-bit word); memory is
    about ``max_cells`` weights instead of ``n_boot * k`` (a year of 45,000
    paragraphs with 1,000 replicates held 1.4 GB). With ``X`` of whole numbers
    (counts) every sum is exact in float64, so the result equals the one-shot
    product bit for bit.
    """
    X = np.asarray(X, dtype=np.float64)
    k = X.shape[0]
    n_boot = max(int(n_boot), 0)
    if k == 0 or n_boot == 0:
        return np.zeros((n_boot, *X.shape[1:]))
    rows = max(2, (int(max_cells) // k) // 2 * 2)
    return np.concatenate([resample_counts(k, min(rows, n_boot - b0), rng) @ X
                           for b0 in range(0, n_boot, rows)])


def percentile_interval(draws: np.ndarray, ci: float = 0.95, estimate=None, method: str = "percentile",
                        axis: int = 0):
    """Interval from bootstrap replicates ``draws`` (replicates along ``axis``).

    ``percentile``: the (1 - ci)/2 and (1 + ci)/2 quantiles; ``basic``: 2 * estimate
    minus those quantiles (Davison & Hinkley 1997, eq. 5.6); ``normal``: estimate
    -/+ z * standard deviation of the replicates. NaN replicates are ignored.
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1, got {ci}")
    if method not in CI_METHODS:
        raise ValueError(f"method must be one of {', '.join(CI_METHODS)}, got {method!r}")
    draws = np.asarray(draws, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "normal":
            from scipy import stats

            if estimate is None:
                raise ValueError("the normal interval needs the estimate")
            z = float(stats.norm.ppf((1 + ci) / 2))
            half = z * np.nanstd(draws, axis=axis, ddof=1)
            est = np.asarray(estimate, dtype=float)
            return est - half, est + half
        lo_q, hi_q = (1 - ci) / 2 * 100, (1 + ci) / 2 * 100
        quantile = np.percentile if not np.isnan(draws).any() else np.nanpercentile
        lo, hi = quantile(draws, [lo_q, hi_q], axis=axis)
        if method == "basic":
            if estimate is None:
                raise ValueError("the basic interval needs the estimate")
            est = np.asarray(estimate, dtype=float)
            return 2 * est - hi, 2 * est - lo
        return lo, hi


def one_blas_thread(fn):
    """Decorator: run ``fn`` with one BLAS thread (``threadpoolctl``).

    A bootstrap is many small matrix products (``resample_counts(...) @ x``),
    which run far faster single-threaded than through a thread pool, and do not
    oversubscribe the cores when stages run side by side.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper
