"""Corpus overview figures: statements per year, statement lengths, the two-panel overview.

See :mod:`analysis.plots` for the grammar every ``plot_*`` follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.plots.base import (
    _fig_ax,
    _fig_axes,
    _group_order,
    _nonempty,
    _require,
    _style,
    _time,
    _top_groups,
    _year_ticks,
)
from analysis.plots.save import style_context

__all__ = [
    "plot_corpus_overview",
    "plot_passage_shares",
    "plot_statement_lengths",
    "plot_statements_per_year",
]


def plot_statements_per_year(
    docvars: pd.DataFrame, ax: Axes | None = None, by: str = "venue", max_groups: int = 7,
    bin_years: int | None = None,
) -> tuple[Figure, pd.DataFrame]:
    """Stacked bars of the number of statements per year, split by a docvar.

    Parameters
    ----------
    docvars : DataFrame
        One row per document with ``doc_id``, ``year`` and (optionally) ``by``.
    by : str
        Category column (``venue``, ``speaker``, ``genre`` ...). If absent, one series "all".
    max_groups : int
        Categories beyond this are pooled as "other".
    bin_years : int, optional
        Years per bar; by default 1, or 10 (decades) when the years span more than 40.

    Returns
    -------
    fig, plotted : Figure, DataFrame(year, group, n, bottom, bin_years)
        One row per bar segment: its start year, height ``n`` and base ``bottom``.
    """
    _require(docvars, ["doc_id", "year"], "plot_statements_per_year")
    dv = docvars.dropna(subset=["year"])
    _nonempty(dv, "plot_statements_per_year")
    groups = _top_groups(dv[by], max_groups) if by in dv.columns else pd.Series("all", index=dv.index)
    yrs = dv["year"].astype(int).to_numpy()
    if bin_years is None:
        bin_years = 10 if yrs.max() - yrs.min() > 40 else 1
    bin_years = int(bin_years)
    frame = pd.DataFrame({"year": (yrs // bin_years) * bin_years, "group": groups.to_numpy()})
    order = _group_order(frame["group"])
    counts = frame.groupby(["year", "group"]).size().rename("n").reset_index()
    years = sorted(counts["year"].unique())
    wide = counts.pivot(index="year", columns="group", values="n").reindex(index=years, columns=order).fillna(0)
    fig, ax = _fig_ax(ax, "double" if len(years) > 30 else "single")
    rows = []
    bottom = np.zeros(len(years))
    with style_context():
        for i, g in enumerate(order):
            h = wide[g].to_numpy(dtype=float)
            ax.bar(np.asarray(years, dtype=float) + (bin_years - 1) / 2, h, bottom=bottom, width=0.8 * bin_years,
                   color=_style(i, g)["color"],
                   edgecolor="white", linewidth=0.3, label=str(g), gid=f"bars:{g}")
            rows.append(pd.DataFrame({"year": years, "group": g, "n": h, "bottom": bottom.copy()}))
            bottom = bottom + h
        per = "year" if bin_years == 1 else ("decade" if bin_years == 10 else f"{bin_years} years")
        ax.set_ylabel("Statements")
        ax.set_xlabel("Year")
        ax.set_title(f"Statements per {per} by {by}" if by in docvars.columns else f"Statements per {per}")
        ax.yaxis.get_major_locator().set_params(integer=True)
        _year_ticks(ax, min(years), max(years) + bin_years - 1)
        if len(order) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    plotted = pd.concat(rows, ignore_index=True)
    plotted = plotted[plotted["n"] > 0].reset_index(drop=True)
    plotted["bin_years"] = bin_years
    plotted["by"] = by
    return fig, plotted


def plot_statement_lengths(
    docvars: pd.DataFrame, ax: Axes | None = None, by: str = "speaker", length_col: str = "n_tokens",
    max_groups: int = 7,
) -> tuple[Figure, pd.DataFrame]:
    """Length of each statement (tokens) over time, one marker per ``by`` group.

    Returns
    -------
    fig, plotted : Figure, DataFrame(doc_id, x, length, group)
    """
    _require(docvars, ["doc_id", length_col], "plot_statement_lengths")
    dv = docvars.dropna(subset=[length_col])
    x, xlabel = _time(dv)
    keep = x.notna()
    dv, x = dv[keep], x[keep]
    _nonempty(dv, "plot_statement_lengths")
    groups = _top_groups(dv[by], max_groups) if by in dv.columns else pd.Series("all", index=dv.index)
    plotted = pd.DataFrame({
        "doc_id": dv["doc_id"].astype(str).to_numpy(),
        "x": x.to_numpy(dtype=float),
        "length": dv[length_col].to_numpy(dtype=float),
        "group": groups.to_numpy(),
    })
    order = _group_order(plotted["group"])
    plotted["group"] = pd.Categorical(plotted["group"], categories=order)
    plotted = plotted.sort_values(["group", "x", "doc_id"]).reset_index(drop=True)
    plotted["group"] = plotted["group"].astype(str)
    fig, ax = _fig_ax(ax)
    with style_context():
        for i, g in enumerate(order):
            sub = plotted[plotted["group"] == g]
            st = _style(i, g)
            ax.plot(sub["x"], sub["length"], linestyle="none", marker=st["marker"], color=st["color"],
                    markersize=3.5, alpha=0.85, label=str(g), gid=f"points:{g}")
        ax.set_yscale("log")
        ax.set_ylabel("Tokens per statement")
        ax.set_xlabel(xlabel)
        ax.set_title(f"Statement length by {by}" if by in docvars.columns else "Statement length")
        _year_ticks(ax, plotted["x"].min(), plotted["x"].max())
        if len(order) > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, plotted


def plot_corpus_overview(
    docvars: pd.DataFrame, axes=None, venue_col: str = "venue", speaker_col: str = "speaker",
    length_col: str = "n_tokens", max_groups: int = 7,
) -> tuple[Figure, pd.DataFrame]:
    """Three-panel corpus overview: statements per year by venue, by speaker, and lengths.

    Without a ``venue_col`` column the first of ``genre``, ``party``, ``role`` is
    used; panels whose category column is missing are left out. ``docvars`` needs
    ``doc_id``, ``year`` and, for the length panel, ``length_col``.

    Returns
    -------
    fig, plotted : Figure, DataFrame
        The panels' data stacked, with a ``panel`` column
        (``per_year_by_<col>``, ``lengths``).
    """
    _require(docvars, ["doc_id", "year"], "plot_corpus_overview")
    if venue_col not in docvars.columns:  # other corpora: the nearest kind of statement
        venue_col = next((c for c in ("genre", "venue", "party", "role") if c in docvars.columns), venue_col)
    panels = [c for c in (venue_col, speaker_col) if c in docvars.columns and docvars[c].notna().any()]
    if not panels:
        panels = [venue_col]
    has_len = length_col in docvars.columns and docvars[length_col].notna().any()
    n = len(panels) + int(has_len)
    fig, axs = _fig_axes(axes, n, "double", height=2.1 * n + 0.2, ncols=1)
    parts = []
    for ax, col in zip(axs, panels):
        _, d = plot_statements_per_year(docvars, ax=ax, by=col, max_groups=max_groups)
        parts.append(d.assign(panel=f"per_year_by_{col}"))
    if has_len:
        _, d = plot_statement_lengths(docvars, ax=axs[-1], by=speaker_col, length_col=length_col,
                                      max_groups=max_groups)
        parts.append(d.assign(panel="lengths"))
    plotted = pd.concat(parts, ignore_index=True)
    cols = ["panel"] + [c for c in plotted.columns if c != "panel"]
    return fig, plotted[cols]


def plot_passage_shares(
    data: pd.DataFrame, ax: Axes | None = None, by: str = "source", value: str = "share", max_groups: int = 7,
) -> tuple[Figure, pd.DataFrame]:
    """How often a pattern set is spoken of per year: one line per group (source, UN region).

    Parameters
    ----------
    data : DataFrame
        :func:`analysis.textstats.passages.stat_passage_rates` by ``[by, "year"]``.
    by : str
        The group column (``source``, ``un_region``).
    value : str
        ``share`` (documents with a passage, the default) or ``per_10k_words``.
    max_groups : int
        Groups with the most documents drawn; the rest are summed into "other".

    Returns
    -------
    fig, plotted : Figure, DataFrame(group, year, value, documents)
    """
    need = {"share": ["with_passages"], "per_10k_words": ["matches", "words"]}.get(value, [value])
    _require(data, [by, "year", "documents", *need], "plot_passage_shares")
    d = data.dropna(subset=[by, "year"]).copy()
    _nonempty(d, "plot_passage_shares")
    d["group"] = _top_groups(d[by].astype(str), max_groups).to_numpy() if d[by].nunique() > max_groups \
        else d[by].astype(str)
    if value == "share":
        agg = d.groupby(["group", "year"], sort=True).agg(with_passages=("with_passages", "sum"),
                                                          documents=("documents", "sum")).reset_index()
        agg["value"] = agg["with_passages"] / agg["documents"]
    elif value == "per_10k_words":
        agg = d.groupby(["group", "year"], sort=True).agg(matches=("matches", "sum"), words=("words", "sum"),
                                                          documents=("documents", "sum")).reset_index()
        agg["value"] = 1e4 * agg["matches"] / agg["words"].where(agg["words"] > 0)
    else:
        agg = d.groupby(["group", "year"], sort=True).agg(value=(value, "mean"),
                                                          documents=("documents", "sum")).reset_index()
    order = list(dict.fromkeys(d.groupby("group")["documents"].sum().sort_values(ascending=False, kind="stable")
                               .index))
    plotted = pd.concat([agg[agg["group"] == g] for g in order], ignore_index=True)[
        ["group", "year", "value", "documents"]]
    fig, ax = _fig_ax(ax, "double", height=2.6)
    with style_context():
        for i, g in enumerate(order):
            s = plotted[plotted["group"] == g]
            st = _style(i, g)
            ax.plot(s["year"].astype(float), s["value"].astype(float), color=st["color"], linestyle=st["linestyle"],
                    marker=st["marker"], markersize=3, linewidth=1.0, label=g, gid=f"line:{g}")
        ax.set_xlabel("Year")
        ax.set_ylabel("Share of documents with a passage" if value == "share" else
                      "Matches per 10,000 words" if value == "per_10k_words" else value)
        ax.set_title(f"How often the patterns are spoken of, by year and {by}")
        _year_ticks(ax, float(plotted["year"].min()), float(plotted["year"].max()))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, plotted
