"""Stage ``novelty``: novelty, transience and resonance (Barron et al. 2018), and the
Jensen-Shannon divergence of each document's topic mixture from the anchor's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analysis.run.catalog import DATE, DOC_ID, SPEAKER, YEAR, Column, Table, empty_table
from analysis.settings import StageSettings, setting
from analysis.textstats.novelty import stat_novelty, stat_topic_similarity_to_anchor

NAME = "novelty"
VERSION = "2"
TABLES = (
    Table("novelty", "one row per document with text, in time order", (
        DOC_ID, DATE, YEAR, SPEAKER,
        Column("position", "int", "Rank of the document in time, 0-based."),
        Column("novelty", "float", "N_w(j) = mean over d=1..w of KL(s_j || s_{j-d}), in bits; NaN where fewer "
               "than w documents precede.", nullable=True),
        Column("transience", "float", "T_w(j) = mean over d=1..w of KL(s_j || s_{j+d}), in bits; NaN where fewer "
               "than w documents follow.", nullable=True),
        Column("resonance", "float", "novelty - transience.", nullable=True),
        Column("window", "int", "The window w (`novelty.window`)."),
        Column("basis", "str", "`topics` (the document topic mixtures of `document_topics`) or `terms` "
               "(smoothed unigram distributions)."),
    ), "Novelty, transience and resonance of each document (Barron et al. 2018); empty with fewer than "
       "window + 1 documents."),
    Table("topic_similarity_to_anchor", "one row per document with text", (
        DOC_ID, YEAR, SPEAKER,
        Column("js_divergence", "float", "Jensen-Shannon divergence of the document's topic mixture from the "
               "anchor's (Lin 1991; bits, in [0, 1])."),
        Column("js_distance", "float", "Square root of js_divergence, a metric (Endres & Schindelin 2003)."),
    ), "How far each document's topic mixture is from the anchor's; empty when no topic model ran."),
)
PRODUCES = tuple(t.name for t in TABLES)
CONSUMES = ("table:document_topics",)


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``novelty`` stage (``--set novelty.KEY=VALUE``)."""

    group: ClassVar[str] = "novelty"

    window: int = setting(3, "Documents before and after each one that its novelty and transience compare with.",
                          ge=1)
    smoothing: float = setting(0.01, "Terms basis: pseudo-count added to every term count.", gt=0)
    topic_smoothing: float = setting(1e-3, "Topics basis: weight of the uniform mixture mixed in (NMF zeros).",
                                     ge=0, lt=1)
    min_df: int = setting(2, "Terms basis: fewest documents a term must appear in.", ge=1)
    base: float = setting(2.0, "Logarithm base of the divergences (2: bits).", gt=1)
    basis: str = setting("auto", "Distributions compared: auto (topics when the topics stage ran), terms, topics.",
                         choices=("auto", "terms", "topics"))


def run(ctx, cfg: Settings) -> None:
    topics = ctx.table("document_topics") if cfg.basis in ("auto", "topics") else None
    if topics is not None and not len(topics):
        topics = None
    if cfg.basis == "topics" and topics is None:
        raise ValueError("novelty.basis=topics but no document_topics table: run the topics stage first")
    n_av = len(ctx.corpus.docvars)
    if n_av < cfg.window + 1:
        ctx.log(f"novelty: {n_av} document(s) available, need at least window+1={cfg.window + 1}; "
                "novelty.csv is empty")
    df = ctx.call(stat_novelty, ctx.corpus, window=cfg.window, document_topics=topics, settings=ctx.text,
                  smoothing=cfg.smoothing, min_df=cfg.min_df, base=cfg.base, topic_smoothing=cfg.topic_smoothing)
    if len(df):
        basis = "topic mixtures (document_topics)" if df["basis"].iloc[0] == "topics" else "smoothed term distributions"
        ctx.log(f"novelty: window {cfg.window} on {basis}")
    ctx.write_table("novelty", df)

    if topics is not None and ctx.anchor is not None and n_av:
        js = ctx.call(stat_topic_similarity_to_anchor, ctx.corpus, topics, ctx.anchor, base=cfg.base)
    else:
        if topics is None:
            ctx.log("novelty: no topic model in this run; topic_similarity_to_anchor.csv is empty")
        js = empty_table("topic_similarity_to_anchor")
    ctx.write_table("topic_similarity_to_anchor", js)
