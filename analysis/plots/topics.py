"""Topic model figures: the model-selection panels, topic prevalence over time and its regression effects.

See :mod:`analysis.plots` for the grammar every ``plot_*`` follows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from analysis.plots.base import _fig_axes, _int_years, _nonempty, _require, _root, _small_multiples, _style, _wrap
from analysis.plots.save import DOUBLE_COLUMN, OKABE_ITO, style_context

__all__ = [
    "plot_topic_effects",
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
    its grid (``at_edge``) is marked with a triangle and named in the title, and so
    is the K where an early stop ended the scan (``scan_stopped``).

    Parameters
    ----------
    data : DataFrame
        ``topic_selection.csv``: model, k, npmi, umass, exclusivity, perplexity,
        heldout_loglik, heldout_error, stability, selected, frontier, at_edge,
        scan_stopped.
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
        stopped = data["scan_stopped"].astype(bool) if "scan_stopped" in data.columns else None
        if stopped is not None and stopped.any():
            k_stop = int(data.loc[stopped, "k"].iloc[0])
            title += (f"\nthe scan stopped at K={k_stop}: the held-out criterion had turned "
                      "(larger K of the grid not fitted)")
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


def _band_line(ax, s: pd.DataFrame, value: str, topic) -> None:
    """One topic's panel: ``value`` over ``year`` as a line on its ``ci_low``-``ci_high`` band."""
    x = s["year"].astype(float).to_numpy()
    ax.fill_between(x, s["ci_low"].astype(float), s["ci_high"].astype(float), color=OKABE_ITO["sky_blue"],
                    alpha=0.35, linewidth=0, gid=f"band:{topic}")
    ax.plot(x, s[value].astype(float), color=OKABE_ITO["blue"], linewidth=1.0,
            marker="o" if len(x) < 3 else None, markersize=2.5, gid=f"line:{topic}")


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
            _band_line(ax, s, "share", t)
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


#: Captions of the two ways ``topic_effects`` gets its intervals (``method`` column).
_EFFECT_METHODS = {
    "composition": "method of composition, 95% intervals",
    "posthoc": "post-hoc regression, 95% intervals ignore the topic model's uncertainty",
}


def _percent() -> FuncFormatter:
    """Shares (0-1) as percentages without trailing zeros: 0.025 -> "2.5%" (one formatter per axis)."""
    return FuncFormatter(lambda v, _pos: f"{100 * v:g}%")


_EFFECT_COLUMNS = ["kind", "model", "k", "method", "topic", "label", "term", "year", "estimate", "ci_low",
                   "ci_high"]


def _covariate_term(term: str) -> bool:
    """A covariate coefficient (``C(un_region)[T.WEOG]``), not the intercept or a time (spline) term."""
    t = str(term)
    return t not in ("Intercept", "year") and not t.startswith("bs(")


def _term_label(term: str) -> str:
    """``C(un_region)[T.WEOG]`` -> ``un_region: WEOG``."""
    import re

    m = re.match(r"^C\((.+?)\)\[T\.(.*)\]$", str(term))
    return f"{m.group(1)}: {m.group(2)}" if m else str(term)


def plot_topic_effects(
    data: pd.DataFrame, axes=None, model: str | None = None, topics=None, max_topics: int = 12,
    ncols: int = 4, coefficients: bool = True, max_terms: int = 8,
) -> tuple[Figure, pd.DataFrame]:
    """Expected topic share over the years with its intervals, one panel per topic.

    The publication figure of the topics stage's regression (stm's
    ``plot.estimateEffect(method = "continuous")``): per topic, the expected share at
    each year (line) and its 95% interval (band), the panel titled with the topic
    number and its FREX label; the subtitle names the model, K and how the
    intervals were obtained (``method``: the method of composition, whose intervals
    carry the topic model's uncertainty, or the post-hoc regression of the
    estimated shares, whose intervals ignore it). When the table holds covariate
    coefficients (``C(covariate)[T.level]``; the spline terms ``bs(year, ...)`` and
    the intercept are left out) a right-hand panel shows them as dots and whiskers
    for the topics drawn, one colour and marker per term.

    Parameters
    ----------
    data : DataFrame
        ``topic_effects.csv``: model, k, topic, label, kind, term, year, estimate,
        ci_low, ci_high, method (std_err, p_value, n_units, n_clusters unused).
        Rows of ``kind == "expected"`` give the lines; ``kind == "coefficient"`` the
        coefficient panel.
    model : str, optional
        Model to draw when the table holds several (default: the one with
        ``method == "composition"``, else the first).
    topics : sequence of int, optional
        Topics to draw, in this order (default: the ``max_topics`` lowest topic
        numbers, the most prevalent).
    max_topics : int
        Most panels when ``topics`` is not given.
    ncols : int
        Panels per row.
    coefficients : bool
        Draw the coefficient panel when there are covariate coefficients for the
        topics drawn and at most ``max_terms`` distinct terms (more would not be
        told apart); with ``axes`` it goes into the axes after the topics' panels.

    Returns
    -------
    fig, plotted : Figure, DataFrame(kind, model, k, method, topic, label, term, year, estimate, ci_low, ci_high)
        ``kind="expected"`` rows are the lines and bands (shares in [0, 1], drawn
        as percentages); ``kind="coefficient"`` rows the dots and whiskers (``year``
        empty).

    References
    ----------
    Roberts, M. E., Stewart, B. M., & Tingley, D. (2019). stm: An R package for
    structural topic models. Journal of Statistical Software, 91(2), 1-40.
    Treier, S., & Jackman, S. (2008). Democracy as a latent variable. American
    Journal of Political Science, 52(1), 201-217.
    """
    _require(data, ["topic", "kind", "year", "estimate"], "plot_topic_effects")
    d = data.copy()
    for c, default in (("model", ""), ("method", ""), ("term", ""), ("k", np.nan)):
        if c not in d.columns:
            d[c] = default
    d["model"] = d["model"].astype(str)
    exp = d[d["kind"].astype(str) == "expected"].dropna(subset=["year", "estimate"])
    if model is None and len(exp):
        comp = exp[exp["method"].astype(str) == "composition"]
        model = str((comp if len(comp) else exp)["model"].iloc[0])
    if model is not None:
        if len(exp) and not (exp["model"] == str(model)).any():
            raise ValueError(f"plot_topic_effects: no expected rows for model {model!r}; "
                             f"available: {list(dict.fromkeys(exp['model']))}")
        exp, d = exp[exp["model"] == str(model)], d[d["model"] == str(model)]
    _nonempty(exp, "plot_topic_effects")
    exp = exp.copy()
    if "label" not in exp.columns:
        exp["label"] = ""
    for c in ("ci_low", "ci_high"):
        if c not in exp.columns:
            exp[c] = exp["estimate"]
    available = sorted(exp["topic"].unique())
    if topics is None:
        shown = available[: max(1, int(max_topics))]
    else:
        shown = [t for t in topics if t in set(available)]
        if not shown:
            raise ValueError(f"plot_topic_effects: none of topics {list(topics)} in the table; "
                             f"available: {available}")
    exp = exp[exp["topic"].isin(shown)].sort_values(["topic", "year"])
    coef = d[(d["kind"].astype(str) == "coefficient") & d["topic"].isin(shown)].dropna(subset=["estimate"])
    coef = coef[coef["term"].map(_covariate_term)]
    terms = list(dict.fromkeys(coef["term"].astype(str)))
    with_coef = bool(coefficients) and 0 < len(terms) <= int(max_terms)
    n = len(shown)
    if axes is None and with_coef:
        fig, axs, cax = _effects_grid(n, ncols)
    elif axes is None:
        fig, axs = _small_multiples(n, None, ncols)
        cax = None
    else:
        fig, axs = _fig_axes(axes, n + int(with_coef))
        axs, cax = axs[:n], (axs[n] if with_coef else None)
    labels = {t: str(exp.loc[exp["topic"] == t, "label"].fillna("").iloc[0]) for t in shown}
    cols = max(1, min(ncols, n))
    # title characters a panel holds (6.5 pt bold: about 0.065 in a wide character)
    wrap = 34 if axes is not None else max(14, int(DOUBLE_COLUMN / (cols + 1.7 * with_coef) / 0.065))
    rows = []
    with style_context():
        for ax, t in zip(axs, shown):
            s = exp[exp["topic"] == t]
            _band_line(ax, s, "estimate", t)
            ax.set_title(_wrap(f"{t}: {labels[t]}" if labels[t] else f"Topic {t}", wrap), fontsize=6.5, loc="left")
            _int_years(ax)
            ax.yaxis.set_major_formatter(_percent())
            ax.tick_params(labelsize=6)
            rows.append(s.assign(kind="expected")[_EFFECT_COLUMNS])
        if cax is not None:
            rows.append(_coefficient_panel(cax, coef, shown, labels, terms))
        method = str(exp["method"].iloc[0])
        k = exp["k"].iloc[0]
        k_text = f", K = {int(k)}" if pd.notna(k) else ""
        part = f" ({n} of {int(k)} topics)" if pd.notna(k) and n < int(k) else ""
        caption = _EFFECT_METHODS.get(method, f"{method} intervals" if method else "95% intervals")
        target = axs[0].get_figure() if axes is None and with_coef else fig
        target.supylabel("Expected topic share", fontsize=7)
        target.supxlabel("Year", fontsize=7)
        fig.suptitle(f"Expected topic share over time{part}\n"
                     f"{model or 'model'}{k_text}: {caption}")
    plotted = pd.concat(rows, ignore_index=True)
    plotted["year"] = pd.to_numeric(plotted["year"], errors="coerce").astype("Int64")
    return fig, plotted


def _effects_grid(n: int, ncols: int):
    """Small multiples of ``n`` panels (shared axes) in a subfigure, the coefficient panel beside them."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    with style_context():
        fig = Figure(figsize=(DOUBLE_COLUMN, max(1.35 * nrows + 0.65, 2.4)))
        left, right = fig.subfigures(1, 2, width_ratios=[ncols, 1.7])
        grid = left.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        cax = right.subplots()
    flat = list(grid.ravel())
    for extra in flat[n:]:
        extra.remove()
    for i, a in enumerate(flat[:n]):
        if i + ncols >= n:  # lowest panel of its column: keep its x tick labels
            a.xaxis.set_tick_params(labelbottom=True)
    return fig, flat[:n], cax


def _coefficient_panel(ax, coef: pd.DataFrame, shown: list, labels: dict, terms: list[str]) -> pd.DataFrame:
    """Dots (estimate) and whiskers (interval) of the covariate coefficients, one row group per topic."""
    coef = coef.copy()
    for c in ("ci_low", "ci_high"):
        if c not in coef.columns:
            coef[c] = coef["estimate"]
    if "label" not in coef.columns:
        coef["label"] = ""
    n_terms = len(terms)
    step = 0.8 / max(n_terms, 1)
    out = []
    for i, term in enumerate(terms):
        st = _style(i)
        sub = coef[coef["term"].astype(str) == term].drop_duplicates("topic").set_index("topic")
        ts = [t for t in shown if t in sub.index]
        if not ts:
            continue
        ys = np.array([-shown.index(t) for t in ts], dtype=float) + 0.4 - step * (i + 0.5)
        lo, hi = sub.loc[ts, "ci_low"].astype(float).to_numpy(), sub.loc[ts, "ci_high"].astype(float).to_numpy()
        est = sub.loc[ts, "estimate"].astype(float).to_numpy()
        wx = np.column_stack([lo, hi, np.full(len(ts), np.nan)]).ravel()
        wy = np.column_stack([ys, ys, np.full(len(ts), np.nan)]).ravel()
        ax.plot(wx, wy, color=st["color"], linewidth=0.8, gid=f"whisker:{term}")
        ax.plot(est, ys, linestyle="none", marker=st["marker"], color=st["color"], markersize=3,
                label=_term_label(term), gid=f"coef:{term}")
        out.append(sub.loc[ts].reset_index().assign(kind="coefficient", year=pd.NA)[_EFFECT_COLUMNS])
    ax.axvline(0.0, color=OKABE_ITO["black"], linewidth=0.5, gid="zero")
    ax.set_yticks([-i for i in range(len(shown))],
                  [_wrap(f"{t}: {labels[t]}" if labels[t] else f"Topic {t}", 22) for t in shown])
    ax.set_ylim(-len(shown) + 0.5, 0.5)
    ax.tick_params(axis="y", labelsize=5.5, length=0)
    ax.tick_params(axis="x", labelsize=6)
    ax.xaxis.set_major_formatter(_percent())
    ax.grid(axis="x", visible=True)
    ax.grid(axis="y", visible=False)
    ax.set_title("Covariate effects\n(vs. reference level)", fontsize=6.5, loc="left")
    ax.set_xlabel("Difference (% points)", fontsize=6.5)
    parent = ax.get_figure()
    if parent is not _root(ax):  # its own subfigure (no ``axes`` given): the legend below the panel
        handles, names = ax.get_legend_handles_labels()
        parent.legend(handles, names, loc="outside lower center", fontsize=5.5, handlelength=1.0)
    else:
        ax.legend(loc="best", fontsize=5.5, handlelength=1.0)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=_EFFECT_COLUMNS)
