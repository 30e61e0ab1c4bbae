"""Steps: the units of work of a run, each declaring what it reads and what it writes.

A stage (a module of :mod:`analysis.stages`) is a list of named steps, ``STEPS``.
Each :class:`Step` names a module-level function ``fn(ctx, cfg)`` (``cfg`` is the
stage's declared settings), the tables and artifacts it reads and the ones it
writes, and a rough cost. The runner (:mod:`analysis.run.graph`) derives the graph
from these declarations alone: a step that reads ``table:keyness`` runs after the
step that writes ``keyness``; an artifact (an in-memory result handed from one step
to another, such as a fitted model) is written with ``ctx.put(name, value)`` and
read with ``ctx.get(name)``, and is declared the same way (``artifact:NAME``).
Ready steps run side by side, the one with the longest remaining path first, so
independent work (the Gibbs chain, the frames counts, the comparisons) shares the
machine instead of waiting in a line. Stage modules hold no scheduling code.

The model is kedro's nodes (a function with named inputs and outputs; the pipeline is
derived from the names) and R's ``targets`` (a target runs when what it depends on is
done; its result is checked and cached). Cache keys do not change with the step
structure: every cached computation inside a step is a ``ctx.call`` keyed by the
stage's name and ``VERSION``, the function and its arguments
(:mod:`analysis.run.context`).

A stage module without ``STEPS`` is one step, ``NAME``, running ``run(ctx, cfg)``,
which reads its ``CONSUMES`` and writes its ``PRODUCES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Callable

__all__ = ["Step", "stage_steps", "TABLE", "ARTIFACT"]

#: prefix of a table in ``reads`` (a table name alone in ``writes`` is a table too)
TABLE = "table:"
#: prefix of an artifact in ``reads`` and ``writes``
ARTIFACT = "artifact:"


@dataclass(frozen=True)
class Step:
    """One named step of a stage.

    Parameters
    ----------
    name : str
        Unique in the run: ``"STAGE"`` or ``"STAGE.PART"`` (``"topics.fit_lda"``).
    fn : callable
        A module-level function ``fn(ctx, cfg) -> None``; it writes its tables with
        ``ctx.write_table`` and its artifacts with ``ctx.put``.
    reads : tuple of str
        ``"table:NAME"`` (a table of this run, or of an earlier run in ``OUT`` with the
        same corpus, anchor, seed and text settings) and ``"artifact:NAME"``.
    writes : tuple of str
        Table names and ``"artifact:NAME"``. Writing anything else is an error.
    cost : float
        A rough estimate of the step's CPU seconds on a large corpus (UNGDC sessions
        60-79); only the order of ready steps depends on it (longest remaining path
        first), never a result.
    """

    name: str
    fn: Callable
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    cost: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "reads", tuple(self.reads))
        object.__setattr__(self, "writes", tuple(self.writes))
        for r in self.reads:
            if not r.startswith((TABLE, ARTIFACT)):
                raise ValueError(f"step {self.name!r} reads {r!r}: write 'table:NAME' or 'artifact:NAME'")
        for w in self.writes:
            if w.startswith(TABLE):
                raise ValueError(f"step {self.name!r} writes {w!r}: name a table without the 'table:' prefix")

    @property
    def stage(self) -> str:
        """The stage the step belongs to (its name up to the first dot)."""
        return self.name.split(".", 1)[0]

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables the step writes."""
        return tuple(w for w in self.writes if not w.startswith(ARTIFACT))

    @property
    def artifacts(self) -> tuple[str, ...]:
        """The artifacts the step writes (without the prefix)."""
        return tuple(w[len(ARTIFACT):] for w in self.writes if w.startswith(ARTIFACT))

    def reads_tables(self) -> tuple[str, ...]:
        return tuple(r[len(TABLE):] for r in self.reads if r.startswith(TABLE))

    def reads_artifacts(self) -> tuple[str, ...]:
        return tuple(r[len(ARTIFACT):] for r in self.reads if r.startswith(ARTIFACT))


def stage_steps(mod: ModuleType) -> tuple[Step, ...]:
    """The steps of stage module ``mod``: its ``STEPS``, or one step running ``run``.

    Checks that the steps' names start with the stage's ``NAME``, that their tables
    are the stage's ``PRODUCES`` (every declared table written by exactly one step),
    and that no two steps write the same artifact.
    """
    name = mod.NAME
    steps = getattr(mod, "STEPS", None)
    if steps is None:
        return (Step(name, mod.run, reads=tuple(getattr(mod, "CONSUMES", ())), writes=tuple(mod.PRODUCES)),)
    steps = tuple(steps)
    seen: dict[str, str] = {}
    for s in steps:
        if s.stage != name:
            raise ValueError(f"stage {name!r} declares step {s.name!r}: a step's name starts with its stage's name")
        for w in s.writes:
            if w in seen:
                raise ValueError(f"stage {name!r}: {w!r} is written by both {seen[w]!r} and {s.name!r}")
            seen[w] = s.name
    produced = {t for s in steps for t in s.tables}
    declared = set(mod.PRODUCES)
    if produced != declared:
        raise ValueError(f"stage {name!r}: its steps write {sorted(produced - declared)} that PRODUCES does not "
                         f"declare, and PRODUCES declares {sorted(declared - produced)} that no step writes")
    return steps
