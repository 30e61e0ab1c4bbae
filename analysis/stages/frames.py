"""Stage ``frames``: frame, stance and sentiment tables (README, "Framing").

Writes ``frames_units``, ``frames_docs``, ``frames_years``, ``frames_source_years``
(frames per year by source, for a corpus of several sources: ``--corpus A+B``;
empty otherwise), ``frame_indices``,
``frame_changepoints``, ``anchor_frame_profile``, ``stance_units``,
``stance_docs``, ``stance_years``, ``sentiment_units``, ``sentiment_years`` and
``frame_passages`` (matched passages per frame family and year, and the anchor's matches).
The anchor profile is about the run's one anchor (``ctx.anchor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from analysis.framing import (
    DEFAULT_INDICES,
    load_frames_dictionary,
    load_stance_dictionary,
    stat_anchor_profile,
    stat_changepoints,
    stat_frame_passages,
    stat_frames,
    stat_indices,
    stat_rates,
    stat_rates_by,
    stat_sentiment,
    stat_sentiment_years,
)
from analysis.framing.frames import concat_frames
from analysis.framing.indices import index_frames
from analysis.framing.rates import SOURCE_YEAR_COLUMNS
from analysis.reshape import source_groups
from analysis.settings import StageSettings, setting

NAME = "frames"
VERSION = "5"
PRODUCES = ("frames_units", "frames_docs", "frames_years", "frames_source_years", "frame_indices", "frame_changepoints",
            "anchor_frame_profile", "stance_units", "stance_docs", "stance_years", "sentiment_units",
            "sentiment_years", "frame_passages")
CONSUMES = ()


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``frames`` stage (``--set frames.KEY=VALUE``)."""

    group: ClassVar[str] = "frames"

    dictionary: str = setting("", "Frames dictionary (.yml or LIWC .dic); empty: the profile's r2p_frames.yml.",
                              alt="")
    stance_dictionary: str = setting("", "Stance dictionary; empty: the profile's stance.yml.", alt="")
    case_insensitive: bool = setting(True, "Match dictionary entries regardless of case.")
    nested_scope: str = setting("key", "Nested keys count a token once per key or once per dictionary.",
                                choices=("key", "dictionary"))
    n_boot: int = setting(1000, "Bootstrap replicates of the rate and index intervals.", ge=0)
    ci: float = setting(0.95, "Coverage of the intervals.", gt=0, lt=1)
    cluster: str = setting("", "Resampling unit of the bootstrap: empty for units, doc_id for documents.",
                           choices=("", "doc_id"))
    changepoint_method: str = setting("pelt", "Change-point search.", choices=("pelt", "binseg", "dynp"))
    changepoint_penalty: float | str = setting(
        "permutation", "Penalty: permutation-calibrated, mbic, bic, or a number.",
        choices=("permutation", "mbic", "bic"), gt=0, alt="mbic")
    changepoint_min_size: int = setting(5, "Fewest observed years in a segment.", ge=1, alt=2)
    changepoint_level: float = setting(0.99, "Permutation penalty: P(no change point | no change).", gt=0, lt=1)
    changepoint_n_bkps: int | None = setting(None, "With method binseg/dynp: exactly this many changes.", ge=1,
                                             alt=1)
    sentiment: bool = setting(True, "Score sentiment with VADER (Hutto & Gilbert 2014).")
    passages_per_year: int = setting(5, "frame_passages: matched passages kept per frame family and year "
                                     "(every anchor match is kept).", ge=0)
    units_zeros: bool = setting(True, "false: frames_units/stance_units keep only rows with matches.")


#: the columns of the frames tables that stat_indices reads
INDEX_INPUT_COLUMNS = ("unit_id", "doc_id", "frame", "matches", "tokens", "year")


def _nonzero(units_table: pd.DataFrame, zeros: bool) -> pd.DataFrame:
    return units_table if zeros else units_table[units_table["matches"] > 0]


def run(ctx, cfg: Settings) -> None:
    units = ctx.units
    seed = int(ctx.seed)
    cluster = cfg.cluster or None
    fd = load_frames_dictionary(cfg.dictionary or None)
    sd = load_stance_dictionary(cfg.stance_dictionary or None)
    fu = ctx.call(stat_frames, units, fd, cfg.case_insensitive, cfg.nested_scope)
    su = ctx.call(stat_frames, units, sd, cfg.case_insensitive, cfg.nested_scope)
    ctx.write_table("frames_units", _nonzero(fu, cfg.units_zeros))
    ctx.write_table("stance_units", _nonzero(su, cfg.units_zeros))
    frame_years = None
    for name, tab in (("frames", fu), ("stance", su)):
        for by, table in (("doc_id", f"{name}_docs"), ("year", f"{name}_years")):
            res = ctx.call(stat_rates, tab, by=by, n_boot=cfg.n_boot, ci=cfg.ci, cluster=cluster, seed=seed)
            ctx.write_table(table, res)
            if name == "frames" and by == "year":
                frame_years = res
    groups = source_groups(ctx.corpus)
    if groups is None:
        by_source = pd.DataFrame(columns=SOURCE_YEAR_COLUMNS)
    else:
        by_source = ctx.call(stat_rates_by, fu, groups, by="year", name="source", n_boot=cfg.n_boot, ci=cfg.ci,
                             cluster=cluster, seed=seed)
    ctx.write_table("frames_source_years", by_source)
    # only the rows of the frames the indices read (each unit keeps a row per such frame, zeros included,
    # so its words are still counted), and only the columns they read: the same indices without a copy
    # of every row and column of both tables
    used = index_frames(DEFAULT_INDICES)
    cols = [c for c in INDEX_INPUT_COLUMNS if c in fu.columns]
    rows = concat_frames([t.loc[t["frame"].isin(used).to_numpy(), cols] for t in (fu, su)])
    ctx.write_table("frame_indices", ctx.call(stat_indices, rows, indices=DEFAULT_INDICES, n_boot=cfg.n_boot,
                                              ci=cfg.ci, seed=seed))
    del rows
    n_years = frame_years["year"].nunique() if len(frame_years) else 0
    if n_years < 2 * cfg.changepoint_min_size:
        ctx.log(f"frames: {n_years} year(s) with text; change points need at least "
                f"{2 * cfg.changepoint_min_size}, so frame_changepoints is empty")
    ctx.write_table("frame_changepoints", ctx.call(
        stat_changepoints, frame_years, method=cfg.changepoint_method, penalty=cfg.changepoint_penalty,
        min_size=cfg.changepoint_min_size, n_bkps=cfg.changepoint_n_bkps, level=cfg.changepoint_level,
        seed=seed))
    anchor = ctx.anchor
    if anchor is None:
        ctx.log("frames: the run has no anchor; anchor_frame_profile is empty")
        profile = ctx.call(stat_anchor_profile, fu.iloc[:0], units.iloc[:0], "")
    else:
        profile = ctx.call(stat_anchor_profile, fu, units, anchor)
    ctx.write_table("anchor_frame_profile", profile)
    # a freshly loaded dictionary: matching fills the dictionary's lookup caches, which would change its key
    fresh = load_frames_dictionary(cfg.dictionary or None)
    ctx.write_table("frame_passages", ctx.call(stat_frame_passages, units, fresh, per_year=cfg.passages_per_year,
                                               anchor=anchor, case_insensitive=cfg.case_insensitive,
                                               nested_scope=cfg.nested_scope))
    if cfg.sentiment:
        sent = ctx.call(stat_sentiment, units)
        ctx.write_table("sentiment_units", sent)
        ctx.write_table("sentiment_years", ctx.call(stat_sentiment_years, sent, n_boot=cfg.n_boot, ci=cfg.ci,
                                                    seed=seed))
