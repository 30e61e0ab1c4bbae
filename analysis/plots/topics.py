"""Topic model figures: the model-selection panels and topic prevalence over time.

See :mod:`analysis.plots` for the grammar every ``plot_*`` follows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.plots.base import _fig_axes, _int_years, _nonempty, _require, _small_multiples, _style, _wrap
from analysis.plots.save import OKABE_ITO, style_context

__all__ = [
    "plot_topic_prevalence",
    "plot_topic_selection",
]


_SELECTION_METRICS = [
    ("npmi", "NPMI coherence", "\u2191"),
    ("umass", "UMass coherence", "\u2191"),
    ("exclusivity", "Exclusivity", "\u2191"),
    ("perplexity", "Held-out perplexity", "\u2193"),
    ("heldout_loglik", "Held-out log-lik. / token", "\u2191"),
    ("heldout_error", "Held-out reconstr. error", "\u2193"),
    ("stability", "Stability (seeds)", "\u2191"),
]


def plot_topic_selection(data: pd.DataFrame, axes=None) -> tuple[Figure, pd.DataFrame]:
    """K-selection diagnostics: each metric against K, the coherence-exclusivity frontier.

    One panel per metric (against K, one line per model, the selected K circled),
    then, when NPMI and exclusivity are present, the panel stm users read: mean
    exclusivity against mean NPMI, one point per K, the Pareto frontier
    (``frontier`` column, or computed) joined by a line. A selected K on the edge of
    its grid (``at_edge``) is marked with a triangle and named in the title.

    Parameters
    ----------
    data : DataFrame
        ``topic_selection.csv``: model, k, npmi, umass, exclusivity, perplexity,
        heldout_loglik, heldout_error, stability, selected, frontier, at_edge.
        Metrics that are missing or all-NaN are left out.

    Returns
    -------
    fig, plotted : Figure, DataFrame(metric, model, k, value, selected, x)
        ``metric="frontier"`` rows: ``x`` is NPMI, ``value`` exclusivity, for the K on
        the frontier; other rows have ``x = k``.

    References
    ----------
    Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics?
    Stability analysis for topic models. ECML PKDD, 498-513.
    """
    _require(data, ["model", "k"], "plot_topic_selection")
    metrics = [m for m in _SELECTION_METRICS if m[0] in data.columns and data[m[0]].notna().any()]
    if not metrics:
        raise ValueError("plot_topic_selection: no metric column with values "
                         f"(expected some of {[m[0] for m in _SELECTION_METRICS]})")
    sel = data["selected"].astype(bool) if "selected" in data.columns else pd.Series(False, index=data.index)
    edge = (data["at_edge"].astype(bool) if "at_edge" in data.columns else pd.Series(False, index=data.index)) & sel
    models = sorted(data["model"].astype(str).unique())
    with_frontier = all(c in data.columns and data[c].notna().any() for c in ("npmi", "exclusivity"))
    n_panels = len(metrics) + int(with_frontier)
    ncols = min(n_panels, 3)
    fig, axs = _fig_axes(axes, n_panels, "double", height=1.9 * math.ceil(n_panels / ncols) + 0.3,
                         ncols=ncols)
    rows = []
    with style_context():
        for ax, (m, label, better) in zip(axs, metrics):
            for i, model in enumerate(models):
                mask = (data["model"].astype(str) == model) & data[m].notna()
                sub = data[mask].assign(selected=sel[mask]).sort_values("k")
                if sub.empty:
                    continue
                st = _style(i)
                ax.plot(sub["k"].astype(float), sub[m].astype(float), color=st["color"],
                        linestyle=st["linestyle"], marker=st["marker"], label=model, gid=f"line:{m}:{model}")
                chosen = sub[sub["selected"]]
                if len(chosen):
                    ax.plot(chosen["k"].astype(float), chosen[m].astype(float), linestyle="none", marker="o",
                            markersize=7, markerfacecolor="none", markeredgecolor=OKABE_ITO["black"],
                            markeredgewidth=1.0, gid=f"selected:{m}:{model}")
                    if edge[chosen.index].any():
                        ax.plot(chosen["k"].astype(float), chosen[m].astype(float), linestyle="none",
                                marker="^", markersize=8, markerfacecolor="none",
                                markeredgecolor=OKABE_ITO["vermillion"], gid=f"edge:{m}:{model}")
                rows.append(pd.DataFrame({"metric": m, "model": model, "k": sub["k"].astype(int).to_numpy(),
                                          "value": sub[m].astype(float).to_numpy(),
                                          "selected": sub["selected"].to_numpy(dtype=bool),
                                          "x": sub["k"].astype(float).to_numpy()}))
            ax.set_title(f"{label} {better}")
            ax.set_xlabel("Number of topics K")
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if with_frontier:
            rows.append(_frontier_panel(axs[len(metrics)], data, sel, models))
        handles, labels = axs[0].get_legend_handles_labels()
        if len(models) > 1:
            axs[0].legend(handles, labels, loc="best")
        title = "Choosing K (\u2191 higher / \u2193 lower is better; circled: selected K)"
        if edge.any():
            k_edge = int(data.loc[edge, "k"].iloc[0])
            title += f"\nselected K={k_edge} is on the edge of the grid (\u25b3): the best K may lie beyond it"
        fig.suptitle(title)
    return fig, pd.concat(rows, ignore_index=True)


def _frontier_panel(ax, data: pd.DataFrame, sel: pd.Series, models: list[str]) -> pd.DataFrame:
    """Exclusivity against NPMI per K; the Pareto frontier joined (Roberts et al. 2014)."""
    out = []
    for i, model in enumerate(models):
        sub = data[(data["model"].astype(str) == model)].dropna(subset=["npmi", "exclusivity"])
        if sub.empty:
            continue
        st = _style(i)
        x, y = sub["npmi"].astype(float).to_numpy(), sub["exclusivity"].astype(float).to_numpy()
        if "frontier" in sub.columns:
            on = sub["frontier"].astype(bool).to_numpy()
        else:
            on = np.array([not np.any((x > x[j]) & (y > y[j])) for j in range(len(sub))], dtype=bool)
        ax.plot(x, y, linestyle="none", marker=st["marker"], color=st["color"], alpha=0.5, markersize=3,
                gid=f"points:frontier:{model}")
        f = sub[on].sort_values("npmi")
        ax.plot(f["npmi"].astype(float), f["exclusivity"].astype(float), color=st["color"],
                linestyle=st["linestyle"], marker=st["marker"], markersize=3.5, gid=f"line:frontier:{model}")
        for k, xx, yy in zip(sub["k"].astype(int), x, y):
            ax.annotate(str(k), (xx, yy), fontsize=5, xytext=(2, 2), textcoords="offset points")
        chosen = sub[sel[sub.index]]
        if len(chosen):
            ax.plot(chosen["npmi"].astype(float), chosen["exclusivity"].astype(float), linestyle="none",
                    marker="o", markersize=7, markerfacecolor="none", markeredgecolor=OKABE_ITO["black"],
                    markeredgewidth=1.0, gid=f"selected:frontier:{model}")
        out.append(pd.DataFrame({"metric": "frontier", "model": model, "k": f["k"].astype(int).to_numpy(),
                                 "value": f["exclusivity"].astype(float).to_numpy(),
                                 "selected": sel[f.index].to_numpy(dtype=bool),
                                 "x": f["npmi"].astype(float).to_numpy()}))
    ax.set_title("Coherence-exclusivity frontier")
    ax.set_xlabel("NPMI coherence")
    ax.set_ylabel("Exclusivity")
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["metric", "model", "k", "value", "selected", "x"])


def plot_topic_prevalence(
    data: pd.DataFrame, axes=None, model: str | None = None, ncols: int = 4,
) -> tuple[Figure, pd.DataFrame]:
    """Topic prevalence over time as small multiples with bootstrap interval bands.

    Parameters
    ----------
    data : DataFrame
        ``topic_prevalence.csv``: model, k, topic, label, year, share, ci_low, ci_high.
    model : str, optional
        Model to draw when the table holds several (default: the first).

    Returns
    -------
    fig, plotted : Figure, DataFrame(topic, label, year, share, ci_low, ci_high)

    References
    ----------
    Roberts, M. E., Stewart, B. M., Tingley, D., et al. (2014). Structural topic
    models for open-ended survey responses. American Journal of Political Science,
    58(4), 1064-1082.
    """
    _require(data, ["topic", "year", "share"], "plot_topic_prevalence")
    d = data.dropna(subset=["year", "share"])
    if "model" in d.columns and d["model"].nunique() > 1:
        model = model or str(d["model"].iloc[0])
        d = d[d["model"].astype(str) == model]
    _nonempty(d, "plot_topic_prevalence")
    d = d.copy()
    if "label" not in d.columns:
        d["label"] = d["topic"].astype(str)
    for c in ("ci_low", "ci_high"):
        if c not in d.columns:
            d[c] = d["share"]
    d = d.sort_values(["topic", "year"])
    topics = list(dict.fromkeys(d["topic"]))
    fig, axs = _small_multiples(len(topics), axes, ncols)
    rows = []
    with style_context():
        for ax, t in zip(axs, topics):
            s = d[d["topic"] == t]
            x = s["year"].astype(float).to_numpy()
            ax.fill_between(x, s["ci_low"].astype(float), s["ci_high"].astype(float), color=OKABE_ITO["sky_blue"],
                            alpha=0.35, linewidth=0, gid=f"band:{t}")
            ax.plot(x, s["share"].astype(float), color=OKABE_ITO["blue"], linewidth=1.0,
                    marker="o" if len(x) < 3 else None, markersize=2.5, gid=f"line:{t}")
            label = str(s["label"].iloc[0])
            ax.set_title(_wrap(f"{t}: {label}", 34), fontsize=6.5, loc="left")
            _int_years(ax)
            ax.tick_params(labelsize=6)
            rows.append(pd.DataFrame({"topic": t, "label": label, "year": s["year"].astype(int).to_numpy(),
                                      "share": s["share"].astype(float).to_numpy(),
                                      "ci_low": s["ci_low"].astype(float).to_numpy(),
                                      "ci_high": s["ci_high"].astype(float).to_numpy()}))
        fig.supylabel("Topic share", fontsize=7)
        fig.supxlabel("Year", fontsize=7)
        fig.suptitle("Topic prevalence over time (95% bootstrap intervals)")
    return fig, pd.concat(rows, ignore_index=True)
