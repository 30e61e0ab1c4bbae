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
    parse_comparison,
    resolve_comparison,
    stat_fightin_words,
    stat_keyness,
)
from analysis.textstats.evidence import (
    extreme_terms,
    stat_paragraph_similarity,
    stat_term_kwic,
)
from analysis.textstats.kwic import (
    stat_collocates,
    stat_collocations,
    stat_kwic_dispersion,
)
from analysis.textstats.similarity import (
    default_comparisons,
    stat_centroid_distance,
    stat_similarity_by,
    stat_similarity_to_anchor,
    stat_similarity_years,
)
from analysis.textstats.style import stat_style
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

NAME = "compare"
VERSION = "3"
_KWIC_DOC = (DOC_ID, DATE, YEAR, SPEAKER)
TABLES = (
    Table("similarity_to_anchor", "one row per document with text", (
        DOC_ID, YEAR, SPEAKER,
        Column("cosine", "float", "TF-IDF cosine of the document to the anchor (1 for the anchor itself).",
               nullable=True),
        CI_LOW.but(description="Lower end of the interval of `cosine` (`compare.ci`, `compare.ci_method`; "
                   "bootstrap over the document's paragraphs, `compare.n_boot`)."),
        CI_HIGH.but(description="Upper end of the interval of `cosine`."),
    ), "TF-IDF cosine similarity of each document to the anchor, with a bootstrap interval over its paragraphs; "
       "empty without an anchor."),
    Table("similarity_source_years", "one row per source and year", (
        Column("source", "str", "The source (corpus) of the documents, for a corpus of several sources."),
        YEAR.but(description="Year.", nullable=False),
        Column("n_docs", "int", "Documents (or passages) of the source in that year, the anchor left out."),
        Column("cosine", "float", "Mean of the documents' cosines to the anchor."),
        Column("median", "float", "Median of the documents' cosines to the anchor."),
        CI_LOW.but(description="Lower end of the percentile bootstrap interval of the mean over the documents."),
        CI_HIGH.but(description="Upper end of the percentile bootstrap interval of the mean."),
    ), "Similarity to the anchor by source and year, for a corpus of several sources (`--corpus A+B`); "
       "empty with one source."),
    Table("similarity_years", "one row per ordered pair of years (diagonal included)", (
        Column("year_a", "int", "First year."),
        Column("year_b", "int", "Second year."),
        Column("cosine", "float", "TF-IDF cosine of the two years' summed counts (TF-IDF over the year documents)."),
    ), "Cosine similarity between years; empty with fewer than two years."),
    Table("centroid_distance", "one row per year", (
        YEAR.but(description="Year.", nullable=False),
        Column("n_docs", "int", "Documents of that year."),
        Column("cosine", "float", "Cosine of the year's TF-IDF vector to the centroid of the l2-normalised "
               "year vectors."),
        Column("distance", "float", "1 - cosine."),
    ), "How far each year is from the corpus centroid; empty with fewer than two years."),
    Table("keyness", "one row per comparison and term", (
        Column("comparison", "str", "The comparison, e.g. `anchor vs rest` (`compare.comparisons`)."),
        Column("term", "str", "The term (after the run's text settings)."),
        Column("count_target", "int", "Occurrences in the target documents."),
        Column("count_reference", "int", "Occurrences in the reference documents."),
        Column("total_target", "int", "Analysis tokens of the target group (after stopword and length filters)."),
        Column("total_reference", "int", "Analysis tokens of the reference group."),
        Column("g2", "float", "Signed log-likelihood G2 (Dunning 1993); positive: more frequent in the target."),
        Column("chi2", "float", "Signed Pearson chi2."),
        Column("log_ratio", "float", "log2((y_t/n_t)/(y_r/n_r)), zero counts floored at 0.5 (Hardie 2014)."),
        Column("pmi", "float", "ln(a/E), as quanteda."),
        Column("p_value", "float", "Chi-square(1) tail of |g2| (or of |chi2| with compare.measure=chi2)."),
        Column("p_adjusted", "float", "Benjamini-Hochberg adjusted p-value over the comparison's terms."),
        Column("correction", "str", "Continuity correction applied (default, yates, williams, none)."),
    ), "Keyness of each term in the target against the reference documents of each comparison; sorted by "
       "signed g2, target-key terms first."),
    Table("fightin_words", "one row per comparison and term", (
        Column("comparison", "str", "The comparison, e.g. `anchor vs rest`."),
        Column("term", "str", "The term."),
        Column("count_a", "int", "Occurrences in the target documents."),
        Column("count_b", "int", "Occurrences in the reference documents."),
        Column("delta", "float", "Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn "
               "2008, eqs. 16-22)."),
        Column("variance", "float", "Approximate variance of delta, 1/(y_a+alpha_w) + 1/(y_b+alpha_w)."),
        Column("z", "float", "delta / sqrt(variance); positive: distinctive of the target."),
    ), "Fightin' Words: log-odds ratios with an informative Dirichlet prior (`compare.fw_prior`, "
       "`compare.fw_alpha0`); sorted by z."),
    Table("style", "one row per document with text", (
        DOC_ID, DATE, YEAR, SPEAKER,
        Column("tokens", "int", "Running words (lowercased, stopwords kept, contractions split)."),
        Column("types", "int", "Distinct words."),
        Column("ttr", "float", "Type-token ratio, types / tokens."),
        Column("mattr", "float", "Moving-average TTR, window `compare.mattr_window` (Covington & McFall 2010); "
               "NaN for shorter texts.", nullable=True),
        Column("mtld", "float", "Bidirectional MTLD, threshold `compare.mtld_threshold` (McCarthy & Jarvis 2010).",
               nullable=True),
        Column("sentences", "int", "Sentences (Punkt trained on the corpus)."),
        Column("mean_sentence_length", "float", "Words per sentence.", nullable=True),
        Column("syllables_per_word", "float", "Mean syllables per word.", nullable=True),
        Column("flesch_reading_ease", "float", "Flesch reading ease (Flesch 1948).", nullable=True),
        Column("fk_grade", "float", "Flesch-Kincaid grade level (Kincaid et al. 1975).", nullable=True),
        Column("first_person_singular", "float", "Share of running words that are I/me/my/mine/myself."),
        Column("first_person_plural", "float", "Share of running words that are we/us/our/ours/ourselves."),
    ), "Lexical diversity, readability and first-person shares of each document."),
    Table("kwic", "one row per match of a KWIC pattern", (
        *_KWIC_DOC,
        Column("pattern", "str", "The KWIC pattern matched (`compare.kwic_patterns`)."),
        Column("position", "int", "0-based word index of the first matched word in the document."),
        Column("pre", "str", "Context before the match (`compare.kwic_window` words, punctuation kept)."),
        Column("keyword", "str", "The matched words, as written."),
        Column("post", "str", "Context after the match."),
    ), "Keyword-in-context concordance of the KWIC patterns; empty without patterns."),
    Table("dispersion", "one row per match of a KWIC pattern", (
        *_KWIC_DOC,
        Column("pattern", "str", "The KWIC pattern matched."),
        Column("term", "str", "The matched word, lowercased."),
        Column("position", "int", "0-based word index of the match in the document."),
        Column("n_tokens", "int", "Words in the document."),
        Column("relative_position", "float", "position / n_tokens."),
    ), "The data of a lexical dispersion (x-ray) plot; empty without patterns."),
    Table("collocates", "one row per KWIC pattern (node) and collocate", (
        Column("node", "str", "The KWIC pattern."),
        Column("collocate", "str", "A word within `compare.collocate_window` words of a match, same paragraph."),
        Column("count", "int", "Occurrences of the collocate within the node's windows (overlaps counted once)."),
        Column("count_collocate", "int", "Occurrences of the collocate anywhere."),
        Column("window_words", "int", "Words inside the node's windows."),
        Column("n_words", "int", "Words in the corpus."),
        Column("pmi", "float", "log2((count/window_words)/(count_collocate/n_words))."),
        Column("g2", "float", "Signed log-likelihood, inside vs outside the windows."),
    ), "Collocates of each KWIC pattern, top `compare.collocate_top` per node by g2 (stopwords dropped)."),
    Table("collocations", "one row per adjacent word pair", (
        Column("collocation", "str", "The two words, space-separated."),
        Column("word1", "str", "First word."),
        Column("word2", "str", "Second word."),
        Column("count", "int", "Occurrences of the pair (within paragraphs, never across punctuation)."),
        Column("count_word1", "int", "Occurrences of the first word."),
        Column("count_word2", "int", "Occurrences of the second word."),
        Column("n_words", "int", "Words in the corpus."),
        Column("pmi", "float", "log2(count * n_words / (count_word1 * count_word2)) (Church & Hanks 1990)."),
        Column("g2", "float", "Log-likelihood of the pair's 2x2 table (Dunning 1993)."),
        Column("lambda", "float", "Log odds ratio of the pair's 2x2 table, 0.5 added to each cell (as quanteda)."),
        Column("z", "float", "Wald z of lambda."),
    ), "Bigram collocations seen at least `compare.collocation_min_count` times, stopword pairs dropped; top "
       "`compare.collocation_top` by g2."),
    Table("similarity_paragraphs", "one row per document and close paragraph", (
        DOC_ID, UNIT_ID,
        Column("rank", "int", "Rank of the paragraph within its document (1 = closest to the anchor)."),
        Column("cosine", "float", "Cosine of the paragraph (its counts times the documents' idf) to the anchor's "
               "TF-IDF vector."),
    ), "Each document's `compare.evidence_paragraphs` paragraphs closest to the anchor: the evidence behind "
       "`similarity_to_anchor`."),
    Table("term_kwic", "one row per KWIC line of a distinctive term", (
        Column("comparison", "str", "The comparison."),
        Column("term", "str", "A term with one of the largest or smallest Fightin' Words z."),
        Column("side", "str", "`target` or `reference`: the documents the line comes from."),
        DOC_ID, YEAR, SPEAKER,
        Column("pre", "str", "Context before the term."),
        Column("keyword", "str", "The term as written."),
        Column("post", "str", "Context after the term."),
    ), "KWIC lines of the `compare.evidence_terms` most distinctive terms per side of each comparison, "
       "`compare.evidence_lines` per side, spread over documents."),
)
PRODUCES = tuple(t.name for t in TABLES)
CONSUMES = ()


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``compare`` stage (``--set compare.KEY=VALUE``)."""

    group: ClassVar[str] = "compare"
    deprecated: ClassVar[dict] = {"anchor": (None, "the anchor is run-level: use --anchor DOC_ID")}

    comparisons: tuple[str, ...] | None = setting(
        None, "Keyness comparisons, `spec; spec` (e.g. `anchor; speaker=A vs B`); default: the study's for "
        "this corpus, else by corpus.",
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
    kwic_patterns: tuple[str, ...] | None = setting(
        None, "KWIC and collocate patterns (globs, multi-word), `a, b`; default: the study's patterns; "
        "empty: none.", sep=",",
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
        sim = empty_table("similarity_to_anchor")
    else:
        sim = ctx.call(stat_similarity_to_anchor, units, dv, anchor, settings=ctx.text, n_boot=cfg.n_boot,
                       ci=cfg.ci, random_state=ctx.seed, min_df=cfg.min_df, unit_dtm=udtm,
                       ci_method=cfg.ci_method)
    ctx.write_table("similarity_to_anchor", sim)
    if anchor is None or udtm is None or cfg.evidence_paragraphs == 0:
        paras = empty_table("similarity_paragraphs")
    else:
        paras = ctx.call(stat_paragraph_similarity, udtm, anchor, top=cfg.evidence_paragraphs)
    ctx.write_table("similarity_paragraphs", paras)
    groups = source_groups(corpus)  # a corpus of several sources (--corpus A+B): similarity by year and source
    if groups is None or not len(sim):
        by_source = empty_table("similarity_source_years")
    else:
        by_source = ctx.call(stat_similarity_by, sim, groups, anchor=anchor, by="year", name="source",
                             n_boot=cfg.n_boot, ci=cfg.ci, random_state=ctx.seed)
    ctx.write_table("similarity_source_years", by_source)

    n_years = int(dv["year"].dropna().nunique()) if "year" in dv.columns else 0
    if ddtm is None or n_years < 2:
        ctx.log(f"compare: {n_years} year(s) with documents; similarity_years and "
                "centroid_distance need at least two and are empty")
        ctx.write_table("similarity_years", empty_table("similarity_years"))
        ctx.write_table("centroid_distance", empty_table("centroid_distance"))
    else:
        ctx.write_table("similarity_years", ctx.call(stat_similarity_years, ddtm))
        ctx.write_table("centroid_distance", ctx.call(stat_centroid_distance, ddtm))

    # keyness and Fightin' Words
    specs = (list(cfg.comparisons) if cfg.comparisons is not None
             else default_comparisons(corpus, ctx.study.comparisons_for(corpus.name)))
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
                    else empty_table("keyness"))
    ctx.write_table("fightin_words", pd.concat(fw_tables, ignore_index=True) if fw_tables
                    else empty_table("fightin_words"))

    ctx.write_table("term_kwic", pd.concat(kwic_tables, ignore_index=True) if kwic_tables
                    else empty_table("term_kwic"))

    # style
    ctx.write_table("style", ctx.call(stat_style, corpus, mattr_window=cfg.mattr_window,
                                      mtld_threshold=cfg.mtld_threshold, n_jobs=cfg.n_jobs))

    # KWIC, dispersion, collocations
    patterns = list(cfg.kwic_patterns if cfg.kwic_patterns is not None else ctx.study.kwic_patterns)
    ctx.facts.setdefault("kwic_patterns", patterns)
    if patterns:
        kwic, disp = ctx.call(stat_kwic_dispersion, corpus, patterns, window=cfg.kwic_window,
                              valuetype=cfg.kwic_valuetype, case_insensitive=cfg.kwic_case_insensitive)
    else:
        ctx.log("compare: no kwic_patterns; kwic and dispersion are empty")
        kwic = empty_table("kwic")
        disp = empty_table("dispersion")
    ctx.write_table("kwic", kwic)
    ctx.write_table("dispersion", disp)
    if len(units) and patterns:
        colloc = ctx.call(stat_collocates, units, patterns, window=cfg.collocate_window,
                          min_count=cfg.collocate_min_count, language=ctx.text.language,
                          top=cfg.collocate_top or None)
    else:
        colloc = empty_table("collocates")
    ctx.write_table("collocates", colloc)
    if len(units):
        bigrams = ctx.call(stat_collocations, units, min_count=cfg.collocation_min_count,
                           language=ctx.text.language, top=cfg.collocation_top or None)
    else:
        bigrams = empty_table("collocations")
    ctx.write_table("collocations", bigrams)
