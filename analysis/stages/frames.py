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
from analysis.reshape import source_groups
from analysis.run.catalog import (
    CI_HIGH,
    CI_LOW,
    DATE,
    DOC_ID,
    SPEAKER,
    UNIT_ID,
    YEAR,
    Column,
    Table,
    empty_table,
)
from analysis.settings import StageSettings, setting

NAME = "frames"
VERSION = "5"
_DV = (DATE.but(optional=True), YEAR.but(optional=True), SPEAKER.but(optional=True))
_LEVEL = Column("level", "int", "Level of the frame in the dictionary: 1 = a family (top-level key), 2 = a frame "
                "within a family.")
_FAMILY = Column("family", "str", "The frame's family (its top-level dictionary key).")


def _rate_tables(kind: str, what: str) -> tuple[Table, ...]:
    """``<kind>_units``, ``<kind>_docs``, ``<kind>_years``: the same columns for frames and stance."""
    frame = Column("frame", "str", f"The {what} (a dictionary key, `family/key` below a family).")
    counts = (Column("matches", "int", "Dictionary matches (tokens counted once per key, `frames.nested_scope`)."),
              Column("tokens", "int", "Running words."))
    return (
        Table(f"{kind}_units", f"one row per paragraph and {what}", (
            UNIT_ID, DOC_ID, frame, *counts,
            Column("rate_per_1000", "float", "matches per 1,000 running words of the paragraph.", nullable=True),
            _LEVEL, _FAMILY, *_DV,
        ), f"Matches of the {what} dictionary in each paragraph, zeros included unless "
           "`frames.units_zeros=false`."),
        Table(f"{kind}_docs", f"one row per document and {what}", (
            DOC_ID, frame, *counts,
            Column("rate_per_1000", "float", "matches per 1,000 running words of the document.", nullable=True),
            CI_LOW.but(description="Lower end of the bootstrap interval of the rate (over paragraphs, or documents "
                       "with `frames.cluster=doc_id`)."),
            CI_HIGH.but(description="Upper end of the bootstrap interval of the rate."),
            Column("n_units", "int", "Paragraphs of the document."),
            _LEVEL, _FAMILY, *_DV,
        ), f"Rates of the {what} dictionary per document, with bootstrap intervals."),
        Table(f"{kind}_years", f"one row per year and {what}", _year_columns(frame),
              f"Rates of the {what} dictionary per year, with bootstrap intervals."),
    )


def _year_columns(frame: Column) -> tuple[Column, ...]:
    return (
        frame, YEAR.but(description="Year.", nullable=False),
        Column("rate", "float", "matches per 1,000 running words of the year.", nullable=True),
        CI_LOW.but(description="Lower end of the bootstrap interval of the rate (`frames.n_boot`, `frames.ci`)."),
        CI_HIGH.but(description="Upper end of the bootstrap interval of the rate."),
        Column("matches", "int", "Dictionary matches in the year."),
        Column("tokens", "int", "Running words of the year."),
        Column("n_units", "int", "Paragraphs of the year."),
        Column("n_docs", "int", "Documents of the year."),
        _LEVEL, _FAMILY,
    )


_FRAME = Column("frame", "str", "The frame (a dictionary key, `family/key` below a family).")
TABLES = (
    *_rate_tables("frames", "frame"),
    Table("frames_source_years", "one row per source, year and frame", (
        Column("source", "str", "The source (corpus) of the documents."), *_year_columns(_FRAME),
    ), "`frames_years` of each source alone, for a corpus of several sources (`--corpus A+B`); empty with one "
       "source."),
    Table("frame_indices", "one row per index and year (level `year`) or document (level `doc`)", (
        Column("level", "str", "`year` or `doc`: what the row aggregates."),
        YEAR.but(description="Year (rows of level `year`)."),
        DOC_ID.but(description="Document identifier (rows of level `doc`).", nullable=True),
        Column("index", "str", "The index, e.g. `prevention_response_balance` ((P - R) / (P + R)), "
               "`pillar_one_share`, `sovereignty_as_responsibility_share`."),
        Column("value", "float", "The index's value; NaN where the denominator is 0.", nullable=True),
        CI_LOW, CI_HIGH,
        Column("denominator", "int", "Matches in the index's denominator."),
    ), "Indices derived from the frame and stance rates (the study's indices)."),
    Table("frame_changepoints", "one row per change point of a frame's yearly rate", (
        _FRAME,
        Column("changepoint_year", "int", "First year of the new level."),
        Column("last_year_before", "int", "Last year before the change."),
        Column("mean_before", "float", "Mean yearly rate in the segment before."),
        Column("mean_after", "float", "Mean yearly rate in the segment after."),
        Column("shift", "float", "mean_after - mean_before."),
        Column("n_years", "int", "Observed years of the frame's series."),
        Column("method", "str", "Change-point search (`frames.changepoint_method`: pelt, binseg, dynp)."),
        Column("model", "str", "Cost model of the segmentation (l2)."),
        Column("penalty", "float", "The penalty used (calibrated by permutation, mbic, bic or given).",
               nullable=True),
    ), "Change points of each frame's yearly rate (penalised l2 segmentation); empty with too few years."),
    Table("anchor_frame_profile", "one row per paragraph of the anchor and frame", (
        UNIT_ID, DOC_ID,
        Column("position", "int", "Position of the paragraph in the anchor, 0-based."),
        _FRAME, _LEVEL, _FAMILY,
        Column("matches", "int", "Dictionary matches in the paragraph."),
        Column("tokens", "int", "Running words of the paragraph."),
        Column("rate_per_1000", "float", "matches per 1,000 running words.", nullable=True),
        Column("excerpt", "str", "The beginning of the paragraph's text."),
    ), "The anchor speech paragraph by paragraph with its frames; empty without an anchor."),
    *_rate_tables("stance", "stance category"),
    Table("sentiment_units", "one row per paragraph", (
        UNIT_ID, DOC_ID,
        Column("neg", "float", "VADER negative share (Hutto & Gilbert 2014, NLTK's lexicon)."),
        Column("neu", "float", "VADER neutral share."),
        Column("pos", "float", "VADER positive share."),
        Column("compound", "float", "VADER compound score, in [-1, 1]."),
        *_DV,
    ), "VADER sentiment of each paragraph (not written with `frames.sentiment=false`)."),
    Table("sentiment_years", "one row per year", (
        YEAR.but(description="Year.", nullable=False),
        Column("compound", "float", "Mean compound score of the year's paragraphs."),
        CI_LOW, CI_HIGH,
        Column("share_positive", "float", "Share of paragraphs with compound >= 0.05."),
        Column("share_negative", "float", "Share of paragraphs with compound <= -0.05."),
        Column("n_units", "int", "Paragraphs of the year."),
        Column("n_docs", "int", "Documents of the year."),
    ), "Yearly mean sentiment with bootstrap intervals (not written with `frames.sentiment=false`)."),
    Table("frame_passages", "one row per matched passage", (
        _FRAME, _FAMILY,
        Column("entry", "str", "The dictionary entry that matched."),
        DOC_ID, UNIT_ID, YEAR,
        Column("start", "int", "Character offset of the match in the paragraph text."),
        Column("end", "int", "Character offset of the end of the match."),
        Column("left", "str", "Text before the match."),
        Column("keyword", "str", "The matched text."),
        Column("right", "str", "Text after the match."),
        Column("anchor", "bool", "The passage is in the anchor (every anchor match is kept)."),
    ), "`frames.passages_per_year` matched passages per frame family and year, spread over documents, and every "
       "match in the anchor."),
)
PRODUCES = tuple(t.name for t in TABLES)
CONSUMES = ()


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``frames`` stage (``--set frames.KEY=VALUE``)."""

    group: ClassVar[str] = "frames"

    dictionary: str = setting("", "Frames dictionary (.yml or LIWC .dic); empty: the study's "
                              "(R2P: r2p_frames.yml).",
                              alt="")
    stance_dictionary: str = setting("", "Stance dictionary; empty: the study's (R2P: stance.yml).", alt="")
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
    study = ctx.study
    frames_path = cfg.dictionary or study.frames_dictionary_path
    fd = load_frames_dictionary(frames_path)
    sd = load_stance_dictionary(cfg.stance_dictionary or study.stance_dictionary_path)
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
        by_source = empty_table("frames_source_years")
    else:
        by_source = ctx.call(stat_rates_by, fu, groups, by="year", name="source", n_boot=cfg.n_boot, ci=cfg.ci,
                             cluster=cluster, seed=seed)
    ctx.write_table("frames_source_years", by_source)
    # only the rows of the frames the indices read (each unit keeps a row per such frame, zeros included,
    # so its words are still counted), and only the columns they read: the same indices without a copy
    # of every row and column of both tables
    indices = dict(study.indices)
    used = index_frames(indices)
    cols = [c for c in INDEX_INPUT_COLUMNS if c in fu.columns]
    rows = concat_frames([t.loc[t["frame"].isin(used).to_numpy(), cols] for t in (fu, su)])
    ctx.write_table("frame_indices", ctx.call(stat_indices, rows, indices=indices, n_boot=cfg.n_boot,
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
    fresh = load_frames_dictionary(frames_path)
    ctx.write_table("frame_passages", ctx.call(stat_frame_passages, units, fresh, per_year=cfg.passages_per_year,
                                               anchor=anchor, case_insensitive=cfg.case_insensitive,
                                               nested_scope=cfg.nested_scope))
    if cfg.sentiment:
        sent = ctx.call(stat_sentiment, units)
        ctx.write_table("sentiment_units", sent)
        ctx.write_table("sentiment_years", ctx.call(stat_sentiment_years, sent, n_boot=cfg.n_boot, ci=cfg.ci,
                                                    seed=seed))
