"""The benchmarks' smoke mode: tiny sizes, seconds, nothing written into the repository.

Every ``benchmarks/bench_*.py`` takes ``--smoke`` (or runs in smoke mode when the
environment variable ``R2P_BENCH_SMOKE`` is set to anything but ``""`` / ``0``).
A smoke run exercises the script's whole path (its imports of the package, the
calls it times, its report) on a few documents, one seed and the smallest grid,
skips peer libraries that are not installed, writes only into temporary folders
and ignores the timing targets (a busy machine misses them); a correctness check
the script makes (counts identical to scikit-learn's, tables identical across
workers, extraction quality) still decides its exit status.
``tests/test_benchmarks_smoke.py`` runs every benchmark this way, so a renamed
function cannot break one silently. Its figures mean nothing: they are not the
benchmark's.
"""

from __future__ import annotations

import argparse
import importlib.util
import os

ENV = "R2P_BENCH_SMOKE"


def env_smoke() -> bool:
    """Whether ``R2P_BENCH_SMOKE`` asks for smoke mode."""
    return os.environ.get(ENV, "").strip().lower() not in ("", "0", "false", "no")


def add_smoke_flag(ap: argparse.ArgumentParser) -> None:
    """``--smoke`` on ``ap``, on by default when ``R2P_BENCH_SMOKE`` is set."""
    ap.add_argument("--smoke", action="store_true", default=env_smoke(),
                    help=f"tiny sizes, a few seconds, peers that are not installed skipped, timing targets "
                         f"ignored (also: {ENV}=1); for the test suite, its figures mean nothing")


def have(module: str) -> bool:
    """Whether ``module`` can be imported (a peer library is installed)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def first_documents(corpus, n: int):
    """The first ``n`` available documents of ``corpus`` (a smoke run's corpus)."""
    av = corpus.available()
    return av.subset(av.doc_ids[:n])
