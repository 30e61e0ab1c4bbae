"""Stage ``compare``: similarity to the anchor (by year and source too, for a corpus of several
sources) and across years, keyness, Fightin' Words, style, KWIC, dispersion and collocations
(README, "Tables: comparisons"), and the evidence tables ``similarity_paragraphs`` and
``term_kwic`` (the passages behind a score).

Every result goes through ``ctx.call`` with the run's shared matrices and the
declared settings as explicit arguments, so its cache key covers all it depends on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from analysis.textstats.keyness import (
    CORRECTIONS,
    FIGHTIN_WORDS_COLUMNS,
    KEYNESS_COLUMNS,
    parse_comparison,
    resolve_comparison,
    stat_fightin_words,
    stat_keyness,
)
from analysis.textstats.evidence import (
    PARAGRAPH_SIMILARITY_COLUMNS,
    TERM_KWIC_COLUMNS,
    extreme_terms,
    stat_paragraph_similarity,
    stat_term_kwic,
)
from analysis.textstats.kwic import (
    COLLOCATE_COLUMNS,
    COLLOCATION_COLUMNS,
    DISPERSION_COLUMNS,
    KWIC_COLUMNS,
    stat_collocates,
    stat_collocations,
    stat_kwic_dispersion,
)
from analysis.textstats.similarity import (
    CENTROID_COLUMNS,
    DEFAULT_PATTERNS,
    SIMILARITY_COLUMNS,
    SIMILARITY_YEARS_COLUMNS,
    SOURCE_YEARS_COLUMNS,
    default_comparisons,
    stat_centroid_distance,
    stat_similarity_by,
    stat_similarity_to_anchor,
    stat_similarity_years,
)
from analysis.textstats.style import stat_style
from analysis.reshape import source_groups
from analysis.settings import StageSettings, setting

NAME = "compare"
VERSION = "3"
PRODUCES = ("similarity_to_anchor", "similarity_source_years", "similarity_years", "centroid_distance", "keyness",
            "fightin_words", "style", "kwic", "dispersion", "collocates", "collocations", "similarity_paragraphs",
            "term_kwic")
CONSUMES = ()


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``compare`` stage (``--set compare.KEY=VALUE``)."""

    group: ClassVar[str] = "compare"
    deprecated: ClassVar[dict] = {"anchor": (None, "the anchor is run-level: use --anchor DOC_ID")}

    comparisons: tuple[str, ...] | None = setting(
        None, "Keyness comparisons, `spec; spec` (e.g. `anchor; speaker=A vs B`); default: by corpus.",
        alt=("anchor",))
    n_boot: int = setting(200, "Bootstrap replicates of the similarity intervals (0: none).", ge=0)
    ci: float = setting(0.95, "Coverage of the similarity intervals.", gt=0, lt=1)
    ci_method: str = setting("normal", "Similarity interval: normal, percentile or basic bootstrap.",
                             choices=("normal", "percentile", "basic"))
    min_df: int = setting(1, "Drop terms in fewer than this many paragraphs (matrices of this stage).", ge=1)
    correction: str = setting("default", "Keyness continuity correction.", choices=CORRECTIONS)
    measure: str = setting("g2", "Keyness p-values from G2 or chi2.", choices=("g2", "chi2"))
    min_count: int = setting(3, "Keyness and Fightin' Words: drop terms rarer than this.", ge=1)
    fw_prior: str = setting("pooled", "Fightin' Words prior: pooled corpus or uniform.",
                            choices=("pooled", "uniform"))
    fw_alpha0: float = setting(1000.0, "Fightin' Words prior scale alpha_0.", gt=0)
    kwic_patterns: tuple[str, ...] = setting(
        tuple(DEFAULT_PATTERNS), "KWIC and collocate patterns (globs, multi-word), `a, b`.", sep=",",
        alt=("genocide", "sovereign*"))
    kwic_window: int = setting(5, "KWIC context words either side.", ge=0)
    kwic_valuetype: str = setting("glob", "How KWIC patterns match words: glob, regex or fixed.",
                                  choices=("glob", "regex", "fixed"))
    kwic_case_insensitive: bool = setting(True, "KWIC patterns match regardless of case.")
    collocation_min_count: int = setting(3, "Collocations: fewest occurrences of a bigram.", ge=1)
    collocation_top: int = setting(500, "Collocations: rows kept (0: all).", ge=0)
    collocate_window: int = setting(5, "Collocates of each KWIC pattern: words within this window.", ge=1)
    collocate_min_count: int = setting(2, "Collocates: fewest co-occurrences.", ge=1)
    collocate_top: int = setting(50, "Collocates kept per pattern (0: all).", ge=0)
    evidence_paragraphs: int = setting(3, "similarity_paragraphs: each document's paragraphs closest to the "
                                       "anchor kept (0: none).", ge=0)
    evidence_terms: int = setting(10, "term_kwic: the most distinctive terms per side of each comparison "
                                  "whose KWIC lines are kept (0: none).", ge=0)
    evidence_lines: int = setting(4, "term_kwic: KWIC lines kept per term and side.", ge=1)
    mattr_window: int = setting(100, "Style: MATTR window (words).", ge=1)
    mtld_threshold: float = setting(0.72, "Style: MTLD factor threshold.", gt=0, lt=1)
    n_jobs: int = setting(1, "Style: worker processes (1: the run's --workers; -1: one per CPU); no effect on results.",
                          ge=-1)


def run(ctx, cfg: Settings) -> None:
    corpus = ctx.corpus
    dv = corpus.docvars.reset_index(drop=True)
    units = ctx.units
    anchor = ctx.anchor
    ctx.log(f"compare: {len(dv)} document(s), anchor {anchor}")
    udtm = ctx.dtm("unit", min_df=cfg.min_df)
    ddtm = ctx.dtm("document", min_df=cfg.min_df)

    # similarity to the anchor
    if anchor is None or udtm is None:
        sim = pd.DataFrame(columns=SIMILARITY_COLUMNS)
    else:
        sim = ctx.call(stat_similarity_to_anchor, units, dv, anchor, settings=ctx.text, n_boot=cfg.n_boot,
                       ci=cfg.ci, random_state=ctx.seed, min_df=cfg.min_df, unit_dtm=udtm,
                       ci_method=cfg.ci_method)
    ctx.write_table("similarity_to_anchor", sim)
    if anchor is None or udtm is None or cfg.evidence_paragraphs == 0:
        paras = pd.DataFrame(columns=PARAGRAPH_SIMILARITY_COLUMNS)
    else:
        paras = ctx.call(stat_paragraph_similarity, udtm, anchor, top=cfg.evidence_paragraphs)
    ctx.write_table("similarity_paragraphs", paras)
    groups = source_groups(corpus)  # a corpus of several sources (--corpus A+B): similarity by year and source
    if groups is None or not len(sim):
        by_source = pd.DataFrame(columns=SOURCE_YEARS_COLUMNS)
    else:
        by_source = ctx.call(stat_similarity_by, sim, groups, anchor=anchor, by="year", name="source",
                             n_boot=cfg.n_boot, ci=cfg.ci, random_state=ctx.seed)
    ctx.write_table("similarity_source_years", by_source)

    n_years = int(dv["year"].dropna().nunique()) if "year" in dv.columns else 0
    if ddtm is None or n_years < 2:
        ctx.log(f"compare: {n_years} year(s) with documents; similarity_years and "
                "centroid_distance need at least two and are empty")
        ctx.write_table("similarity_years", pd.DataFrame(columns=SIMILARITY_YEARS_COLUMNS))
        ctx.write_table("centroid_distance", pd.DataFrame(columns=CENTROID_COLUMNS))
    else:
        ctx.write_table("similarity_years", ctx.call(stat_similarity_years, ddtm))
        ctx.write_table("centroid_distance", ctx.call(stat_centroid_distance, ddtm))

    # keyness and Fightin' Words
    specs = list(cfg.comparisons) if cfg.comparisons is not None else default_comparisons(corpus)
    ctx.facts.setdefault("comparisons", specs)
    key_tables, fw_tables, kwic_tables = [], [], []
    for spec in specs:
        comp = parse_comparison(spec)
        if ddtm is None:
            ctx.log(f"compare: comparison {comp.label!r} skipped: no documents")
            continue
        try:
            target, reference = resolve_comparison(comp, ddtm.docvars, anchor)
        except ValueError as e:
            ctx.log(f"compare: comparison {comp.label!r} skipped: {e}")
            continue
        if not target.any() or not reference.any():
            ctx.log(f"compare: comparison {comp.label!r} skipped: "
                    f"{int(target.sum())} target and {int(reference.sum())} reference document(s) available")
            continue
        key_tables.append(ctx.call(stat_keyness, ddtm, comp, anchor=anchor, correction=cfg.correction,
                                   measure=cfg.measure, min_count=cfg.min_count))
        fw_tables.append(ctx.call(stat_fightin_words, ddtm, comp, anchor=anchor, prior=cfg.fw_prior,
                                  alpha_0=cfg.fw_alpha0, min_count=cfg.min_count))
        if cfg.evidence_terms:
            top, bottom = extreme_terms(fw_tables[-1], cfg.evidence_terms)
            ids = ddtm.docvars["doc_id"].astype(str)
            kwic_tables.append(ctx.call(stat_term_kwic, units, top + bottom, ids[np.asarray(target, bool)].tolist(),
                                        ids[np.asarray(reference, bool)].tolist(), comp.label,
                                        n_lines=cfg.evidence_lines))
    ctx.write_table("keyness", pd.concat(key_tables, ignore_index=True) if key_tables
                    else pd.DataFrame(columns=KEYNESS_COLUMNS))
    ctx.write_table("fightin_words", pd.concat(fw_tables, ignore_index=True) if fw_tables
                    else pd.DataFrame(columns=FIGHTIN_WORDS_COLUMNS))

    ctx.write_table("term_kwic", pd.concat(kwic_tables, ignore_index=True) if kwic_tables
                    else pd.DataFrame(columns=TERM_KWIC_COLUMNS))

    # style
    ctx.write_table("style", ctx.call(stat_style, corpus, mattr_window=cfg.mattr_window,
                                      mtld_threshold=cfg.mtld_threshold, n_jobs=cfg.n_jobs))

    # KWIC, dispersion, collocations
    patterns = list(cfg.kwic_patterns)
    if patterns:
        kwic, disp = ctx.call(stat_kwic_dispersion, corpus, patterns, window=cfg.kwic_window,
                              valuetype=cfg.kwic_valuetype, case_insensitive=cfg.kwic_case_insensitive)
    else:
        ctx.log("compare: no kwic_patterns; kwic and dispersion are empty")
        kwic = pd.DataFrame(columns=["doc_id", "date", "year", "speaker", *KWIC_COLUMNS[1:]])
        disp = pd.DataFrame(columns=["doc_id", "date", "year", "speaker", *DISPERSION_COLUMNS[1:]])
    ctx.write_table("kwic", kwic)
    ctx.write_table("dispersion", disp)
    if len(units) and patterns:
        colloc = ctx.call(stat_collocates, units, patterns, window=cfg.collocate_window,
                          min_count=cfg.collocate_min_count, language=ctx.text.language,
                          top=cfg.collocate_top or None)
    else:
        colloc = pd.DataFrame(columns=COLLOCATE_COLUMNS)
    ctx.write_table("collocates", colloc)
    if len(units):
        bigrams = ctx.call(stat_collocations, units, min_count=cfg.collocation_min_count,
                           language=ctx.text.language, top=cfg.collocation_top or None)
    else:
        bigrams = pd.DataFrame(columns=COLLOCATION_COLUMNS)
    ctx.write_table("collocations", bigrams)
