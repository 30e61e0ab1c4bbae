"""Framing figures: frame trajectories, pillar shares and the anchor's paragraph profile.

See :mod:`analysis.plots` for the grammar every ``plot_*`` follows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.plots.base import (
    _fig_ax,
    _int_years,
    _nonempty,
    _require,
    _root,
    _small_multiples,
    _style,
    _wrap,
    _year_ticks,
)
from analysis.plots.save import OKABE_ITO, PALETTE, style_context

__all__ = [
    "pillar_shares_from_frames",
    "pillar_shares_from_indices",
    "plot_anchor_profile",
    "plot_frame_source_trajectories",
    "plot_frame_trajectories",
    "plot_pillar_shares",
]


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


def plot_frame_source_trajectories(
    data: pd.DataFrame, axes=None, frames: Sequence[str] | None = None, by: str = "source", ncols: int = 4,
) -> tuple[Figure, pd.DataFrame]:
    """Frame rates per 1,000 tokens by year, one line per source, small multiples by frame.

    Parameters
    ----------
    data : DataFrame
        ``frames_source_years.csv``: source, frame, year, rate, ci_low, ci_high
        (:func:`analysis.framing.rates.stat_rates_by`).
    frames : sequence of str, optional
        Subset and order of frames (default: the top-level frames, in table order).
    by : str
        The group column (``source``).

    Returns
    -------
    fig, plotted : Figure, DataFrame(frame, source, year, rate, ci_low, ci_high)

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
    """
    _require(data, [by, "frame", "year", "rate"], "plot_frame_source_trajectories")
    d = data.dropna(subset=[by, "year", "rate"]).copy()
    for c in ("ci_low", "ci_high"):
        if c not in d.columns:
            d[c] = d["rate"]
    if frames is None and "level" in d.columns and (pd.to_numeric(d["level"], errors="coerce") == 1).any():
        d = d[pd.to_numeric(d["level"], errors="coerce") == 1]
    all_frames = list(dict.fromkeys(d["frame"].astype(str)))
    if frames is not None:
        all_frames = [f for f in frames if f in set(all_frames)]
    d = d[d["frame"].astype(str).isin(all_frames)]
    _nonempty(d, "plot_frame_source_trajectories")
    groups = list(dict.fromkeys(d[by].astype(str)))
    fig, axs = _small_multiples(len(all_frames), axes, ncols)
    rows = []
    with style_context():
        for ax, f in zip(axs, all_frames):
            for i, g in enumerate(groups):
                s = d[(d["frame"].astype(str) == f) & (d[by].astype(str) == g)].sort_values("year")
                if s.empty:
                    continue
                st = _style(i, g)
                x = s["year"].astype(float).to_numpy()
                lo, hi = s["ci_low"].astype(float).to_numpy(), s["ci_high"].astype(float).to_numpy()
                ax.fill_between(x, lo, hi, color=st["color"], alpha=0.2, linewidth=0, gid=f"band:{f}:{g}")
                if len(x) < 3:  # a band needs several years; a lone year gets its interval as a bar
                    ax.vlines(x, lo, hi, color=st["color"], linewidth=0.8, gid=f"interval:{f}:{g}")
                ax.plot(x, s["rate"].astype(float), color=st["color"], linestyle=st["linestyle"], linewidth=1.0,
                        marker="o" if len(x) < 3 else None, markersize=2.5, label=g, gid=f"line:{f}:{g}")
                rows.append(pd.DataFrame({"frame": f, by: g, "year": x, "rate": s["rate"].astype(float).to_numpy(),
                                          "ci_low": lo, "ci_high": hi}))
            ax.set_title(_wrap(f.replace("_", " "), 30), fontsize=6.5, loc="left")
            _int_years(ax)
            ax.tick_params(labelsize=6)
        handles, labels = axs[0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="upper right", fontsize=6, frameon=False)
        fig.supylabel("Matches per 1,000 tokens", fontsize=7)
        fig.supxlabel("Year", fontsize=7)
        fig.suptitle(f"Frames over time by {by} (95% bootstrap intervals)")
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
