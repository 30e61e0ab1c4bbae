"""What a stage sees: the run's facts, its declared settings and a cache whose keys are derived.

A stage never builds a cache key. It calls ``ctx.call(fn, *args, **kwargs)`` with a
module-level function and explicit arguments; the key is the content fingerprint
(:mod:`analysis.run.hashing`) of the package version, the stage's name and code
VERSION, the function and every argument. A setting that changes an argument
changes the key, and a setting that is not an argument cannot affect the result,
so a warm run after any change equals a cold run.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
import weakref
import zlib
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from analysis._version import __version__
from analysis.corpus import Corpus
from analysis.errors import UsageError
from analysis.profiles import DEFAULT_SEED
from analysis.run.cache import Cache
from analysis.run.catalog import check_table
from analysis.run.hashing import Fingerprinter
from analysis.run.memory import release_free_memory
from analysis.run.monitor import Monitor
from analysis.run.tables import PARQUET_MIN_ROWS, read_table, table_formats, write_csv, write_formats, write_parquet

__all__ = ["RunContext", "StageInfo", "StepContext", "TableStore"]

#: tables of at least this many rows have their rendered CSV and Parquet bytes cached
CSV_CACHE_MIN_ROWS = 20_000


class TableStore(MutableMapping):
    """The tables a run wrote, by name: ``ctx.tables``.

    A large table written as Parquet (at least ``PARQUET_MIN_ROWS`` rows) is not kept
    in memory: the store keeps its file and reads it again when it is asked for
    (``read_table``; the Parquet file holds the same values and dtypes). Every
    other table is kept as written.
    """

    def __init__(self, tables: dict[str, pd.DataFrame] | None = None):
        self._frames: dict[str, pd.DataFrame] = dict(tables or {})
        self._files: dict[str, Path] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self._frames:
            return self._frames[name]
        if name in self._files:
            return read_table(self._files[name])
        raise KeyError(name)

    def __setitem__(self, name: str, df: pd.DataFrame) -> None:
        self._files.pop(name, None)
        self._frames[name] = df

    def __delitem__(self, name: str) -> None:
        if name in self._frames:
            del self._frames[name]
        else:
            del self._files[name]

    def __iter__(self):
        return iter([*self._frames, *self._files])

    def __len__(self) -> int:
        return len(self._frames) + len(self._files)

    def __contains__(self, name) -> bool:
        return name in self._frames or name in self._files

    def spill(self, name: str, path: Path) -> None:
        """Keep table ``name`` as its file ``path`` (a Parquet file just written) instead of in memory."""
        self._frames.pop(name, None)
        self._files[name] = Path(path)

    def in_memory(self) -> list[str]:
        return list(self._frames)

    def relocate(self, old: Path, new: Path) -> None:
        """Point the files kept under folder ``old`` (the staging folder) to the same names under ``new``."""
        old, new = Path(old), Path(new)
        for name, path in self._files.items():
            if path.is_relative_to(old):
                self._files[name] = new / path.relative_to(old)


@dataclass(frozen=True)
class StageInfo:
    """The declaration of the step that is running: its stage's name and code version, and what the
    step writes (``produces``: tables and ``artifact:NAME``) and reads (``consumes``: ``table:NAME``
    and ``artifact:NAME``)."""

    name: str
    version: str
    produces: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    step: str | None = None


@dataclass
class RunContext:
    """Everything a stage needs; stages communicate only through declared tables and artifacts.

    Attributes
    ----------
    corpus : Corpus
        The available documents (with text).
    full_corpus : Corpus
        Every document, available or not (for ``documents.csv``).
    anchor : str or None
        The run's one anchor doc_id, resolved once by the runner.
    units : DataFrame
        Paragraph units (``unit_id, doc_id, position, n_tokens, text`` + docvars).
    text : TextSettings
        The tokens layer's settings (``--set text.KEY=VALUE``).
    annotations : DataFrame
        What the runner removed as transcript annotations (``text.annotations``):
        ``doc_id, pattern, n_removed, example`` (``annotations.csv``).
    settings : dict
        Each stage's declared settings object, by stage name (and ``"run"``).
    run : RunSettings
        The ``run`` group: table format, workers and Dask scheduler (never part of a cache key).
    out : Path
        The output folder as published (``OUT``): what earlier runs left is read from here.
    study : Profile
        The study this run applies (:class:`analysis.profiles.Profile`: anchor, comparisons,
        dictionaries, patterns, indices, seed), resolved once by the runner; steps read the
        study from here, never by importing a profile.
    staging : Path or None
        Where this run writes (:class:`analysis.run.publish.Staging`), published in ``OUT``
        when the run completes; None writes into ``out`` directly. Stages write through
        :attr:`tables_dir`, :attr:`figures_dir` and :attr:`write_dir`, never ``out``.
    """

    corpus: Corpus
    full_corpus: Corpus
    out: Path
    seed: int = DEFAULT_SEED
    text: Any = None
    anchor: str | None = None
    units: pd.DataFrame | None = None
    annotations: pd.DataFrame | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    cache: Cache = field(default_factory=lambda: Cache(None, enabled=False))
    tables: TableStore = field(default_factory=TableStore)
    messages: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    #: table name -> {"stage", "rows"} for every table this run wrote
    written: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: run-level facts recorded in run.json (anchor, units, tokens, matrices)
    facts: dict[str, Any] = field(default_factory=dict)
    #: tables of earlier runs in OUT that this run may read: name -> path
    recorded_tables: dict[str, Path] = field(default_factory=dict)
    run: Any = None
    #: the step running (set on a step's view, :class:`StepContext`; None on the run itself)
    stage: StageInfo | None = None
    #: the step's memory sampler (:class:`analysis.run.memory.RssSampler`), set on a step's view
    memory: Any = field(default=None, repr=False)
    #: the display and the profile (:class:`analysis.run.monitor.Monitor`): beside the facts, never in a result
    monitor: Monitor = field(default_factory=Monitor, repr=False)
    staging: Path | None = None
    study: Any = None
    _fingerprint: str | None = None
    _memo: dict[int, tuple[Any, str]] = field(default_factory=dict, repr=False)
    _dtms: dict[str, Any] = field(default_factory=dict, repr=False)
    #: artifacts handed from one step to another (``ctx.put`` / ``ctx.get``), by name
    artifacts: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: Any = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self):
        if not isinstance(self.tables, TableStore):  # a plain dict given by a caller
            self.tables = TableStore(self.tables)

    def for_step(self, info: StageInfo) -> "StepContext":
        """The view of this run that one step sees (:class:`StepContext`)."""
        return StepContext(self, info)

    # ------------------------------------------------------------ facts
    @property
    def fingerprint(self) -> str:
        """SHA-256 of the available texts and docvars (the corpus hash of the run)."""
        if self._fingerprint is None:
            self._fingerprint = self.corpus.fingerprint()
        return self._fingerprint

    @property
    def text_settings(self):  # the name before the tokens layer was declared
        return self.text

    @property
    def write_dir(self) -> Path:
        """The folder this run writes into (the staging folder; published as ``OUT`` at the end)."""
        return Path(self.staging) if self.staging is not None else Path(self.out)

    @property
    def tables_dir(self) -> Path:
        return self.write_dir / "tables"

    @property
    def figures_dir(self) -> Path:
        return self.write_dir / "figures"

    def register_artifact(self, obj: Any, key: str) -> Any:
        """Mark a run-level artifact (units, a matrix) with its key; artifacts are read-only."""
        self._memo[id(obj)] = (obj, key)
        return obj

    def _memo_weak(self, obj: Any, key: str) -> None:
        """Remember ``obj``'s key without keeping ``obj`` alive (the entry goes with the object).

        Objects that take no weak reference (tuples, lists, dicts) are not remembered:
        they are hashed by content when passed again. Holding every result alive for
        the whole run held every stage's long tables to its end (0.9 GB on UNGDC 60-79).
        """
        memo, i = self._memo, id(obj)

        def forget(ref, memo=memo, i=i):
            if memo.get(i, (None,))[0] is ref:
                del memo[i]

        try:
            ref = weakref.ref(obj, forget)
        except TypeError:
            return
        memo[i] = (ref, key)

    def key_of(self, obj: Any) -> str:
        return Fingerprinter(self._memo).digest(obj)

    # ------------------------------------------------------------ caching
    def call(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``, cached under a key derived from ``fn`` and its arguments.

        ``fn`` must be a module-level function (or a bound method of an object
        whose content is the state it uses): lambdas and closures are refused,
        because what they capture would be invisible to the key.
        """
        _check_pure(fn)
        stage = self.stage.name if self.stage else "run"
        version = self.stage.version if self.stage else "1"
        target = fn.__func__ if inspect.ismethod(fn) else fn
        owner = fn.__self__ if inspect.ismethod(fn) else None
        name = f"{target.__module__}.{target.__qualname__}"
        fp = Fingerprinter(self._memo)
        key = fp.digest([__version__, stage, version, name, owner, list(args), kwargs])
        computed = []
        self._window()
        t0 = time.perf_counter()

        def compute():
            computed.append(True)
            return fn(*args, **kwargs)

        value = self.cache.get_or_compute_key(f"{stage}/{target.__qualname__}", key, compute)
        self.monitor.profile.append((stage, target.__qualname__, time.perf_counter() - t0, bool(computed),
                             self._window_peak()))
        release_free_memory()  # what the call freed goes back to the system, not to the next peak
        return self._remember(value, key)

    def _window(self) -> None:
        if self.memory is not None:
            self.memory.window()

    def _window_peak(self) -> float | None:
        return self.memory.window_peak_mib() if self.memory is not None else None

    def _remember(self, value: Any, key: str) -> Any:
        """Mark a call's result (and the items of a tuple result) with the call's key.

        A result is a function of its key, so passing it to a later ``ctx.call``
        feeds the key instead of hashing its content again (a long frames table
        hashed four times took longer than the rates computed from it). Results
        are read-only, like every artifact: stages copy before they change one.
        """
        if isinstance(value, tuple):
            for i, item in enumerate(value):
                self._remember(item, f"{key}:{i}")
        if value is not None and not isinstance(value, (str, bytes, int, float, bool, tuple)):
            self._memo_weak(value, f"result:{key}")
        return value

    def call_many(self, fn: Callable, calls: Sequence[tuple[tuple, dict]], order: Sequence[int] | None = None,
                  label: str | None = None, costs: Sequence[float] | None = None,
                  isolate: bool = False) -> list[Any]:
        """``[self.call(fn, *args, **kwargs) for args, kwargs in calls]``, the uncached ones in parallel.

        Each call has its own key, as with :meth:`call`; those not in the cache are
        computed by :func:`analysis.stats.parallel.pimap` on the run's workers
        (``run.workers``) or Dask cluster (``run.scheduler``) and each is stored as
        soon as it is done, so a run interrupted half-way resumes from the calls
        already done. ``order`` is the submission order (for example the most
        expensive first); ``costs``, instead, the calls' relative costs: they are
        submitted the most expensive first, so the workers finish together (ties in
        the order of ``calls``). Results are in the order of ``calls``. While they run, the
        progress display shows ``label`` (default: the stage and function) with the
        tasks done and an estimate of the time remaining. ``isolate`` sends even a single
        uncached call to a worker process when the run has more than one
        (:func:`analysis.stats.parallel.pmap`): for calls that hold the interpreter lock.
        """
        return self.call_each([(fn, a, kw) for a, kw in calls], order=order, label=label, costs=costs,
                              isolate=isolate)

    def map(self, fn: Callable, tasks: Sequence[tuple]) -> list[Any]:
        """``[fn(*task) for task in tasks]`` on the run's workers or Dask cluster, nothing cached.

        For tasks whose work is a side effect the step owns (drawing figure files):
        :func:`analysis.stats.parallel.pmap`, results in task order, the same for any
        number of workers. A computation whose result should be cached uses :meth:`call_many`.
        """
        from analysis.stats.parallel import pmap

        _check_pure(fn)
        return pmap(fn, tasks)

    def call_each(self, calls: Sequence[tuple[Callable, tuple, dict]], order: Sequence[int] | None = None,
                  label: str | None = None, costs: Sequence[float] | None = None,
                  isolate: bool = False) -> list[Any]:
        """:meth:`call_many` for calls of different functions: ``[(fn, args, kwargs), ...]``.

        Each call's key is the key :meth:`call` gives it, so a result computed here is
        a cache hit for ``ctx.call(fn, *args, **kwargs)`` and the other way round.
        """
        from analysis.stats.parallel import pimap

        if not calls:
            return []
        if costs is not None:
            if order is not None or len(costs) != len(calls):
                raise ValueError("call_each: give either order or one cost per call")
            order = sorted(range(len(calls)), key=lambda i: (-float(costs[i]), i))
        stage = self.stage.name if self.stage else "run"
        version = self.stage.version if self.stage else "1"
        fp = Fingerprinter(self._memo)
        keys, names = [], []
        for fn, a, kw in calls:
            _check_pure(fn)
            if inspect.ismethod(fn):
                raise TypeError(f"ctx.call_each needs module-level functions, got the method {fn!r}")
            keys.append(fp.digest([__version__, stage, version, f"{fn.__module__}.{fn.__qualname__}", None,
                                   list(a), kw]))
            names.append(fn.__qualname__)
        results: list[Any] = [None] * len(calls)
        todo = []
        for i, key in enumerate(keys):
            t0 = time.perf_counter()
            found, value = self.cache.lookup(f"{stage}/{names[i]}", key)
            if found:
                results[i] = value
                self.monitor.profile.append((stage, names[i], time.perf_counter() - t0, False, None))
            else:
                todo.append(i)
        if todo:
            rank = {i: r for r, i in enumerate(order if order is not None else range(len(calls)))}
            sub = sorted(range(len(todo)), key=lambda j: rank[todo[j]])
            cached = len(calls) - len(todo)
            what = " + ".join(dict.fromkeys(names[i] for i in todo))
            bar = (self.monitor.bar.tasks(f"{label or f'{stage}: {what}'} ({cached} cached)", len(todo))
                   if self.monitor.bar is not None else None)
            self._window()
            t0 = time.perf_counter()
            try:
                for j, value in pimap(_apply, [calls[i] for i in todo], order=sub, isolate=isolate):
                    self.cache.store(keys[todo[j]], value)
                    results[todo[j]] = value
                    if bar is not None:
                        bar.advance()
            finally:
                if bar is not None:
                    bar.close()
            # the tasks ran side by side: the profile records their wall time together, once
            self.monitor.profile.append((stage, f"{what} x{len(todo)}", time.perf_counter() - t0, True,
                                 self._window_peak()))
            release_free_memory()
        return [self._remember(v, k) for v, k in zip(results, keys)]

    def slots(self) -> int:
        """How many tasks of :meth:`call_many` run at once (the run's workers, or the Dask cluster's)."""
        from analysis.stats.parallel import slots

        return slots()

    def cached(self, *a, **k):  # pragma: no cover - the old API, removed on purpose
        raise TypeError("ctx.cached(key, params, fn) was replaced by ctx.call(fn, *args): keys are derived")

    # ------------------------------------------------------------ matrices
    def dtm(self, level: str = "unit", min_df: float = 1, max_df: float = 1.0,
            ngram_range: tuple[int, int] = (1, 1)):
        """A shared count matrix of the run's units (``level="unit"``) or documents.

        Built once per distinct ``(level, min_df, max_df, ngram_range)`` and the
        text settings, cached, and recorded in ``run.json`` (``facts.matrices``).
        """
        if level not in ("unit", "document"):
            raise UsageError(f"dtm level must be 'unit' or 'document', got {level!r}")
        spec = {"level": level, "min_df": min_df, "max_df": max_df, "ngram_range": list(ngram_range)}
        skey = Fingerprinter(self._memo).digest(["dtm", spec, self.units, self.text, self.corpus.docvars])
        with self._lock:  # steps side by side ask for the same matrix: it is built once (re-entrant lock)
            return self._shared_dtm(skey, spec, level, min_df, max_df, ngram_range)

    def _shared_dtm(self, skey, spec, level, min_df, max_df, ngram_range):
        from analysis.run import artifacts

        if skey not in self._dtms:
            saved, self.stage = self.stage, None
            try:
                if level == "unit" and (min_df, max_df) != (1, 1.0):  # columns of the matrix without limits
                    d = self.call(artifacts.pruned_dtm, self.dtm("unit", 1, 1.0, ngram_range), min_df, max_df)
                elif level == "unit":
                    d = self.call(artifacts.unit_dtm, self.units, self.text, min_df, max_df, tuple(ngram_range))
                else:  # summed from the unit matrix this run already holds (tokenised once)
                    unit_dtm = self.dtm("unit", min_df, max_df, ngram_range)
                    d = self.call(artifacts.document_dtm, unit_dtm, self.corpus.docvars)
            finally:
                self.stage = saved
            self.register_artifact(d, skey)
            self._dtms[skey] = d
            self.facts.setdefault("matrices", {})[skey[:16]] = {
                **spec, "shape": list(d.matrix.shape) if d is not None else None}
        return self._dtms[skey]

    # ------------------------------------------------------------ tables
    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        """Write ``tables/<name>.csv`` or ``.parquet`` (``run.table_format``) and keep it for later steps.

        The table must be one the running step declares in its ``writes``, and match its
        declaration in the catalog (:func:`analysis.run.catalog.check_table`: no undeclared
        column, every required one, compatible types). Returns the path of the file
        written (the Parquet one when both are).
        """
        if self.stage is not None and self.stage.produces and name not in self.stage.produces:
            raise RuntimeError(f"{self._who()} writes table {name!r} but does not declare it "
                               f"(it writes {self.stage.produces})")
        if self.stage is not None:  # a step's table matches its declaration in the catalog
            check_table(name, df)
        self.tables[name] = df
        formats = table_formats(name, df, self.run.table_format if self.run is not None else "auto")
        self.written[name] = {"stage": self.stage.name if self.stage else None, "rows": int(len(df)),
                              "files": [f"{name}.{f}" for f in formats]}
        csv_bytes = parquet_bytes = None
        if len(df) >= CSV_CACHE_MIN_ROWS and self.cache.enabled:
            if "csv" in formats:
                try:
                    csv_bytes = zlib.decompress(self.call(_render_csv, df))
                except zlib.error as e:  # cannot happen with a checked entry; never write what did not decompress
                    self.log(f"cache: the rendered {name}.csv did not decompress ({e}); written from the table")
                    csv_bytes = None
            if "parquet" in formats:
                parquet_bytes = self.call(_render_parquet, df)
        path = write_formats(df, self.tables_dir, name, formats, csv_bytes=csv_bytes,
                             parquet_bytes=parquet_bytes)[-1]
        if "parquet" in formats and len(df) >= PARQUET_MIN_ROWS:
            self.tables.spill(name, path)
        release_free_memory()  # the Arrow buffers of the write
        return path

    def table(self, name: str) -> pd.DataFrame | None:
        """An upstream table: written earlier in this run, or recorded by an earlier run in OUT.

        The running step must declare it in its ``reads`` (as ``"table:NAME"``; a stage
        of one step: in ``CONSUMES``). Returns None when no step has produced it for
        this corpus and anchor.
        """
        if self.stage is not None and f"table:{name}" not in self.stage.consumes:
            raise RuntimeError(f"{self._who()} reads table {name!r} but does not declare "
                               f"'table:{name}' (it reads {self.stage.consumes})")
        if name in self.tables:
            return self.tables[name]
        path = self.recorded_tables.get(name)
        if path is not None and path.exists():
            df = read_table(path)
            self.tables[name] = df
            return df
        return None

    def _who(self) -> str:
        return f"step {self.stage.step!r}" if self.stage.step else f"stage {self.stage.name!r}"

    # ------------------------------------------------------------ artifacts
    def put(self, name: str, value: Any) -> Any:
        """Hand ``value`` to the steps that read ``artifact:NAME`` (the running step declares it).

        Artifacts are read-only for their readers, like every result of ``ctx.call``.
        """
        if self.stage is not None and f"artifact:{name}" not in self.stage.produces:
            raise RuntimeError(f"{self._who()} writes artifact {name!r} but does not declare "
                               f"'artifact:{name}' (it writes {self.stage.produces})")
        self.artifacts[name] = value
        return value

    def get(self, name: str) -> Any:
        """The artifact ``name`` a step wrote earlier in this run (the running step declares it).

        Raises
        ------
        RuntimeError
            The step that writes it failed (its error is in ``run.json``) or was not run.
        """
        if self.stage is not None and f"artifact:{name}" not in self.stage.consumes:
            raise RuntimeError(f"{self._who()} reads artifact {name!r} but does not declare "
                               f"'artifact:{name}' (it reads {self.stage.consumes})")
        if name not in self.artifacts:
            raise RuntimeError(f"artifact {name!r} is missing: the step that writes it failed (see the run's "
                               "errors) or did not run")
        return self.artifacts[name]

    # ------------------------------------------------------------ messages
    def log(self, msg: str) -> None:
        self.messages.append(msg)
        if self.monitor.verbose:
            print(f"  {msg}", file=sys.stderr)

    def figure_meta(self) -> dict[str, Any]:
        """What every figure's JSON sidecar records."""
        return {
            "seed": self.seed,
            "corpus": self.corpus.name,
            "corpus_hash": self.fingerprint,
            "anchor": self.anchor,
            "package": "analysis",
            "package_version": __version__,
        }


class StepContext:
    """What one step sees: the run (:class:`RunContext`) with the step's own declaration, memory
    sampler and messages.

    Steps run side by side on threads (:mod:`analysis.run.graph`); each gets its own
    view, so ``ctx.call`` keys, ``ctx.write_table`` checks and ``ctx.log`` messages
    belong to the right step while the run's facts, tables, artifacts, matrices and
    cache are shared. The runner adds each step's messages to the run's in the
    graph's order, so ``run.json`` does not depend on which step finished first.
    """

    _OWN = ("_run", "stage", "memory", "messages", "started")

    def __init__(self, run: RunContext, info: StageInfo):
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "stage", info)
        object.__setattr__(self, "memory", None)
        object.__setattr__(self, "messages", [])
        object.__setattr__(self, "started", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self._run, name, value)

    def log(self, msg: str) -> None:
        self.messages.append(msg)
        if self._run.monitor.verbose:
            print(f"  {msg}", file=sys.stderr)

    # the run's methods, bound to the view (they read the step's declaration and sampler)
    call = RunContext.call
    call_many = RunContext.call_many
    call_each = RunContext.call_each
    map = RunContext.map
    dtm = RunContext.dtm
    _shared_dtm = RunContext._shared_dtm
    write_table = RunContext.write_table
    table = RunContext.table
    put = RunContext.put
    get = RunContext.get
    _who = RunContext._who
    _window = RunContext._window
    _window_peak = RunContext._window_peak


def _check_pure(fn: Callable) -> None:
    target = fn.__func__ if inspect.ismethod(fn) else fn
    qual = getattr(target, "__qualname__", "")
    if not callable(fn) or not qual:
        raise TypeError(f"ctx.call needs a function, got {fn!r}")
    inner = inspect.unwrap(target)  # a decorator's wrapper closes over the function it wraps
    if "<lambda>" in qual or "<locals>" in qual or getattr(inner, "__closure__", None):
        raise TypeError(f"ctx.call({qual}): pass a module-level function with explicit arguments; "
                        "a lambda or closure hides its inputs from the cache key")


def _apply(fn: Callable, args: tuple, kwargs: dict) -> Any:
    """``fn(*args, **kwargs)`` (a task of :meth:`RunContext.call_many`)."""
    return fn(*args, **kwargs)


def _render_parquet(df: pd.DataFrame) -> bytes:
    """The bytes :func:`write_parquet` writes for ``df`` (for the cache: a warm run copies them
    instead of converting and compressing the table again)."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(suffix=".parquet")
    os.close(fd)
    try:
        write_parquet(df, tmp)
        with open(tmp, "rb") as f:
            return f.read()
    finally:
        os.unlink(tmp)


def _render_csv(df: pd.DataFrame) -> bytes:
    """The bytes :func:`write_csv` writes for ``df``, zlib-compressed (for the cache)."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    try:
        write_csv(df, tmp)
        with open(tmp, "rb") as f:
            return zlib.compress(f.read(), 1)
    finally:
        os.unlink(tmp)
