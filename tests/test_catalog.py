"""The catalog of run tables (:mod:`analysis.run.catalog`) agrees with what a real run writes.

One run on the inaugural corpus (every default stage, plus ``scaling``, ``semantic``
and ``report``) records each table a stage writes; every one must conform to its
declaration and be declared by the stage that writes it, and every declared table
must be written. The method modules' own column constants must agree with the
declarations, so the two cannot drift.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from analysis.errors import R2PError
from analysis.run import catalog as C
from analysis.run.catalog import (
    Column,
    Table,
    TableSchemaError,
    catalog,
    check_table,
    empty_table,
    get_table,
    tables_of,
)
from analysis.run.registry import OPTIONAL_STAGES, STAGE_NAMES, stage_module

ALL_STAGES = (*STAGE_NAMES, *OPTIONAL_STAGES)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """``{table: (stage, DataFrame)}`` of one run of every stage on the inaugural corpus."""
    from analysis.run import context
    from analysis.run.runner import run_pipeline

    seen: dict[str, tuple[str | None, pd.DataFrame]] = {}
    orig = context.RunContext.write_table

    def recording(self, name, df):
        seen[name] = (self.stage.name if self.stage is not None else None, df)
        return orig(self, name, df)

    out = tmp_path_factory.mktemp("catalog_run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(context.RunContext, "write_table", recording)
        if hasattr(context, "StepContext"):  # the per-step view binds the method itself
            mp.setattr(context.StepContext, "write_table", recording)
        ctx = run_pipeline("inaugural", out=out / "out", cache_dir=out / "cache", verbose=False, progress=False,
                           only=list(ALL_STAGES))
    assert not ctx.errors, f"stages failed: {ctx.errors}"
    return seen


# ------------------------------------------------------------------------------ the real run
def test_every_declared_table_is_written_by_its_stage(written):
    assert set(written) == set(catalog()), (f"declared, not written: {sorted(set(catalog()) - set(written))}; "
                                            f"written, not declared: {sorted(set(written) - set(catalog()))}")
    for name, (stage, _) in written.items():
        assert get_table(name).stage == stage, f"{name} is written by {stage}, declared by {get_table(name).stage}"


def test_every_written_table_conforms_to_its_declaration(written):
    for name, (_, df) in written.items():
        check_table(name, df)  # raises TableSchemaError naming the table and the column


def test_declared_order_is_the_order_a_run_writes(written):
    """The reference lists the columns in the order of the files."""
    for name, (_, df) in written.items():
        table = get_table(name)
        present = [c for c in df.columns if table.column(c) is not None]
        assert present == [c for c in table.names if c in present], name


def test_a_real_table_has_rows_for_most_tables(written):
    """The conformance test above is not vacuous: most tables of the run have rows to check."""
    filled = [n for n, (_, df) in written.items() if len(df)]
    assert len(filled) >= 35, sorted(set(written) - set(filled))


# ---------------------------------------------------------------------------- declarations
def test_produces_is_derived_from_tables():
    for stage in ALL_STAGES:
        mod = stage_module(stage)
        assert mod.PRODUCES == tuple(t.name for t in mod.TABLES), stage
        assert tuple(t.name for t in tables_of(stage)) == mod.PRODUCES


def test_every_table_and_column_is_described():
    for name, t in catalog().items():
        assert t.grain.startswith("one row per"), name
        assert t.description.strip() and t.stage in ALL_STAGES, name
        assert t.columns, name
        for c in t.columns:
            assert c.dtype in C.DTYPES and len(c.description) >= 4, (name, c.name)


def test_empty_table_has_the_declared_columns_and_types():
    want = {"str": "object", "date": "object", "int": "int64", "float": "float64", "bool": "bool"}
    for name, t in catalog().items():
        df = empty_table(name)
        assert list(df.columns) == t.names and len(df) == 0, name
        for c in t.columns:
            expected = "float64" if (c.dtype == "int" and c.nullable) else want[c.dtype]
            assert str(df[c.name].dtype) == expected, (name, c.name, df[c.name].dtype)
        check_table(name, df)
        assert list(empty_table(name, optional=False).columns) == [c.name for c in t.columns if not c.optional]


def test_unknown_table_is_an_r2p_error_with_a_hint():
    with pytest.raises(TableSchemaError, match="did you mean 'keyness'"):
        get_table("keynes")
    assert issubclass(TableSchemaError, R2PError)


def test_a_table_cannot_be_declared_twice():
    with pytest.raises(ValueError, match="twice"):
        Table("t", "one row per x", (Column("a", "int", "an a"), Column("a", "int", "an a")), "t")
    with pytest.raises(ValueError, match="dtype"):
        Column("a", "integer", "an a")


# ------------------------------------------------------------------------------ check_table
def test_check_table_names_an_undeclared_column_and_where_to_declare_it(written):
    df = written["keyness"][1].assign(bogus=1.0)
    with pytest.raises(TableSchemaError) as e:
        check_table("keyness", df)
    msg = str(e.value)
    assert "'keyness'" in msg and "'bogus'" in msg and "analysis/stages/compare.py" in msg


def test_check_table_requires_the_required_columns(written):
    df = written["fightin_words"][1].drop(columns=["z"])
    with pytest.raises(TableSchemaError, match=r"missing required column\(s\) 'z'"):
        check_table("fightin_words", df)
    # an optional column may be absent (Wordscores has no alpha, Wordfish no reference_score)
    check_table("scaling", empty_table("scaling", optional=False))


@pytest.mark.parametrize("column,values,why", [
    ("z", ["high"] * 3, "declared float"),
    ("count_a", [0.5, 1.0, 2.0], "non-integer floats"),
    ("count_a", [1.0, np.nan, 2.0], "missing values"),
    ("term", [1, 2, 3], "declared str"),
])
def test_check_table_rejects_an_incompatible_type(column, values, why):
    df = pd.DataFrame({"comparison": ["a"] * 3, "term": ["x", "y", "z"], "count_a": [1, 2, 3],
                       "count_b": [1, 2, 3], "delta": [0.1] * 3, "variance": [0.2] * 3, "z": [0.3] * 3})
    check_table("fightin_words", df)
    df[column] = pd.Series(values, dtype=object if isinstance(values[0], str) else None)
    with pytest.raises(TableSchemaError, match=why):
        check_table("fightin_words", df)


def test_check_table_accepts_the_ways_a_run_holds_values():
    t = Table("t", "one row per x", (
        Column("i", "int", "an int", nullable=True), Column("s", "str", "text", nullable=True),
        Column("d", "date", "a date", nullable=True), Column("b", "bool", "a flag"),
        Column("f", "float", "a float")), "t", stage="x")
    ok = pd.DataFrame({"i": pd.array([1, None, 3], dtype="Int64"), "s": pd.Categorical(["a", "b", None]),
                       "d": ["2017-09-06", None, "1789"], "b": [True, False, True], "f": [1, 2, 3]})
    for col in t.columns:
        assert C._incompatible(col, ok[col.name]) is None, col.name
    assert C._incompatible(t.columns[2], pd.Series(["6 Sept 2017"], dtype=object))  # not ISO
    assert C._incompatible(t.columns[3], pd.Series([0, 1]))  # ints are not flags


def test_a_dynamic_table_accepts_the_corpus_docvars(written):
    df = written["documents"][1].assign(party="x")
    check_table("documents", df)
    with pytest.raises(TableSchemaError, match="'available'"):
        check_table("documents", df.drop(columns=["available"]))


def test_a_stage_writing_an_undeclared_column_fails(tmp_path, inaugural, written):
    from analysis.run.context import RunContext, StageInfo

    ctx = RunContext(corpus=inaugural, full_corpus=inaugural, out=tmp_path)
    ctx.stage = StageInfo("compare", "1", produces=("keyness",), consumes=())
    with pytest.raises(TableSchemaError, match="'bogus'"):
        ctx.write_table("keyness", written["keyness"][1].assign(bogus=1))


# --------------------------------------------------- method modules' constants name the same columns
#: (module, constant, table, declared columns the constant leaves out: the docvars or labels the
#: stage or method adds around the method's own columns)
CONSTANTS = [
    ("analysis.annotations", "ANNOTATION_COLUMNS", "annotations", ()),
    ("analysis.units", "UNIT_COLUMNS", "units", ()),
    ("analysis.textstats.keyness", "KEYNESS_COLUMNS", "keyness", ()),
    ("analysis.textstats.keyness", "FIGHTIN_WORDS_COLUMNS", "fightin_words", ()),
    ("analysis.textstats.evidence", "PARAGRAPH_SIMILARITY_COLUMNS", "similarity_paragraphs", ()),
    ("analysis.textstats.evidence", "TERM_KWIC_COLUMNS", "term_kwic", ()),
    ("analysis.textstats.kwic", "KWIC_COLUMNS", "kwic", ("date", "year", "speaker")),
    ("analysis.textstats.kwic", "DISPERSION_COLUMNS", "dispersion", ("date", "year", "speaker")),
    ("analysis.textstats.kwic", "COLLOCATION_COLUMNS", "collocations", ()),
    ("analysis.textstats.kwic", "COLLOCATE_COLUMNS", "collocates", ()),
    ("analysis.textstats.similarity", "SIMILARITY_COLUMNS", "similarity_to_anchor", ()),
    ("analysis.textstats.similarity", "SIMILARITY_YEARS_COLUMNS", "similarity_years", ()),
    ("analysis.textstats.similarity", "CENTROID_COLUMNS", "centroid_distance", ()),
    ("analysis.textstats.similarity", "SOURCE_YEARS_COLUMNS", "similarity_source_years", ()),
    ("analysis.textstats.style", "STYLE_COLUMNS", "style", ("doc_id", "date", "year", "speaker")),
    ("analysis.textstats.novelty", "NOVELTY_COLUMNS", "novelty", ("date", "year", "speaker")),
    ("analysis.textstats.novelty", "TOPIC_SIMILARITY_COLUMNS", "topic_similarity_to_anchor", ()),
    ("analysis.framing.frames", "UNIT_FRAME_COLUMNS", "frames_units", ("level", "family", "date", "year", "speaker")),
    ("analysis.framing.rates", "DOC_COLUMNS", "frames_docs", ("level", "family", "date", "year", "speaker")),
    ("analysis.framing.rates", "YEAR_COLUMNS", "frames_years", ("level", "family")),
    ("analysis.framing.rates", "YEAR_COLUMNS", "stance_years", ("level", "family")),
    ("analysis.framing.rates", "SOURCE_YEAR_COLUMNS", "frames_source_years", ()),
    ("analysis.framing.indices", "INDEX_COLUMNS", "frame_indices", ()),
    ("analysis.framing.sentiment", "SENTIMENT_COLUMNS", "sentiment_units", ("date", "year", "speaker")),
    ("analysis.framing.sentiment", "SENTIMENT_YEAR_COLUMNS", "sentiment_years", ()),
    ("analysis.framing.passages", "FRAME_PASSAGE_COLUMNS", "frame_passages", ()),
    ("analysis.stats.changepoint", "CHANGEPOINT_COLUMNS", "frame_changepoints", ()),
    ("analysis.topicmod.dynamic", "TERMS_BY_ERA_COLUMNS", "topic_terms_by_era", ()),
    ("analysis.topicmod.composition", "EFFECT_COLUMNS", "topic_effects", ()),
    ("analysis.stages.figures", "FIGURE_INDEX_COLUMNS", "figure_index", ()),
    ("analysis.stages.report", "INDEX_COLUMNS", "report_index", ()),
]


@pytest.mark.parametrize("module,constant,table,added", CONSTANTS, ids=[f"{c[1]}-{c[2]}" for c in CONSTANTS])
def test_method_constants_agree_with_the_catalog(module, constant, table, added):
    value = list(getattr(importlib.import_module(module), constant))
    assert value == [c for c in get_table(table).names if c not in added]


def test_topic_table_columns_agree_with_the_catalog():
    """analysis.topicmod (a layer below the run layer) keeps its own copy for the model code."""
    from analysis.topicmod.tables import OPTIONAL_TABLES, TABLE_COLUMNS

    assert {k: list(v) for k, v in TABLE_COLUMNS.items()} == {t.name: t.names for t in tables_of("topics")}
    assert set(OPTIONAL_TABLES) <= set(TABLE_COLUMNS)


@pytest.mark.parametrize("module,constant,table", [
    ("analysis.topicmod.kselect", "SCAN_COLUMNS", "topic_selection"),  # the scan's columns; the stage adds flags
    ("analysis.plots.topics", "_EFFECT_COLUMNS", "topic_effects"),  # the columns the effects figure reads
])
def test_partial_constants_name_declared_columns(module, constant, table):
    assert set(getattr(importlib.import_module(module), constant)) <= set(get_table(table).names)
