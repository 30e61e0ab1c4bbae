"""Every benchmark runs: each ``benchmarks/bench_*.py`` in its smoke mode, as ``make bench`` runs it.

``make bench`` runs every ``benchmarks/bench_*.py`` at full size (minutes each), so a
renamed or refactored function that a benchmark imports would go unnoticed until
then (``bench_kscan.py`` once failed on ``_k_scan``). Here each one runs in its own
process with ``--smoke`` (tiny sizes, seconds; see ``benchmarks/_smoke.py``), from a
temporary folder, and must exit 0 without writing into the repository. The files
are found by the same glob as the Makefile's, so a new benchmark is covered (and
must take ``--smoke``) without touching this module.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
SCRIPTS = sorted(BENCH.glob("bench_*.py"))  # the Makefile's `for f in benchmarks/bench_*.py`
#: benchmarks whose smoke run takes over ~30 s (marked slow); none at present
SLOW: frozenset[str] = frozenset()
TIMEOUT = 300


def _listing(folder: Path) -> set[str]:
    """The entries of ``folder``, less hidden ones and what a concurrent ``pip install .`` or wheel
    test builds in the checkout (CI builds the wheel while the tests run)."""
    return {p.name for p in folder.iterdir()
            if not p.name.startswith(".") and p.name not in ("build", "dist") and not p.name.endswith(".egg-info")}


def test_benchmarks_are_found():
    assert len(SCRIPTS) >= 10, [p.name for p in SCRIPTS]
    assert (BENCH / "bench_kscan.py") in SCRIPTS


@pytest.mark.parametrize(
    "script",
    [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.name in SLOW else []) for p in SCRIPTS],
)
def test_benchmark_smoke(script: Path, tmp_path: Path):
    env = dict(os.environ)
    env.setdefault("NLTK_DATA", str(ROOT.parent / "shared" / "nltk_data"))
    env.update({"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
                "R2P_BENCH_SMOKE": "1", "TMPDIR": str(tmp_path)})
    before = (_listing(ROOT), _listing(BENCH))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script), "--smoke"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)
    secs = time.perf_counter() - t0
    out = f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, f"{script.name} --smoke exited {proc.returncode} after {secs:.1f} s\n{out}"
    assert proc.stdout.strip(), f"{script.name} --smoke printed nothing\n{out}"
    assert (_listing(ROOT), _listing(BENCH)) == before, f"{script.name} --smoke wrote into the repository"
    print(f"{script.name} --smoke: {secs:.1f} s")


def test_smoke_environment_variable(monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_smoke_helper", BENCH / "_smoke.py")
    smoke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smoke)
    for value, on in (("1", True), ("yes", True), ("0", False), ("", False), ("false", False)):
        monkeypatch.setenv("R2P_BENCH_SMOKE", value)
        assert smoke.env_smoke() is on, value
    monkeypatch.delenv("R2P_BENCH_SMOKE")
    assert smoke.env_smoke() is False
    assert smoke.have("numpy") and not smoke.have("no_such_module_r2p")


def _bench_main():
    spec = importlib.util.spec_from_file_location("bench_main_helper", BENCH / "bench_main.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_finds_the_whole_ungdc_only_where_it_holds_early_sessions(tmp_path, monkeypatch):
    import tarfile

    bench = _bench_main()
    recent = tmp_path / "recent" / "TXT" / "Session 79 - 2024"
    recent.mkdir(parents=True)
    (recent / "FRA_79_2024.txt").write_text("text", encoding="utf-8")
    whole = tmp_path / "whole" / "TXT"
    for session, year in ((1, 1946), (79, 2024)):
        d = whole / f"Session {session:02d} - {year}"
        d.mkdir(parents=True)
        (d / f"USA_{session:02d}_{year}.txt").write_text("text", encoding="utf-8")
    assert bench._sessions(tmp_path / "recent") == {79}
    assert bench._sessions(tmp_path / "whole") == {1, 79}
    assert bench.whole_ungdc(str(tmp_path / "recent")) is None
    assert bench.whole_ungdc(str(tmp_path / "whole")) == tmp_path / "whole"
    # the release archive, in a folder (as `r2p corpus fetch` leaves it) or named directly
    fetched = tmp_path / "fetched"
    fetched.mkdir()
    with tarfile.open(fetched / "UNGDC_1946-2024.tgz", "w:gz") as tf:
        tf.add(whole, arcname="TXT")
    assert bench._sessions(fetched) == {1, 79}
    assert bench._sessions(fetched / "UNGDC_1946-2024.tgz") == {1, 79}
    monkeypatch.setenv("R2P_UNGDC_DIR", str(fetched))
    assert bench.whole_ungdc() == fetched
    monkeypatch.setenv("R2P_UNGDC_DIR", str(tmp_path / "absent"))
    assert bench.whole_ungdc() is None


def test_bench_growth_exponent_is_the_log_log_slope():
    bench = _bench_main()
    g = bench.growth({"units": 100_000, "wall": 200.0, "mib": 1400.0},
                     {"units": 400_000, "wall": 800.0, "mib": 2800.0})
    assert g["wall"] == pytest.approx(1.0)
    assert g["mib"] == pytest.approx(0.5)
