"""Figures of the scaling stage: positions with intervals and the word "Eiffel tower".

``plot_scaling_positions`` is the ordered dot plot of quanteda's
``textplot_scale1d``; ``plot_scaling_words`` plots each word's weight (beta)
against its fixed effect (psi), Slapin & Proksch's (2008, fig. 3) "Eiffel tower".

References
----------
Slapin, J. B., & Proksch, S.-O. (2008). A scaling model for estimating time-series
party positions from texts. *American Journal of Political Science* 52(3), 705-722.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import require_columns
from analysis.plots.save import OKABE_ITO, SINGLE_COLUMN, new_figure

__all__ = ["plot_scaling_positions", "plot_scaling_words"]


def plot_scaling_positions(data: pd.DataFrame, ax=None, label_col: str = "unit"):
    """Positions (``theta``) with intervals (``ci_low``, ``ci_high``), one row per unit, ordered."""
    require_columns(data, [label_col, "theta", "ci_low", "ci_high"], what="scaling table",
                    hint="it is the scaling.csv of the scaling stage")
    d = data.sort_values("theta", kind="stable").reset_index(drop=True)
    if ax is None:
        fig, ax = new_figure(width=SINGLE_COLUMN, height=max(2.0, 0.16 * len(d) + 0.8))
    else:
        fig = ax.figure
    y = np.arange(len(d))
    ax.errorbar(d["theta"], y, xerr=[d["theta"] - d["ci_low"], d["ci_high"] - d["theta"]], fmt="o",
                color=OKABE_ITO["blue"], ecolor=OKABE_ITO["black"], elinewidth=0.6, capsize=0, markersize=3)
    ax.set_yticks(y)
    ax.set_yticklabels(d[label_col].astype(str))
    ax.axvline(0, color="0.7", linewidth=0.5, zorder=0)
    model = str(d["model"].iloc[0]) if "model" in d and len(d) else ""
    ax.set_xlabel(f"Estimated position ({model})" if model else "Estimated position")
    return fig, d


def plot_scaling_words(data: pd.DataFrame, ax=None, label_top: int = 20):
    """Word weights ``beta`` (x) against word fixed effects ``psi`` (y); the most extreme betas labelled."""
    require_columns(data, ["term", "beta", "psi"], what="scaling_words table",
                    hint="it is the scaling_words.csv of the scaling stage (Wordfish)")
    d = data.dropna(subset=["beta", "psi"]).reset_index(drop=True)
    if ax is None:
        fig, ax = new_figure(width=SINGLE_COLUMN, height=SINGLE_COLUMN)
    else:
        fig = ax.figure
    ax.scatter(d["beta"], d["psi"], s=2, color="0.55", linewidths=0)
    top = d.reindex(d["beta"].abs().sort_values(ascending=False, kind="stable").index[:label_top])
    for r in top.itertuples():
        ax.annotate(r.term, (r.beta, r.psi), fontsize=5, color=OKABE_ITO["vermillion"], ha="center", va="bottom")
    ax.set_xlabel("Word weight (beta)")
    ax.set_ylabel("Word fixed effect (psi)")
    return fig, d
