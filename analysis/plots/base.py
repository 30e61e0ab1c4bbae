"""Shared helpers of the drawing modules: table checks, figures and axes, time, groups, styles.

The drawing modules (:mod:`~analysis.plots.corpus`, :mod:`~analysis.plots.similarity`,
:mod:`~analysis.plots.keyness`, :mod:`~analysis.plots.topics`, :mod:`~analysis.plots.framing`,
:mod:`~analysis.plots.novelty`) import this module and :mod:`analysis.plots.save`; neither
imports them.

Every function follows one grammar: ``plot_*(data, ax=None, ...) -> (fig, plotted)``.
``data`` is a table in the layout the pipeline writes (see the README's table
reference); ``plotted`` is a tidy DataFrame holding exactly the values drawn
(after filtering, aggregation and ordering), which :func:`analysis.figures.save_figure`
writes next to the image so a reader can re-plot or check every mark. When
``ax`` is given the plot draws into it (multi-panel plots take ``axes``, a
sequence of axes); otherwise a new figure at a journal width is created.

Series are told apart by colour (Okabe-Ito) *and* by line style or marker, so
figures survive greyscale printing. Categories beyond ``max_groups`` are pooled
as "other" so legends stay readable on corpora with many speakers.

Time axes use the decimal year of a document's ``date`` when the table (or the
``docvars`` passed alongside) carries one, and the ``year`` column otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.plots.save import (
    LINESTYLES,
    MARKERS,
    PALETTE,
    new_figure,
)

__all__ = ["OTHER", "decimal_year"]

OTHER = "other"


def _require(data: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(
            f"{what}: the table lacks column(s) {missing}; it has {list(data.columns)}. "
            f"Pass the table in the layout the pipeline writes (see README, 'Tables')."
        )


def _nonempty(data: pd.DataFrame, what: str) -> None:
    if len(data) == 0:
        raise ValueError(f"{what}: nothing to plot (the table has no usable rows)")


def _root(ax: Axes) -> Figure:
    """The top-level figure of an axes (also inside subfigures; matplotlib >= 3.8)."""
    try:
        return ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10
        fig = ax.figure
        while getattr(fig, "figure", fig) is not fig:
            fig = fig.figure
        return fig


def _fig_ax(ax: Axes | None, width: str | float = "single", height: float | None = None):
    if ax is None:
        fig, ax = new_figure(width, height)
        return fig, ax
    return _root(ax), ax


def _fig_axes(axes, n: int, width="double", height=None, ncols=1, **kw):
    if axes is None:
        nrows = math.ceil(n / ncols)
        fig, grid = new_figure(width, height, nrows=nrows, ncols=ncols, **kw)
        flat = list(np.atleast_1d(grid).ravel())
        for extra in flat[n:]:
            extra.remove()
        for i, a in enumerate(flat[:n]):
            if i + ncols >= n:  # lowest panel of its column: keep its x tick labels
                a.xaxis.set_tick_params(labelbottom=True)
        return fig, flat[:n]
    flat = list(np.atleast_1d(np.asarray(axes, dtype=object)).ravel())
    if len(flat) < n:
        raise ValueError(f"need {n} axes for this plot, got {len(flat)}")
    return _root(flat[0]), flat[:n]


def decimal_year(dates: pd.Series, years: pd.Series | None = None) -> pd.Series:
    """Decimal year of ISO dates (``2017-09-06`` -> 2017.68); falls back to ``years``.

    Rows whose date is missing or unparseable take ``year + 0.5`` (the middle of
    the year) when ``years`` is given, else NaN.
    """
    parsed = pd.to_datetime(pd.Series(dates, dtype="object"), errors="coerce", format="mixed")
    start = pd.to_datetime(parsed.dt.year.astype("Int64").astype("string") + "-01-01", errors="coerce")
    length = np.where(parsed.dt.is_leap_year.fillna(False).astype(bool), 366.0, 365.0)
    frac = (parsed - start).dt.days.astype("float64") / length
    out = parsed.dt.year.astype("float64") + frac
    out.index = pd.Series(dates).index
    if years is not None:
        fallback = pd.to_numeric(pd.Series(years, index=out.index), errors="coerce").astype("float64") + 0.5
        out = out.fillna(fallback)
    return out.astype("float64")


def _time(data: pd.DataFrame, docvars: pd.DataFrame | None = None) -> tuple[pd.Series, str]:
    """Time coordinate of each row and the axis label."""
    date = None
    if "date" in data.columns:
        date = data["date"]
    elif docvars is not None and "doc_id" in data.columns and {"doc_id", "date"} <= set(docvars.columns):
        lookup = docvars.drop_duplicates("doc_id").set_index("doc_id")["date"]
        date = data["doc_id"].map(lookup)
    years = data["year"] if "year" in data.columns else None
    if date is not None and pd.to_datetime(pd.Series(date, dtype="object"), errors="coerce", format="mixed").notna().any():
        return decimal_year(date, years), "Year"
    if years is None:
        raise ValueError("the table has neither a 'date' nor a 'year' column to place rows in time")
    return pd.to_numeric(years, errors="coerce").astype("float64"), "Year"


def _top_groups(values: pd.Series, max_groups: int) -> pd.Series:
    """Keep the ``max_groups - 1`` most frequent categories, pool the rest as 'other'."""
    vals = values.astype("object").where(values.notna(), "unknown").astype(str)
    counts = vals.value_counts()
    order = sorted(counts.index, key=lambda k: (-counts[k], k))
    if len(order) <= max_groups:
        return vals
    keep = set(order[: max_groups - 1])
    return vals.where(vals.isin(keep), OTHER)


def _group_order(groups: pd.Series) -> list[str]:
    counts = groups.value_counts()
    order = sorted(counts.index, key=lambda k: (k == OTHER, -counts[k], k))
    return list(order)


def _style(i: int, group: Any = None) -> dict[str, Any]:
    if group == OTHER:
        return {"color": "#999999", "linestyle": ":", "marker": "x"}
    return {
        "color": PALETTE[i % len(PALETTE)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


def _year_ticks(ax: Axes, lo: float, hi: float) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    if np.isfinite(lo) and np.isfinite(hi):
        pad = max(0.5, (hi - lo) * 0.02)
        ax.set_xlim(lo - pad, hi + pad)


def _int_years(ax: Axes, nbins: int = 5) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=nbins, integer=True))


def _pick_comparison(data: pd.DataFrame, comparison: str | None, what: str) -> tuple[pd.DataFrame, str]:
    comps = list(dict.fromkeys(data["comparison"].astype(str)))
    if comparison is None:
        if not comps:
            raise ValueError(f"{what}: the table has no rows")
        comparison = comps[0]
    sub = data[data["comparison"].astype(str) == str(comparison)]
    if sub.empty:
        raise ValueError(f"{what}: no rows for comparison {comparison!r}; available: {comps}")
    return sub, str(comparison)


def _comparison_sides(comparison: str) -> tuple[str, str]:
    """Split 'A vs B' / 'A_vs_B' / 'A|B' into the two group names."""
    parts = re.split(r"\s+vs\.?\s+|_vs_|\|", comparison, maxsplit=1)
    if len(parts) == 2 and all(p.strip() for p in parts):
        # 'speaker=Ban Ki-moon' -> 'Ban Ki-moon'
        return tuple(re.sub(r"^\s*\w+\s*(==|=|>=|<=|!=|>|<)\s*", "", p).strip() or p.strip()
                     for p in parts)
    return "target", "reference"


def _small_multiples(n: int, axes, ncols: int = 4, panel_h: float = 1.35):
    if axes is not None:
        return _fig_axes(axes, n)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    return _fig_axes(None, n, "double", height=panel_h * nrows + 0.45, ncols=ncols, sharex=True, sharey=True)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:2])


#: Iterations of adjustText's label placement: a fixed count, not its default
#: one-second time limit, so that the same figure gives the same bytes.
LABEL_ITERATIONS = 100


def label_overlaps(texts, renderer=None) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of text artists whose drawn bounding boxes intersect."""
    if not texts:
        return []
    fig = _root(texts[0].axes) if texts[0].axes is not None else texts[0].figure
    if renderer is None:
        fig.draw_without_rendering()
        renderer = fig._get_renderer()          # matplotlib's renderer for layout (tight_layout uses it)
    boxes = [t.get_window_extent(renderer) for t in texts]
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
            if boxes[i].overlaps(boxes[j])]


def place_labels(ax: Axes, texts: list, x, y, max_rounds: int = 3) -> None:
    """Move point labels so that no two overlap, joined to their points by thin lines.

    ``adjustText`` (Flores 2023) repels the labels from one another and from
    the labelled points by a fixed number of iterations
    (:data:`LABEL_ITERATIONS`, so placement is deterministic); when two labels
    still touch it runs again with a wider repulsion box (up to ``max_rounds``
    times). ``x``, ``y``: data coordinates of the labelled points.

    References
    ----------
    Flores, I. (2023). adjustText: iteratively adjust text position in
    matplotlib plots to minimise overlaps. https://github.com/Phlya/adjustText
    """
    if not texts:
        return
    from adjustText import adjust_text
    from matplotlib.patches import FancyArrowPatch

    ax.set_xlim(ax.get_xlim())          # fix the limits: leader lines must not rescale the axes
    ax.set_ylim(ax.get_ylim())
    expand = (1.1, 1.3)
    for _ in range(max(1, int(max_rounds))):
        adjust_text(texts, x=np.asarray(x, float), y=np.asarray(y, float), ax=ax, expand=expand,
                    iter_lim=LABEL_ITERATIONS, time_lim=None, ensure_inside_axes=True)
        if not label_overlaps(texts):
            break
        expand = (expand[0] + 0.15, expand[1] + 0.3)
    for t, px, py in zip(texts, x, y):
        tx, ty = t.get_position()
        (dx, dy), (qx, qy) = ax.transData.transform([(tx, ty), (px, py)])
        if np.hypot(dx - qx, dy - qy) < 8:      # label beside its point: no leader line
            continue
        ax.add_patch(FancyArrowPatch(posA=(tx, ty), posB=(px, py), patchA=t, arrowstyle="-",
                                     color="#888888", linewidth=0.4, shrinkA=0, shrinkB=1.5,
                                     zorder=1, gid="leader"))
