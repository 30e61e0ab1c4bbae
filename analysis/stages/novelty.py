"""Pipeline stage ``novelty``."""
from __future__ import annotations

from analysis.textstats.novelty import (TOPIC_SIMILARITY_COLUMNS, stat_novelty, stat_topic_similarity_to_anchor)

import pandas as pd


def stage(ctx) -> None:
    """Pipeline stage ``novelty``: writes ``novelty.csv`` and ``topic_similarity_to_anchor.csv``
    (Jensen-Shannon divergence of topic mixtures from the anchor's; empty without topics).

    Parameters (``--set novelty.KEY=VALUE``): ``window`` (3), ``smoothing`` (0.01),
    ``topic_smoothing`` (0.001),
    ``min_df`` (2), ``base`` (2), ``basis`` ("auto": topics if the topics stage wrote
    ``document_topics``, else terms; or "terms"/"topics").
    """
    p = ctx.params("novelty", {"window": 3, "smoothing": 0.01, "topic_smoothing": 1e-3,
                               "min_df": 2, "base": 2.0, "basis": "auto"})
    topics = ctx.tables.get("document_topics") if p["basis"] in ("auto", "topics") else None
    if p["basis"] == "topics" and topics is None:
        raise ValueError("novelty.basis=topics but no document_topics table: run the topics stage first")
    n_av = len(ctx.corpus.available().docvars)
    if n_av < int(p["window"]) + 1:
        ctx.log(f"novelty: {n_av} document(s) available, need at least window+1="
                f"{int(p['window']) + 1}; novelty.csv is empty")

    def compute():
        return stat_novelty(ctx.corpus, window=int(p["window"]), document_topics=topics,
                            settings=ctx.text_settings, smoothing=float(p["smoothing"]),
                            min_df=int(p["min_df"]), base=float(p["base"]),
                            topic_smoothing=float(p["topic_smoothing"]))

    key_params = dict(p, has_topics=topics is not None,
                      topics_hash=(pd.util.hash_pandas_object(topics, index=False).sum().item()
                                   if topics is not None else None))
    df = ctx.cached("novelty", key_params, compute)
    if len(df):
        ctx.log(f"novelty: window {int(p['window'])} on "
                f"{'topic mixtures (document_topics)' if df['basis'].iloc[0] == 'topics' else 'smoothed term distributions'}")
    ctx.write_table("novelty", df)

    # Jensen-Shannon on topic mixtures (DESIGN: "similarity to the anchor")
    if topics is not None and len(topics):
        from analysis.textstats.similarity import default_anchor

        anchor = ctx.used_params.get("compare", {}).get("anchor") or default_anchor(ctx.corpus)
        js = (stat_topic_similarity_to_anchor(ctx.corpus, topics, anchor, base=float(p["base"]))
              if anchor is not None and n_av else pd.DataFrame(columns=TOPIC_SIMILARITY_COLUMNS))
    else:
        ctx.log("novelty: no topic model in this run; topic_similarity_to_anchor.csv is empty")
        js = pd.DataFrame(columns=TOPIC_SIMILARITY_COLUMNS)
    ctx.write_table("topic_similarity_to_anchor", js)
