"""Stage ``corpus``: ``documents.csv`` (every document, available or not), ``units.csv`` and
``annotations.csv`` (the transcript annotations the run removed, see :mod:`analysis.annotations`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from analysis.annotations import ANNOTATION_COLUMNS
from analysis.settings import StageSettings

NAME = "corpus"
VERSION = "3"
PRODUCES = ("documents", "units", "annotations")
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
    ann = ctx.annotations if ctx.annotations is not None else pd.DataFrame(columns=ANNOTATION_COLUMNS)
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
