"""The one execution layer: independent tasks on worker processes or a Dask cluster, results in task order.

A run sets the number of workers once (``r2p run --workers N``, the ``run.workers``
setting) with :func:`use_workers`, and optionally a Dask scheduler
(``r2p run --scheduler tcp://HOST:PORT`` or ``local:N``, the ``run.scheduler``
setting) with :func:`use_scheduler`; methods that have independent pieces of work
(the fits of the K scan, the bootstrap of each group, dictionary counts over
chunks of units) hand them to :func:`pmap` (all results, in task order) or
:func:`pimap` (each result as it is done, for progress and for caching each task
as soon as it ends). Without a scheduler and with one worker the tasks run in this
process, in order; with more workers they run on a ``joblib`` pool of ``loky``
worker processes, each limited to the run's BLAS threads (one by default); with a
scheduler they are submitted to the Dask cluster, whatever ``workers`` says.

Results are identical for any number of workers, any cluster and any order in
which tasks finish, because no task depends on another, on its worker or on its
place: each task is seeded by its own key (:func:`analysis.stats.bootstrap.group_rng`,
a fit's own seed) and the results come back in task order. Neither the number of
workers nor the scheduler is therefore part of any cache key. A task that itself
calls :func:`pmap` runs its inner tasks serially, in its own worker.

Worker processes never outlive the run: each ``loky`` worker starts a watchdog
thread (:func:`_watch_parent`) that ends the worker within
:data:`WATCH_INTERVAL` seconds of its parent's death, however the parent died
(``kill -9`` included). With the workers gone, ``loky``'s resource tracker sees
its pipe close and removes the shared-memory folders (``/dev/shm/joblib_*``) it
tracks, then exits.

References
----------
Varoquaux, G. et al. joblib: running Python functions as pipeline jobs
(https://joblib.readthedocs.io), the ``loky`` backend (robust process pools).
Rocklin, M. (2015). Dask: parallel computation with blocked algorithms and task
scheduling. Proceedings of the 14th Python in Science Conference, 130-136
(``dask.distributed``, https://distributed.dask.org).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from analysis.errors import R2PError

__all__ = ["SchedulerError", "use_workers", "use_scheduler", "n_workers", "slots", "scheduler", "pmap", "pimap",
           "parallel_map", "chunks", "parse_scheduler"]

#: seconds to wait for a scheduler address to answer
CONNECT_TIMEOUT = 30
#: seconds between a worker's checks that its parent is alive
WATCH_INTERVAL = 0.5

_STATE: dict[str, Any] = {"workers": 1, "threads": 1, "client": None, "address": None}
#: set while a task runs (in a worker thread of an in-process cluster too): nested pmap is serial
_LOCAL = threading.local()
#: ``local:N`` (a LocalCluster of N worker processes on this machine) or a scheduler address
_LOCAL_RE = re.compile(r"^local(?::(\d+))?$")
_ADDRESS_RE = re.compile(r"^(tcp|tls|ucx|inproc|ws|wss)://\S+$")


class SchedulerError(R2PError, RuntimeError):
    """The Dask cluster cannot be used: Dask is not installed, the scheduler does not answer, or
    its workers run another version of this package."""


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


def parse_scheduler(spec: str | None) -> tuple[str, int | None] | None:
    """``None`` (no cluster), ``("local", N)`` for ``local:N`` or ``("address", None)`` for ``tcp://HOST:PORT``.

    Raises ValueError naming the accepted forms for anything else.
    """
    if spec is None or str(spec).strip().lower() in ("", "none"):
        return None
    spec = str(spec).strip()
    m = _LOCAL_RE.match(spec)
    if m:
        n = int(m.group(1) or 2)
        if n < 1:
            raise ValueError(f"scheduler {spec!r}: local:N needs N >= 1")
        return ("local", n)
    if _ADDRESS_RE.match(spec):
        return ("address", None)
    raise ValueError(f"scheduler {spec!r} is neither local:N (a LocalCluster of N worker processes) nor a "
                     "scheduler address such as tcp://HOST:PORT")


@contextmanager
def use_scheduler(spec: str | None, threads: int = 1):
    """Within the block, :func:`pmap` submits its tasks to a Dask cluster.

    ``spec`` is ``local:N`` (a ``LocalCluster`` of N single-threaded worker processes
    on 127.0.0.1, closed at the end of the block) or the address of a running
    scheduler (``tcp://HOST:PORT``; the cluster is left running). ``None`` does
    nothing. Needs ``pip install r2p-analysis[dask]``; the workers must have the
    same version of this package, which is checked on connecting.
    """
    kind = parse_scheduler(spec)
    if kind is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - the extra is installed in the test environment
        raise SchedulerError(f"--scheduler {spec} needs Dask: pip install 'r2p-analysis[dask]' ({e})") from e
    cluster = None
    try:
        if kind[0] == "local":
            cluster = LocalCluster(n_workers=kind[1], threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(str(spec), timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as e:
        if cluster is not None:
            cluster.close()
        raise SchedulerError(f"cannot reach the Dask scheduler {spec} ({e}); start one (dask scheduler, "
                             "or dask-jobqueue) and pass the address it prints, or use --scheduler local:N") from e
    try:
        _check_workers(client, str(spec))
        saved = dict(_STATE)
        _STATE.update(client=client, address=str(spec), threads=max(int(threads or 1), 1))
        try:
            yield client
        finally:
            _STATE.update(saved)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _worker_version() -> str:
    from analysis._version import __version__

    return __version__


def _check_workers(client, spec: str) -> None:
    """Refuse a cluster whose workers run another version of the package (their results could differ)."""
    from analysis._version import __version__

    versions = client.run(_worker_version)
    other = {w: v for w, v in versions.items() if v != __version__}
    if other:
        raise SchedulerError(f"the Dask workers at {spec} run analysis {sorted(set(other.values()))}, this process "
                           f"{__version__}: install the same version on the workers (pip install r2p-analysis[dask])")


def n_workers() -> int:
    """The number of workers :func:`pmap` uses here (1 inside a task)."""
    return 1 if getattr(_LOCAL, "in_task", False) else _STATE["workers"]


def slots() -> int:
    """How many tasks :func:`pmap` runs at once here: the Dask cluster's worker threads when a
    scheduler is set, else :func:`n_workers` (1 inside a task).

    For callers that submit work in rounds (the K scan's early stop); results never depend on it.
    """
    client = None if getattr(_LOCAL, "in_task", False) else _STATE["client"]
    if client is not None:
        try:
            return max(sum(client.nthreads().values()), 1)
        except (OSError, TimeoutError):  # pragma: no cover - a cluster that stopped answering
            return 1
    return max(n_workers(), 1)


def scheduler() -> str | None:
    """The Dask scheduler :func:`pmap` submits to here (``None``: local processes, or inside a task)."""
    return None if getattr(_LOCAL, "in_task", False) else _STATE["address"]


def parallel_map() -> Callable | None:
    """:func:`pmap` when it runs tasks elsewhere here (several local workers or a Dask cluster), else
    None: the ``map`` argument of the functions that cut their work into fixed blocks
    (:func:`analysis.dtm.build_dtm`, :func:`analysis.units.make_units`), which then run the blocks in
    the calling process."""
    return pmap if n_workers() > 1 or scheduler() is not None else None


def pmap(fn: Callable[..., Any], tasks: Iterable[Sequence[Any]], *, workers: int | None = None,
         order: Sequence[int] | None = None, isolate: bool = False) -> list[Any]:
    """``[fn(*task) for task in tasks]``, on worker processes or a Dask cluster when one is set.

    Parameters
    ----------
    fn : a module-level function (it is pickled to the workers).
    tasks : the positional arguments of each call.
    workers : overrides :func:`n_workers` (not the scheduler).
    order : the order in which tasks are submitted (for example the most expensive
        first, so the pool ends evenly); the results are always in task order.
    isolate : run the tasks on the worker processes even when there is only one, if the
        run has more than one worker: for a call that holds the interpreter lock while it
        computes (tomotopy's Gibbs sampler does), so that the run's other steps, threads
        of this process, keep running beside it.
    """
    tasks = [tuple(t) for t in tasks]
    out: list[Any] = [None] * len(tasks)
    for i, r in pimap(fn, tasks, workers=workers, order=order, isolate=isolate):
        out[i] = r
    return out


def pimap(fn: Callable[..., Any], tasks: Iterable[Sequence[Any]], *, workers: int | None = None,
          order: Sequence[int] | None = None, isolate: bool = False) -> Iterator[tuple[int, Any]]:
    """``(i, fn(*tasks[i]))`` for every task, each as soon as it is done (not in task order).

    The same tasks, workers and ``isolate`` as :func:`pmap`; a caller that stores each result
    as it arrives (:meth:`analysis.run.context.RunContext.call_many`) keeps what was
    done when the run is interrupted. The first task to fail raises its exception
    here, and the tasks not yet started are cancelled.
    """
    tasks = [tuple(t) for t in tasks]
    order = list(order) if order is not None else list(range(len(tasks)))
    if sorted(order) != list(range(len(tasks))):
        raise ValueError("order must be a permutation of the task indices")
    inside = getattr(_LOCAL, "in_task", False)
    client = None if inside else _STATE["client"]
    pool = 1 if inside else int(workers or _STATE["workers"])
    n = min(pool, len(tasks))
    if isolate and pool > 1 and tasks:  # even one task goes to the pool (n_jobs=1 would run it here)
        n = pool
    if client is not None and tasks:
        yield from _dask_imap(client, fn, tasks, order)
    elif n <= 1:
        for i in order:
            yield i, fn(*tasks[i])
    else:
        from joblib import Parallel, delayed

        # large arrays reach the workers as memory maps; copy-on-write ("c") so that a task may
        # change its arguments in place as it may in a serial run (scipy sorting a sparse
        # matrix's indices, for one) without writing to the shared file
        par = Parallel(n_jobs=n, backend="loky", inner_max_num_threads=_STATE["threads"], batch_size=1,
                       pre_dispatch="all", return_as="generator_unordered", mmap_mode="c",
                       initializer=_watch_parent, initargs=(os.getpid(),))
        yield from par(delayed(_indexed)(i, fn, tasks[i]) for i in order)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a pid reused by another user's process
        return False
    return True


def _watch_parent(parent: int) -> None:
    """In a worker: end this process (``os._exit``) soon after ``parent`` dies.

    The worker's parent process id changes when its parent dies (it is adopted by
    init or a subreaper), even while the dead parent is not yet reaped; that and
    ``parent`` no longer existing are checked every :data:`WATCH_INTERVAL` seconds.
    """
    ppid = os.getppid()

    def watch():
        while True:
            time.sleep(WATCH_INTERVAL)
            if os.getppid() != ppid or not _alive(parent):
                os._exit(70)  # EX_SOFTWARE: no cleanup that could wait on the dead parent

    threading.Thread(target=watch, name="r2p-watch-parent", daemon=True).start()


def _indexed(i: int, fn: Callable, args: tuple) -> tuple[int, Any]:
    return i, fn(*args)


def _run_task(fn: Callable, args: tuple, threads: int) -> Any:
    """A task on a Dask worker: nested :func:`pmap` is serial, BLAS limited to ``threads``."""
    from threadpoolctl import threadpool_limits

    _LOCAL.in_task = True
    try:
        with threadpool_limits(limits=threads):
            return fn(*args)
    finally:
        _LOCAL.in_task = False


def _share(client, tasks: list[tuple]) -> list[tuple]:
    """Send an argument that several tasks share (a document-term matrix) to the cluster once.

    Looks at each task's arguments and one level into tuples, lists and dicts
    among them (the ``args, kwargs`` of a cached call); the shared object is
    replaced by its future, which the workers resolve before the task runs.
    """
    seen: dict[int, list] = {}

    def visit(obj):
        if obj is None or isinstance(obj, (str, bytes, int, float, bool)):
            return
        seen.setdefault(id(obj), [obj, 0])[1] += 1

    for t in tasks:
        for a in t:
            visit(a)
            if isinstance(a, (tuple, list)):
                for b in a:
                    visit(b)
            elif isinstance(a, dict):
                for b in a.values():
                    visit(b)
    shared = {k: client.scatter(v[0], broadcast=False, hash=False) for k, v in seen.items()
              if v[1] > 1 and not callable(v[0])}
    if not shared:
        return tasks

    def swap(obj):
        return shared.get(id(obj), obj)

    def swap_in(a):
        if isinstance(a, tuple):
            return tuple(swap(b) for b in a)
        if isinstance(a, list):
            return [swap(b) for b in a]
        if isinstance(a, dict):
            return {k: swap(b) for k, b in a.items()}
        return swap(a)

    return [tuple(swap_in(a) for a in t) for t in tasks]


def _dask_imap(client, fn: Callable, tasks: list[tuple], order: list[int]) -> Iterator[tuple[int, Any]]:
    from distributed import as_completed

    sent = _share(client, tasks)
    index, futures = {}, []
    for i in order:
        fut = client.submit(_run_task, fn, sent[i], _STATE["threads"], pure=False)
        index[fut.key] = i
        futures.append(fut)
    try:
        for fut in as_completed(futures):
            yield index[fut.key], fut.result()
    finally:
        client.cancel([f for f in futures if not f.done()])


def chunks(n: int, size: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n)`` in pieces of ``size`` (the last may be shorter).

    The pieces depend only on ``n`` and ``size``, never on the number of workers,
    so results assembled from them are the same however they are computed.
    """
    size = max(int(size), 1)
    return [(i, min(i + size, n)) for i in range(0, n, size)]
