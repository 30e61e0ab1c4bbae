"""Novelty, style trends and lexical dispersion figures.

See :mod:`analysis.plots` for the grammar every ``plot_*`` follows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.plots.base import (
    _fig_ax,
    _fig_axes,
    _int_years,
    _nonempty,
    _require,
    _style,
    _time,
    _year_ticks,
)
from analysis.plots.save import OKABE_ITO, PALETTE, style_context

__all__ = [
    "plot_dispersion",
    "plot_novelty",
    "plot_style_trends",
]


def plot_novelty(
    data: pd.DataFrame, axes=None, docvars: pd.DataFrame | None = None,
) -> tuple[Figure, pd.DataFrame]:
    """Novelty and transience (top) and resonance (bottom) of each document over time.

    Parameters
    ----------
    data : DataFrame
        ``novelty.csv``: doc_id, (date,) year, novelty, transience, resonance.
        Rows with NaN (the first and last ``w`` documents) are skipped.

    Returns
    -------
    fig, plotted : Figure, DataFrame(measure, doc_id, x, value)

    References
    ----------
    Barron, A. T. J., Huang, J., Spang, R. L., & DeDeo, S. (2018). Individuals,
    institutions, and innovation in the debates of the French Revolution. PNAS,
    115(18), 4607-4612.
    """
    _require(data, ["doc_id", "novelty", "transience", "resonance"], "plot_novelty")
    d = data.copy()
    x, xlabel = _time(d, docvars)
    d["x"] = x.to_numpy()
    d = d.sort_values(["x", "doc_id"])
    for m in ("novelty", "transience", "resonance"):  # KL is infinite where a past mixture has a zero
        d[m] = pd.to_numeric(d[m], errors="coerce").where(np.isfinite(pd.to_numeric(d[m], errors="coerce")))
    fig, (ax1, ax2) = _fig_axes(axes, 2, "double", height=3.6, ncols=1, sharex=True)
    rows = []
    with style_context():
        for i, (m, label) in enumerate([("novelty", "Novelty"), ("transience", "Transience")]):
            s = d.dropna(subset=["x", m])
            st = _style(i)
            ax1.plot(s["x"], s[m], color=st["color"], linestyle=st["linestyle"], linewidth=0.9, label=label,
                     gid=f"line:{m}")
            rows.append(pd.DataFrame({"measure": m, "doc_id": s["doc_id"].astype(str).to_numpy(),
                                      "x": s["x"].to_numpy(float), "value": s[m].to_numpy(float)}))
        s = d.dropna(subset=["x", "resonance"])
        ax2.axhline(0, color="#333333", linewidth=0.5)
        ax2.plot(s["x"], s["resonance"], color=OKABE_ITO["bluish_green"], linewidth=0.9, marker="o",
                 markersize=2, label="Resonance", gid="line:resonance")
        rows.append(pd.DataFrame({"measure": "resonance", "doc_id": s["doc_id"].astype(str).to_numpy(),
                                  "x": s["x"].to_numpy(float), "value": s["resonance"].to_numpy(float)}))
        ax1.set_ylabel("KL divergence (bits)")
        ax1.set_title("Novelty (vs. past) and transience (vs. future)")
        ax1.legend(loc="best")
        ax2.set_ylabel("Novelty \u2212 transience")
        ax2.set_title("Resonance")
        ax2.set_xlabel(xlabel)
    plotted = pd.concat(rows, ignore_index=True)
    _nonempty(plotted, "plot_novelty")
    _year_ticks(ax2, plotted["x"].min(), plotted["x"].max())
    return fig, plotted


_STYLE_MEASURES = [
    ("mattr", "MATTR"),
    ("mtld", "MTLD"),
    ("mean_sentence_length", "Mean sentence length (tokens)"),
    ("flesch_reading_ease", "Flesch reading ease"),
    ("fk_grade", "Flesch-Kincaid grade"),
    ("first_person_plural", "First person plural share"),
    ("first_person_singular", "First person singular share"),
    ("tokens", "Tokens"),
]


def plot_style_trends(
    data: pd.DataFrame, axes=None, measures: Sequence[str] | None = None, docvars: pd.DataFrame | None = None,
    ncols: int = 3,
) -> tuple[Figure, pd.DataFrame]:
    """Style measures over time: one point per document and the yearly mean, small multiples.

    Parameters
    ----------
    data : DataFrame
        ``style.csv``: doc_id, (date,) year and measure columns such as mattr, mtld,
        mean_sentence_length, flesch_reading_ease, fk_grade,
        first_person_plural, first_person_singular.
    measures : sequence of str, optional
        Columns to draw (default: the known measures present, up to six).

    Returns
    -------
    fig, plotted : Figure, DataFrame(measure, layer, doc_id, x, value)
        ``layer`` is ``"document"`` (points) or ``"yearly_mean"`` (line; doc_id empty).

    References
    ----------
    McCarthy, P. M., & Jarvis, S. (2010). MTLD, vocd-D, and HD-D: A validation study
    of sophisticated approaches to lexical diversity assessment. Behavior Research
    Methods, 42(2), 381-392.
    """
    _require(data, ["doc_id"], "plot_style_trends")
    labels = dict(_STYLE_MEASURES)
    if measures is None:
        measures = [m for m, _ in _STYLE_MEASURES if m in data.columns and data[m].notna().any()][:6]
        if not measures:  # tolerate other naming: any numeric non-id column
            skip = {"doc_id", "year", "date", "tokens", "types", "n_tokens"}
            measures = [c for c in data.columns if c not in skip and pd.api.types.is_numeric_dtype(data[c])][:6]
    else:
        _require(data, list(measures), "plot_style_trends")
    if not measures:
        raise ValueError("plot_style_trends: no numeric style measure to plot")
    d = data.copy()
    x, xlabel = _time(d, docvars)
    d["x"] = x.to_numpy()
    d["yr"] = np.floor(d["x"])
    fig, axs = _fig_axes(axes, len(measures), "double", height=1.7 * math.ceil(len(measures) / ncols) + 0.4,
                         ncols=min(ncols, len(measures)), sharex=True)
    rows = []
    with style_context():
        for ax, m in zip(axs, measures):
            s = d.dropna(subset=["x", m]).sort_values(["x", "doc_id"])
            ax.plot(s["x"], s[m].astype(float), linestyle="none", marker="o", markersize=2, alpha=0.45,
                    color=OKABE_ITO["sky_blue"], gid=f"points:{m}")
            mean = s.groupby("yr")[m].mean()
            ax.plot(mean.index.to_numpy(float) + 0.5, mean.to_numpy(float), color=OKABE_ITO["blue"], linewidth=1.0,
                    gid=f"line:{m}")
            rows.append(pd.DataFrame({"measure": m, "layer": "document", "doc_id": s["doc_id"].astype(str).to_numpy(),
                                      "x": s["x"].to_numpy(float), "value": s[m].to_numpy(float)}))
            rows.append(pd.DataFrame({"measure": m, "layer": "yearly_mean", "doc_id": "",
                                      "x": mean.index.to_numpy(float) + 0.5, "value": mean.to_numpy(float)}))
            ax.set_title(labels.get(m, m.replace("_", " ")), fontsize=7)
            _int_years(ax)
            ax.tick_params(labelsize=6)
        fig.supxlabel(xlabel, fontsize=7)
        fig.suptitle("Style over time (points: statements; line: yearly mean)")
    plotted = pd.concat(rows, ignore_index=True)
    _nonempty(plotted, "plot_style_trends")
    return fig, plotted


def plot_dispersion(
    data: pd.DataFrame, ax: Axes | None = None, doc_id: str | None = None,
    docvars: pd.DataFrame | None = None, label: str | None = None,
) -> tuple[Figure, pd.DataFrame]:
    """Lexical dispersion ("x-ray") plot: where each KWIC pattern occurs.

    With ``doc_id``, one document: each match at its relative position in the
    text (0 = first token, 1 = last). Without, the whole corpus: each match at
    its document's date, so the rows show when a term enters and leaves the
    discourse.

    Parameters
    ----------
    data : DataFrame
        ``dispersion.csv``: doc_id, (date, year,) pattern, term, position, n_tokens,
        relative_position.
    doc_id : str, optional
        Draw one document instead of the corpus.
    docvars : DataFrame, optional
        Supplies dates for the corpus view.
    label : str, optional
        How the document is named in the title.

    Returns
    -------
    fig, plotted : Figure, DataFrame(pattern, doc_id, term, x, y)
        ``y`` is the pattern's row (first pattern at the top).

    References
    ----------
    Bird, S., Klein, E., & Loper, E. (2009). Natural Language Processing with Python,
    ch. 1.3 (dispersion plots). O'Reilly.
    """
    _require(data, ["doc_id", "pattern", "relative_position"], "plot_dispersion")
    d = data.copy()
    if doc_id is not None:
        d = d[d["doc_id"].astype(str) == str(doc_id)]
        d["x"] = pd.to_numeric(d["relative_position"], errors="coerce")
        xlabel = "Position in the statement (share of its tokens)"
        title = f"Lexical dispersion: {label or doc_id}"
    else:
        x, xlabel = _time(d, docvars)
        d["x"] = x.to_numpy()
        title = "Lexical dispersion over time"
    d = d.dropna(subset=["x"])
    _nonempty(d, "plot_dispersion")
    patterns = list(dict.fromkeys(d["pattern"].astype(str)))
    rows = {p: len(patterns) - 1 - i for i, p in enumerate(patterns)}
    d["y"] = d["pattern"].astype(str).map(rows).astype(float)
    order = ["position"] if "position" in d.columns else []
    d = d.sort_values(["y", "x", "doc_id", *order], ascending=[False, True, True] + [True] * len(order))
    plotted = pd.DataFrame({
        "pattern": d["pattern"].astype(str).to_numpy(),
        "doc_id": d["doc_id"].astype(str).to_numpy(),
        "term": d["term"].astype(str).to_numpy() if "term" in d.columns else "",
        "x": d["x"].to_numpy(float),
        "y": d["y"].to_numpy(float),
    })
    fig, ax = _fig_ax(ax, "double", height=max(1.6, 0.32 * len(patterns) + 0.9))
    with style_context():
        ax.grid(False)
        for i, p in enumerate(patterns):
            part = plotted[plotted["pattern"] == p]
            ax.plot(part["x"], part["y"], linestyle="none", marker="|", markersize=9, markeredgewidth=0.8,
                    color=PALETTE[i % len(PALETTE)], gid=f"hits:{p}")
        ax.set_yticks(list(rows.values()), list(rows.keys()))
        ax.set_ylim(-0.7, len(patterns) - 0.3)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        if doc_id is not None:
            ax.set_xlim(0, 1)
        else:
            _year_ticks(ax, plotted["x"].min(), plotted["x"].max())
    return fig, plotted
