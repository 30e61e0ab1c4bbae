"""Publication plots of the pipeline's tidy tables.

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
    OKABE_ITO,
    PALETTE,
    new_figure,
    style_context,
)

__all__ = [
    "decimal_year",
    "pillar_shares_from_frames",
    "pillar_shares_from_indices",
    "plot_anchor_profile",
    "plot_corpus_overview",
    "plot_dispersion",
    "plot_fightin_words",
    "plot_frame_trajectories",
    "plot_keyness",
    "plot_novelty",
    "plot_pillar_shares",
    "plot_similarity_heatmap",
    "plot_similarity_to_anchor",
    "plot_statement_lengths",
    "plot_statements_per_year",
    "plot_style_trends",
    "plot_topic_prevalence",
    "plot_topic_selection",
]

OTHER = "other"


# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- corpus overview


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


# --------------------------------------------------------------------------- similarity


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


# --------------------------------------------------------------------------- keyness


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
    the ``n_labels`` most extreme words on each side are labelled.

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
        for _, r in plotted[plotted["labelled"]].iterrows():
            ax.annotate(r["term"], (r["frequency"], r["delta"]), xytext=(3, 0), textcoords="offset points",
                        fontsize=6.5, va="center", color=styles[r["side"]]["color"])
        ax.set_xscale("log")
        ax.axhline(0, color="#333333", linewidth=0.5)
        ax.set_xlabel("Word frequency (both groups)")
        ax.set_ylabel(f"Log-odds ratio \u03b4 (+ {a} / \u2212 {b})")
        ax.set_title(f"Fightin' Words: {a} vs {b}")
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        ax.legend(loc="best", markerscale=1.5)
    return fig, plotted


# --------------------------------------------------------------------------- topics


_SELECTION_METRICS = [
    ("npmi", "NPMI coherence", "\u2191"),
    ("umass", "UMass coherence", "\u2191"),
    ("exclusivity", "Exclusivity", "\u2191"),
    ("perplexity", "Held-out perplexity", "\u2193"),
    ("stability", "Stability (seeds)", "\u2191"),
]


def plot_topic_selection(data: pd.DataFrame, axes=None) -> tuple[Figure, pd.DataFrame]:
    """K-selection diagnostics: each metric against K, one line per model, selected K marked.

    Parameters
    ----------
    data : DataFrame
        ``topic_selection.csv``: model, k, npmi, umass, exclusivity, perplexity,
        stability, selected. Metrics that are missing or all-NaN are left out.

    Returns
    -------
    fig, plotted : Figure, DataFrame(metric, model, k, value, selected)

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
    models = sorted(data["model"].astype(str).unique())
    ncols = min(len(metrics), 3)
    fig, axs = _fig_axes(axes, len(metrics), "double", height=1.9 * math.ceil(len(metrics) / ncols) + 0.3,
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
                rows.append(pd.DataFrame({"metric": m, "model": model, "k": sub["k"].astype(int).to_numpy(),
                                          "value": sub[m].astype(float).to_numpy(),
                                          "selected": sub["selected"].to_numpy(dtype=bool)}))
            ax.set_title(f"{label} {better}")
            ax.set_xlabel("Number of topics K")
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        handles, labels = axs[0].get_legend_handles_labels()
        if len(models) > 1:
            axs[0].legend(handles, labels, loc="best")
        fig.suptitle("Choosing K (\u2191 higher / \u2193 lower is better; circled: selected K)")
    return fig, pd.concat(rows, ignore_index=True)


def _small_multiples(n: int, axes, ncols: int = 4, panel_h: float = 1.35):
    if axes is not None:
        return _fig_axes(axes, n)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    return _fig_axes(None, n, "double", height=panel_h * nrows + 0.45, ncols=ncols, sharex=True, sharey=True)


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


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:2])


# --------------------------------------------------------------------------- framing


def plot_frame_trajectories(
    data: pd.DataFrame, changepoints: pd.DataFrame | None = None, axes=None,
    frames: Sequence[str] | None = None, ncols: int = 4,
) -> tuple[Figure, pd.DataFrame]:
    """Frame rates per 1,000 tokens by year, small multiples with intervals and change points.

    Parameters
    ----------
    data : DataFrame
        ``frames_years.csv``: frame, year, rate, ci_low, ci_high.
    changepoints : DataFrame, optional
        ``frame_changepoints.csv`` with ``frame`` and a ``year`` (or
        ``changepoint_year``) column; drawn as dashed vertical lines.
    frames : sequence of str, optional
        Subset and order of frames (default: all, in table order).

    Returns
    -------
    fig, plotted : Figure, DataFrame(frame, layer, year, rate, ci_low, ci_high)
        ``layer`` is ``"rate"`` for the series and ``"changepoint"`` for the
        vertical lines (rate and intervals NaN).

    References
    ----------
    Truong, C., Oudre, L., & Vayatis, N. (2020). Selective review of offline change
    point detection methods. Signal Processing, 167, 107299.
    """
    _require(data, ["frame", "year", "rate"], "plot_frame_trajectories")
    d = data.dropna(subset=["year", "rate"]).copy()
    for c in ("ci_low", "ci_high"):
        if c not in d.columns:
            d[c] = d["rate"]
    if frames is None and "level" in d.columns and (pd.to_numeric(d["level"], errors="coerce") == 1).any():
        d = d[pd.to_numeric(d["level"], errors="coerce") == 1]  # top-level frames by default
    all_frames = list(dict.fromkeys(d["frame"].astype(str)))
    if frames is not None:
        all_frames = [f for f in frames if f in set(all_frames)]
    d = d[d["frame"].astype(str).isin(all_frames)]
    _nonempty(d, "plot_frame_trajectories")
    cps = pd.DataFrame(columns=["frame", "year"])
    if changepoints is not None and len(changepoints):
        ycol = next((c for c in ("year", "changepoint_year", "change_year", "cp_year") if c in changepoints.columns),
                    None)
        if ycol is None or "frame" not in changepoints.columns:
            raise ValueError("plot_frame_trajectories: the change-point table needs 'frame' and 'year' columns; "
                             f"it has {list(changepoints.columns)}")
        cps = changepoints[["frame", ycol]].rename(columns={ycol: "year"}).dropna()
    fig, axs = _small_multiples(len(all_frames), axes, ncols)
    rows = []
    with style_context():
        for ax, f in zip(axs, all_frames):
            s = d[d["frame"].astype(str) == f].sort_values("year")
            x = s["year"].astype(float).to_numpy()
            ax.fill_between(x, s["ci_low"].astype(float), s["ci_high"].astype(float), color=OKABE_ITO["orange"],
                            alpha=0.3, linewidth=0, gid=f"band:{f}")
            ax.plot(x, s["rate"].astype(float), color=OKABE_ITO["vermillion"], linewidth=1.0,
                    marker="o" if len(x) < 3 else None, markersize=2.5, gid=f"line:{f}")
            rows.append(pd.DataFrame({"frame": f, "layer": "rate", "year": x, "rate": s["rate"].astype(float).to_numpy(),
                                      "ci_low": s["ci_low"].astype(float).to_numpy(),
                                      "ci_high": s["ci_high"].astype(float).to_numpy()}))
            cy = sorted(cps.loc[cps["frame"].astype(str) == f, "year"].astype(float).unique())
            for y in cy:
                ax.axvline(y, color=OKABE_ITO["black"], linestyle="--", linewidth=0.7, gid=f"changepoint:{f}")
            if cy:
                rows.append(pd.DataFrame({"frame": f, "layer": "changepoint", "year": cy, "rate": np.nan,
                                          "ci_low": np.nan, "ci_high": np.nan}))
            ax.set_title(_wrap(f.replace("_", " "), 30), fontsize=6.5, loc="left")
            _int_years(ax)
            ax.tick_params(labelsize=6)
        fig.supylabel("Matches per 1,000 tokens", fontsize=7)
        fig.supxlabel("Year", fontsize=7)
        fig.suptitle("Frames over time (95% bootstrap intervals; dashed: change points)")
    return fig, pd.concat(rows, ignore_index=True)


def pillar_shares_from_frames(data: pd.DataFrame, pattern: str = r"pillar_") -> pd.DataFrame:
    """Each pillar frame's share of all pillar matches per year, from ``frames_years.csv``.

    Frames whose name matches ``pattern`` (a regex, case-insensitive) are the
    pillars; share = rate of the pillar / sum of pillar rates in that year
    (rates share the same token denominator, so this equals the share of matches).

    Returns
    -------
    DataFrame(year, pillar, share)
    """
    _require(data, ["frame", "year", "rate"], "pillar_shares_from_frames")
    mask = data["frame"].astype(str).str.contains(pattern, case=False, regex=True)
    d = data[mask & data["rate"].notna()]
    if d.empty:
        return pd.DataFrame({"year": pd.Series(dtype="int64"), "pillar": pd.Series(dtype="str"),
                             "share": pd.Series(dtype="float64")})
    total = d.groupby("year")["rate"].transform("sum")
    out = pd.DataFrame({"year": d["year"].astype(int), "pillar": d["frame"].astype(str),
                        "share": np.where(total > 0, d["rate"] / total.where(total > 0, 1), np.nan)})
    order = list(dict.fromkeys(out["pillar"]))
    out["rank"] = out["pillar"].map({p: i for i, p in enumerate(order)})
    return out.sort_values(["year", "rank"]).drop(columns="rank").reset_index(drop=True)


def pillar_shares_from_indices(data: pd.DataFrame) -> pd.DataFrame:
    """Yearly pillar shares from ``frame_indices.csv`` (rows ``level == 'year'``,
    ``index`` like ``pillar_one_share``).

    Returns
    -------
    DataFrame(year, pillar, share)
    """
    _require(data, ["year", "index", "value"], "pillar_shares_from_indices")
    d = data
    if "level" in d.columns:
        d = d[d["level"].astype(str) == "year"]
    d = d[d["index"].astype(str).str.fullmatch(r"pillar_\w+_share")]
    out = pd.DataFrame({"year": pd.to_numeric(d["year"], errors="coerce"),
                        "pillar": d["index"].astype(str).str.replace(r"_share$", "", regex=True),
                        "share": pd.to_numeric(d["value"], errors="coerce")}).dropna(subset=["year"])
    out["year"] = out["year"].astype(int)
    order = list(dict.fromkeys(out["pillar"]))
    out["rank"] = out["pillar"].map({p: i for i, p in enumerate(order)})
    return out.sort_values(["year", "rank"]).drop(columns="rank").reset_index(drop=True)


def plot_pillar_shares(data: pd.DataFrame, ax: Axes | None = None) -> tuple[Figure, pd.DataFrame]:
    """Stacked bars of the shares of the three R2P pillars per year.

    Parameters
    ----------
    data : DataFrame(year, pillar, share)
        E.g. from :func:`pillar_shares_from_indices`. Years in which no pillar
        language occurs (all shares NaN) have no bar.

    Returns
    -------
    fig, plotted : Figure, DataFrame(year, pillar, share, bottom)
        Rows with NaN ``share`` are years without a bar.

    References
    ----------
    United Nations Secretary-General (2009). Implementing the responsibility to
    protect. A/63/677.
    """
    _require(data, ["year", "pillar", "share"], "plot_pillar_shares")
    _nonempty(data, "plot_pillar_shares")
    wide = data.pivot_table(index="year", columns="pillar", values="share", aggfunc="sum", dropna=False)
    wide = wide.sort_index()
    pillars = [p for p in dict.fromkeys(data["pillar"]) if p in wide.columns]
    years = wide.index.astype(float).to_numpy()
    fig, ax = _fig_ax(ax, "single" if len(years) <= 40 else "double")
    rows = []
    bottom = np.zeros(len(years))
    hatches = [None, "////", "...", "xxx", "\\\\"]
    with style_context():
        for i, p in enumerate(pillars):
            h = wide[p].to_numpy(dtype=float)
            ok = np.isfinite(h)
            few = len(years) <= 40  # hatching (for greyscale) only where bars are wide enough
            ax.bar(years[ok], h[ok], bottom=bottom[ok], width=0.85 if few else 1.0, color=PALETTE[i % len(PALETTE)],
                   hatch=hatches[i % len(hatches)] if few else None, edgecolor="white" if few else "none",
                   linewidth=0.2 if few else 0, label=p.replace("_", " "), gid=f"bars:{p}")
            rows.append(pd.DataFrame({"year": years.astype(int), "pillar": p, "share": h, "bottom": bottom.copy()}))
            bottom = bottom + np.nan_to_num(h)
        ax.set_ylim(0, 1)
        ax.set_ylabel("Share of pillar language")
        ax.set_xlabel("Year")
        ax.set_title("Pillar shares over time")
        _year_ticks(ax, years.min(), years.max())
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig, pd.concat(rows, ignore_index=True)


def plot_anchor_profile(
    data: pd.DataFrame, ax: Axes | None = None, doc_id: str | None = None, value: str = "rate_per_1000",
    frames: Sequence[str] | None = None, cmap: str = "magma_r", label: str | None = None,
) -> tuple[Figure, pd.DataFrame]:
    """Paragraph-by-paragraph frame profile of one document (by default the anchor).

    Parameters
    ----------
    data : DataFrame
        ``frames_units.csv``: unit_id, doc_id, frame, matches, tokens, rate_per_1000
        (optionally ``position``; else parsed from ``unit_id`` ``<doc_id>#p<N>``).
    doc_id : str, optional
        Document to profile (default: the only document in ``data``).
    label : str, optional
        How the document is named in the title (default: its doc_id).

    Returns
    -------
    fig, plotted : Figure, DataFrame(unit_id, position, frame, value)
        The full paragraph x frame grid in image order.
    """
    _require(data, ["unit_id", "doc_id", "frame", value], "plot_anchor_profile")
    d = data
    if doc_id is None:
        ids = d["doc_id"].astype(str).unique()
        if len(ids) != 1:
            raise ValueError(f"plot_anchor_profile: pass doc_id=; the table holds {len(ids)} documents")
        doc_id = ids[0]
    d = d[d["doc_id"].astype(str) == str(doc_id)].copy()
    _nonempty(d, f"plot_anchor_profile({doc_id})")
    # paragraph number: N of '<doc_id>#pN' when present, else position + 1
    num = pd.to_numeric(d["unit_id"].astype(str).str.extract(r"#p(\d+)$")[0], errors="coerce")
    if "position" in d.columns:
        num = num.fillna(pd.to_numeric(d["position"], errors="coerce") + 1)
    d["position"] = num
    if frames is None and "level" in d.columns and (pd.to_numeric(d["level"], errors="coerce") == 1).any():
        d = d[pd.to_numeric(d["level"], errors="coerce") == 1]  # top-level frames by default
    if frames is None:
        frames = list(dict.fromkeys(d["frame"].astype(str)))
    units = d.drop_duplicates("unit_id").sort_values(["position", "unit_id"])[["unit_id", "position"]]
    grid = (d.pivot_table(index="unit_id", columns="frame", values=value, aggfunc="sum")
            .reindex(index=units["unit_id"], columns=list(frames)).fillna(0.0))
    fig, ax = _fig_ax(ax, "double", height=min(9.0, max(2.4, 0.11 * len(units) + 1.4)))  # at most a page
    with style_context():
        ax.grid(False)
        im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap=cmap, interpolation="nearest", gid="profile")
        ax.set_xticks(np.arange(len(frames)), [str(f).replace("_", " ") for f in frames], rotation=55,
                      ha="right", fontsize=6)
        step = max(1, len(units) // 25)
        ticks = np.arange(0, len(units), step)
        ax.set_yticks(ticks, [str(int(p)) if pd.notna(p) else "?" for p in units["position"].iloc[ticks]],
                      fontsize=6)
        ax.set_ylabel("Paragraph")
        cb = _root(ax).colorbar(im, ax=ax, shrink=0.8)
        cb.set_label("Matches per 1,000 tokens" if value == "rate_per_1000" else value)
        cb.outline.set_linewidth(0.4)
        ax.set_title(f"Frame profile by paragraph: {label or doc_id}")
    long = grid.reset_index().melt(id_vars="unit_id", var_name="frame", value_name="value")
    long["position"] = long["unit_id"].map(dict(zip(units["unit_id"], units["position"])))
    # image order: row-major over (unit, frame)
    long["frame"] = pd.Categorical(long["frame"], categories=list(frames))
    long["unit_id"] = pd.Categorical(long["unit_id"], categories=list(units["unit_id"]))
    long = long.sort_values(["unit_id", "frame"]).reset_index(drop=True)
    long["frame"] = long["frame"].astype(str)
    long["unit_id"] = long["unit_id"].astype(str)
    return fig, long[["unit_id", "position", "frame", "value"]]


# --------------------------------------------------------------------------- novelty and style


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

