"""Helpers of the fault-injection suite: a small corpus, runs in a subprocess, kills, byte flips.

The corpus is six short inaugural addresses written to a CSV file (a self-contained
corpus: its loaded form is cached too) in the test's temporary folder; a run is
``r2p run --only compare`` with few bootstrap draws, a few seconds on one core.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
       "NLTK_DATA": os.environ.get("NLTK_DATA", str(ROOT.parent / "shared" / "nltk_data"))}

#: the settings of every run of the suite (--set), and the stages
SETTINGS = ["compare.n_boot=10", "compare.collocation_top=30"]
STAGES = ["compare"]


def make_corpus(folder: Path, n: int = 6, chars: int = 6000) -> Path:
    """``folder/corpus.csv``: ``n`` inaugural addresses from 1989 on, each cut to ``chars`` characters."""
    from analysis import load_corpus

    c = load_corpus("inaugural")
    ids = [d for d in c.doc_ids if int(d[:4]) >= 1989][:n]
    rows = [{"doc_id": d, "year": int(d[:4]), "speaker": d[5:].rsplit(".", 1)[0],
             "text": c.texts[d][:chars]} for d in ids]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "corpus.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def run_args(corpus: Path, out: Path, *extra: str, settings=SETTINGS, stages=STAGES) -> list[str]:
    args = [sys.executable, "-m", "analysis", "run", "--corpus", str(corpus), "--out", str(out), "-q"]
    for s in stages:
        args += ["--only", s]
    for s in settings:
        args += ["--set", s]
    return args + list(extra)


def run(corpus: Path, out: Path, *extra: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """One ``r2p run`` in a subprocess (exit code, stdout, stderr)."""
    p = subprocess.run(run_args(corpus, out, *extra, **kw), cwd=ROOT, env=ENV, capture_output=True, text=True,
                       timeout=600)
    if check and p.returncode != 0:
        raise AssertionError(f"r2p run failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def start(corpus: Path, out: Path, *extra: str, **kw) -> subprocess.Popen:
    """Start ``r2p run`` in its own session (so its workers can be found by session id)."""
    return subprocess.Popen(run_args(corpus, out, *extra, **kw), cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def kill_after(proc: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL ``proc`` after ``seconds`` (True) unless it ended before (False)."""
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def published(out: Path) -> dict[str, bytes]:
    """The bytes of every published table and figure file of ``out`` (not run.json: it records timings)."""
    files = [p for sub in ("tables", "figures") if (out / sub).is_dir() for p in (out / sub).rglob("*")
             if p.is_file()]
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(files)}


def recorded_settings(out: Path) -> dict | None:
    import json

    p = out / "run.json"
    return json.loads(p.read_text(encoding="utf-8"))["settings"] if p.exists() else None


def entries(out: Path) -> list[Path]:
    return sorted((out / ".cache").glob("??/*.entry"))


def flip_byte(path: Path, rng: random.Random) -> int:
    """Flip one bit pattern (XOR with 1..255) of one random byte of ``path``; returns the offset."""
    data = bytearray(path.read_bytes())
    i = rng.randrange(len(data))
    data[i] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(data))
    return i


def leftovers(out: Path) -> list[str]:
    """Temporary files and staging folders under ``out`` (none may stay after a run ends)."""
    found = [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".r2p-staging-")]
    return sorted(p.relative_to(out).as_posix() for p in found)


def session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of session ``sid`` (Linux ``/proc``)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            pids.append(int(d.name))
    return pids


def wait_until(cond, timeout: float, step: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()
