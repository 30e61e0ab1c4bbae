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

from analysis.resources import style_path

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
STYLE_PATH = style_path()
#: Image formats written by :func:`save_figure` by default.
FORMATS: tuple[str, ...] = ("pdf", "png", "svg")

# A fixed epoch (2000-01-01T00:00:00Z) pinned while saving, for any backend
# that consults SOURCE_DATE_EPOCH.
_SOURCE_DATE_EPOCH = "946684800"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def package_version() -> str:
    """Return the installed version of the ``analysis`` package (or ``"0+unknown"``)."""
    try:
        from analysis._version import __version__  # type: ignore[attr-defined]

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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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
