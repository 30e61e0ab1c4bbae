"""Stage ``figures``: the figure registry, drawing, and ``r2p figures`` (redraw from a run's tables)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path
from typing import Any
import hashlib
import json
import matplotlib
import os
import pandas as pd
import re
from analysis.run.catalog import Column, Table
from analysis.run.hashing import fingerprint
from analysis.run.steps import Step
from analysis.settings import StageSettings, setting
from analysis.plots.save import (FORMATS, STYLE_PATH, _clean_json, package_version, save_figure)


# --------------------------------------------------------------------------- pipeline stage

#: Figures that compare documents across time; skipped with fewer than two dated documents.
CROSS_YEAR = {
    "dispersion_over_time", "similarity_to_anchor", "similarity_heatmap", "topic_prevalence", "topic_effects",
    "frame_trajectories", "pillar_shares", "novelty", "style_trends", "frame_source_trajectories",
    "similarity_source_years",
}

#: the columns of ``figure_index`` (declared in TABLES below)
FIGURE_INDEX_COLUMNS = ["figure", "plot", "source_tables", "status", "message"]


def _slug(text: str) -> str:
    """ASCII file-name slug: 'speaker=António Guterres vs speaker=Ban Ki-moon' -> 'antonio_guterres_vs_ban_ki_moon'."""
    import unicodedata

    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"\b\w+\s*(==|=|>=|<=|!=)\s*", "", s)  # drop 'column=' prefixes
    s = s.replace(">", " gt ").replace("<", " lt ")
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()
    return (s or "comparison")[:80]


def _has(tables: Mapping[str, pd.DataFrame], name: str) -> bool:
    t = tables.get(name)
    return isinstance(t, pd.DataFrame) and len(t) > 0


def figure_specs(tables: Mapping[str, pd.DataFrame], anchor: str | None = None,
                 params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The figures that can be drawn from ``tables``: name, plot function, source tables, kwargs.

    Every figure of the set is listed; those whose source tables are missing or
    empty carry ``missing`` (the list of absent tables) so the caller can report
    why they were skipped.
    """
    from analysis import plots as P

    params = dict(params or {})
    max_groups = int(params.get("max_groups", 7))
    docs = tables.get("documents")
    dv = None
    if isinstance(docs, pd.DataFrame) and len(docs):
        dv = docs[docs["available"].astype(bool)] if "available" in docs.columns else docs
    specs: list[dict[str, Any]] = []

    def add(name, plot, sources, data_fn, reads=(), **kwargs):
        missing = [s for s in sources if not _has(tables, s)]
        specs.append({"figure": name, "plot": plot.__name__, "fn": plot, "sources": list(sources),
                      "missing": missing, "data_fn": data_fn, "kwargs": kwargs,
                      "reads": list(dict.fromkeys(["documents", *sources, *reads]))})

    add("corpus_overview", P.plot_corpus_overview, ["documents"], lambda: dv, max_groups=max_groups)
    add("similarity_to_anchor", P.plot_similarity_to_anchor, ["similarity_to_anchor"],
        lambda: tables["similarity_to_anchor"], docvars=dv, anchor=anchor, max_groups=max_groups)
    add("similarity_source_years", P.plot_similarity_source_years, ["similarity_source_years"],
        lambda: tables["similarity_source_years"])
    add("similarity_heatmap", P.plot_similarity_heatmap, ["similarity_years"], lambda: tables["similarity_years"])
    for table, plot, stem, extra in (
        ("keyness", P.plot_keyness, "keyness", {"n": int(params.get("n_keyness", 12))}),
        ("fightin_words", P.plot_fightin_words, "fightin_words", {"n_labels": int(params.get("n_labels", 8))}),
    ):
        comps = (list(dict.fromkeys(tables[table]["comparison"].astype(str)))
                 if _has(tables, table) and "comparison" in tables[table].columns else [])
        if not comps:
            add(stem, plot, [table], lambda t=table: tables[t], **extra)
        for comp in comps:
            add(f"{stem}_{_slug(comp)}", plot, [table], lambda t=table: tables[t], comparison=comp, **extra)
    add("topic_selection", P.plot_topic_selection, ["topic_selection"], lambda: tables["topic_selection"])
    add("topic_prevalence", P.plot_topic_prevalence, ["topic_prevalence"], lambda: tables["topic_prevalence"])
    eff = tables.get("topic_effects")
    eff_ok = not _has(tables, "topic_effects") or ("kind" in eff.columns and (eff["kind"].astype(str) == "expected").any())
    add("topic_effects", P.plot_topic_effects, ["topic_effects"] if eff_ok else ["topic_effects (expected rows)"],
        lambda: tables["topic_effects"])
    from analysis.plots.topics_dynamic import plot_topic_terms_by_era

    add("topic_terms_by_era", plot_topic_terms_by_era, ["topic_terms_by_era"], lambda: tables["topic_terms_by_era"],
        topic="changed")
    add("frame_trajectories", P.plot_frame_trajectories, ["frames_years"], lambda: tables["frames_years"],
        reads=["frame_changepoints"], changepoints=tables.get("frame_changepoints"))
    add("frame_source_trajectories", P.plot_frame_source_trajectories, ["frames_source_years"],
        lambda: tables["frames_source_years"])
    if _has(tables, "frame_indices"):
        add("pillar_shares", P.plot_pillar_shares, ["frame_indices"],
            lambda: P.pillar_shares_from_indices(tables["frame_indices"]))
    else:
        add("pillar_shares", P.plot_pillar_shares, ["frames_years"],
            lambda: P.pillar_shares_from_frames(tables["frames_years"]))
    profile = "anchor_frame_profile" if _has(tables, "anchor_frame_profile") else "frames_units"
    units_frames = tables.get(profile)
    anchor_ok = anchor is not None and isinstance(units_frames, pd.DataFrame) and \
        "doc_id" in units_frames.columns and (units_frames["doc_id"].astype(str) == str(anchor)).any()
    label = None
    if dv is not None and anchor is not None and (dv["doc_id"].astype(str) == str(anchor)).any():
        row = dv[dv["doc_id"].astype(str) == str(anchor)].iloc[0]
        parts = [str(row[c]) for c in ("speaker", "date") if c in row.index and pd.notna(row[c])]
        label = ", ".join(parts) or None
    add("anchor_profile", P.plot_anchor_profile, [profile] if anchor_ok or anchor is None
        else [f"{profile} (anchor rows)"], lambda: tables[profile], doc_id=anchor, label=label)
    disp = tables.get("dispersion")
    anchor_hits = anchor is not None and isinstance(disp, pd.DataFrame) and "doc_id" in disp.columns and \
        (disp["doc_id"].astype(str) == str(anchor)).any()
    add("dispersion_anchor", P.plot_dispersion, ["dispersion"] if anchor_hits or not _has(tables, "dispersion")
        else ["dispersion (anchor rows)"], lambda: tables["dispersion"], doc_id=anchor, label=label)
    add("dispersion_over_time", P.plot_dispersion, ["dispersion"], lambda: tables["dispersion"], docvars=dv)
    add("novelty", P.plot_novelty, ["novelty"], lambda: tables["novelty"], docvars=dv)
    add("style_trends", P.plot_style_trends, ["style"], lambda: tables["style"], docvars=dv)
    if _has(tables, "scaling"):  # the optional scaling stage (`--only scaling --only figures`)
        from analysis.plots.scaling import plot_scaling_positions, plot_scaling_words

        add("scaling_positions", plot_scaling_positions, ["scaling"], lambda: tables["scaling"])
        if _has(tables, "scaling_words"):
            add("scaling_words", plot_scaling_words, ["scaling_words"], lambda: tables["scaling_words"])
    return specs


def _n_dated(tables: Mapping[str, pd.DataFrame], corpus=None) -> int:
    docs = tables.get("documents")
    if not isinstance(docs, pd.DataFrame) and corpus is not None:
        docs = corpus.docvars
    if not isinstance(docs, pd.DataFrame) or docs.empty:
        return 0
    if "available" in docs.columns:
        docs = docs[docs["available"].astype(bool)]
    known = pd.Series(False, index=docs.index)
    for col in ("date", "year"):
        if col in docs.columns:
            known |= docs[col].notna()
    return int(known.sum())


def _hash_frame(h, df: pd.DataFrame) -> None:
    """The table's content without its index, by the run layer's fingerprint (names, dtypes, values)."""
    h.update(fingerprint(df.reset_index(drop=True)).encode())


def inputs_key(spec: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
               formats: Sequence[str]) -> str:
    """SHA-256 of everything a figure depends on: source tables, plot arguments, metadata,
    style file, the drawing code (analysis/plots/ and this module), package and matplotlib versions,
    and the formats written."""
    h = hashlib.sha256()
    for name in (spec["figure"], spec["plot"], matplotlib.__version__, package_version(), ",".join(formats)):
        h.update(str(name).encode() + b"\0")
    h.update(STYLE_PATH.read_bytes())
    plots_dir = STYLE_PATH.parent  # a change in the drawing code (analysis/plots/, this stage) redraws
    for code in [*sorted(plots_dir.glob("*.py")), Path(__file__)]:
        h.update(code.read_bytes())
    for src in spec["sources"]:
        _hash_frame(h, tables[src])
    for k in sorted(spec["kwargs"]):
        v = spec["kwargs"][k]
        h.update(k.encode())
        if isinstance(v, pd.DataFrame):
            _hash_frame(h, v)
        else:
            h.update(repr(v).encode())
    h.update(json.dumps(_clean_json(meta), sort_keys=True).encode())
    return h.hexdigest()


def _reusable(outdir: Path, name: str, key: str, formats: Sequence[str]) -> bool:
    side = outdir / f"{name}.json"
    files = [outdir / f"{name}.{f}" for f in (*formats, "csv")]
    if not side.exists() or not all(f.exists() for f in files):
        return False
    try:
        return json.loads(side.read_text(encoding="utf-8")).get("inputs_sha256") == key
    except (OSError, ValueError):
        return False


def draw_figures(tables: Mapping[str, pd.DataFrame], outdir: str | os.PathLike, meta: Mapping[str, Any] | None = None,
                 anchor: str | None = None, params: Mapping[str, Any] | None = None, log=print,
                 n_dated: int | None = None, reuse: bool = True, map=None, select=None,
                 done: pd.DataFrame | None = None) -> pd.DataFrame:
    """Draw and save every figure whose tables exist; return an index of what was done.

    Never raises for a figure: a missing table, too few dated documents or a
    plotting error is logged and recorded in the index (``status`` ``skipped``
    or ``failed``), and the other figures go on. Each figure to draw is a task
    (:func:`draw_one`) given to ``map`` (``map(fn, tasks)``; the run passes ``ctx.map``,
    its worker processes; default: one after another here); the files do not depend
    on where a figure was drawn.

    With ``select`` (a function of a figure's spec), only the figures it accepts are
    drawn; the others are left out of the index, or, when ``done`` (an index an earlier
    call returned) lists them, their rows are taken from it in the set's order. The
    run draws the figures that do not read the topic models' tables while the models
    are fitted, and the rest after (:data:`EARLY_TABLES`).

    With ``reuse`` (default), a figure whose files exist and whose JSON sidecar
    records the same :func:`inputs_key` (source tables, arguments, metadata,
    style, versions, formats) is not redrawn: its files already hold the bytes
    a redraw would give.

    Returns
    -------
    DataFrame(figure, plot, source_tables, status, message)
    """
    params = dict(params or {})
    formats = params.get("formats", FORMATS)
    if isinstance(formats, str):
        formats = tuple(f.strip() for f in formats.split(",") if f.strip())
    n_dated = _n_dated(tables) if n_dated is None else n_dated
    rows: list[dict[str, Any]] = []
    todo: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    earlier = {} if done is None else {r["figure"]: r for r in done.to_dict("records")}
    for spec in figure_specs(tables, anchor=anchor, params=params):
        name, sources = spec["figure"], ",".join(spec["sources"])
        if select is not None and not select(spec):
            if name in earlier:
                rows.append(earlier[name])
            continue
        family = next((c for c in CROSS_YEAR if name == c or name.startswith(c)), None)
        if spec["missing"]:
            msg = f"no table {', '.join(spec['missing'])} (or it is empty)"
            status = "skipped"
        elif family is not None and n_dated < 2:
            msg = f"cross-year figure needs at least two dated documents; {n_dated} available"
            status = "skipped"
        else:
            try:
                m = dict(meta or {})
                m.update({"plot": spec["plot"], "source_tables": spec["sources"],
                          "plot_params": {k: v for k, v in spec["kwargs"].items()
                                          if not isinstance(v, pd.DataFrame)}})
                key = inputs_key(spec, tables, m, formats)
                m["inputs_sha256"] = key
                rows.append({"figure": name, "plot": spec["plot"], "source_tables": sources,
                             "status": "drawn", "message": ""})
                if not (reuse and _reusable(Path(outdir), name, key, formats)):
                    todo.append((len(rows) - 1, spec, m))
                continue
            except Exception as e:  # a figure must never stop the run  # noqa: BLE001
                msg = f"{type(e).__name__}: {e}"
                status = "failed"
        rows.append({"figure": name, "plot": spec["plot"], "source_tables": sources, "status": status,
                     "message": msg})
    # each figure to draw is a task (of the run's worker processes with ctx.map): it gets the tables
    # its spec reads, rebuilds the spec from them and checks that its inputs key is the one above
    map = map or (lambda fn, tasks: [fn(*t) for t in tasks])
    errors = map(draw_one, [(spec["figure"], {t: tables[t] for t in spec["reads"] if t in tables}, anchor,
                              params, m, str(outdir), tuple(formats)) for _, spec, m in todo])
    for (i, spec, _), err in zip(todo, errors):
        if err is not None:
            rows[i].update(status="failed", message=err)
    for row in rows:
        if row["status"] != "drawn":
            log(f"figures: {row['figure']} {row['status']}: {row['message']}")
    return pd.DataFrame(rows, columns=FIGURE_INDEX_COLUMNS)


def draw_one(name: str, tables: Mapping[str, pd.DataFrame], anchor: str | None, params: Mapping[str, Any],
             meta: Mapping[str, Any], outdir: str, formats: Sequence[str]) -> str | None:
    """Draw and save the figure ``name`` from the tables its spec reads; None, or why it failed.

    The spec is rebuilt from ``tables`` (:func:`figure_specs`); its :func:`inputs_key` must
    equal ``meta["inputs_sha256"]``, the key computed from all the run's tables, so a figure
    drawn on a worker process is the figure the run's process would draw.
    """
    try:
        spec = next((s for s in figure_specs(tables, anchor=anchor, params=params) if s["figure"] == name), None)
        m = {k: v for k, v in meta.items() if k != "inputs_sha256"}
        if spec is None or spec["missing"] or inputs_key(spec, tables, m, formats) != meta.get("inputs_sha256"):
            raise RuntimeError(f"the tables given for figure {name!r} do not give its spec (a figure reads a table "
                               "that its spec's reads do not name)")
        data = spec["data_fn"]()
        if data is None or len(data) == 0:
            raise ValueError("no rows to plot")
        fig, plotted = spec["fn"](data, **spec["kwargs"])
        save_figure(fig, plotted, name, outdir, meta=dict(meta), formats=formats, close=True)
        return None
    except Exception as e:  # a figure must never stop the run  # noqa: BLE001
        return f"{type(e).__name__}: {e}"


class LazyTables(Mapping):
    """Tables by name, each read the first time a figure asks for it and then kept.

    ``load(name)`` returns the table or None (absent). The figure set names every
    table it might read, but reads some only as a fallback (``frames_units`` when
    the anchor's profile is missing), so reading them all up front held a
    3.4 M-row table through the figures stage on UNGDC 60-79 for nothing.
    """

    def __init__(self, names: Sequence[str], load):
        self._names = tuple(dict.fromkeys(names))
        self._load = load
        self._got: dict[str, pd.DataFrame] = {}
        self._absent: set[str] = set()

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self._got:
            return self._got[name]
        if name in self._names and name not in self._absent:
            t = self._load(name)
            if t is not None:
                self._got[name] = t
                return t
            self._absent.add(name)
        raise KeyError(name)

    def __contains__(self, name) -> bool:
        try:
            self[name]
        except KeyError:
            return False
        return True

    def __iter__(self):
        return (n for n in self._names if n in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


#: every table a figure reads (the stage's CONSUMES)
FIGURE_TABLES = ("documents", "similarity_to_anchor", "similarity_source_years", "similarity_years", "keyness",
                 "fightin_words", "topic_selection", "topic_prevalence", "topic_effects", "topic_terms_by_era", "frames_years", "frames_source_years",
                 "frame_changepoints", "frame_indices", "anchor_frame_profile", "frames_units", "dispersion", "novelty", "style", "scaling",
                 "scaling_words")

#: the figure tables the topic models do not write: figures that read only these are drawn while
#: the models are fitted (the step ``figures.early``), the others after them
EARLY_TABLES = tuple(t for t in FIGURE_TABLES if not t.startswith("topic_") and t != "novelty")

NAME = "figures"
VERSION = "4"
TABLES = (
    Table("figure_index", "one row per figure of the set", (
        Column("figure", "str", "The figure's name (its file stem under `OUT/figures/`)."),
        Column("plot", "str", "The plot function of analysis.plots that draws it."),
        Column("source_tables", "str", "The tables it is drawn from, comma-separated."),
        Column("status", "str", "`drawn`, `skipped` (its tables are missing or empty, or too few dated "
               "documents) or `failed`."),
        Column("message", "str", "Why it was skipped or failed; empty when drawn.", nullable=True),
    ), "Every figure of the set and whether it was drawn (figures are written as PDF, PNG and SVG with their "
       "data CSV and JSON sidecar)."),
)
PRODUCES = tuple(t.name for t in TABLES)
CONSUMES = tuple(f"table:{t}" for t in FIGURE_TABLES)


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``figures`` stage (``--set figures.KEY=VALUE``)."""

    group: ClassVar[str] = "figures"

    formats: tuple[str, ...] = setting(tuple(FORMATS), "Image formats written beside the CSV and JSON sidecar.",
                                       choices=tuple(FORMATS), sep=",", alt=("png",))
    max_groups: int = setting(7, "Most groups (speakers, venues) coloured before the rest become 'other'.", ge=1)
    n_keyness: int = setting(12, "Key terms shown per side in the keyness figures.", ge=1)
    n_labels: int = setting(8, "Labelled terms per side in the Fightin' Words figures.", ge=0)
    reuse: bool = setting(True, "Keep a figure whose inputs are unchanged and whose files exist.")


def _early(spec: Mapping[str, Any]) -> bool:
    return set(spec["reads"]) <= set(EARLY_TABLES)


def _draw(ctx, cfg: Settings, names: Sequence[str], select, done=None) -> pd.DataFrame:
    tables = LazyTables(names, ctx.table)
    params = {"formats": ",".join(cfg.formats), "max_groups": cfg.max_groups, "n_keyness": cfg.n_keyness,
              "n_labels": cfg.n_labels}
    reuse = cfg.reuse and getattr(ctx.cache, "enabled", True)  # --no-cache redraws everything
    return draw_figures(tables, ctx.figures_dir, meta=ctx.figure_meta(), anchor=ctx.anchor, params=params,
                        log=ctx.log, n_dated=_n_dated(tables, ctx.corpus), reuse=reuse, map=ctx.map,
                        select=select, done=done)


def draw_early(ctx, cfg: Settings) -> None:
    """The figures that read none of the topic models' tables (:data:`EARLY_TABLES`), drawn as
    soon as those tables are written, while the topic models are still being fitted."""
    ctx.put("figures.early", _draw(ctx, cfg, EARLY_TABLES, _early))


def run(ctx, cfg: Settings) -> None:
    """Every figure whose tables exist, under ``OUT/figures/`` (PDF, PNG, SVG, CSV, JSON sidecar).

    Reads the declared upstream tables (of this run or, with the same corpus,
    anchor, seed and text settings, an earlier run in OUT); draws each figure
    with :mod:`analysis.plots` and saves it with :func:`save_figure`. Figures
    whose tables are missing or empty, and cross-year figures when fewer than
    two dated documents are available, are skipped with a logged message.
    The figures that read only :data:`EARLY_TABLES` were drawn by :func:`draw_early`.
    Writes ``figure_index.csv`` (figure, plot, source_tables, status, message).
    """
    index = _draw(ctx, cfg, FIGURE_TABLES, lambda spec: not _early(spec), done=ctx.get("figures.early"))
    ctx.write_table("figure_index", index)
    drawn = int((index["status"] == "drawn").sum())
    ctx.log(f"figures: {drawn} drawn, {len(index) - drawn} skipped or failed, in {ctx.figures_dir}")


#: the stage's steps; costs are rough CPU seconds on UNGDC sessions 60-79 (they only order ready steps)
STEPS = (
    Step("figures.early", draw_early, reads=tuple(f"table:{t}" for t in EARLY_TABLES),
         writes=("artifact:figures.early",), cost=20),
    Step("figures", run, reads=(*CONSUMES, "artifact:figures.early"), writes=PRODUCES, cost=10),
)


def redraw(out: str | os.PathLike, formats: Sequence[str] | str = FORMATS, reuse: bool = True,
           log=print, **params: Any) -> pd.DataFrame:
    """Draw the figures again from a finished run's ``OUT/tables/*.csv`` or ``*.parquet`` (no stage is recomputed).

    Seed, corpus name and hash, and the anchor are read from ``OUT/run.json``.
    Writes ``OUT/figures/`` and ``OUT/tables/figure_index.csv``; returns the index.
    Holds the output folder's lock (:class:`analysis.run.publish.DirLock`) meanwhile, so it
    never draws from or into a folder a run is publishing.
    """
    from analysis.run.publish import DirLock

    out = Path(out)
    tdir = out / "tables"
    if not tdir.is_dir():
        raise FileNotFoundError(f"{tdir}: no tables; run `r2p run --out {out}` first")
    with DirLock(out):
        return _redraw(out, tdir, formats, reuse, log, **params)


def _redraw(out: Path, tdir: Path, formats, reuse: bool, log, **params: Any) -> pd.DataFrame:
    run: dict[str, Any] = {}
    if (out / "run.json").exists():
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    from analysis.run.tables import read_table, table_path

    def load(name: str) -> pd.DataFrame | None:
        p = table_path(tdir, name)  # Parquet or CSV (run.table_format)
        try:
            return read_table(p)
        except Exception as e:  # pragma: no cover - unreadable table  # noqa: BLE001
            log(f"figures: cannot read {p} ({e}); figures from it are skipped")
            return None

    names = sorted({p.stem for p in (*tdir.glob("*.csv"), *tdir.glob("*.parquet"))}
                   - {"units", "kwic", "figure_index"})
    tables = LazyTables(names, load)  # each read when a figure first needs it
    corpus = run.get("corpus", {})
    meta = {"seed": run.get("seed"), "corpus": corpus.get("name"), "corpus_hash": corpus.get("hash"),
            "anchor": None, "package": "analysis", "package_version": package_version()}
    anchor = ((run.get("facts", {}).get("anchor") or {}).get("doc_id")
              or (run.get("parameters", {}).get("compare", {}) or {}).get("anchor") or corpus.get("anchor"))
    if anchor is None and "similarity_to_anchor" in tables:
        sim = tables["similarity_to_anchor"]
        top = sim[pd.to_numeric(sim["cosine"], errors="coerce") >= 0.999999]
        anchor = str(top["doc_id"].iloc[0]) if len(top) == 1 else None
    meta["anchor"] = anchor
    p = {"formats": formats if isinstance(formats, str) else ",".join(formats), **params}
    index = draw_figures(tables, out / "figures", meta=meta, anchor=anchor, params=p, log=log, reuse=reuse)
    from analysis.run.tables import write_csv

    write_csv(index, tdir / "figure_index.csv")
    return index
