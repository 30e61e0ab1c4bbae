"""The K scan of the ``topics`` stage: the grid, one cached call per (model, K), the early stop, the flags.

The ``topics.select`` step (:mod:`analysis.stages.topics`) runs the reported model's
scan with :func:`scan_first` and chooses K; ``topics.fit`` runs the rest of the scan
(``topics.scan_models=all``) beside the fit at the chosen K. The rules are those of
:mod:`analysis.topicmod.kselect`.
"""

from __future__ import annotations

import pandas as pd

from analysis.topicmod import k_grid
from analysis.topicmod.kselect import auto_k_grid, auto_k_max, frontier, scan_stop, stat_k_scan, worse_run

__all__ = ["fit_cost", "k_grid_of", "n_runs", "scan_calls", "scan_first", "selection_flags"]


def k_grid_of(cfg, n_units: int, n_terms: int) -> list[int]:
    """The K grid: the adaptive one (:func:`auto_k_grid`) unless ``k_step`` is a number."""
    lo = None if cfg.k_min == "auto" else int(cfg.k_min)
    hi = None if cfg.k_max == "auto" else int(cfg.k_max)
    if cfg.k_step == "auto":
        return auto_k_grid(n_units, n_terms, lo, hi)
    return k_grid(n_units, n_terms, 4 if lo is None else lo, auto_k_max(n_units) if hi is None else hi,
                  int(cfg.k_step))


def selection_flags(selection: pd.DataFrame, model_name: str, k: int, grid: list[int],
                     stop: int | None = None) -> pd.DataFrame:
    """``selected``, ``frontier``, ``at_edge`` (a K at either end of the grid, scanned or not) and
    ``scan_stopped`` (the K where the early stop ended the scan, ``stop``)."""
    selection = selection.copy()
    selection["selected"] = (selection["model"] == model_name) & (selection["k"] == k)
    on, edge = [], []
    ends = [min(grid), max(grid)] if len(set(grid)) > 1 else []
    for m, sub in selection.groupby("model", sort=False):
        on.extend(frontier(selection, m).index)
        edge.extend(sub.index[sub["k"].isin(ends)])
    selection["frontier"] = selection.index.isin(on)
    selection["at_edge"] = selection.index.isin(edge)
    selection["scan_stopped"] = selection["k"] == stop if stop is not None else False
    return selection


def n_runs(cfg, n_units: int) -> int:
    """``topics.n_runs``, with auto resolved from the number of units."""
    if cfg.n_runs != "auto":
        return int(cfg.n_runs)
    return 5 if n_units < 10_000 else 3


def scan_calls(M, terms, ks, methods, cfg, seed: int, engine: str, scan_units: int | None):
    """The K scan as one ``stat_k_scan`` call per (model, K), and each call's relative cost.

    Each call's fits are seeded by their own run index, not by the call's place, so
    its row equals the row of a scan over the whole grid, and the table is the same
    for any number of workers and any grouping of the calls.
    """
    runs = n_runs(cfg, M.shape[0])
    n = M.shape[0] if scan_units is None else min(M.shape[0], scan_units)
    calls, costs = {}, {}
    for m in methods:
        for k in ks:
            kw = {"ks": [int(k)], "methods": [m], "n_runs": runs, "sample_frac": cfg.sample_frac,
                  "random_state": seed, "top_n": cfg.top_n, "lda_engine": engine, "gibbs_iter": cfg.gibbs_iter,
                  "max_units": scan_units}
            units = n
            if m == "lda":
                kw["lda_max_units"] = cfg.lda_scan_max_units or None
                units = min(n, cfg.lda_scan_max_units or n)
            calls[(m, int(k))] = (stat_k_scan, (M, terms), kw)
            costs[(m, int(k))] = runs * cfg.sample_frac * fit_cost(m, int(k), units, engine, cfg.gibbs_iter)
    return calls, costs


def scan_first(ctx, scan: dict, cost: dict, first: list, model_name: str, patience: int):
    """The reported model's scan rows in ascending K, stopped early by :func:`scan_stop`; ``(rows, stop)``.

    With ``patience`` 0 every K of ``first`` is one batch on the workers. Otherwise
    the K are run in ascending order, in rounds of as many calls as run at once
    (``ctx.slots()``; fewer when fewer can end the scan), and
    the rule is applied to the rows in K order after each round; rows past the
    stopping K (computed in the same round) are dropped, so the table is the same
    for any number of workers. ``stop`` is the
    last K kept, or None when the scan was not stopped before the grid's last K.
    """
    if not first:
        return {}, None
    if patience <= 0:
        done = ctx.call_each([scan[mk] for mk in first], costs=[cost[mk] for mk in first],
                             label="topics: K scan")
        return dict(zip(first, done)), None
    todo = sorted(first, key=lambda mk: mk[1])
    last = todo[-1][1]
    rows: dict = {}
    width = need = ctx.slots()
    while todo:
        # only as many K as can still end the scan once it has turned (the larger K cost the most)
        n = max(min(width, need), 1)
        batch, todo = todo[:n], todo[n:]
        done = ctx.call_each([scan[mk] for mk in batch], costs=[cost[mk] for mk in batch],
                             label=f"topics: K scan (K={', '.join(str(mk[1]) for mk in batch)})")
        rows.update(zip(batch, done))
        table = pd.concat(rows.values(), ignore_index=True)
        stop = scan_stop(table, model_name, patience, last=last)
        if stop is not None:
            return {mk: r for mk, r in rows.items() if mk[1] <= stop}, stop
        need = patience - int(worse_run(table, model_name)[1][-1])
    return rows, None


def fit_cost(method: str, k: int, n_units: int, engine: str, gibbs_iter: int) -> float:
    """A fit's cost in NMF-fit units: K x units, collapsed Gibbs about 20 times NMF at 500 sweeps."""
    factor = 20.0 * gibbs_iter / 500 if method == "lda" and engine == "gibbs" else 4.0 if method == "lda" else 1.0
    return factor * k * n_units
