"""Hand a run's results to R and Stata users: tables as ``.dta`` / ``.rds``, the DTM as Matrix Market.

:func:`export_run` converts every table of a run directory (``RUN_DIR/tables/*.csv``
and ``*.parquet``) into

- Stata ``.dta`` files (pyreadstat) with a variable label on every column,
- R ``.rds`` files (pyreadr), one data frame each,
- CSV files for spreadsheets (``to="csv"``: UTF-8 with a byte-order mark, so Excel
  reads the accents; every table, Parquet ones included),
- or the document-term matrix in Matrix Market form (``dtm.mtx`` with
  ``vocabulary.csv`` and ``docvars.csv``), for ``Matrix::readMM``,
  ``quanteda::as.dfm``, stm or keyATM, and ``scipy.io.mmread``.

Spreadsheet formulas (CSV or formula injection). A text or docvar that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return (``=HYPERLINK(...)``,
``+cmd|' /C calc'!A0``) is a formula to Excel, LibreOffice and Google Sheets when a
file is opened there. **By default every value is written verbatim**, in every
format, as the run's own ``tables/*.csv`` are: the data must round-trip exactly
(a speech that begins with "-" stays that speech). ``formula_escape=True``
(``r2p export --escape-formulas``) prefixes such a cell, and such a column name or
label, with a single quote ``'``, as the OWASP guidance on CSV injection advises; a
spreadsheet then shows the text, never runs it. Escaped files no longer
round-trip (the quote is part of the value): use them to open in a spreadsheet,
not as data for R, Stata or Python. Only text cells are touched; numbers
(``-0.5`` in a numeric column) are not.

A run does not store its document-term matrix: :func:`export_dtm` rebuilds it
from ``RUN_DIR/tables/units.csv`` with :func:`analysis.dtm.build_dtm` and the text
settings recorded in ``RUN_DIR/run.json`` (``text_settings``), so the counts are
those the run's stages saw (unigrams, no document-frequency trimming), summed
over each document's paragraphs at ``level="document"``.

Conventions, written to ``column_names.csv`` beside the files:

- Column names are made valid in both languages: letters, digits and ``_``,
  starting with a letter, at most 32 characters, not a reserved word of either
  (``if``, ``in``, ``NA``, ``_n``, ``byte`` ...), unique within a table.
- Columns named ``date`` or ending in ``_date`` (and datetime columns) are
  written as dates: Stata ``%td``; in ``.rds`` as ISO ``YYYY-MM-DD`` text,
  because pyreadr (librdata) writes no Date class (``as.Date()`` in R restores
  it, see docs/notes/scaling.md).
- Stata has no logical type and no missing string: booleans become 0/1 bytes,
  missing text becomes ``""``. R keeps logicals and ``NA``; R integers are 32-bit,
  so pyreadr writes whole numbers as doubles.

References
----------
Boisvert, R. F., Pozo, R., & Remington, K. A. (1996). The Matrix Market exchange
formats: Initial design. NIST Interagency Report 5935.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse as sp

from analysis.dtm import build_dtm
from analysis.errors import UsageError, require_columns
from analysis.text import TextSettings

__all__ = ["FORMATS", "export_run", "export_tables", "export_dtm", "safe_names", "prepare_table",
           "read_run_table", "escape_formula", "escape_formulas", "FORMULA_PREFIXES"]

FORMATS = ("stata", "r", "csv", "mm")

#: first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    """``value`` with a ``'`` in front when it is text a spreadsheet would run as a formula.

    Text starting with one of :data:`FORMULA_PREFIXES` gets the quote; anything
    else (other text, numbers, missing values) is returned unchanged.

    References
    ----------
    OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with :func:`escape_formula` applied to every text cell and column name."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = s.map(escape_formula).astype(object)
    out.columns = [escape_formula(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out

R_RESERVED = {"if", "else", "repeat", "while", "function", "for", "next", "break", "true", "false",
              "null", "inf", "nan", "na", "na_integer_", "na_real_", "na_character_", "na_complex_", "in"}
STATA_RESERVED = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long",
                  "_n", "_pi", "_pred", "_rc", "_skip", "str", "strl", "using", "with", "_se"}
RESERVED = R_RESERVED | STATA_RESERVED

#: Labels for columns the toolkit's tables share (others are labelled with their own name).
LABELS = {
    "doc_id": "document identifier", "unit_id": "paragraph unit identifier",
    "date": "date of the document", "year": "year", "speaker": "speaker", "source": "source",
    "position": "paragraph position in its document (0-based)", "n_tokens": "number of tokens",
    "text": "text", "theta": "position on the scale", "se": "standard error",
    "ci_low": "lower bound of the confidence interval", "ci_high": "upper bound of the confidence interval",
    "term": "term", "beta": "word weight (Wordfish beta)", "psi": "word fixed effect (Wordfish psi)",
    "similarity": "similarity", "model": "model", "is_anchor": "is the anchor document",
    "available": "text available",
}


def safe_names(columns) -> dict[str, str]:
    """Map column names to names valid in R and Stata (see the module docstring)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        name = re.sub(r"[^0-9A-Za-z_]", "_", str(col))
        name = re.sub(r"_+", "_", name).strip("_") or "v"
        if not name[0].isalpha():
            name = "v_" + name
        if name.lower() in RESERVED:
            name = name + "_v"
        name = name[:32]
        base, k = name, 2
        while name.lower() in used:
            suffix = f"_{k}"
            name = base[: 32 - len(suffix)] + suffix
            k += 1
        used.add(name.lower())
        out[str(col)] = name
    return out


def _is_date_col(name: str, s: pd.Series) -> bool:
    return name == "date" or name.endswith("_date") or pd.api.types.is_datetime64_any_dtype(s)


def read_run_table(path: Path) -> pd.DataFrame:
    """Read one table of a run (CSV or Parquet) as the run wrote it."""
    path = Path(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, keep_default_na=True, low_memory=False)


def prepare_table(df: pd.DataFrame, to: str, formula_escape: bool = False) -> tuple[pd.DataFrame, dict[str, str]]:
    """The frame as it is written for ``to`` ("stata" or "r"), and the name mapping.

    ``formula_escape``: quote text cells a spreadsheet would run as formulas
    (:func:`escape_formula`; off by default: values are written verbatim).
    """
    if to not in ("stata", "r"):
        raise UsageError(f"prepare_table: to must be 'stata' or 'r', got {to!r}")
    names = safe_names(df.columns)
    out = pd.DataFrame(index=range(len(df)))
    for col in df.columns:
        s = df[col].reset_index(drop=True)
        if _is_date_col(str(col), s) and s.notna().any():
            parsed = pd.to_datetime(s, errors="coerce")
            if s.notna().sum() == parsed.notna().sum():  # every given value is a date
                dates = [None if pd.isna(v) else v.date() for v in parsed]
                s = pd.Series(dates, dtype=object) if to == "stata" else pd.Series(
                    [None if d is None else d.isoformat() for d in dates], dtype=object)
        elif pd.api.types.is_bool_dtype(s):
            s = s.astype(np.int8) if to == "stata" else s
        elif s.dtype == object and s.map(lambda v: isinstance(v, bool) or pd.isna(v)).all() and s.notna().any():
            s = s.map(lambda v: None if pd.isna(v) else int(v)).astype("float64") if to == "stata" else s
        elif pd.api.types.is_string_dtype(s) or s.dtype == object:
            s = s.map(lambda v: None if pd.isna(v) else str(v)).astype(object)
            if formula_escape:
                s = s.map(escape_formula).astype(object)
            if to == "stata":
                s = s.fillna("")
        out[names[str(col)]] = s
    return out, names


def _run_tables(run_dir: Path) -> list[Path]:
    tables = run_dir / "tables"
    if not tables.is_dir():
        raise UsageError(f"{run_dir} has no tables/ folder: is it the --out folder of 'r2p run'?")
    files = sorted([*tables.glob("*.csv"), *tables.glob("*.parquet")])
    if not files:
        raise UsageError(f"{tables} holds no .csv or .parquet tables")
    return files


def export_tables(run_dir, to: str, dest=None, formula_escape: bool = False) -> list[Path]:
    """Write every table of ``run_dir`` as Stata ``.dta`` (``to="stata"``), R ``.rds`` (``to="r"``)
    or CSV for spreadsheets (``to="csv"``).

    Returns the written paths; ``dest`` defaults to ``RUN_DIR/export/<to>/``. A
    ``column_names.csv`` (table, column, exported_name, label) records the renaming
    (CSV keeps the run's column names). ``formula_escape`` quotes text a
    spreadsheet would run as a formula (see the module docstring); by default
    every value is written verbatim.
    """
    run_dir = Path(run_dir)
    if to not in ("stata", "r", "csv"):
        raise UsageError(f"export_tables: to must be 'stata', 'r' or 'csv', got {to!r}")
    dest = Path(dest) if dest else run_dir / "export" / to
    dest.mkdir(parents=True, exist_ok=True)
    written, mapping = [], []
    for path in _run_tables(run_dir):
        df = read_run_table(path)
        if to == "csv":
            out = escape_formulas(df) if formula_escape else df
            target = dest / f"{path.stem}.csv"
            out.to_csv(target, index=False, encoding="utf-8-sig")
            written.append(target)
            mapping.extend({"table": path.stem, "column": str(c), "exported_name": str(e), "label": str(e)}
                           for c, e in zip(df.columns, out.columns))
            continue
        out, names = prepare_table(df, to, formula_escape=formula_escape)
        labels = {}
        for orig, new in names.items():
            label = LABELS.get(orig, orig)
            if new != orig and orig not in LABELS:
                label = f"{orig} (renamed)"
            labels[new] = (escape_formula(label[:79]) if formula_escape else label)[:80]
            mapping.append({"table": path.stem, "column": orig, "exported_name": new, "label": labels[new]})
        if to == "stata":
            import pyreadstat

            target = dest / f"{path.stem}.dta"
            pyreadstat.write_dta(out, str(target), column_labels=[labels[c] for c in out.columns],
                                 file_label=f"r2p-analysis table {path.stem}"[:80])
        else:
            import pyreadr

            target = dest / f"{path.stem}.rds"
            pyreadr.write_rds(str(target), out, compress="gzip")
        written.append(target)
    names_path = dest / "column_names.csv"
    names_df = pd.DataFrame(mapping)
    (escape_formulas(names_df) if formula_escape else names_df).to_csv(names_path, index=False)
    return [*written, names_path]


def _run_text_settings(run_dir: Path) -> TextSettings:
    run_json = run_dir / "run.json"
    if not run_json.is_file():
        raise UsageError(f"{run_dir} has no run.json: is it the --out folder of 'r2p run'?")
    try:
        meta = json.loads(run_json.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UsageError(f"{run_json} is not valid JSON ({e}); re-run 'r2p run'") from e
    if "text_settings" not in meta:
        raise UsageError(f"{run_json} records no 'text_settings'; re-run 'r2p run' with this version")
    return TextSettings.from_dict(meta["text_settings"])


def export_dtm(run_dir, dest=None, level: str = "document", formula_escape: bool = False) -> list[Path]:
    """Write the run's document-term matrix as Matrix Market with vocabulary and docvars.

    The matrix is rebuilt from ``RUN_DIR/tables/units.csv`` and the ``text_settings``
    of ``RUN_DIR/run.json`` (the run does not store it). ``level="document"`` sums
    the paragraph counts of each document; ``"unit"`` keeps one row per paragraph.
    Writes ``dtm.mtx`` (integer coordinates, rows = documents), ``vocabulary.csv``
    (``term``, in column order) and ``docvars.csv`` (one row per matrix row, with
    the document variables of ``documents.csv`` when the run has it).
    ``formula_escape`` quotes text a spreadsheet would run as a formula in the two
    CSV files (see the module docstring); by default every value is verbatim.
    """
    run_dir = Path(run_dir)
    if level not in ("document", "unit"):
        raise UsageError(f"level must be 'document' or 'unit', got {level!r}")
    units_path = run_dir / "tables" / "units.csv"
    if not units_path.is_file() and (run_dir / "tables" / "units.parquet").is_file():
        units_path = run_dir / "tables" / "units.parquet"  # a large run (run.table_format)
    if not units_path.is_file():
        raise UsageError(f"{units_path} not found: the corpus stage writes it ('r2p run' without --only)")
    settings = _run_text_settings(run_dir)
    units = read_run_table(units_path)
    require_columns(units, ["unit_id", "doc_id", "text"], what=str(units_path))
    dtm = build_dtm(units, id_col="unit_id", settings=settings)
    if level == "document":
        order = pd.unique(units["doc_id"].astype(str))
        dtm.docvars["doc_id"] = dtm.docvars["doc_id"].astype(str)
        dtm = dtm.group("doc_id")
        pos = {d: i for i, d in enumerate(dtm.docvars["doc_id"])}
        dtm = dtm.subset([pos[d] for d in order])  # documents in the order of the run's tables
        docvars = dtm.docvars.drop(columns=["n_docs"]).copy()
        docvars["n_units"] = dtm.docvars["n_docs"].to_numpy()
        docs_path = run_dir / "tables" / "documents.csv"
        if docs_path.is_file():
            docs = pd.read_csv(docs_path, low_memory=False)
            docs["doc_id"] = docs["doc_id"].astype(str)
            docvars = docvars.merge(docs.drop_duplicates("doc_id"), on="doc_id", how="left")
    else:
        docvars = dtm.docvars.copy()
    dest = Path(dest) if dest else run_dir / "export" / "mm"
    dest.mkdir(parents=True, exist_ok=True)
    mtx = dest / "dtm.mtx"
    scipy.io.mmwrite(str(mtx), sp.coo_matrix(dtm.matrix.astype(np.int64)), field="integer",
                     comment=f"r2p-analysis document-term matrix ({level} level) of {run_dir.name}")
    vocab = dest / "vocabulary.csv"
    terms = pd.DataFrame({"term": dtm.terms})
    (escape_formulas(terms) if formula_escape else terms).to_csv(vocab, index=False)
    dv = dest / "docvars.csv"
    (escape_formulas(docvars) if formula_escape else docvars).to_csv(dv, index=False)
    return [mtx, vocab, dv]


def export_run(run_dir, to: str, dest=None, level: str = "document", formula_escape: bool = False) -> list[Path]:
    """Export a run for ``to`` in ``stata``, ``r``, ``csv`` (every table) or ``mm`` (the DTM).

    ``formula_escape=True`` quotes every text cell that starts with ``= + - @``,
    a tab or a carriage return (OWASP's advice against CSV injection) so that a
    spreadsheet shows it instead of running it. Off by default: values are written
    verbatim so that the data round-trip (see the module docstring).
    """
    if to not in FORMATS:
        raise UsageError(f"unknown export format {to!r}: choose one of {', '.join(FORMATS)}")
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"run folder {run_dir} does not exist")
    if to == "mm":
        return export_dtm(run_dir, dest, level=level, formula_escape=formula_escape)
    return export_tables(run_dir, to, dest, formula_escape=formula_escape)
