"""Framing indices (balances and shares of frame counts) by year and document.

``balance`` indices are ``(a - b) / (a + b)`` over a group's summed matches
(e.g. the prevention-response balance), ``share`` indices ``a / (a + b + ...)``
(e.g. each pillar's share of all pillar matches); intervals resample the
group's units with :mod:`analysis.stats.bootstrap` (the same resamples as the
group's rates in :func:`analysis.framing.rates.stat_rates`).

References
----------
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.framing.frames import _wide
from analysis.framing.rates import _boot_sums
from analysis.stats.bootstrap import group_rng, one_blas_thread, percentile_interval
from analysis.stats.parallel import chunks, pmap

__all__ = ["INDEX_COLUMNS", "index_frames", "stat_indices"]

INDEX_COLUMNS = ["level", "year", "doc_id", "index", "value", "ci_low", "ci_high",
                 "denominator"]


# ------------------------------------------------------------------ indices
def _index_values(sums: np.ndarray, fidx: Mapping[str, int], spec: tuple):
    kind = spec[0]
    if kind == "balance":
        a, b = sums[..., fidx[spec[1]]], sums[..., fidx[spec[2]]]
        den = a + b
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (a - b) / np.where(den > 0, den, 1), np.nan), den
    if kind == "share":
        a = sums[..., fidx[spec[1]]]
        den = sum(sums[..., fidx[k]] for k in spec[2])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, a / np.where(den > 0, den, 1), np.nan), den
    raise ValueError(f"unknown index kind {kind!r}; use 'balance' or 'share'")


def _spec_frames(spec: tuple) -> list[str]:
    """The frames one index spec reads: ``("balance", a, b)`` or ``("share", a, [a, b, ...])``."""
    return [spec[1], spec[2]] if spec[0] == "balance" else [spec[1], *spec[2]]


def index_frames(indices: Mapping[str, tuple]) -> set[str]:
    """The frames (dictionary keys) that the ``indices`` specs read (:func:`stat_indices`).

    The rows of a long frames table with other frames do not change the indices:
    a caller may drop them first (the frames stage does, so as not to copy every
    row of the frames and stance tables into one).
    """
    return {f for v in indices.values() for f in _spec_frames(v)}


def stat_indices(frames_units: pd.DataFrame, indices: Mapping[str, tuple],
                 levels: Sequence[str] = ("year", "doc_id"), n_boot: int = 1000,
                 ci: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Framing indices by year and document with bootstrap intervals.

    ``balance`` indices are ``(a - b) / (a + b)`` over the group's summed matches
    (e.g. the prevention-response balance: +1 all prevention, -1 all response);
    ``share`` indices are ``a / (a + b + ...)`` (e.g. each pillar's share of all
    pillar matches).  Undefined (NaN) where the denominator is zero.  Intervals
    resample the group's units as in :func:`stat_rates`.  Indices whose frames
    are absent from the table are skipped.

    Parameters
    ----------
    frames_units : DataFrame
        Long frame counts per unit (:func:`analysis.framing.frames.stat_frames`), the
        frames and stance tables together when indices read both.
    indices : mapping
        ``name -> ("balance", a, b)`` or ``name -> ("share", a, (keys, ...))``, keys being
        frame names; a run passes its study's (``ctx.study.indices``, for R2P the
        prevention-response balance, the pillar shares and others).
    levels, n_boot, ci, seed
        The groupings reported, bootstrap replicates, interval coverage and seed.

    Returns
    -------
    DataFrame
        ``level`` ("year" or "doc"), ``year``, ``doc_id`` (empty for years),
        ``index, value, ci_low, ci_high, denominator`` (matches in the denominator).

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    Chapman & Hall.
    """
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in INDEX_COLUMNS}).astype(
        {"level": "str", "doc_id": "str", "index": "str", "year": "Int64"})
    if frames_units.empty:
        return empty
    units, M, frames, t = _wide(frames_units)
    fidx = {f: j for j, f in enumerate(frames)}
    specs = {k: v for k, v in indices.items()
             if all(f in fidx for f in _spec_frames(v))}
    if not specs:
        return empty
    needed = sorted({fidx[f] for v in specs.values()
                     for f in _spec_frames(v)})
    M = M[:, needed]
    fidx = {frames[j]: i for i, j in enumerate(needed)}
    groups = []  # (level, group, year, unit rows) of every level, in the order of the table
    for by in levels:
        if by not in units.columns:
            continue
        pos = np.flatnonzero(units[by].notna().to_numpy())
        for g, rel in units.iloc[pos].groupby(by, sort=True).indices.items():
            idx = pos[rel]
            year = g if by == "year" else units["year"].iloc[idx[0]] if "year" in units else pd.NA
            groups.append((by, g, year, idx))
    # fixed blocks of groups on the run's workers (analysis.stats.parallel); each group draws from
    # its own stream, so the rows are the same for any number of workers
    tasks = [([(by, g, year, M[idx], t[idx]) for by, g, year, idx in groups[a:b]], fidx, specs, n_boot, ci,
              seed) for a, b in chunks(len(groups), INDEX_CHUNK)]
    rows = [r for part in pmap(_index_rows, tasks) for r in part]
    if not rows:
        return empty
    out = pd.DataFrame(rows, columns=INDEX_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    return out


#: groups (years or documents) per task of the indices' bootstrap
INDEX_CHUNK = 256


@one_blas_thread
def _index_rows(block, fidx: Mapping[str, int], specs: Mapping[str, tuple], n_boot: int, ci: float,
                seed: int) -> list[tuple]:
    """The rows (one per index) of a block of groups ``(level, group, year, M, tokens)`` (a task of
    :func:`stat_indices`); each group's bootstrap draws from ``group_rng(seed, group)``."""
    rows = []
    for by, g, year, Mg, tg in block:
        sums = Mg.sum(axis=0)
        draws = None
        if n_boot > 0:
            draws, _ = _boot_sums(Mg, tg, np.arange(len(tg)), n_boot, group_rng(seed, g))
        for name, spec in specs.items():
            v, den = _index_values(sums, fidx, spec)
            lo = hi = np.nan
            if draws is not None:
                bv, _ = _index_values(draws, fidx, spec)
                lo, hi = percentile_interval(bv[:, None], ci)
                lo, hi = float(lo[0]), float(hi[0])
            rows.append(("year" if by == "year" else "doc", year,
                         "" if by == "year" else g, name, float(v), lo, hi, int(den)))
    return rows
