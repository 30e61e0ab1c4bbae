"""Stage ``corpus``: ``documents.csv`` (every document, available or not) and ``units.csv``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from analysis.settings import StageSettings

NAME = "corpus"
VERSION = "2"
PRODUCES = ("documents", "units")
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
    ctx.write_table("documents", dv)
    ctx.write_table("units", units[["unit_id", "doc_id", "position", "n_tokens", "text"]])
    missing = int((~dv["available"]).sum())
    ctx.log(f"{int(dv['available'].sum())} documents with text, {missing} missing, {len(units)} units")
