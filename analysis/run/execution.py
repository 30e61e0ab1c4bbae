"""Running a run's steps: each with its own view of the run, its failures recorded, its use measured.

:func:`run_steps` hands :func:`analysis.run.graph.execute` a function that runs one
step (:class:`analysis.run.steps.Step`) with a :class:`~analysis.run.context.StepContext`,
records a failure in ``ctx.errors`` (the steps after it still run; a step whose
artifact is missing is skipped), turns the step's warnings into its messages, and
measures its wall and thread CPU time and the process's peak memory meanwhile.
"""

from __future__ import annotations

import threading
import time
import traceback
import warnings
from typing import Any

import numpy as np

from analysis.run.context import RunContext, StageInfo
from analysis.run.graph import Graph, execute
from analysis.run.memory import RssSampler, release_free_memory
from analysis.run.publish import is_write_failure
from analysis.run.registry import stage_module
from analysis.run.steps import Step

__all__ = ["run_steps"]


def run_steps(ctx: RunContext, graph: Graph, cfgs: dict[str, Any], bar, n_slots: int) -> list[dict[str, Any]]:
    """Run the graph's steps (:func:`analysis.run.graph.execute`) and return one record per step.

    A step that fails is recorded in ``ctx.errors`` and the steps after it still run
    (a missing table is theirs to handle); a full disk or a read-only folder stops the
    run. Warnings raised in a step become that step's messages. The steps' messages are
    added to the run's in the graph's order, so ``run.json`` is the same for any number
    of slots.
    """
    t_run = time.perf_counter()
    records: dict[str, dict[str, Any]] = {}
    current = threading.local()
    shown = warnings.showwarning
    infos = {}
    for step in graph.steps.values():
        mod = stage_module(step.stage)
        infos[step.name] = StageInfo(step.stage, str(mod.VERSION), step.writes, step.reads, step.name)

    def show(message, category, filename, lineno, file=None, line=None):
        view = getattr(current, "view", None)
        if view is None:
            return shown(message, category, filename, lineno, file, line)
        if issubclass(category, DeprecationWarning) and "analysis" not in str(filename):
            return None
        msg = f"{view.stage.name}: {category.__name__}: {message}"
        if msg not in view.messages:
            view.log(msg)
        return None

    def run_step(step: Step) -> None:
        view = ctx.for_step(infos[step.name])
        current.view = view
        bar.describe(step.name)
        start = time.perf_counter()
        cpu = time.thread_time()
        view.memory = RssSampler()
        status = "done"
        missing = [a for a in step.reads_artifacts() if a not in ctx.artifacts]
        try:
            if missing:  # the step that writes it failed: this one cannot run (its tables are not written)
                status = "skipped"
                view.log(f"step {step.name!r} skipped: artifact {', '.join(missing)} is missing (an earlier step failed)")
            else:
                step.fn(view, cfgs[step.stage])
        except Exception as e:  # a failed step is recorded; the steps after it go on
            if is_write_failure(e):  # a full disk or a read-only folder: nothing is published
                raise
            status = "failed"
            ctx.errors.append({"stage": step.stage, "step": step.name, "error": f"{type(e).__name__}: {e}",
                               "traceback": traceback.format_exc()})
            view.log(f"step {step.name!r} failed: {type(e).__name__}: {e}")
        finally:
            current.view = None
            release_free_memory(collect=True)  # the step's garbage, before the next peak
            end = time.perf_counter()
            records[step.name] = {
                "step": step.name, "stage": step.stage, "status": status,
                "reads": list(step.reads), "writes": list(step.writes),
                "start": round(start - t_run, 3), "end": round(end - t_run, 3),
                "seconds": round(end - start, 3), "cpu_s": round(time.thread_time() - cpu, 3),
                "peak_mib": view.memory.stop(), "messages": view.messages}
            bar.advance()

    rng_state = np.random.get_state()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        try:
            execute(graph, run_step, n_slots)
        finally:
            np.random.set_state(rng_state)
            order = [n for n in graph.order() if n in records]
            ctx.errors.sort(key=lambda e: order.index(e["step"]) if e.get("step") in order else -1)
            for n in order:
                ctx.messages.extend(records[n]["messages"])
    return [records[n] for n in graph.order() if n in records]
