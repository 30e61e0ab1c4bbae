"""Stage ``corpus``: ``documents.csv`` (every document, available or not), ``units.csv`` and
``annotations.csv`` (the transcript annotations the run removed, see :mod:`analysis.annotations`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from analysis.annotations import ANNOTATION_COLUMNS
from analysis.run.catalog import DATE, DOC_ID, SPEAKER, UNIT_ID, YEAR, Column, Table, empty_table
from analysis.settings import StageSettings

NAME = "corpus"
VERSION = "3"
TABLES = (
    Table("documents", "one row per document of the corpus, available (with text) or not", (
        DOC_ID.but(description="Document identifier."),
        DATE, YEAR, SPEAKER,
        Column("available", "bool", "The document's text is available (fetched or shipped) and analysed."),
        Column("n_tokens", "int", "Running words of the document (sum over its paragraphs; 0 without text)."),
        Column("n_paragraphs", "int", "Paragraphs (units) of the document (0 without text)."),
        Column("is_anchor", "bool", "The document is the run's anchor (`--anchor`, see run.json `facts.anchor`)."),
        Column("annotations_removed", "int", "Transcript annotations removed from the text (see `annotations`)."),
    ), "The corpus's documents with their docvars and the run's counts.",
        dynamic="every other docvar of the corpus, after `speaker` (for sg-r2p: `date_precision, role, genre, "
                "venue, title, title_descriptive, doc_symbol, url, url_override, confirmed, notes, text_file, "
                "sha256, source_kind, anchor`; for a corpus of several sources, `source`)"),
    Table("units", "one row per paragraph (unit) of a document with text", (
        UNIT_ID.but(description="Paragraph identifier, `<doc_id>#p<N>`, N counting paragraphs from 1."),
        DOC_ID,
        Column("position", "int", "Position of the paragraph in its document, 0-based."),
        Column("n_tokens", "int", "Running words of the paragraph."),
        Column("text", "str", "The paragraph's text, as analysed (annotations removed)."),
    ), "The units every stage analyses: real paragraphs of the texts (see the text settings' unit rule)."),
    Table("annotations", "one row per document and annotation pattern that removed something", (
        DOC_ID,
        Column("pattern", "str", "Name of the annotation pattern (e.g. applause, laughter; analysis.annotations)."),
        Column("n_removed", "int", "Annotations the pattern removed from the document."),
        Column("example", "str", "The first match, as it was in the text."),
    ), "Transcript annotations the run removed from the texts, so nothing disappears silently."),
)
PRODUCES = tuple(t.name for t in TABLES)
CONSUMES = ()


@dataclass(frozen=True)
class Settings(StageSettings):
    """The corpus stage has no settings of its own (see the ``text`` group and ``--anchor``)."""

    group: ClassVar[str] = "corpus"


def run(ctx, cfg: Settings) -> None:
    dv = ctx.full_corpus.docvars.copy()
    units = ctx.units
    n_tok = units.groupby("doc_id")["n_tokens"].sum() if len(units) else pd.Series(dtype="int64")
    n_par = units.groupby("doc_id").size() if len(units) else pd.Series(dtype="int64")
    dv["n_tokens"] = dv["doc_id"].map(n_tok).fillna(0).astype("int64")
    dv["n_paragraphs"] = dv["doc_id"].map(n_par).fillna(0).astype("int64")
    dv["is_anchor"] = dv["doc_id"] == ctx.anchor
    ann = ctx.annotations if ctx.annotations is not None else empty_table("annotations")
    removed = ann.groupby("doc_id")["n_removed"].sum() if len(ann) else pd.Series(dtype="int64")
    dv["annotations_removed"] = dv["doc_id"].map(removed).fillna(0).astype("int64")
    ctx.write_table("documents", dv)
    ctx.write_table("annotations", ann[ANNOTATION_COLUMNS])
    ctx.write_table("units", units[["unit_id", "doc_id", "position", "n_tokens", "text"]])
    missing = int((~dv["available"]).sum())
    ctx.log(f"{int(dv['available'].sum())} documents with text, {missing} missing, {len(units)} units")
    if len(ann):
        top = ann.groupby("pattern")["n_removed"].sum().sort_values(ascending=False)
        ctx.log(f"{int(top.sum())} transcript annotation(s) removed from {ann['doc_id'].nunique()} document(s) "
                f"({', '.join(f'{k} {v}' for k, v in top.head(4).items())}; tables/annotations.csv)")
