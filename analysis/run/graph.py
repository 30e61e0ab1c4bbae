"""The run's graph of steps, derived from their declarations, and the scheduler that runs it.

:class:`Graph` links each step (:class:`analysis.run.steps.Step`) to the steps that
write what it reads: a table (``table:NAME``) or an artifact (``artifact:NAME``).
A table that no selected step writes is read from an earlier run in ``OUT`` (or is
missing, which the step handles); an artifact must be written by a selected step.
:func:`execute` runs the graph: one step at a time in :meth:`Graph.order` with one
slot, or up to ``slots`` steps side by side, each ready step started as soon as a
slot is free, the one with the longest remaining path (by the steps' declared
costs) first, the critical-path rule of list scheduling (Graham 1969; Kwok & Ahmad
1999, "Static scheduling algorithms for allocating directed task graphs to
multiprocessors", ACM Computing Surveys 31(4)).

Steps run on threads of the run's process: their expensive calls either release the
interpreter lock (NumPy/SciPy kernels) or are sent to the run's worker processes or
Dask cluster by ``ctx.call_many`` (:mod:`analysis.stats.parallel`). A call that holds
the lock while it computes (tomotopy's Gibbs sampler) is sent there even alone
(``isolate=True``); on a thread it would stop every other step.
Results do not depend on the schedule: every computation is a function of its
arguments, each table is written by one step, and the run's messages are recorded in
the graph's order, so the tables are byte-identical for any number of slots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from analysis.run.steps import ARTIFACT, TABLE, Step

__all__ = ["Graph", "execute"]


class Graph:
    """The steps of a run and their dependencies (from ``reads`` and ``writes`` alone).

    Raises
    ------
    ValueError
        Two steps write the same table or artifact, a step reads an artifact no
        step writes, or the dependencies form a cycle (the message names it).
    """

    def __init__(self, steps: Sequence[Step]):
        self.steps: dict[str, Step] = {}
        for s in steps:
            if s.name in self.steps:
                raise ValueError(f"two steps are named {s.name!r}")
            self.steps[s.name] = s
        writer: dict[str, str] = {}
        for s in self.steps.values():
            for w in s.writes:
                key = w if w.startswith(ARTIFACT) else TABLE + w
                if key in writer:
                    raise ValueError(f"{w!r} is written by both {writer[key]!r} and {s.name!r}")
                writer[key] = s.name
        self.deps: dict[str, tuple[str, ...]] = {}
        for s in self.steps.values():
            deps = []
            for r in s.reads:
                w = writer.get(r)
                if w is None and r.startswith(ARTIFACT):
                    raise ValueError(f"step {s.name!r} reads {r!r}, which no step of this run writes")
                if w is not None and w != s.name and w not in deps:
                    deps.append(w)
            self.deps[s.name] = tuple(deps)
        self.dependents: dict[str, tuple[str, ...]] = {n: tuple(m for m in self.steps if n in self.deps[m])
                                                        for n in self.steps}
        self._index = {n: i for i, n in enumerate(self.steps)}
        self.rank = self._ranks()

    def _ranks(self) -> dict[str, float]:
        """Each step's longest remaining path: its cost plus the largest rank of a dependent."""
        rank: dict[str, float] = {}
        state: dict[str, int] = {}

        def visit(n: str, path: tuple[str, ...]) -> float:
            if state.get(n) == 1:
                cycle = path[path.index(n):] + (n,)
                raise ValueError(f"the steps' reads and writes form a cycle: {' -> '.join(reversed(cycle))}")
            if n not in rank:
                state[n] = 1
                rest = [visit(m, (*path, n)) for m in self.dependents[n]]
                rank[n] = float(self.steps[n].cost) + max(rest, default=0.0)
                state[n] = 2
            return rank[n]

        for n in self.steps:
            visit(n, ())
        return rank

    def _priority(self, name: str) -> tuple[float, int]:
        return (-self.rank[name], self._index[name])

    def order(self) -> list[str]:
        """The serial order: every step after its dependencies, the longest remaining path first."""
        waiting = {n: len(d) for n, d in self.deps.items()}
        ready = [n for n, k in waiting.items() if k == 0]
        out: list[str] = []
        while ready:
            ready.sort(key=self._priority)
            n = ready.pop(0)
            out.append(n)
            for m in self.dependents[n]:
                waiting[m] -= 1
                if waiting[m] == 0:
                    ready.append(m)
        return out

    def edges(self) -> list[list[str]]:
        """``[upstream, downstream]`` for every dependency, in the graph's order (for ``run.json``)."""
        pos = {n: i for i, n in enumerate(self.order())}
        return sorted(([d, n] for n in self.steps for d in self.deps[n]), key=lambda e: (pos[e[1]], pos[e[0]]))

    def critical_path(self) -> list[str]:
        """The chain of steps with the largest summed cost (what bounds the run's wall time)."""
        if not self.steps:
            return []
        roots = [n for n in self.steps if not self.deps[n]]
        n = min(roots, key=self._priority)
        path = [n]
        while self.dependents[n]:
            n = min(self.dependents[n], key=self._priority)
            path.append(n)
        return path


def execute(graph: Graph, run_step: Callable[[Step], None], slots: int = 1) -> None:
    """Run every step of ``graph`` with ``run_step``, at most ``slots`` at a time.

    With one slot the steps run in :meth:`Graph.order` on the calling thread. With
    more, each step runs on a thread of its own as soon as its dependencies are done
    and a slot is free (the ready step with the longest remaining path first).
    ``run_step`` records a step's ordinary failure itself; an exception it raises (a
    full disk) stops the run: no new step starts, the running ones are waited for,
    and the first exception is raised.
    """
    if slots <= 1:
        for name in graph.order():
            run_step(graph.steps[name])
        return
    waiting = {n: len(d) for n, d in graph.deps.items()}
    ready = [n for n, k in waiting.items() if k == 0]
    running: dict[Future, str] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="r2p-step") as pool:
        while (ready and failure is None) or running:
            while ready and failure is None and len(running) < slots:
                ready.sort(key=graph._priority)
                n = ready.pop(0)
                running[pool.submit(run_step, graph.steps[n])] = n
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for f in sorted(done, key=lambda f: graph._index[running[f]]):
                n = running.pop(f)
                exc = f.exception()
                if exc is not None:
                    failure = failure or exc
                    continue
                for m in graph.dependents[n]:
                    waiting[m] -= 1
                    if waiting[m] == 0:
                        ready.append(m)
    if failure is not None:
        raise failure
