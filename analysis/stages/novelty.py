"""Stage ``novelty``: novelty, transience and resonance (Barron et al. 2018), and the
Jensen-Shannon divergence of each document's topic mixture from the anchor's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from analysis.settings import StageSettings, setting
from analysis.textstats.novelty import TOPIC_SIMILARITY_COLUMNS, stat_novelty, stat_topic_similarity_to_anchor

NAME = "novelty"
VERSION = "2"
PRODUCES = ("novelty", "topic_similarity_to_anchor")
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
        js = pd.DataFrame(columns=TOPIC_SIMILARITY_COLUMNS)
    ctx.write_table("topic_similarity_to_anchor", js)
