"""Figure: how the top terms of a topic change across eras (``topic_terms_by_era`` table)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import UsageError, require_columns
from analysis.plots.save import new_figure, style_context

__all__ = ["most_changed_topic", "plot_topic_terms_by_era"]


def most_changed_topic(data: pd.DataFrame, n: int = 8) -> int:
    """The topic whose top ``n`` terms overlap least between its first and last era (Jaccard).

    Ties go to the lower topic number; with one era, the first topic.
    """
    require_columns(data, ["topic", "era", "rank", "term"], "topic_terms_by_era")
    if data.empty:
        raise UsageError("topic_terms_by_era is empty: nothing to plot")
    eras = list(dict.fromkeys(data["era"]))
    d = data[data["rank"] <= n]
    best, best_j = int(data["topic"].min()), 2.0
    for topic, sub in d.groupby("topic", sort=True):
        a, b = set(sub.loc[sub["era"] == eras[0], "term"]), set(sub.loc[sub["era"] == eras[-1], "term"])
        j = len(a & b) / max(len(a | b), 1)
        if j < best_j:
            best, best_j = int(topic), j
    return best


def plot_topic_terms_by_era(data: pd.DataFrame, ax=None, topic: int | str | None = None, n: int = 8):
    """Heat map of a topic's term weights by era (rows: the union of its top ``n`` terms per era).

    ``data`` is the ``topic_terms_by_era`` table (``model, k, topic, era, rank, term,
    weight``); ``topic`` defaults to the first (``"changed"``: :func:`most_changed_topic`). Terms are ordered by the era in which
    they rank highest, so terms entering late appear at the bottom. Returns
    ``(fig, plotted_data)`` with columns ``term, era, weight``.
    """
    require_columns(data, ["topic", "era", "rank", "term", "weight"], "topic_terms_by_era")
    if data.empty:
        raise UsageError("topic_terms_by_era is empty: nothing to plot")
    if topic == "changed":
        topic = most_changed_topic(data, n)
    topic = int(data["topic"].min()) if topic is None else int(topic)
    d = data[(data["topic"] == topic) & (data["rank"] <= n)]
    if d.empty:
        raise UsageError(f"topic {topic} is not in topic_terms_by_era (topics: {sorted(data['topic'].unique())})")
    eras = list(dict.fromkeys(data["era"]))
    wide = d.pivot_table(index="term", columns="era", values="weight", aggfunc="first").reindex(columns=eras)
    first = wide.notna().to_numpy().argmax(axis=1)
    wide = wide.iloc[np.lexsort((-wide.max(axis=1).to_numpy(), first))]
    plotted = wide.reset_index().melt(id_vars="term", var_name="era", value_name="weight")
    if ax is None:
        fig, ax = new_figure("single", height=max(2.0, 0.16 * len(wide) + 0.8))
    else:
        fig = ax.figure
    with style_context():
        im = ax.imshow(wide.fillna(0).to_numpy(), aspect="auto", cmap="Greys")
        ax.set_xticks(range(len(eras)), eras)
        ax.set_yticks(range(len(wide)), wide.index)
        ax.grid(False)  # cells, not a plot over axes
        ax.set_xlabel("era")
        ax.set_title(f"topic {topic}: top {n} terms by era")
        fig.colorbar(im, ax=ax, label="topic-word probability")
    return fig, plotted
