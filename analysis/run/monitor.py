"""What a run shows and measures beside its facts: the progress display, the log and the profile.

:class:`Monitor` is the run's display (a rich progress bar, or none), whether messages
are printed, and the profile rows every ``ctx.call`` adds (stage, function, seconds,
computed or cached, peak memory). None of it enters a result or a cache key; the
run's facts (the anchor, units, tokens, matrices) are in :class:`analysis.run.context.RunContext`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Monitor", "profile_summary", "progress_display"]


@dataclass
class Monitor:
    """The run's display and profile.

    Attributes
    ----------
    verbose : bool
        Print each logged message to standard error.
    bar : object
        The progress display (:func:`progress_display`; ``bar.tasks(description, total)``
        for the tasks of one ``call_many``), or None outside the steps.
    profile : list
        ``(stage, function, seconds, computed, peak MiB)`` of every ``call`` and ``call_many`` batch.
    """

    verbose: bool = True
    bar: Any = None
    profile: list[tuple[str, str, float, bool, float | None]] = field(default_factory=list, repr=False)


def profile_summary(rows, timings: dict[str, float], top: int = 15) -> dict[str, list[dict[str, Any]]]:
    """``ctx.monitor.profile`` summed per stage and function: calls, calls computed (not cached), seconds, peak.

    ``peak_mib`` is the largest resident memory of this process sampled during any of
    the calls (the workers' memory is not in it).

    The rest of a stage's time (its own code: writing tables, drawing) is the row
    ``(stage code)``. A ``call_many`` batch is one row (``fn xN``): its tasks ran side by side.
    """
    out: dict[str, dict[str, list[float]]] = {}
    for stage, name, sec, computed, peak in rows:
        acc = out.setdefault(stage, {}).setdefault(name, [0, 0, 0.0, None])
        acc[0] += 1
        acc[1] += int(computed)
        acc[2] += sec
        if peak is not None:
            acc[3] = peak if acc[3] is None else max(acc[3], peak)
    result = {}
    for stage, calls in out.items():
        items = sorted(calls.items(), key=lambda kv: -kv[1][2])
        rest = timings.get(stage)
        listed = [{"call": n, "n": int(a[0]), "computed": int(a[1]), "seconds": round(a[2], 3),
                   "peak_mib": a[3]} for n, a in items[:top]]
        if rest is not None:
            listed.append({"call": "(stage code)", "n": 1, "computed": 1,
                           "seconds": round(max(rest - sum(a[2] for a in calls.values()), 0.0), 3),
                           "peak_mib": None})
        result[stage] = listed
    return result


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def describe(self, name):
        pass

    def advance(self):
        pass

    def tasks(self, description: str, total: int):
        """A bar for the ``total`` tasks of one ``ctx.call_many`` (advance once per task; close at the end)."""
        return _NoTasks()


class _NoTasks:
    def advance(self, n: int = 1):
        pass

    def close(self):
        pass


class _RichTasks(_NoTasks):
    def __init__(self, progress, description: str, total: int):
        self.progress = progress
        self.task = progress.add_task(description, total=total)

    def advance(self, n: int = 1):
        self.progress.advance(self.task, n)

    def close(self):
        self.progress.remove_task(self.task)


class _RichBar(_NoBar):
    def __init__(self, total: int):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        # one row for the stages, one more while a stage's cached tasks run (the K scan's
        # fits), with the time remaining estimated from the tasks done so far
        self.progress = Progress(
            TextColumn("[bold]r2p run[/] {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), transient=False,
        )
        self.total = total

    def __enter__(self):
        self.progress.__enter__()
        self.task = self.progress.add_task("", total=self.total)
        return self

    def __exit__(self, *a):
        return self.progress.__exit__(*a)

    def describe(self, name):
        self.progress.update(self.task, description=name)

    def advance(self):
        self.progress.advance(self.task)

    def tasks(self, description: str, total: int):
        return _RichTasks(self.progress, f"  {description}", total)


def progress_display(enabled: bool, total: int):
    return _RichBar(total) if enabled else _NoBar()
