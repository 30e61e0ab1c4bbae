"""The run on a real multi-process Dask cluster: the same tables as a serial run.

``tests/test_dask.py`` joins an in-process ``LocalCluster`` (worker threads in the
test's own process). Here the cluster is what a user starts by hand (docs/howto/cluster.md):
a ``dask scheduler`` process and two ``dask worker`` processes (each with its nanny) on
127.0.0.1, on ephemeral ports, started from the ``dask`` command of this environment.
The workers are separate interpreters: every task, its function and its arguments are
pickled to them, and they import ``analysis`` and read NLTK data themselves, so a task that
cannot be pickled, or that needs something only the client has (a module-level setting
changed in the client, a file, a global), shows up here and not in the ``LocalCluster`` test.
They get ``PYTHONPATH`` (this checkout), ``NLTK_DATA`` and ``PYTHONHASHSEED`` in their
environment and run in a folder of their own, not in the checkout.

The processes are started in their own process group and always ended at the fixture's
teardown (test passed or failed): SIGTERM, then SIGKILL after a grace period; the teardown
then asserts that no process of the cluster survives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.run.runner import run_pipeline
from tests.test_dask import FAST, _files

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # a dependency of distributed

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")
#: seconds for the scheduler to write its address and for the two workers to register
START_TIMEOUT = 60
#: seconds between SIGTERM and SIGKILL at teardown
GRACE = 10


def _cluster_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["NLTK_DATA"] = env.get("NLTK_DATA") or "/work/shared/nltk_data"
    env["PYTHONHASHSEED"] = "0"
    env.update(MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def _group(pgid: int) -> list[psutil.Process]:
    """The live (not zombie) processes of process group ``pgid``."""
    out = []
    for p in psutil.process_iter():
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue
    return out


def _end(procs: list[subprocess.Popen], known: set[int]) -> list[str]:
    """SIGTERM every process group, SIGKILL what is left after :data:`GRACE` s; the survivors."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in procs:
            try:
                os.killpg(p.pid, sig)  # each was started as the leader of its own group
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + (GRACE if sig == signal.SIGTERM else 5)
        while time.monotonic() < deadline:
            for p in procs:
                p.poll()
            if not any(_group(p.pid) for p in procs):
                break
            time.sleep(0.2)
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    left = {q.pid: q for p in procs for q in _group(p.pid)}
    for pid in known:  # a worker that left its group would still be found by its pid
        try:
            q = psutil.Process(pid)
            if q.status() != psutil.STATUS_ZOMBIE:
                left[pid] = q
        except psutil.NoSuchProcess:
            pass
    out = []
    for pid, q in left.items():
        try:
            out.append(f"{pid} {' '.join(q.cmdline())}")
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A ``dask scheduler`` and two single-threaded ``dask worker`` processes; yields the address."""
    if not DASK.exists():
        pytest.skip(f"no dask command next to {sys.executable}")
    base = tmp_path_factory.mktemp("dask-cluster")
    env, file = _cluster_env(), base / "scheduler.json"
    procs: list[subprocess.Popen] = []
    known: set[int] = set()

    def start(name, *args):
        with open(base / f"{name}.log", "wb") as log:  # the process keeps its own copy of the file
            procs.append(subprocess.Popen([str(DASK), *args], cwd=base, env=env, stdout=log,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True))

    def tail():
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-2000:] for p in sorted(base.glob("*.log")))

    try:
        # --idle-timeout / --death-timeout: should this process be killed before its teardown runs,
        # the scheduler ends after 10 idle minutes and the workers after losing it for a minute
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(file), "--idle-timeout", "600")
        deadline = time.monotonic() + START_TIMEOUT
        address = None
        while address is None:
            if procs[0].poll() is not None:
                pytest.fail(f"dask scheduler exited with {procs[0].returncode}\n{tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"dask scheduler did not write {file} within {START_TIMEOUT} s\n{tail()}")
            try:
                address = json.loads(file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        assert address.startswith("tcp://127.0.0.1:")
        for i in range(2):
            start(f"worker{i}", "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                  "--name", f"w{i}", "--local-directory", str(base / f"w{i}"), "--death-timeout", "60")
        with distributed.Client(address, timeout=30) as client:
            try:
                client.wait_for_workers(2, timeout=max(deadline - time.monotonic(), 1))
            except TimeoutError:
                dead = [p.args[1:3] for p in procs if p.poll() is not None]
                pytest.fail(f"the two dask workers did not register within {START_TIMEOUT} s (exited: {dead})\n{tail()}")
            pids = client.run(os.getpid)
        known |= set(pids.values())
        yield address, pids
    finally:
        survivors = _end(procs, known)
        assert survivors == [], f"processes of the test cluster survive its teardown: {survivors}"


@pytest.fixture(scope="module")
def tiny(inaugural):  # the corpus of tests/test_dask.py
    ids = [d for d in inaugural.doc_ids if int(d[:4]) >= 1989][:6]
    return inaugural.subset(ids)


def test_a_run_on_a_multi_process_cluster_writes_the_tables_of_a_serial_run(tiny, tmp_path, monkeypatch, cluster):
    from analysis.framing import frames, rates, sentiment
    from analysis.textstats import similarity

    address, pids = cluster
    assert len(pids) == 2 and os.getpid() not in pids.values()  # two worker processes, not this one
    # several tasks even on a tiny corpus: the chunks are cut in this process, so the patch holds
    monkeypatch.setattr(frames, "COUNT_CHUNK", 50)
    monkeypatch.setattr(sentiment, "SENTIMENT_CHUNK", 50)
    monkeypatch.setattr(rates, "RATES_CHUNK", 2)
    monkeypatch.setattr(similarity, "BOOT_CHUNK", 2)
    only = ["compare", "topics", "frames"]
    serial = run_pipeline(tiny, tmp_path / "serial", overrides=FAST, only=only, use_cache=False, verbose=False,
                          progress=False, workers=1)
    dask = run_pipeline(tiny, tmp_path / "dask", overrides=FAST, only=only, use_cache=False, verbose=False,
                        progress=False, scheduler=address)
    assert serial.errors == [] and dask.errors == []
    a, b = _files(tmp_path / "serial"), _files(tmp_path / "dask")
    assert a.keys() == b.keys() and "topic_selection.csv" in a and "frames_units.csv" in a
    assert [n for n in a if a[n] != b[n]] == []
    record = json.loads((tmp_path / "dask" / "run.json").read_text())
    assert record["scheduler"] == address
    with distributed.Client(address, timeout=30) as client:  # the tasks did run on both worker processes
        done = client.run(lambda dask_worker: dask_worker.state.transition_counter)
    assert len(done) == 2 and all(n > 0 for n in done.values()), done
