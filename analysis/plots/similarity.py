"""Similarity figures: each document's TF-IDF cosine to the anchor, the year-by-year heatmap.

See :mod:`analysis.plots` for the grammar every ``plot_*`` follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.plots.base import (
    _fig_ax,
    _group_order,
    _nonempty,
    _require,
    _root,
    _style,
    _time,
    _top_groups,
    _year_ticks,
)
from analysis.plots.save import OKABE_ITO, style_context

__all__ = [
    "plot_similarity_heatmap",
    "plot_similarity_source_years",
    "plot_similarity_to_anchor",
]


def plot_similarity_to_anchor(
    data: pd.DataFrame, ax: Axes | None = None, docvars: pd.DataFrame | None = None,
    anchor: str | None = None, by: str = "speaker", max_groups: int = 7,
) -> tuple[Figure, pd.DataFrame]:
    """TF-IDF cosine of each document to the anchor over time, with bootstrap intervals.

    Parameters
    ----------
    data : DataFrame
        ``similarity_to_anchor.csv``: doc_id, year, speaker, cosine, ci_low, ci_high.
    docvars : DataFrame, optional
        Supplies ``date`` for a finer time axis.
    anchor : str, optional
        The anchor's doc_id; it is drawn as a star and left out of the groups.

    Returns
    -------
    fig, plotted : Figure, DataFrame(doc_id, x, cosine, ci_low, ci_high, group)
        ``group`` is ``"anchor"`` for the anchor row.
    """
    _require(data, ["doc_id", "cosine"], "plot_similarity_to_anchor")
    d = data.dropna(subset=["cosine"]).copy()
    x, xlabel = _time(d, docvars)
    d["x"] = x.to_numpy()
    d = d[d["x"].notna()]
    _nonempty(d, "plot_similarity_to_anchor")
    for c in ("ci_low", "ci_high"):
        if c not in d.columns:
            d[c] = d["cosine"]
    groups = _top_groups(d[by], max_groups) if by in d.columns else pd.Series("all", index=d.index)
    if anchor is not None:
        groups = groups.where(d["doc_id"].astype(str) != str(anchor), "anchor")
    plotted = pd.DataFrame({
        "doc_id": d["doc_id"].astype(str).to_numpy(),
        "x": d["x"].to_numpy(dtype=float),
        "cosine": d["cosine"].to_numpy(dtype=float),
        "ci_low": d["ci_low"].to_numpy(dtype=float),
        "ci_high": d["ci_high"].to_numpy(dtype=float),
        "group": groups.to_numpy(),
    })
    order = [g for g in _group_order(plotted["group"]) if g != "anchor"]
    plotted["group"] = pd.Categorical(plotted["group"], categories=order + ["anchor"])
    plotted = plotted.sort_values(["group", "x", "doc_id"]).reset_index(drop=True)
    plotted["group"] = plotted["group"].astype(str)
    fig, ax = _fig_ax(ax, "double" if len(plotted) > 40 or len(order) > 3 else "single",
                      height=2.8 if len(plotted) > 40 or len(order) > 3 else None)
    with style_context():
        for i, g in enumerate(order):
            sub = plotted[plotted["group"] == g]
            st = _style(i, g)
            ok = sub["ci_low"].notna() & sub["ci_high"].notna()
            ax.vlines(sub["x"][ok], sub["ci_low"][ok], sub["ci_high"][ok], color=st["color"], linewidth=0.6,
                      alpha=0.8, gid=f"intervals:{g}")
            ax.plot(sub["x"], sub["cosine"], linestyle="none", marker=st["marker"], color=st["color"],
                    markersize=3.5, label=str(g), gid=f"points:{g}")
        sub = plotted[plotted["group"] == "anchor"]
        if len(sub):
            ax.plot(sub["x"], sub["cosine"], linestyle="none", marker="*", markersize=9,
                    color=OKABE_ITO["black"], label="anchor", gid="points:anchor", zorder=5)
        ax.set_ylabel("Cosine similarity to anchor")
        ax.set_xlabel(xlabel)
        ax.set_title("Similarity to the anchor (TF-IDF cosine, 95% CI)")
        _year_ticks(ax, plotted["x"].min(), plotted["x"].max())
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, plotted


def plot_similarity_heatmap(
    data: pd.DataFrame, ax: Axes | None = None, cmap: str = "viridis",
) -> tuple[Figure, pd.DataFrame]:
    """Year-by-year TF-IDF cosine similarity as a heatmap.

    Parameters
    ----------
    data : DataFrame
        ``similarity_years.csv``: year_a, year_b, cosine (either triangle or both).

    Returns
    -------
    fig, plotted : Figure, DataFrame(year_a, year_b, cosine)
        The full symmetric grid in image order (row ``year_a``, column ``year_b``);
        missing cells are NaN.
    """
    _require(data, ["year_a", "year_b", "cosine"], "plot_similarity_heatmap")
    d = data.dropna(subset=["year_a", "year_b"])
    _nonempty(d, "plot_similarity_heatmap")
    a = d["year_a"].astype(int).to_numpy()
    b = d["year_b"].astype(int).to_numpy()
    c = d["cosine"].to_numpy(dtype=float)
    years = sorted(set(a) | set(b))
    idx = {y: i for i, y in enumerate(years)}
    grid = np.full((len(years), len(years)), np.nan)
    # fill the mirror first so explicit entries win
    grid[[idx[y] for y in b], [idx[y] for y in a]] = c
    grid[[idx[y] for y in a], [idx[y] for y in b]] = c
    fig, ax = _fig_ax(ax, "single" if len(years) <= 40 else "double",
                      height=3.2 if len(years) <= 40 else 6.4)
    with style_context():
        ax.grid(False)
        im = ax.imshow(grid, cmap=cmap, origin="lower", aspect="equal", interpolation="nearest",
                       extent=(years[0] - 0.5, years[-1] + 0.5, years[0] - 0.5, years[-1] + 0.5),
                       gid="heatmap")
        cb = _root(ax).colorbar(im, ax=ax, shrink=0.85)
        cb.set_label("Cosine similarity")
        cb.outline.set_linewidth(0.4)
        ax.set_xlabel("Year")
        ax.set_ylabel("Year")
        ax.set_title("Year-by-year similarity (TF-IDF cosine)")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
        ax.tick_params(axis="x", labelrotation=45)
    ya, yb = np.meshgrid(years, years, indexing="ij")
    plotted = pd.DataFrame({"year_a": ya.ravel(), "year_b": yb.ravel(), "cosine": grid.ravel()})
    return fig, plotted


def plot_similarity_source_years(
    data: pd.DataFrame, ax: Axes | None = None, by: str = "source",
) -> tuple[Figure, pd.DataFrame]:
    """Mean similarity to the anchor per year, one line per source, with bootstrap intervals.

    Parameters
    ----------
    data : DataFrame
        ``similarity_source_years.csv``: source, year, n_docs, cosine, ci_low, ci_high
        (:func:`analysis.textstats.similarity.stat_similarity_by`).
    by : str
        The group column (``source``).

    Returns
    -------
    fig, plotted : Figure, DataFrame(source, year, cosine, ci_low, ci_high, n_docs)
        Sources in table order, years ascending.
    """
    _require(data, [by, "year", "cosine"], "plot_similarity_source_years")
    d = data.dropna(subset=[by, "year", "cosine"]).copy()
    _nonempty(d, "plot_similarity_source_years")
    for c in ("ci_low", "ci_high"):
        if c not in d.columns:
            d[c] = d["cosine"]
    if "n_docs" not in d.columns:
        d["n_docs"] = 1
    groups = list(dict.fromkeys(d[by].astype(str)))
    parts = []
    fig, ax = _fig_ax(ax, "double", height=2.6)
    with style_context():
        for i, g in enumerate(groups):
            s = d[d[by].astype(str) == g].sort_values("year")
            x = s["year"].astype(float).to_numpy()
            st = _style(i, g)
            lo, hi = s["ci_low"].astype(float).to_numpy(), s["ci_high"].astype(float).to_numpy()
            ax.fill_between(x, lo, hi, color=st["color"], alpha=0.2, linewidth=0, gid=f"band:{g}")
            if len(x) < 3:  # a lone year gets its interval as a bar
                ax.vlines(x, lo, hi, color=st["color"], linewidth=0.8, gid=f"interval:{g}")
            ax.plot(x, s["cosine"].astype(float), color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                    markersize=3, linewidth=1.0, label=g, gid=f"line:{g}")
            parts.append(pd.DataFrame({by: g, "year": x, "cosine": s["cosine"].astype(float).to_numpy(),
                                       "ci_low": lo, "ci_high": hi,
                                       "n_docs": s["n_docs"].astype(float).to_numpy()}))
        plotted = pd.concat(parts, ignore_index=True)
        ax.set_ylabel("Mean cosine to the anchor")
        ax.set_xlabel("Year")
        ax.set_title(f"Similarity to the anchor by year and {by} (TF-IDF cosine, 95% bootstrap CI)")
        _year_ticks(ax, plotted["year"].min(), plotted["year"].max())
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, plotted
