"""Keyness figures: keyness bars and the Fightin' Words scatter.

See :mod:`analysis.plots` for the grammar every ``plot_*`` follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.plots.base import (
    _comparison_sides,
    _fig_ax,
    _nonempty,
    _pick_comparison,
    _require,
    _wrap,
    place_labels,
)
from analysis.plots.save import OKABE_ITO, style_context

__all__ = [
    "plot_fightin_words",
    "plot_keyness",
]


def plot_keyness(
    data: pd.DataFrame, ax: Axes | None = None, comparison: str | None = None, n: int = 12,
    measure: str = "g2",
) -> tuple[Figure, pd.DataFrame]:
    """Horizontal bars of the most key terms for the target and the reference group.

    Parameters
    ----------
    data : DataFrame
        ``keyness.csv``: comparison, term, count_target, count_reference, ..., g2, chi2,
        log_ratio, p_value, p_adjusted. Scores are signed toward the target.
    comparison : str, optional
        Which comparison to draw (default: the first in the table).
    n : int
        Terms per side.
    measure : {'g2', 'chi2', 'log_ratio'}

    Returns
    -------
    fig, plotted : Figure, DataFrame(comparison, term, side, score, y)
        ``y`` is the bar's position (top bar highest).

    References
    ----------
    Dunning, T. (1993). Accurate methods for the statistics of surprise and
    coincidence. Computational Linguistics, 19(1), 61-74.
    """
    _require(data, ["comparison", "term", measure], "plot_keyness")
    sub, comparison = _pick_comparison(data, comparison, "plot_keyness")
    sub = sub.dropna(subset=[measure])
    tgt = sub[sub[measure] > 0].sort_values([measure, "term"], ascending=[False, True]).head(n)
    ref = sub[sub[measure] < 0].sort_values([measure, "term"], ascending=[True, True]).head(n)
    a, b = _comparison_sides(comparison)
    rows = pd.concat([
        pd.DataFrame({"term": tgt["term"].astype(str), "side": a, "score": tgt[measure].astype(float)}),
        pd.DataFrame({"term": ref["term"].astype(str), "side": b, "score": ref[measure].astype(float)})
        .iloc[::-1],
    ], ignore_index=True)
    _nonempty(rows, "plot_keyness")
    rows["y"] = np.arange(len(rows))[::-1].astype(float)
    rows.insert(0, "comparison", comparison)
    fig, ax = _fig_ax(ax, "single", height=max(2.2, 0.14 * len(rows) + 0.7))
    label = {"g2": "Signed G\u00b2", "chi2": "Signed \u03c7\u00b2", "log_ratio": "Log ratio (log\u2082)"}
    with style_context():
        ax.grid(False)
        ax.grid(True, axis="x")
        for i, (side, colour) in enumerate([(a, OKABE_ITO["blue"]), (b, OKABE_ITO["vermillion"])]):
            s = rows[rows["side"] == side]
            if len(s):
                ax.barh(s["y"], s["score"], height=0.7, color=colour, label=str(side),
                        hatch=None if i == 0 else "////", edgecolor="white", linewidth=0.3,
                        gid=f"bars:{side}")
        ax.set_yticks(rows["y"], rows["term"])
        ax.tick_params(axis="y", length=0)
        ax.axvline(0, color="#333333", linewidth=0.6)
        ax.set_xlabel(label.get(measure, measure) + f" (+ {a} / \u2212 {b})")
        ax.set_title(_wrap(f"Keyness: {a} vs {b}", 48))
        ax.legend(loc="lower right")
    return fig, rows


def plot_fightin_words(
    data: pd.DataFrame, ax: Axes | None = None, comparison: str | None = None,
    n_labels: int = 8, z_threshold: float = 1.96,
) -> tuple[Figure, pd.DataFrame]:
    """Fightin' Words funnel plot: log-odds ratio (informative Dirichlet prior) against frequency.

    Words with \\|z\\| above ``z_threshold`` are coloured by the group they favour;
    the ``n_labels`` most extreme words on each side are labelled, the labels
    placed so that none overlaps another (:func:`analysis.plots.base.place_labels`).

    Parameters
    ----------
    data : DataFrame
        ``fightin_words.csv``: comparison, term, count_a, count_b, delta, variance, z.

    Returns
    -------
    fig, plotted : Figure, DataFrame(comparison, term, frequency, delta, z, side, labelled)
        ``side`` is the favoured group or ``"neither"``.

    References
    ----------
    Monroe, B. L., Colaresi, M. P., & Quinn, K. M. (2008). Fightin' words: Lexical
    feature selection and evaluation for identifying the content of political
    conflict. Political Analysis, 16(4), 372-403.
    """
    _require(data, ["comparison", "term", "count_a", "count_b", "delta", "z"], "plot_fightin_words")
    sub, comparison = _pick_comparison(data, comparison, "plot_fightin_words")
    sub = sub.dropna(subset=["delta", "z"])
    _nonempty(sub, "plot_fightin_words")
    a, b = _comparison_sides(comparison)
    z = sub["z"].to_numpy(dtype=float)
    side = np.where(z >= z_threshold, a, np.where(z <= -z_threshold, b, "neither"))
    plotted = pd.DataFrame({
        "comparison": comparison,
        "term": sub["term"].astype(str).to_numpy(),
        "frequency": (sub["count_a"] + sub["count_b"]).to_numpy(dtype=float),
        "delta": sub["delta"].to_numpy(dtype=float),
        "z": z,
        "side": side,
    })
    plotted = plotted.sort_values(["z", "term"], ascending=[False, True]).reset_index(drop=True)
    labelled = np.zeros(len(plotted), dtype=bool)
    top = plotted.index[(plotted["side"] == a)][:n_labels]
    bottom = plotted.index[(plotted["side"] == b)][::-1][:n_labels]
    labelled[list(top) + list(bottom)] = True
    plotted["labelled"] = labelled
    plotted = plotted[plotted["frequency"] > 0].reset_index(drop=True)
    fig, ax = _fig_ax(ax, "double", height=3.4)
    styles = {
        "neither": {"color": "#BBBBBB", "marker": ".", "markersize": 2.5, "alpha": 0.6},
        a: {"color": OKABE_ITO["blue"], "marker": "o", "markersize": 3},
        b: {"color": OKABE_ITO["vermillion"], "marker": "^", "markersize": 3},
    }
    with style_context():
        for s in ["neither", a, b]:
            part = plotted[plotted["side"] == s]
            if len(part) == 0:
                continue
            lab = f"|z| < {z_threshold:g}" if s == "neither" else f"favours {s}"
            ax.plot(part["frequency"], part["delta"], linestyle="none", label=lab, gid=f"points:{s}",
                    **styles[s])
        ax.set_xscale("log")
        ax.axhline(0, color="#333333", linewidth=0.5)
        ax.set_xlabel("Word frequency (both groups)")
        ax.set_ylabel(f"Log-odds ratio \u03b4 (+ {a} / \u2212 {b})")
        ax.set_title(f"Fightin' Words: {a} vs {b}")
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        ax.legend(loc="best", markerscale=1.5)
        lab = plotted[plotted["labelled"]]
        texts = [ax.text(r["frequency"], r["delta"], r["term"], fontsize=6.5, va="center",
                         color=styles[r["side"]]["color"], gid=f"label:{r['term']}")
                 for _, r in lab.iterrows()]
        place_labels(ax, texts, lab["frequency"].to_numpy(), lab["delta"].to_numpy())
    return fig, plotted
