"""The execution layer on a Dask cluster (``--scheduler``): the same tables as a serial run.

A ``LocalCluster`` of two workers is started in this process on 127.0.0.1 (threads,
not processes, so the test stays fast and the chunk sizes patched below reach the
workers); the run joins it by its ``tcp://`` address, as it would join a cluster
started by ``dask-jobqueue``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from analysis.errors import UsageError
from analysis.run.runner import run_pipeline
from analysis.stats.parallel import (
    SchedulerError,
    parse_scheduler,
    pmap,
    scheduler,
    slots,
    use_scheduler,
    use_workers,
)

distributed = pytest.importorskip("distributed")

FAST = {"compare": {"n_boot": 20, "collocation_top": 50},
        "topics": {"k_min": 2, "k_max": 4, "k_step": 2, "n_runs": 2, "n_boot": 20, "auto_lda_max_units": 100000},
        "frames": {"n_boot": 30, "changepoint_min_size": 2}}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def tiny(inaugural):
    ids = [d for d in inaugural.doc_ids if int(d[:4]) >= 1989][:6]
    return inaugural.subset(ids)


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "tables").glob("*.csv"))}


def _sum_plus(x, y):
    return float(np.asarray(x).sum()) + y


def _nested(n):
    return pmap(_sum_plus, [([i], 1) for i in range(n)])  # inside a task: serial, in that worker


def test_parse_scheduler_accepts_local_and_addresses_only():
    assert parse_scheduler(None) is None and parse_scheduler("none") is None
    assert parse_scheduler("local:3") == ("local", 3) and parse_scheduler("local") == ("local", 2)
    assert parse_scheduler("tcp://10.0.0.5:8786") == ("address", None)
    for bad in ("local:0", "10.0.0.5:8786", "slurm"):
        with pytest.raises(ValueError, match="local:N"):
            parse_scheduler(bad)
    with pytest.raises(UsageError, match="run.scheduler"):
        run_pipeline("sotu", "unused", scheduler="slurm", verbose=False)


def test_pmap_on_the_cluster_keeps_task_order_and_shares_arguments(cluster):
    shared = np.ones(1000)                               # one object in every task: sent once
    with use_scheduler(cluster.scheduler_address) as client:
        assert scheduler() == cluster.scheduler_address
        assert pmap(_sum_plus, [(shared, i) for i in range(6)], order=[5, 4, 3, 2, 1, 0]) == \
            [1000.0 + i for i in range(6)]
        assert pmap(_nested, [(3,), (2,)]) == [[1.0, 2.0, 3.0], [1.0, 2.0]]
        assert len(client.has_what()) == 2
        assert slots() == 2                              # the cluster's threads, whatever --workers says
    assert scheduler() is None
    with use_workers(3):
        assert slots() == 3
    assert slots() == 1


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch):
    from analysis.stats import parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 1)
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler"):
        with use_scheduler("tcp://127.0.0.1:9"):
            pass
    import typer

    from analysis.cli.options import cli_errors

    with pytest.raises(typer.Exit) as e:  # r2p run exits 1 with the message
        with cli_errors():
            raise SchedulerError("cannot reach the Dask scheduler tcp://127.0.0.1:9")
    assert e.value.exit_code == 1


def test_a_run_on_the_cluster_writes_the_tables_of_a_serial_run(tiny, tmp_path, monkeypatch, cluster):
    from analysis.framing import frames, rates, sentiment
    from analysis.textstats import similarity

    monkeypatch.setattr(frames, "COUNT_CHUNK", 50)      # several tasks even on a tiny corpus
    monkeypatch.setattr(sentiment, "SENTIMENT_CHUNK", 50)
    monkeypatch.setattr(rates, "RATES_CHUNK", 2)
    monkeypatch.setattr(similarity, "BOOT_CHUNK", 2)
    only = ["compare", "topics", "frames"]
    serial = run_pipeline(tiny, tmp_path / "serial", overrides=FAST, only=only, use_cache=False,
                          verbose=False, progress=False)
    dask = run_pipeline(tiny, tmp_path / "dask", overrides=FAST, only=only, use_cache=False, verbose=False,
                        progress=False, scheduler=cluster.scheduler_address)
    assert serial.errors == [] and dask.errors == []
    a, b = _files(tmp_path / "serial"), _files(tmp_path / "dask")
    assert a.keys() == b.keys() and "topic_selection.csv" in a and "frames_units.csv" in a
    assert [n for n in a if a[n] != b[n]] == []
    record = json.loads((tmp_path / "dask" / "run.json").read_text())
    assert record["scheduler"] == cluster.scheduler_address and record["run_settings"]["scheduler"]


def test_cli_takes_scheduler_and_refuses_a_bad_one(tmp_path):
    from analysis.cli import app

    res = CliRunner().invoke(app, ["run", "--corpus", "sotu", "--out", str(tmp_path), "--scheduler", "slurm"])
    assert res.exit_code == 2 and "local:N" in res.output
    assert "--scheduler" in CliRunner().invoke(app, ["run", "--help"]).output
