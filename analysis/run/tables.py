"""Reading and writing the run's tidy tables deterministically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["write_csv", "read_table", "STRING_COLUMNS"]

#: identifier and label columns always read back as strings (never as numbers or dates)
STRING_COLUMNS = ("doc_id", "unit_id", "date", "term", "label", "speaker", "frame", "comparison",
                  "entry", "left", "keyword", "right", "text", "source", "country_code", "label_frex",
                  "label_prob", "seeded_key", "era")


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table deterministically: no index, '\\n' line ends, 10 significant digits.

    The file is written to a temporary name and renamed, so a crash never leaves
    half a table under the real name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    df.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n")
    tmp.replace(path)
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table a run wrote (``.csv``; identifier columns as strings, empty cells as NaN)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such table")
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    head = pd.read_csv(path, nrows=0)
    dtype = {c: "str" for c in head.columns if c in STRING_COLUMNS}
    return pd.read_csv(path, dtype=dtype, keep_default_na=True)
