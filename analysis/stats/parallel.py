"""The one execution layer: independent tasks on worker processes, results in task order.

A run sets the number of workers once (``r2p run --workers N``, the ``run.workers``
setting) with :func:`use_workers`; methods that have independent pieces of work (the
fits of the K scan, the bootstrap of each group, dictionary counts over chunks of
units) hand them to :func:`pmap`. With one worker the tasks run in this process, in
order; with more they run on a ``joblib`` pool of ``loky`` worker processes, each
limited to the run's BLAS threads (one by default).

Results are identical for any number of workers because no task depends on
another, on its worker or on the order tasks finish: each task is seeded by its
own key (:func:`analysis.stats.bootstrap.group_rng`, a fit's own seed) and the
results come back in task order. The number of workers is therefore not part of
any cache key.

References
----------
Varoquaux, G. et al. joblib: running Python functions as pipeline jobs
(https://joblib.readthedocs.io), the ``loky`` backend (robust process pools).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["use_workers", "n_workers", "pmap", "chunks"]

_STATE = {"workers": 1, "threads": 1}


@contextmanager
def use_workers(workers: int | None = 1, threads: int = 1):
    """Within the block, :func:`pmap` uses ``workers`` processes with ``threads`` BLAS threads each."""
    workers = int(workers or 1)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    saved = dict(_STATE)
    _STATE.update(workers=workers, threads=max(int(threads or 1), 1))
    try:
        yield workers
    finally:
        _STATE.update(saved)


def n_workers() -> int:
    """The number of workers :func:`pmap` uses here (1 inside a worker process)."""
    return _STATE["workers"]


def pmap(fn: Callable[..., Any], tasks: Iterable[Sequence[Any]], *, workers: int | None = None,
         order: Sequence[int] | None = None) -> list[Any]:
    """``[fn(*task) for task in tasks]``, on worker processes when more than one is set.

    Parameters
    ----------
    fn : a module-level function (it is pickled to the workers).
    tasks : the positional arguments of each call.
    workers : overrides :func:`n_workers`.
    order : the order in which tasks are submitted (for example the most expensive
        first, so the pool ends evenly); the results are always in task order.
    """
    tasks = [tuple(t) for t in tasks]
    n = min(int(workers or _STATE["workers"]), len(tasks))
    if n <= 1:
        return [fn(*t) for t in tasks]
    from joblib import Parallel, delayed

    order = list(order) if order is not None else list(range(len(tasks)))
    if sorted(order) != list(range(len(tasks))):
        raise ValueError("order must be a permutation of the task indices")
    par = Parallel(n_jobs=n, backend="loky", inner_max_num_threads=_STATE["threads"], batch_size=1,
                   pre_dispatch="all")
    done = par(delayed(fn)(*tasks[i]) for i in order)
    out: list[Any] = [None] * len(tasks)
    for i, r in zip(order, done):
        out[i] = r
    return out


def chunks(n: int, size: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n)`` in pieces of ``size`` (the last may be shorter).

    The pieces depend only on ``n`` and ``size``, never on the number of workers,
    so results assembled from them are the same however they are computed.
    """
    size = max(int(size), 1)
    return [(i, min(i + size, n)) for i in range(0, n, size)]
