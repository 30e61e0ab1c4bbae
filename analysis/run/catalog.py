"""The catalog of the run's output tables: each declared once, beside the stage that writes it.

Every stage module of :mod:`analysis.stages` declares the tables it writes under
``OUT/tables/`` as ``TABLES = (Table(...), ...)`` (and ``PRODUCES`` is derived from
it). A :class:`Table` says what one row is (its *grain*) and lists its
:class:`Column` s, each with a type from :data:`DTYPES` and a one-line description.
From these declarations come:

* :func:`empty_table`: the table with no rows, its declared columns in order and
  with their declared types (what a stage writes when it has nothing to report);
* :func:`check_table`: the check that a table about to be written has no column its
  declaration does not name, has every required column, and no column whose type is
  clearly incompatible with its declaration (a :class:`TableSchemaError` otherwise);
* the docs' table reference (``docs/_ext/r2p_docs.py``, ``tables_page``).

:func:`catalog`, :func:`tables_of` and :func:`get_table` collect the declarations
of every stage of :mod:`analysis.run.registry` (``STAGE_NAMES`` and
``OPTIONAL_STAGES``), so a table cannot be declared by two stages.

Types (:data:`DTYPES`): ``str`` (text or an identifier), ``int``, ``float``,
``bool`` and ``date`` (an ISO 8601 date string, ``YYYY-MM-DD`` or a prefix of it).
A column with ``nullable=True`` may hold missing values (NaN, an empty CSV field);
an ``int`` column that is nullable is held as pandas' ``Int64`` or as floats in
memory. A column with ``optional=True`` may be absent (say, a docvar the corpus
does not have). A table whose columns are partly the corpus's own (its docvars) says
so with ``dynamic``: its undeclared columns are then accepted, and ``dynamic``
describes them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.errors import R2PError

__all__ = ["CI_HIGH", "CI_LOW", "DATE", "DOC_ID", "DTYPES", "SAMPLE", "SPEAKER", "UNIT_ID", "YEAR", "Column", "Table",
           "TableSchemaError", "catalog", "check_table", "empty_table", "get_table", "tables_of"]

#: the declared column types
DTYPES = ("str", "int", "float", "bool", "date")
#: the pandas dtype of an empty column of each type (nullable int: float64, as NaN needs it)
_EMPTY_DTYPES = {"str": "object", "int": "int64", "float": "float64", "bool": "bool", "date": "object"}


class TableSchemaError(R2PError, ValueError):
    """A table does not match its declaration in the catalog (:mod:`analysis.run.catalog`)."""


@dataclass(frozen=True)
class Column:
    """One declared column of a run table.

    Parameters
    ----------
    name : str
        The column's name in the table.
    dtype : str
        One of :data:`DTYPES`: ``str``, ``int``, ``float``, ``bool`` or ``date``.
    description : str
        One line: what the value is (units, range, how it is computed).
    optional : bool
        The column may be absent from the table (a docvar the corpus lacks, a
        column of one model only).
    nullable : bool
        The column may hold missing values (NaN, an empty CSV field); an ``int``
        column is then held as ``Int64`` or floats.
    """

    name: str
    dtype: str
    description: str
    optional: bool = False
    nullable: bool = False

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name!r}: dtype {self.dtype!r} is not one of {', '.join(DTYPES)}")
        if not str(self.description).strip():
            raise ValueError(f"column {self.name!r} has no description")

    def but(self, **changes) -> Column:
        """A copy with some fields changed (``DOC_ID.but(description="...")``)."""
        return dataclasses.replace(self, **changes)

    @property
    def type_label(self) -> str:
        """The type as the docs show it: ``int``, or ``int?`` when values may be missing."""
        return self.dtype + ("?" if self.nullable else "")


@dataclass(frozen=True)
class Table:
    """The declaration of one run table, ``OUT/tables/<name>.csv`` (or ``.parquet``).

    Parameters
    ----------
    name : str
        The table's name (its file stem).
    grain : str
        What one row is, e.g. ``"one row per document and year"``.
    columns : tuple of Column
        Every column, in the order the table has them.
    description : str
        What the table holds and when it is empty (a sentence or two).
    stage : str, optional
        The stage that writes it; filled in by :func:`catalog` from the module
        that declares it.
    dynamic : str, optional
        For a table with columns of the corpus's own (its docvars): what those
        columns are. Undeclared columns are then accepted by :func:`check_table`.
    """

    name: str
    grain: str
    columns: tuple[Column, ...]
    description: str
    stage: str | None = None
    dynamic: str | None = None
    _by_name: dict = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        cols = tuple(self.columns)
        object.__setattr__(self, "columns", cols)
        names = [c.name for c in cols]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"table {self.name!r} declares column(s) {', '.join(dup)} twice")
        object.__setattr__(self, "_by_name", {c.name: c for c in cols})

    @property
    def names(self) -> list[str]:
        """The declared column names, in order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """The names of the columns that must be present."""
        return [c.name for c in self.columns if not c.optional]

    def column(self, name: str) -> Column | None:
        """The declared column ``name``, or None."""
        return self._by_name.get(name)


# ----------------------------------------------------------------- columns many tables share
DOC_ID = Column("doc_id", "str", "Document identifier (`documents.csv`).")
UNIT_ID = Column("unit_id", "str", "Paragraph (unit) identifier, `<doc_id>#p<N>` (`units.csv`).")
DATE = Column("date", "date", "Date of the document (ISO 8601); empty where the corpus has none.", nullable=True)
YEAR = Column("year", "int", "Year of the document.", nullable=True)
SPEAKER = Column("speaker", "str", "Speaker of the document.", nullable=True)
CI_LOW = Column("ci_low", "float", "Lower end of the bootstrap interval.", nullable=True)
CI_HIGH = Column("ci_high", "float", "Upper end of the bootstrap interval.", nullable=True)


# ----------------------------------------------------------------------------- the catalog
@lru_cache(maxsize=1)
def _collect() -> tuple[dict[str, Table], dict[str, tuple[str, ...]]]:
    from analysis.run.registry import OPTIONAL_STAGES, STAGE_NAMES, stage_module

    tables: dict[str, Table] = {}
    by_stage: dict[str, tuple[str, ...]] = {}
    for stage in (*STAGE_NAMES, *OPTIONAL_STAGES):
        mod = stage_module(stage)
        names = []
        for t in getattr(mod, "TABLES", ()):
            if t.name in tables:
                raise ValueError(f"table {t.name!r} is declared by stages {tables[t.name].stage!r} and {stage!r}")
            if t.stage not in (None, stage):
                raise ValueError(f"table {t.name!r} in the TABLES of stage {stage!r} says stage={t.stage!r}")
            tables[t.name] = dataclasses.replace(t, stage=stage)
            names.append(t.name)
        by_stage[stage] = tuple(names)
    return tables, by_stage


def catalog() -> dict[str, Table]:
    """Every declared table, ``{name: Table}``, in stage order (each with its ``stage`` set).

    Returns
    -------
    dict of str to Table
        The declarations of every stage of :mod:`analysis.run.registry`
        (``STAGE_NAMES`` then ``OPTIONAL_STAGES``), each stage's in its order.
    """
    return dict(_collect()[0])


def tables_of(stage: str) -> tuple[Table, ...]:
    """The tables stage ``stage`` declares, in order (a UsageError for an unknown stage).

    Parameters
    ----------
    stage : str
        A stage name of :mod:`analysis.run.registry`.

    Returns
    -------
    tuple of Table
    """
    from analysis.run.registry import stage_module

    stage_module(stage)  # the registry's UsageError for an unknown name
    tables, by_stage = _collect()
    return tuple(tables[n] for n in by_stage.get(stage, ()))


def get_table(name: str) -> Table:
    """The declaration of table ``name``.

    Raises
    ------
    TableSchemaError
        No stage declares a table of that name (the message suggests the closest).
    """
    tables = _collect()[0]
    if name not in tables:
        from analysis.errors import closest

        hint = closest(name, tables)
        raise TableSchemaError(f"no stage declares a table {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                               + "; declare it in the TABLES of the stage module that writes it "
                               "(analysis/stages/<stage>.py, see analysis.run.catalog)")
    return tables[name]


def _where(table: Table) -> str:
    return (f"the TABLES of stage {table.stage!r} (analysis/stages/{table.stage}.py)" if table.stage
            else "the TABLES of the stage module that writes it")


def empty_table(name: str, optional: bool = True) -> pd.DataFrame:
    """Table ``name`` with no rows: its declared columns in order, with their declared types.

    Parameters
    ----------
    name : str
        A declared table (:func:`get_table`).
    optional : bool
        Include the optional columns (default); False leaves them out.

    Returns
    -------
    DataFrame
        No rows; ``str`` and ``date`` columns are ``object``, ``int`` ``int64``
        (``float64`` when nullable), ``float`` ``float64``, ``bool`` ``bool``.
    """
    table = get_table(name)
    cols = [c for c in table.columns if optional or not c.optional]
    return pd.DataFrame({c.name: pd.Series([], dtype=("float64" if c.dtype == "int" and c.nullable
                                                      else _EMPTY_DTYPES[c.dtype])) for c in cols},
                        columns=[c.name for c in cols])


#: values of an object column whose Python types are checked (the first ones: a cheap check)
SAMPLE = 1000


def _values(s: pd.Series) -> pd.Series:
    """The non-missing values of ``s``; of text or object columns, only the first :data:`SAMPLE`."""
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        head = s.head(4 * SAMPLE).dropna()
        return (head if len(head) else s.dropna()).head(SAMPLE)
    return s.dropna()


def _incompatible(col: Column, s: pd.Series) -> str | None:
    """Why ``s`` cannot hold values of ``col``'s declared type (None if it can); cheap, by dtype."""
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):  # its categories say what its values are
        s = pd.Series(dt.categories) if len(dt.categories) else s.astype(object)
        dt = s.dtype
    if len(s) == 0 or (dt == object and s.isna().all()) or (s.isna().all() and col.nullable):
        return None  # nothing to contradict the declaration
    want = col.dtype
    is_bool = pd.api.types.is_bool_dtype(dt)
    is_int = pd.api.types.is_integer_dtype(dt) and not is_bool
    is_float = pd.api.types.is_float_dtype(dt)
    if want == "float":
        if is_int or is_float:
            return None
        if dt == object and _values(s).map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                                           and not isinstance(v, (bool, np.bool_))).all():
            return None
        return f"holds {dt} values, declared float"
    if want == "int":
        if is_int:
            return None
        if is_float:
            v = _values(s).to_numpy()
            if not np.all(np.isfinite(v)) or not np.all(v == np.round(v)):
                return "holds non-integer floats, declared int"
            if s.hasnans and not col.nullable:
                return "has missing values, declared int without nullable=True"
            return None
        if dt == object and _values(s).map(lambda v: isinstance(v, (int, np.integer))
                                           and not isinstance(v, (bool, np.bool_))).all():
            return None
        return f"holds {dt} values, declared int"
    if want == "bool":
        if is_bool:
            return None
        if dt == object and _values(s).map(lambda v: isinstance(v, (bool, np.bool_))).all():
            return None
        return f"holds {dt} values, declared bool"
    if want == "date":
        if pd.api.types.is_datetime64_any_dtype(dt):
            return None
        if pd.api.types.is_string_dtype(dt) or dt == object:
            vals = _values(s)
            if vals.map(lambda v: hasattr(v, "isoformat")).all():
                return None
            if not vals.map(lambda v: isinstance(v, str)).all():
                return f"holds non-text {dt} values, declared date"
            bad = vals[~vals.astype(str).str.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?")]
            return f"holds {bad.iloc[0]!r}, not an ISO date (declared date)" if len(bad) else None
        return f"holds {dt} values, declared date"
    # str: text (pandas' string dtype or objects that are strings)
    if pd.api.types.is_string_dtype(dt) and dt != object:
        return None
    if dt == object:
        if _values(s).map(lambda v: isinstance(v, str)).all():
            return None
        return "holds values that are not text, declared str"
    return f"holds {dt} values, declared str"


def check_table(name: str, df: pd.DataFrame) -> None:
    """Check that ``df`` matches the declaration of table ``name`` before it is written.

    The table may have no column its declaration does not name (unless the table is
    ``dynamic``), must have every required (non-optional) column, and no column
    whose type is clearly incompatible with its declared type (floats with
    fractions in an ``int`` column, text in a ``float`` column, numbers in a ``str``
    column...): by dtype, and for columns of Python objects by the types of their first
    :data:`SAMPLE` values, so the check costs little on a table of millions of rows.
    Column order is not checked.

    Parameters
    ----------
    name : str
        A declared table.
    df : DataFrame
        The table about to be written.

    Raises
    ------
    TableSchemaError
        The message names the table, the offending column(s) and where the table
        is declared.
    """
    table = get_table(name)
    if not isinstance(df, pd.DataFrame):
        raise TableSchemaError(f"table {name!r}: expected a DataFrame, got {type(df).__name__}")
    cols = [str(c) for c in df.columns]
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise TableSchemaError(f"table {name!r} has column(s) {', '.join(map(repr, dup))} more than once")
    problems = []
    extra = [c for c in cols if table.column(c) is None]
    if extra and table.dynamic is None:
        problems.append(f"undeclared column(s) {', '.join(map(repr, extra))}: declare them (name, type, "
                        f"description) in {_where(table)}, or do not write them")
    missing = [c for c in table.required if c not in cols]
    if missing:
        problems.append(f"missing required column(s) {', '.join(map(repr, missing))} (declared in {_where(table)}; "
                        "mark a column optional=True there if it may be absent)")
    for c in cols:
        col = table.column(c)
        if col is not None and (why := _incompatible(col, df[c])):
            problems.append(f"column {c!r} {why} (declared in {_where(table)})")
    if problems:
        raise TableSchemaError(f"table {name!r} does not match its declaration: " + "; ".join(problems))
