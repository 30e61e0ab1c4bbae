"""Figure style and a deterministic saver for publication figures.

One matplotlib style file ships with the package (``analysis/r2p.mplstyle``):
8 pt DejaVu Sans, the Okabe-Ito colour-blind-safe palette paired with line
styles that stay distinguishable in greyscale, TrueType (Type 42) fonts embedded
in PDF, and a fixed SVG hash salt. Journal widths are :data:`SINGLE_COLUMN`
(3.5 in) and :data:`DOUBLE_COLUMN` (7.2 in).

:func:`save_figure` writes, side by side under one name, ``<name>.pdf``,
``<name>.png`` (300 dpi), ``<name>.svg``, ``<name>.csv`` (exactly the data
plotted) and ``<name>.json`` (parameters, seed, corpus hash, package version).
The same figure and data give the same bytes in every file: PDF dates are
stripped, SVG ids are salted with a constant, and ``SOURCE_DATE_EPOCH`` is
pinned while saving.

References
----------
Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): How to make figures
and presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "DOUBLE_COLUMN",
    "FORMATS",
    "LINESTYLES",
    "MARKERS",
    "OKABE_ITO",
    "PALETTE",
    "SINGLE_COLUMN",
    "STYLE_PATH",
    "new_figure",
    "package_version",
    "save_figure",
    "style_context",
    "write_plot_data",
]

#: Single-column journal width in inches.
SINGLE_COLUMN = 3.5
#: Double-column (full page) journal width in inches.
DOUBLE_COLUMN = 7.2

#: The Okabe-Ito palette by name (Okabe & Ito 2008).
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "bluish_green": "#009E73",
    "reddish_purple": "#CC79A7",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "black": "#000000",
    "yellow": "#F0E442",
}
#: Series colours in cycle order (yellow last: weakest contrast on white).
PALETTE: list[str] = list(OKABE_ITO.values())
#: Line styles paired with :data:`PALETTE` so series survive greyscale printing.
LINESTYLES: list[Any] = [
    "-",
    "--",
    "-.",
    ":",
    (0, (5, 1, 1, 1, 1, 1)),
    (0, (1, 2)),
    (0, (8, 2)),
    (0, (3, 1, 1, 1)),
]
#: Marker shapes paired with :data:`PALETTE`.
MARKERS: list[str] = ["o", "s", "^", "D", "v", "P", "X", "*"]

#: The style file shipped with the package.
STYLE_PATH = Path(__file__).with_name("r2p.mplstyle")
#: Image formats written by :func:`save_figure` by default.
FORMATS: tuple[str, ...] = ("pdf", "png", "svg")

# A fixed epoch (2000-01-01T00:00:00Z) pinned while saving, for any backend
# that consults SOURCE_DATE_EPOCH.
_SOURCE_DATE_EPOCH = "946684800"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def package_version() -> str:
    """Return the installed version of the ``analysis`` package (or ``"0+unknown"``)."""
    try:
        from analysis import __version__  # type: ignore[attr-defined]

        return str(__version__)
    except Exception:  # pragma: no cover - depends on install state  # noqa: BLE001
        try:
            from importlib.metadata import version

            return version("analysis")
        except Exception:  # noqa: BLE001
            return "0+unknown"


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Apply the package style (on top of matplotlib defaults) inside a ``with`` block.

    Starting from matplotlib's defaults means a user's ``matplotlibrc`` cannot
    change the figures, so a colleague's laptop draws the same bytes.
    """
    import matplotlib.style

    with matplotlib.style.context(["default", str(STYLE_PATH)]):
        yield


def _width(width: str | float) -> float:
    if isinstance(width, str):
        key = width.lower()
        if key in {"single", "column", "1"}:
            return SINGLE_COLUMN
        if key in {"double", "page", "full", "2"}:
            return DOUBLE_COLUMN
        raise ValueError(
            f"width={width!r} is not understood: use 'single' ({SINGLE_COLUMN} in), "
            f"'double' ({DOUBLE_COLUMN} in) or a number of inches"
        )
    w = float(width)
    if not (0 < w <= 20):
        raise ValueError(f"width={width!r} inches is out of range (0, 20]")
    return w


def new_figure(
    width: str | float = "single",
    height: float | None = None,
    nrows: int = 1,
    ncols: int = 1,
    **subplot_kw: Any,
) -> tuple[Figure, Any]:
    """Create a figure in the package style at a journal width.

    The figure is a plain :class:`matplotlib.figure.Figure` (not registered
    with pyplot), so drawing many figures in a pipeline leaks no memory and a
    notebook shows each figure once.

    Parameters
    ----------
    width : {'single', 'double'} or float
        Journal column width (3.5 in or 7.2 in) or a width in inches.
    height : float, optional
        Height in inches; by default 0.68 of the width for one row, growing with
        the number of rows.
    nrows, ncols : int
        Subplot grid.
    **subplot_kw
        Passed to :meth:`Figure.subplots` (e.g. ``sharex=True``).

    Returns
    -------
    fig : Figure
    axes : Axes or ndarray of Axes
    """
    w = _width(width)
    if height is None:
        per_row = min(2.4, w * 0.68) if ncols == 1 else min(2.0, w / ncols * 0.85)
        height = max(1.6, per_row * nrows + 0.2)
    with style_context():
        fig = Figure(figsize=(w, float(height)))
        axes = fig.subplots(nrows=nrows, ncols=ncols, squeeze=True, **subplot_kw)
    return fig, axes


def _clean_json(value: Any) -> Any:
    """Convert numpy/pandas scalars and paths into JSON-safe values, recursively."""
    if isinstance(value, Mapping):
        return {str(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_clean_json(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _atomic_write(path: Path, writer) -> None:
    """Write via a temporary file in the same folder, then rename over ``path``.

    A failure half-way leaves any earlier good file untouched.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        writer(tmp_path)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_plot_data(data: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write plotted data as CSV; floats in their shortest exact (round-trip) form."""
    path = Path(path)
    frame = data.reset_index(drop=True) if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    _atomic_write(
        path,
        lambda p: frame.to_csv(p, index=False, lineterminator="\n"),
    )
    return path


def save_figure(
    fig: Figure,
    data: pd.DataFrame,
    name: str,
    outdir: str | os.PathLike,
    meta: Mapping[str, Any] | None = None,
    formats: Sequence[str] = FORMATS,
    close: bool = False,
) -> dict[str, Path]:
    """Save a figure with its data and a JSON sidecar, byte-for-byte reproducibly.

    Writes ``<outdir>/<name>.pdf``, ``.png`` (300 dpi), ``.svg``, ``.csv``
    (exactly ``data``, the frame the ``plot_*`` function drew) and ``.json``
    (``meta`` plus the file list, figure size and the style file's hash).

    Parameters
    ----------
    fig : Figure
        The figure to save (as returned by a ``plot_*`` function).
    data : DataFrame
        The data drawn in the figure.
    name : str
        File stem: letters, digits, ``_``, ``-`` and ``.`` only.
    outdir : path
        Folder to write into (created if needed).
    meta : mapping, optional
        Parameters, seed, corpus name and hash, package version, source table,
        e.g. :meth:`analysis.pipeline.RunContext.figure_meta` plus the plot's own
        settings. ``package_version`` is filled in when missing.
    formats : sequence of str
        Image formats, a subset of ``('pdf', 'png', 'svg')``.
    close : bool
        Clear the figure after saving to free memory.

    Returns
    -------
    dict
        Format (``'pdf'``, ``'png'``, ``'svg'``, ``'csv'``, ``'json'``) -> path.
    """
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(
            f"figure name {name!r} is not a safe file stem: use letters, digits, '_', '-' or '.'"
        )
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"save_figure({name!r}): data must be the pandas DataFrame that was plotted, "
            f"got {type(data).__name__}"
        )
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown figure format(s) {bad}: choose from {list(FORMATS)}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    version = package_version()
    creator = f"analysis {version} (r2p speech-corpus toolkit)"
    metadata = {
        "pdf": {"Creator": creator, "CreationDate": None, "ModDate": None},
        "svg": {"Creator": creator, "Date": None},
        "png": {"Software": creator},
    }
    paths: dict[str, Path] = {}
    old_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = _SOURCE_DATE_EPOCH
    engine = fig.get_layout_engine()
    try:
        with style_context():
            for i, fmt in enumerate(formats):
                path = outdir / f"{name}.{fmt}"
                _atomic_write(
                    path,
                    lambda p, fmt=fmt: fig.savefig(
                        p, format=fmt, dpi=300, metadata=metadata[fmt]
                    ),
                )
                paths[fmt] = path
                if i == 0 and engine is not None:
                    # the layout is fixed by the first save; later formats reuse it
                    fig.set_layout_engine("none")
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
        if old_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old_epoch

    paths["csv"] = write_plot_data(data, outdir / f"{name}.csv")

    sidecar: dict[str, Any] = dict(meta or {})
    sidecar.setdefault("package_version", version)
    sidecar.update(
        {
            "figure": name,
            "files": sorted(p.name for p in paths.values()) + [f"{name}.json"],
            "size_inches": [round(float(v), 4) for v in fig.get_size_inches()],
            "png_dpi": 300,
            "data_columns": [str(c) for c in data.columns],
            "data_rows": len(data),
            "matplotlib_version": matplotlib.__version__,
            "style": STYLE_PATH.name,
            "style_sha256": hashlib.sha256(STYLE_PATH.read_bytes()).hexdigest(),
        }
    )
    json_path = outdir / f"{name}.json"
    text = json.dumps(_clean_json(sidecar), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    _atomic_write(json_path, lambda p: p.write_text(text, encoding="utf-8"))
    paths["json"] = json_path
    if close:
        fig.clear()
    return paths


# --------------------------------------------------------------------------- pipeline stage

#: Figures that compare documents across time; skipped with fewer than two dated documents.
CROSS_YEAR = {
    "dispersion_over_time", "similarity_to_anchor", "similarity_heatmap", "topic_prevalence", "frame_trajectories",
    "pillar_shares", "novelty", "style_trends",
}

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

    def add(name, plot, sources, data_fn, **kwargs):
        missing = [s for s in sources if not _has(tables, s)]
        specs.append({"figure": name, "plot": plot.__name__, "fn": plot, "sources": list(sources),
                      "missing": missing, "data_fn": data_fn, "kwargs": kwargs})

    add("corpus_overview", P.plot_corpus_overview, ["documents"], lambda: dv, max_groups=max_groups)
    add("similarity_to_anchor", P.plot_similarity_to_anchor, ["similarity_to_anchor"],
        lambda: tables["similarity_to_anchor"], docvars=dv, anchor=anchor, max_groups=max_groups)
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
    add("frame_trajectories", P.plot_frame_trajectories, ["frames_years"], lambda: tables["frames_years"],
        changepoints=tables.get("frame_changepoints"))
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
    h.update(repr([str(c) for c in df.columns]).encode())
    h.update(repr([str(t) for t in df.dtypes]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())


def inputs_key(spec: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any],
               formats: Sequence[str]) -> str:
    """SHA-256 of everything a figure depends on: source tables, plot arguments, metadata,
    style file, the drawing code (plots.py, figures.py), package and matplotlib versions,
    and the formats written."""
    h = hashlib.sha256()
    for name in (spec["figure"], spec["plot"], matplotlib.__version__, package_version(), ",".join(formats)):
        h.update(str(name).encode() + b"\0")
    h.update(STYLE_PATH.read_bytes())
    for code in ("plots.py", "figures.py"):  # a change in the drawing code redraws
        h.update((Path(__file__).with_name(code)).read_bytes())
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
                 n_dated: int | None = None, reuse: bool = True) -> pd.DataFrame:
    """Draw and save every figure whose tables exist; return an index of what was done.

    Never raises for a figure: a missing table, too few dated documents or a
    plotting error is logged and recorded in the index (``status`` ``skipped``
    or ``failed``), and the other figures go on.

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
    rows = []
    for spec in figure_specs(tables, anchor=anchor, params=params):
        name, sources = spec["figure"], ",".join(spec["sources"])
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
                if not (reuse and _reusable(Path(outdir), name, key, formats)):
                    data = spec["data_fn"]()
                    if data is None or len(data) == 0:
                        raise ValueError("no rows to plot")
                    fig, plotted = spec["fn"](data, **spec["kwargs"])
                    save_figure(fig, plotted, name, outdir, meta=m, formats=formats, close=True)
                rows.append({"figure": name, "plot": spec["plot"], "source_tables": sources,
                             "status": "drawn", "message": ""})
                continue
            except Exception as e:  # a figure must never stop the run  # noqa: BLE001
                msg = f"{type(e).__name__}: {e}"
                status = "failed"
        log(f"figures: {name} {status}: {msg}")
        rows.append({"figure": name, "plot": spec["plot"], "source_tables": sources,
                     "status": status, "message": msg})
    return pd.DataFrame(rows, columns=FIGURE_INDEX_COLUMNS)


def stage(ctx) -> None:
    """Pipeline stage ``figures`` (last): every figure whose tables exist, under ``OUT/figures/``.

    Reads ``ctx.tables``; draws each figure of the set with :mod:`analysis.plots`
    and saves it with :func:`save_figure` (PDF, PNG, SVG, CSV of the plotted
    data, JSON sidecar). Figures whose tables are missing or empty, and
    cross-year figures when fewer than two dated documents are available, are
    skipped with a logged message. Writes ``figure_index.csv`` (figure, plot,
    source_tables, status, message).

    Parameters (``--set figures.KEY=VALUE``): ``formats`` ("pdf,png,svg"),
    ``max_groups`` (7), ``n_keyness`` (12), ``n_labels`` (8), ``reuse`` (true:
    keep a figure whose inputs are unchanged and whose files exist).
    """
    p = ctx.params("figures", {"formats": ",".join(FORMATS), "max_groups": 7, "n_keyness": 12, "n_labels": 8,
                               "reuse": True})
    anchor = ctx.used_params.get("compare", {}).get("anchor") or getattr(ctx.full_corpus, "anchor", None)
    if anchor is None:  # as the compare stage: the most recent available document
        try:
            from analysis.compare import default_anchor

            anchor = default_anchor(ctx.corpus)
        except Exception:  # pragma: no cover - compare module absent  # noqa: BLE001
            anchor = None
    reuse = bool(p["reuse"]) and getattr(ctx.cache, "enabled", True)  # --no-cache redraws everything
    index = draw_figures(ctx.tables, ctx.figures_dir, meta=ctx.figure_meta(), anchor=anchor, params=p,
                         log=ctx.log, n_dated=_n_dated(ctx.tables, ctx.corpus), reuse=reuse)
    ctx.write_table("figure_index", index)
    drawn = int((index["status"] == "drawn").sum())
    ctx.log(f"figures: {drawn} drawn, {len(index) - drawn} skipped or failed, in {ctx.figures_dir}")


def redraw(out: str | os.PathLike, formats: Sequence[str] | str = FORMATS, reuse: bool = True,
           log=print, **params: Any) -> pd.DataFrame:
    """Draw the figures again from a finished run's ``OUT/tables/*.csv`` (no stage is recomputed).

    Seed, corpus name and hash, and the anchor are read from ``OUT/run.json``.
    Writes ``OUT/figures/`` and ``OUT/tables/figure_index.csv``; returns the index.
    """
    out = Path(out)
    tdir = out / "tables"
    if not tdir.is_dir():
        raise FileNotFoundError(f"{tdir}: no tables; run `r2p run --out {out}` first")
    run: dict[str, Any] = {}
    if (out / "run.json").exists():
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    str_cols = {c: "str" for c in ("doc_id", "unit_id", "date", "term", "label", "speaker", "frame", "comparison")}
    tables = {}
    for p in sorted(tdir.glob("*.csv")):
        if p.stem in ("units", "kwic", "figure_index"):
            continue
        try:
            tables[p.stem] = pd.read_csv(p, dtype=str_cols, keep_default_na=True)
        except Exception as e:  # pragma: no cover - unreadable table  # noqa: BLE001
            log(f"figures: cannot read {p} ({e}); figures from it are skipped")
    corpus = run.get("corpus", {})
    meta = {"seed": run.get("seed"), "corpus": corpus.get("name"), "corpus_hash": corpus.get("hash"),
            "package": "analysis", "package_version": package_version()}
    anchor = (run.get("parameters", {}).get("compare", {}) or {}).get("anchor") or corpus.get("anchor")
    if anchor is None and "similarity_to_anchor" in tables:
        sim = tables["similarity_to_anchor"]
        top = sim[pd.to_numeric(sim["cosine"], errors="coerce") >= 0.999999]
        anchor = str(top["doc_id"].iloc[0]) if len(top) == 1 else None
    p = {"formats": formats if isinstance(formats, str) else ",".join(formats), **params}
    index = draw_figures(tables, out / "figures", meta=meta, anchor=anchor, params=p, log=log, reuse=reuse)
    from analysis.pipeline import write_csv

    write_csv(index, tdir / "figure_index.csv")
    return index
