"""Reading and writing the run's tidy tables deterministically (CSV, or Parquet for large unit tables).

Which format a table is written in is the ``run.table_format`` setting
(:class:`analysis.run.settings.RunSettings`):

* ``auto`` (the default): CSV, except unit-level tables (:data:`UNIT_TABLES`, or any
  table with a ``unit_id`` column) of at least :data:`PARQUET_MIN_ROWS` rows, which
  are written as Parquet (zstd). On the UN General Debate corpus this turns
  ``frames_units`` from hundreds of megabytes of CSV into a few tens of Parquet;
  the small corpora of the tests and the SG's statements stay all CSV.
* ``csv``, ``parquet``: every table in that format.
* ``both``: every table in both formats (side by side).

Writing one format removes the other format's file of the same table, so a folder
never holds two disagreeing copies. Readers (:func:`read_table`, ``ctx.table``,
``r2p figures``, :class:`analysis.notebook.Tables`) accept either; :func:`table_path`
finds a table's file. Parquet files are byte-identical for identical inputs: no
timestamps are written, the pandas schema metadata is deterministic and the
row groups are fixed in size.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.reshape import plain_strings
from analysis.run.checked import replacing as _replacing

__all__ = ["write_csv", "write_parquet", "write_formats", "read_table", "table_path", "table_formats",
           "STRING_COLUMNS", "TABLE_FORMATS", "UNIT_TABLES", "PARQUET_MIN_ROWS", "TABLE_EXTENSIONS"]

#: identifier and label columns always read back as strings (never as numbers or dates)
STRING_COLUMNS = ("doc_id", "unit_id", "date", "term", "label", "speaker", "frame", "comparison",
                  "entry", "left", "keyword", "right", "text", "source", "country_code", "label_frex",
                  "label_prob", "seeded_key", "era")

#: values of ``run.table_format``
TABLE_FORMATS = ("auto", "csv", "parquet", "both")
#: the unit-level tables (one row per paragraph, or per paragraph and frame)
UNIT_TABLES = ("units", "frames_units", "stance_units", "sentiment_units", "doc_topics", "embeddings")
#: with ``run.table_format=auto``, unit-level tables of at least this many rows are Parquet
PARQUET_MIN_ROWS = 50_000
#: the file extensions of a table, in the order readers look for them
TABLE_EXTENSIONS = (".parquet", ".csv")
#: rows per Parquet row group (fixed, so the bytes do not depend on the writer's defaults)
ROW_GROUP_SIZE = 1 << 17


def table_formats(name: str, df: pd.DataFrame, table_format: str = "auto") -> tuple[str, ...]:
    """The formats (``"csv"``, ``"parquet"``) table ``name`` is written in under ``table_format``."""
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"table_format must be one of {', '.join(TABLE_FORMATS)}, got {table_format!r}")
    if table_format == "both":
        return ("csv", "parquet")
    if table_format in ("csv", "parquet"):
        return (table_format,)
    unit_level = name in UNIT_TABLES or "unit_id" in df.columns
    return ("parquet",) if unit_level and len(df) >= PARQUET_MIN_ROWS else ("csv",)


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table deterministically: no index, '\\n' line ends, 10 significant digits.

    The file is written to a temporary name unique to the process and call and
    renamed, so a crash never leaves half a table under the real name, and a
    failed write (a full disk) leaves no temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _replacing(path) as tmp:
        df.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n")
    return path


def _arrow_table(df: pd.DataFrame):
    import pyarrow as pa

    df = df.reset_index(drop=True)
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # an object column mixing strings and numbers
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = _as_strings(df[c])
        return pa.Table.from_pandas(df, preserve_index=False)


def _as_strings(s: pd.Series) -> pd.Series:
    """``s`` as an object column of strings, missing values kept missing."""
    out = pd.Series(float("nan"), index=s.index, dtype=object)
    mask = s.notna().to_numpy()
    out[mask] = s[mask].astype(str).to_numpy()
    return out


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as Parquet (zstd, level 3), byte-identical for identical inputs.

    Mixed object columns are written as strings; the index is not written. Like
    :func:`write_csv`, the file appears under its name only when complete.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {"compression": "zstd", "compression_level": 3, "write_statistics": True, "use_dictionary": True}
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    with _replacing(path) as tmp:
        if not cats or len(df) <= ROW_GROUP_SIZE:
            pq.write_table(_arrow_table(plain_strings(df)), tmp, row_group_size=ROW_GROUP_SIZE, **options)
        else:
            # categorical columns are written as their strings, one row group at a time, so the strings of a
            # long table never exist all at once; the file is the one the string columns would give
            writer = None
            try:
                for a in range(0, len(df), ROW_GROUP_SIZE):
                    part = _arrow_table(plain_strings(df.iloc[a:a + ROW_GROUP_SIZE]))
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, part.schema, **options)
                    writer.write_table(part, row_group_size=ROW_GROUP_SIZE)
            finally:
                if writer is not None:
                    writer.close()
    return path


def write_formats(df: pd.DataFrame, directory: str | Path, name: str, formats: tuple[str, ...],
                  csv_bytes: bytes | None = None, parquet_bytes: bytes | None = None) -> list[Path]:
    """Write ``directory/name.csv`` and/or ``.parquet`` and remove the format not written.

    ``csv_bytes`` and ``parquet_bytes``, when given, are the files' bytes already rendered
    (from the cache) by :func:`write_csv` and :func:`write_parquet`.
    """
    directory = Path(directory)
    paths = []
    for fmt in ("csv", "parquet"):
        path = directory / f"{name}.{fmt}"
        if fmt not in formats:
            if path.exists():
                path.unlink()
            continue
        rendered = parquet_bytes if fmt == "parquet" else csv_bytes
        if rendered is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with _replacing(path) as tmp:
                tmp.write_bytes(rendered)
            paths.append(path)
        elif fmt == "parquet":
            paths.append(write_parquet(df, path))
        else:
            paths.append(write_csv(df, path))
    return paths


def table_path(directory: str | Path, name: str) -> Path | None:
    """The file of table ``name`` in ``directory`` (``.parquet`` first, then ``.csv``), or None."""
    for ext in TABLE_EXTENSIONS:
        p = Path(directory) / f"{name}{ext}"
        if p.exists():
            return p
    return None


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table a run wrote, ``.csv`` or ``.parquet``.

    ``path`` may also be a run's ``tables`` folder joined with a table name without
    extension (``OUT/tables/frames_units``): the Parquet or CSV file is found.
    Identifier columns are strings and empty cells NaN in both formats.
    """
    path = Path(path)
    if not path.exists() and path.suffix not in TABLE_EXTENSIONS:
        found = table_path(path.parent, path.name)
        if found is not None:
            path = found
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such table (a run writes OUT/tables/NAME.csv or NAME.parquet)")
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        for c in df.columns:  # identifier columns are strings, as when read from CSV
            if c in STRING_COLUMNS and not pd.api.types.is_string_dtype(df[c]):
                df[c] = _as_strings(df[c]).astype("str")
        return df
    head = pd.read_csv(path, nrows=0)
    dtype = {c: "str" for c in head.columns if c in STRING_COLUMNS}
    return pd.read_csv(path, dtype=dtype, keep_default_na=True)
