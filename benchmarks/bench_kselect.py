"""Benchmark / simulation study: does the default rule recover the number of topics K?

For each true K in 5, 10, 20, 40 and each of ``--seeds`` seeds, a corpus is drawn
from a known topic model with vocabulary and paragraph lengths like real speeches
(:func:`analysis.topicmod.simulate_more.simulate_speech_corpus`: 3,000-word Zipfian
vocabulary, lognormal paragraph lengths with median 45 model tokens; 2,000 / 3,000 /
5,000 / 12,000 paragraphs for K = 5 / 10 / 20 / 40, so that the adaptive grid of
:func:`analysis.topicmod.kselect.auto_k_grid` reaches beyond the true K). The grid is
scanned and the default rule (:func:`analysis.topicmod.kselect.choose_k_heldout`)
picks K. Success: the chosen K is within 20% of the truth in at least 8 of 10 seeds
per K (issue 13). The same study runs under ``pytest -m study``
(tests/test_kselect.py).

The whole grid is scanned; K is chosen as the stage chooses it, on the rows up to
where the early stop (``topics.scan_patience=2``, :func:`analysis.topicmod.kselect.scan_stop`)
ends the scan, and also on every row, so the study checks that the stop changes no K.

Output: one line per replicate, then the recovery table (true K, seeds, hits, chosen
K values, edge flags, scans stopped early, K equal to the whole grid's, the share of
the grid's cost (sum of K) the stopped scan fitted, mean wall time per replicate).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_kselect.py [--seeds 10]
[--model nmf|lda] [--ks 5,10,20,40] [--first-seed 100] [--save-tables scans.csv]``; ``--model lda`` scans collapsed-Gibbs LDA
(tomotopy, 500 sweeps per fit; slow: about a minute per fit at 10,000 units). ``--smoke`` (or
``R2P_BENCH_SMOKE=1``): one replicate, true K 4, 400 paragraphs, grid 2, 4, 6, no target.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("NLTK_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "nltk_data"))

import pandas as pd
from _smoke import add_smoke_flag

from analysis.topicmod.kselect import recovery_run


def study(ks=(5, 10, 20, 40), seeds=10, model="nmf", n_runs=1, first_seed=100, log=print,
          tables: list | None = None, n_units: int | None = None, grid=None) -> pd.DataFrame:
    """One row per replicate; each replicate's scan table is appended to ``tables`` (with
    ``true_k`` and ``seed`` columns) when a list is given, so other rules can be read off later.
    ``n_units`` and ``grid`` replace the study's corpus sizes and adaptive grid (smoke mode)."""
    rows = []
    for k in ks:
        for s in range(seeds):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = recovery_run(k, first_seed + s, model=model, n_runs=n_runs, n_units=n_units, ks=grid)
            r["seconds"] = time.perf_counter() - t0
            r["same_as_full"] = r["chosen_k"] == r["chosen_k_full"]
            # the share of the grid's cost (sum of K) that the stopped scan fitted
            r["k_scanned"] = (sum(x for x in r["grid"] if r["stopped_at"] is None or x <= r["stopped_at"])
                              / sum(r["grid"]))
            table = r.pop("table")
            if tables is not None:
                tables.append(table.assign(true_k=k, seed=first_seed + s))
            stop = f"; scan stopped at K={r['stopped_at']}" if r["stopped_at"] is not None else ""
            full = f", whole grid {r['chosen_k_full']}" if r["chosen_k_full"] != r["chosen_k"] else ""
            log(f"  K={k} seed={first_seed + s}: chose {r['chosen_k']}{' (' + r['edge'] + ' edge)' if r['edge'] else ''}"
                f"{full}{stop} in {r['seconds']:.1f}s")
            rows.append(r)
    return pd.DataFrame(rows)


def summary(df: pd.DataFrame) -> pd.DataFrame:
    return df.groupby("true_k").agg(
        n_units=("n_units", "first"), seeds=("seed", "size"), hits=("within_20pct", "sum"),
        chosen=("chosen_k", lambda v: ",".join(map(str, v))), edges=("edge", lambda v: int((v != "").sum())),
        stopped=("stopped_at", lambda v: int(v.notna().sum())), same_as_full=("same_as_full", "sum"),
        k_scanned=("k_scanned", "mean"),
        sec_per_run=("seconds", "mean"),
    ).reset_index()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--model", default="nmf", choices=("nmf", "lda"))
    ap.add_argument("--ks", default="5,10,20,40")
    ap.add_argument("--n-runs", type=int, default=1, help="held-out splits per K (the stage's n_runs)")
    ap.add_argument("--first-seed", type=int, default=100, help="seed of the first replicate")
    ap.add_argument("--save-tables", metavar="CSV", help="write every replicate's scan table here")
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    ks = [int(k) for k in args.ks.split(",")]
    n_units = grid = None
    if args.smoke:  # one replicate at true K 4, 400 paragraphs, the grid 2, 4, 6
        ks, args.seeds, n_units, grid = [4], 1, 400, [2, 4, 6]
    t0 = time.perf_counter()
    tables = [] if args.save_tables else None
    df = study(ks, args.seeds, args.model, args.n_runs, first_seed=args.first_seed, tables=tables,
               n_units=n_units, grid=grid)
    if tables:
        pd.concat(tables, ignore_index=True).to_csv(args.save_tables, index=False)
    tab = summary(df)
    print(f"\nK recovery, model={args.model}, {args.seeds} seeds per K, success = within 20% of the truth")
    print(tab.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
    ok = bool((tab["hits"] >= 0.8 * tab["seeds"]).all())
    if args.smoke:
        print(f"smoke mode (one replicate on a small corpus): no target; total {time.perf_counter() - t0:.0f}s")
        return 0
    print(f"target (>= 8 of 10 per K): {'met' if ok else 'NOT met'}; total {time.perf_counter() - t0:.0f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
