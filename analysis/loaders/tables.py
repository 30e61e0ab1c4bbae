"""A corpus in one table: a CSV, TSV or Parquet file with a text column."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from analysis.loaders.base import Corpus, CorpusError
from analysis.text import prepare

__all__ = ["load_table"]


def load_table(path: str | os.PathLike, text_col: str = "text", un_header: bool = False) -> Corpus:
    """A CSV, TSV or Parquet file with a text column; other columns become docvars.

    Needs ``date`` or ``year``; ``doc_id`` is made from the row number when absent.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",",
                             dtype={"doc_id": str, "date": str}, encoding="utf-8")
    except UnicodeDecodeError:
        raise CorpusError(f"{path} is not UTF-8; re-save it as UTF-8") from None
    except Exception as e:  # pyarrow / parser errors
        raise CorpusError(f"{path}: cannot be read as a table ({e})") from None
    if text_col not in df.columns:
        raise CorpusError(f"{path}: no {text_col!r} column (columns: {', '.join(map(str, df.columns))})")
    if "date" not in df.columns and "year" not in df.columns:
        raise CorpusError(f"{path}: needs a 'date' (YYYY-MM-DD) or 'year' column")
    if "doc_id" not in df.columns:
        df.insert(0, "doc_id", [f"doc{i + 1:05d}" for i in range(len(df))])
    texts = {
        str(d): prepare(t, un_header)
        for d, t in zip(df["doc_id"], df[text_col])
        if isinstance(t, str) and t.strip()
    }
    return Corpus(str(path), df.drop(columns=text_col), texts, None,
                  {"loader": "table", "un_header": un_header})
