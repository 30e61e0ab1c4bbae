"""A run commits, or leaves the previous run intact (issue 27, point 2).

Regression tests of the rows of issue 27: a run killed after some stages left new
tables beside the old run.json; two runs into one OUT collided on fixed temporary
names; after kill -9 the loky workers, resource trackers, /dev/shm folders and
temporary figure files stayed; a full disk left run.json.tmp and a long traceback.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from analysis.errors import UsageError
from tests.faults import harness

KILL_AT_STAGE = textwrap.dedent("""
    import os, signal, sys
    import analysis.stages.{stage} as m
    m.run = lambda ctx, cfg: os.kill(os.getpid(), signal.SIGKILL)
    from analysis.cli import main
    sys.argv = ["r2p"] + sys.argv[1:]
    main()
""")


HOLD_AT_STAGE = textwrap.dedent("""
    import os, sys, time
    import analysis.stages.{stage} as m
    def hold(ctx, cfg):
        while not os.path.exists({release!r}):
            time.sleep(0.05)
    m.run = hold
    from analysis.cli import main
    sys.argv = ["r2p"] + sys.argv[1:]
    main()
""")


def _killed_at(stage: str, corpus: Path, out: Path, settings) -> int:
    """``r2p run`` (compare, then ``stage``) that kills itself with SIGKILL when ``stage`` starts."""
    args = harness.run_args(corpus, out, settings=settings, stages=["compare", stage])[3:]
    p = subprocess.run([sys.executable, "-c", KILL_AT_STAGE.format(stage=stage), *args], cwd=harness.ROOT,
                       env=harness.ENV, capture_output=True, text=True, timeout=600)
    return p.returncode


def test_a_run_killed_after_a_stage_leaves_the_previous_run_whole(fault_corpus, tmp_path):
    """n_boot=10 run finished; an n_boot=12 run killed when novelty starts (compare done); then rerun."""
    a = [*harness.SETTINGS]
    b = ["compare.n_boot=12", "compare.collocation_top=30"]
    out, cold_b = tmp_path / "out", tmp_path / "cold_b"
    harness.run(fault_corpus, out, settings=a)
    before = harness.published(out)
    record = harness.recorded_settings(out)
    assert _killed_at("novelty", fault_corpus, out, b) == -signal.SIGKILL
    assert harness.published(out) == before                     # nothing of the killed run is visible
    assert harness.recorded_settings(out) == record             # and run.json still describes the tables
    assert not [p for p in (out / "tables").iterdir() if p.name.endswith(".tmp")]
    harness.run(fault_corpus, out, settings=b)                  # the rerun continues from the cache
    harness.run(fault_corpus, cold_b, "--no-cache", settings=b)
    assert harness.published(out) == harness.published(cold_b)
    assert harness.recorded_settings(out)["compare"]["n_boot"] == 12
    assert harness.leftovers(out) == []                         # the killed run's staging folder is gone


def test_a_second_run_into_the_same_out_is_a_clear_error_naming_the_first(fault_corpus, cold, tmp_path):
    out, release = tmp_path / "out", tmp_path / "release"
    # the first run holds OUT in a stage (novelty) until the test releases it
    args = harness.run_args(fault_corpus, out, stages=["compare", "novelty"])[3:]
    first = subprocess.Popen([sys.executable, "-c", HOLD_AT_STAGE.format(stage="novelty", release=str(release)),
                              *args], cwd=harness.ROOT, env=harness.ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        lock = out / ".r2p.lock"
        assert harness.wait_until(lambda: lock.exists() and str(first.pid) in lock.read_text(), 120)
        second = harness.run(fault_corpus, out, check=False)
        assert second.returncode == 2, second.stderr
        msg = " ".join((second.stdout + second.stderr).split())
        assert f"process {first.pid}" in msg and "in use by another r2p run" in msg
        assert "Traceback" not in second.stderr
    finally:
        release.touch()
        assert first.wait(timeout=600) == 0, first.stderr.read()
    assert {k: v for k, v in harness.published(out).items() if k in cold} == cold  # the first run is whole
    assert harness.leftovers(out) == []


def test_a_shared_cache_is_locked_too(tmp_path):
    from analysis.run.publish import Busy, DirLock

    with DirLock(tmp_path / "cache", "cache"):
        with pytest.raises(Busy, match=rf"process {os.getpid()}"):
            DirLock(tmp_path / "cache", "cache").acquire()
        assert isinstance(Busy("x"), UsageError)               # exit 2 on the command line
    with DirLock(tmp_path / "cache", "cache"):                  # released: free again
        pass


def test_temporary_names_are_unique(tmp_path):
    from analysis.run.checked import unique_tmp

    names = {unique_tmp(tmp_path / "keyness.csv").name for _ in range(100)}
    assert len(names) == 100 and all(str(os.getpid()) in n for n in names)


WORKERS_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from analysis.stats.parallel import pmap, use_workers

    def slow(x):
        time.sleep(120)
        return float(x.sum())

    big = np.ones(400_000)      # 3.2 MB: reaches the workers as a memory map in a joblib temporary folder
    with use_workers(2):
        print(pmap(slow, [(big,), (big,), (big,), (big,)]))
""")


def _joblib_folders(pid: int) -> list[Path]:
    import tempfile

    roots = [Path("/dev/shm"), Path(tempfile.gettempdir())]
    return [p for r in roots if r.is_dir() for p in r.glob(f"joblib_memmapping_folder_{pid}_*")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_and_shared_memory_do_not_outlive_a_killed_parent(tmp_path):
    script = tmp_path / "workers.py"
    script.write_text(WORKERS_SCRIPT)
    p = subprocess.Popen([sys.executable, str(script)], cwd=harness.ROOT, env=harness.ENV,
                         start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sid = p.pid
    try:
        # parent, resource tracker and two workers, and the memory-mapping folder
        assert harness.wait_until(lambda: len(harness.session_processes(sid)) >= 4 and _joblib_folders(p.pid),
                                  120), (harness.session_processes(sid), p.poll())
        os.kill(p.pid, signal.SIGKILL)                          # the parent only, not its group
        p.wait()
        gone = harness.wait_until(lambda: harness.session_processes(sid) == [], 10)
        left = harness.session_processes(sid)
        assert gone, f"processes alive 10 s after their parent was killed: {left}"
        assert harness.wait_until(lambda: _joblib_folders(p.pid) == [], 10), _joblib_folders(p.pid)
    finally:
        for pid in harness.session_processes(sid):
            os.kill(pid, signal.SIGKILL)


def _no_space_to_csv(real):
    def to_csv(self, path_or_buf=None, *a, **k):
        if isinstance(path_or_buf, (str, os.PathLike)) and "tables" in str(path_or_buf):
            with open(path_or_buf, "w") as f:
                f.write("doc_id,half a ta")
            raise OSError(errno.ENOSPC, "No space left on device", str(path_or_buf))
        return real(self, path_or_buf, *a, **k)

    return to_csv


def test_a_full_disk_publishes_nothing_and_leaves_no_temporary_file(small_corpus, tmp_path, monkeypatch):
    import pandas as pd

    from analysis.run.publish import RunWriteError
    from analysis.run.runner import run_pipeline

    out = tmp_path / "out"
    run_pipeline(small_corpus, out, overrides={"compare": {"n_boot": 5}}, only=["compare"], verbose=False,
                 progress=False)
    before, record = harness.published(out), harness.recorded_settings(out)
    monkeypatch.setattr(pd.DataFrame, "to_csv", _no_space_to_csv(pd.DataFrame.to_csv))
    with pytest.raises(RunWriteError, match="No space left on device.*Nothing was published"):
        run_pipeline(small_corpus, out, overrides={"compare": {"n_boot": 6}}, only=["compare"], verbose=False,
                     progress=False)
    assert harness.published(out) == before and harness.recorded_settings(out) == record
    assert harness.leftovers(out) == []


def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tmpfs")
def test_a_really_full_disk_is_one_message_and_the_rerun_recovers(fault_corpus, tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "8m"):
        pytest.skip("cannot mount a small tmpfs here (not root); the monkeypatched ENOSPC test covers this")
    try:
        out = disk / "out"
        harness.run(fault_corpus, out)
        before, record = harness.published(out), harness.recorded_settings(out)
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        (disk / "filler").write_bytes(b"\0" * max(free - 20_000, 0))    # about 20 kB left
        b = ["compare.n_boot=12", "compare.collocation_top=30"]
        p = harness.run(fault_corpus, out, check=False, settings=b)
        assert p.returncode == 1, (p.stdout, p.stderr)
        msg = " ".join(p.stderr.split())
        assert "Traceback" not in msg and "No space left on device" in msg and "Nothing was published" in msg
        assert len(p.stderr.strip().splitlines()) <= 8, p.stderr
        assert harness.published(out) == before and harness.recorded_settings(out) == record
        assert harness.leftovers(out) == []
        (disk / "filler").unlink()
        harness.run(fault_corpus, out, settings=b)
        cold_b = tmp_path / "cold_b"
        harness.run(fault_corpus, cold_b, "--no-cache", settings=b)
        assert harness.published(out) == harness.published(cold_b)
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_full_disk_that_a_stage_swallows_still_publishes_nothing(small_corpus, tmp_path, monkeypatch):
    """The figures stage records a figure that fails and goes on; a full disk there must not commit."""
    import analysis.plots.save as save
    from analysis.run.publish import RunWriteError
    from analysis.run.runner import run_pipeline

    ov = {"compare": {"n_boot": 5}, "figures": {"formats": "svg"}}
    out = tmp_path / "out"
    run_pipeline(small_corpus, out, overrides=ov, only=["compare", "figures"], verbose=False, progress=False)
    before, record = harness.published(out), harness.recorded_settings(out)
    assert any(k.startswith("figures/") for k in before)

    def full(path, writer):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(save, "_atomic_write", full)
    ov["compare"]["n_boot"] = 6
    with pytest.raises(RunWriteError, match="No space left on device"):
        run_pipeline(small_corpus, out, overrides=ov, only=["compare", "figures"], verbose=False, progress=False)
    assert harness.published(out) == before and harness.recorded_settings(out) == record
    assert harness.leftovers(out) == []


def test_redraw_and_report_wait_for_no_run_they_refuse_a_locked_folder(tmp_path):
    """`r2p figures` and `r2p report` write into OUT: while a run holds OUT's lock they are
    refused with the holder named, never drawing from half-published tables."""
    import pytest

    from analysis.errors import UsageError
    from analysis.run.publish import DirLock
    from analysis.stages.figures import redraw
    from analysis.stages.report import report_from_folder

    (tmp_path / "tables").mkdir()
    with DirLock(tmp_path):
        for fn in (redraw, report_from_folder):
            with pytest.raises(UsageError, match="in use by another r2p run"):
                fn(tmp_path)
