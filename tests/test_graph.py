"""Steps declare what they read and write; the runner derives the graph and schedules it.

Hand-worked graphs check the derivation (edges, cycles, the longest-path-first order);
threads that can only finish together check that ready steps really run side by side;
a real run checks the stages' declarations, the step records in ``run.json`` and that
the tables do not depend on the number of slots.
"""

from __future__ import annotations

import ast
import json
import threading
from pathlib import Path

import pytest

from analysis.run.graph import Graph, execute
from analysis.run.registry import OPTIONAL_STAGES, STAGE_NAMES, stage_module
from analysis.run.steps import Step, stage_steps

ROOT = Path(__file__).resolve().parent.parent


def _noop(ctx, cfg):
    pass


def _s(name, reads=(), writes=(), cost=1.0):
    return Step(name, _noop, reads=reads, writes=writes, cost=cost)


def test_edges_come_from_reads_and_writes():
    g = Graph([
        _s("a", writes=("t1", "artifact:m")),
        _s("b", reads=("artifact:m",), writes=("t2",)),
        _s("c", reads=("table:t1", "table:t2", "table:elsewhere"), writes=("t3",)),
    ])
    assert g.deps == {"a": (), "b": ("a",), "c": ("a", "b")}
    assert g.edges() == [["a", "b"], ["a", "c"], ["b", "c"]]
    assert g.order() == ["a", "b", "c"]


def test_longest_remaining_path_first():
    # x (1) -> y (10) is the long chain; z (5) alone: x starts first although z costs more
    g = Graph([_s("z", writes=("tz",), cost=5), _s("x", writes=("tx",), cost=1),
               _s("y", reads=("table:tx",), writes=("ty",), cost=10)])
    assert g.rank == {"z": 5.0, "x": 11.0, "y": 10.0}
    assert g.order() == ["x", "y", "z"]
    assert g.critical_path() == ["x", "y"]


@pytest.mark.parametrize("steps,message", [
    ([_s("a", reads=("table:tb",), writes=("ta",)), _s("b", reads=("table:ta",), writes=("tb",))], "cycle"),
    ([_s("a", writes=("t",)), _s("b", writes=("t",))], "written by both"),
    ([_s("a", reads=("artifact:nobody",))], "no step of this run writes"),
    ([_s("a"), _s("a")], "two steps"),
])
def test_bad_graphs_are_refused(steps, message):
    with pytest.raises(ValueError, match=message):
        Graph(steps)


def test_step_declarations_are_checked():
    with pytest.raises(ValueError, match="table:NAME"):
        Step("a", _noop, reads=("t",))
    with pytest.raises(ValueError, match="without the 'table:' prefix"):
        Step("a", _noop, writes=("table:t",))


def test_ready_steps_run_side_by_side():
    """Two independent steps that each wait for the other: they finish only when run together."""
    barrier = threading.Barrier(2, timeout=20)
    done = []

    def meet(step):
        if step.name in ("a", "b"):
            barrier.wait()
        done.append(step.name)

    g = Graph([_s("a", writes=("ta",)), _s("b", writes=("tb",)), _s("c", reads=("table:ta", "table:tb"))])
    execute(g, meet, slots=2)
    assert sorted(done[:2]) == ["a", "b"] and done[2] == "c"
    with pytest.raises(threading.BrokenBarrierError):  # one slot: the same steps cannot meet
        barrier.reset()
        execute(Graph([_s("a", writes=("ta",)), _s("b", writes=("tb",))]), meet, slots=1)


def test_a_raised_exception_stops_the_graph():
    ran = []

    def fail(step):
        ran.append(step.name)
        if step.name == "a":
            raise OSError("disk full")

    g = Graph([_s("a", writes=("ta",), cost=10), _s("b", reads=("table:ta",)), _s("c", writes=("tc",))])
    with pytest.raises(OSError, match="disk full"):
        execute(g, fail, slots=2)
    assert "b" not in ran


@pytest.mark.parametrize("name", [*STAGE_NAMES, *OPTIONAL_STAGES])
def test_every_stage_declares_steps_that_write_its_tables(name):
    mod = stage_module(name)
    steps = stage_steps(mod)
    assert {t for s in steps for t in s.tables} == set(mod.PRODUCES)
    Graph(steps)  # within a stage: no cycle, every artifact written


def test_the_default_run_is_one_graph():
    g = Graph([s for n in STAGE_NAMES for s in stage_steps(stage_module(n))])
    # novelty reads the reported model's document topics, not the Gibbs companion: it need not wait for the chain
    assert g.deps["novelty"] == ("topics.fit",)
    assert "topics.fit_others" not in g.deps["topics.fit"]
    assert set(g.deps["figures"]) >= {"compare", "frames", "novelty", "topics.fit", "figures.early"}
    # the figures that read no topic table are drawn while the topic models are fitted
    assert set(g.deps["figures.early"]) == {"corpus", "compare", "frames"}


def test_stage_modules_hold_no_scheduling_code():
    banned = ("analysis.stats.parallel", "joblib", "concurrent", "threading", "multiprocessing", "dask",
              "distributed", "loky")
    for path in sorted((ROOT / "analysis" / "stages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for n in names:
                assert not n.startswith(banned), f"{path.name} imports {n}: scheduling belongs to analysis.run"


def test_run_records_steps_and_tables_do_not_depend_on_slots(tmp_path, monkeypatch):
    from analysis.corpus import load_corpus
    from analysis.run.runner import run_pipeline

    corpus = load_corpus("inaugural")
    small = corpus.subset(corpus.docvars["year"] >= 1985)
    sets = {"topics": {"k": 3, "n_runs": 1, "n_boot": 0, "models": ("nmf", "lda")}, "compare": {"n_boot": 0},
            "frames": {"n_boot": 0}}
    outs = {}
    for w in (1, 2):
        out = tmp_path / f"w{w}"
        run_pipeline(small, out=out, overrides=sets, only=["topics", "novelty", "compare"], workers=w,
                     use_cache=False, verbose=False, progress=False)
        outs[w] = out
    files = sorted(p.name for p in (outs[1] / "tables").iterdir())
    assert files == sorted(p.name for p in (outs[2] / "tables").iterdir())
    for f in files:
        assert (outs[1] / "tables" / f).read_bytes() == (outs[2] / "tables" / f).read_bytes(), f
    rec = json.loads((outs[2] / "run.json").read_text())
    steps = {s["step"]: s for s in rec["steps"]}
    assert {"topics.select", "topics.fit", "topics.fit_others", "topics.effects", "novelty"} <= set(steps)
    assert all(s["status"] == "done" for s in steps.values())
    assert steps["novelty"]["start"] >= steps["topics.fit"]["end"]
    assert ["topics.fit", "novelty"] in rec["graph"]["edges"]
    # the messages are recorded in the graph's order, whatever finished first (a warning shown once per
    # process, such as NLTK training Punkt, appears only in the first run of this process)
    rec1 = json.loads((outs[1] / "run.json").read_text())
    plain = [[m for m in r["messages"] if "Warning:" not in m] for r in (rec1, rec)]
    assert plain[0] == plain[1]


def test_a_failed_step_skips_the_steps_that_need_its_artifact(tmp_path, monkeypatch):
    from analysis.corpus import load_corpus
    from analysis.run.runner import run_pipeline

    corpus = load_corpus("inaugural")
    small = corpus.subset(corpus.docvars["year"] >= 2001)
    ctx = run_pipeline(small, out=tmp_path / "o", overrides={"topics": {"k": 500}}, only=["topics"],
                       use_cache=False, verbose=False, progress=False)
    rec = json.loads((tmp_path / "o" / "run.json").read_text())
    status = {s["step"]: s["status"] for s in rec["steps"]}
    assert status["topics.select"] == "failed"
    assert status["topics.fit"] == "skipped" and status["topics.effects"] == "skipped"
    assert [e["step"] for e in ctx.errors] == ["topics.select"]
    assert "exceeds" in ctx.errors[0]["error"]
