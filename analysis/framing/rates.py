"""Frame rates per 1,000 words by year or document, with bootstrap intervals.

The rate of a group (a year, a document) is the ratio of its summed dictionary
matches to its summed running words; its interval resamples the group's units
(or clusters of units, e.g. whole speeches) with the package's one resampling
rule, :mod:`analysis.stats.bootstrap` (each group's stream comes from the run
seed and the group's label).

References
----------
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall (percentile intervals; resampling units within groups).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.framing.frames import _wide, plain_strings
from analysis.stats.bootstrap import group_rng, one_blas_thread, percentile_interval, resample_sums
from analysis.stats.parallel import chunks, pmap

__all__ = ["DOC_COLUMNS", "SOURCE_YEAR_COLUMNS", "YEAR_COLUMNS", "stat_rates", "stat_rates_by"]

YEAR_COLUMNS = ["frame", "year", "rate", "ci_low", "ci_high", "matches", "tokens",
                "n_units", "n_docs"]
#: ``frames_source_years``: the year table with the group (source) in front
SOURCE_YEAR_COLUMNS = ["source", *YEAR_COLUMNS, "level", "family"]
DOC_COLUMNS = ["doc_id", "frame", "matches", "tokens", "rate_per_1000", "ci_low", "ci_high",
               "n_units"]


def _boot_sums(M: np.ndarray, t: np.ndarray, clusters: np.ndarray, n_boot: int,
               rng: np.random.Generator):
    """Bootstrap draws of summed matches (B x F) and words (B), resampling clusters.

    The clusters are resampled in the sorted order of their labels
    (:func:`analysis.stats.bootstrap.resample_counts`), so a group's draws do
    not depend on the order of its rows.
    """
    cl, inv = np.unique(clusters, return_inverse=True)
    k = len(cl)
    if k == len(clusters):          # every unit its own cluster: no summing needed
        order = np.argsort(inv)
        CM, Ct = M[order], t[order]
    else:
        from scipy import sparse

        S = sparse.csr_matrix((np.ones(len(inv)), (inv, np.arange(len(inv)))), shape=(k, len(inv)))
        CM, Ct = np.asarray(S @ M), S @ t
    if n_boot <= 0:
        return None, None
    # batched weights: memory independent of n_boot x k, the same (exact, whole-number) sums
    R = resample_sums(np.column_stack([CM, Ct]), n_boot, rng)
    return R[:, :-1], R[:, -1]


#: groups per task of the rates bootstrap
RATES_CHUNK = 256


@one_blas_thread
def _group_rates(block, frames, n_boot: int, ci: float, seed: int) -> list[tuple]:
    """The rows (one per frame) of a block of groups ``(label, M, tokens, clusters, n_docs)``.

    Each group draws from its own stream (``group_rng(seed, label)``), so a block
    gives the same rows wherever it runs.
    """
    rows = []
    for g, Mg, tg, cl, n_docs in block:
        sm, st = Mg.sum(axis=0), tg.sum()
        rate = 1000.0 * sm / st if st > 0 else np.full(len(frames), np.nan)
        if n_boot > 0:
            bm, bt = _boot_sums(Mg, tg, cl, n_boot, group_rng(seed, g))
            with np.errstate(invalid="ignore", divide="ignore"):
                br = 1000.0 * bm / bt[:, None]
            br[bt == 0] = np.nan
            lo, hi = percentile_interval(br, ci)
        else:
            lo = hi = np.full(len(frames), np.nan)
        for j, f in enumerate(frames):
            rows.append((f, g, rate[j], lo[j], hi[j], int(sm[j]), int(st), len(Mg), n_docs))
    return rows


@one_blas_thread
def stat_rates(frames_units: pd.DataFrame, by: str = "year", n_boot: int = 1000,
               ci: float = 0.95, cluster: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Rates per 1,000 words by group, with percentile bootstrap intervals.

    The rate of a group is ``1000 * sum(matches) / sum(words)`` over its units
    (a ratio estimator, so long paragraphs weigh more).  Intervals resample the
    group's units with replacement (or its ``cluster`` values, e.g.
    ``cluster="doc_id"`` to resample whole speeches) ``n_boot`` times.  Each
    group's random stream is seeded from ``seed`` and the group's label, so a
    year's interval does not change when other years are added.

    Parameters
    ----------
    frames_units : DataFrame
        Output of :func:`stat_frames`.
    by : str
        Group column: ``"year"`` or ``"doc_id"`` (or any unit docvar).
    n_boot : int
        Bootstrap replicates (0 skips the intervals).
    ci : float
        Interval coverage.
    cluster : str, optional
        Resampling unit within a group; default the text units.
    seed : int

    Returns
    -------
    DataFrame
        For ``by="year"``: ``frame, year, rate, ci_low, ci_high, matches, tokens,
        n_units, n_docs`` (plus ``level``, ``family``).  For ``by="doc_id"``:
        ``doc_id, frame, matches, tokens, rate_per_1000, ci_low, ci_high, n_units``
        plus ``level``, ``family`` and ``date, year, speaker`` when present.

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    ch. 13 (percentile intervals). Chapman & Hall.
    """
    if by not in frames_units.columns:
        raise KeyError(f"stat_rates: no column {by!r} in the frames table")
    meta = frames_units.drop_duplicates("frame").set_index("frame")[["level", "family"]] \
        if {"level", "family"} <= set(frames_units.columns) else None
    fu = frames_units[frames_units[by].notna()]
    if fu.empty:
        cols = YEAR_COLUMNS if by == "year" else DOC_COLUMNS
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols + ["level", "family"]}) \
            .astype({"frame": "str", "family": "str"})
    if cluster and cluster not in frames_units.columns:
        raise KeyError(f"stat_rates: cluster column {cluster!r} not in the frames table "
                       f"(columns: {list(frames_units.columns)})")
    units, M, frames, t = _wide(fu)
    groups = list(units.groupby(by, sort=True).indices.items())
    clusters = units[cluster].to_numpy() if cluster else None
    doc_codes = pd.factorize(units["doc_id"])[0]
    tasks = []
    for a0, b0 in chunks(len(groups), RATES_CHUNK):  # fixed blocks of groups on the run's workers
        block = [(g, M[idx], t[idx], clusters[idx] if cluster else np.arange(len(idx)),
                  len(np.unique(doc_codes[idx]))) for g, idx in groups[a0:b0]]
        tasks.append((block, frames, n_boot, ci, seed))
    rows = [r for part in pmap(_group_rates, tasks) for r in part]
    out = pd.DataFrame(rows, columns=["frame", by, "rate", "ci_low", "ci_high", "matches",
                                      "tokens", "n_units", "n_docs"])
    if meta is not None:
        out["level"] = out["frame"].map(meta["level"]).astype("int64")
        out["family"] = out["frame"].map(meta["family"]).astype("str")
    order = {f: i for i, f in enumerate(frames)}
    if by == "year":
        out["year"] = out["year"].astype("int64")
        out = out.sort_values(["frame", "year"], key=lambda s: s.map(order) if s.name == "frame" else s,
                              kind="stable")
        return out.reset_index(drop=True)
    out = out.rename(columns={"rate": "rate_per_1000"}).drop(columns="n_docs")
    dv = [c for c in ("date", "year", "speaker") if c in units.columns and c != by]
    if dv:  # the docvars as strings, not as the frames table's categoricals
        out = out.merge(plain_strings(units.drop_duplicates(by)[[by, *dv]]), on=by, how="left")
    out = out.sort_values([by, "frame"], key=lambda s: s.map(order) if s.name == "frame" else s,
                          kind="stable")
    first = [by, "frame", "matches", "tokens", "rate_per_1000", "ci_low", "ci_high", "n_units"]
    return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)



def stat_rates_by(frames_units: pd.DataFrame, groups: pd.Series, by: str = "year", name: str = "source",
                  n_boot: int = 1000, ci: float = 0.95, cluster: str | None = None, seed: int = 0) -> pd.DataFrame:
    """:func:`stat_rates` within each group of documents (frames per year by source).

    Parameters
    ----------
    frames_units : DataFrame
        Output of :func:`stat_frames` (with ``doc_id``).
    groups : Series
        ``doc_id -> group label`` (e.g. the ``source`` docvar of a combined corpus);
        units of documents without a label are left out.
    by, n_boot, ci, cluster, seed
        As for :func:`stat_rates`.
    name : str
        Name of the group column put in front (``"source"``).

    Returns
    -------
    DataFrame
        ``name`` then the columns of :func:`stat_rates`, groups in the order of
        their first appearance in ``groups``. Each group's rows are exactly
        :func:`stat_rates` of that group's units alone (same seed, so a source's
        intervals are those of a run on that source by itself).

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    ch. 13. Chapman & Hall.
    """
    if "doc_id" not in frames_units.columns:
        raise KeyError("stat_rates_by: the frames table needs a doc_id column")
    labels = frames_units["doc_id"].astype(str).map(groups.rename(index=str))
    parts = []
    for g in dict.fromkeys(groups.dropna().tolist()):
        sub = frames_units[(labels == g).to_numpy()]
        if sub.empty:
            continue
        res = stat_rates(sub, by=by, n_boot=n_boot, ci=ci, cluster=cluster, seed=seed)
        res.insert(0, name, str(g))
        parts.append(res)
    if not parts:
        cols = [name, *(YEAR_COLUMNS if by == "year" else DOC_COLUMNS), "level", "family"]
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols}).astype(
            {name: "str", "frame": "str", "family": "str"})
    return pd.concat(parts, ignore_index=True)
