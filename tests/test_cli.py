"""The r2p command: info, validate, run; exit codes 0, 1, 2."""

import json
import shutil

import pandas as pd
from typer.testing import CliRunner

from analysis.cli.main import app

from .conftest import ANCHOR_ID, ROOT

runner = CliRunner()


def test_info_sotu():
    r = runner.invoke(app, ["corpus", "info", "--corpus", "sotu", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert (s["documents"], s["first_year"], s["last_year"]) == (237, 1790, 2026)


def test_info_inaugural():
    r = runner.invoke(app, ["corpus", "info", "--corpus", "inaugural", "--json"])
    assert json.loads(r.stdout)["documents"] == 59


def test_info_sg_r2p_lists_missing_with_urls():
    r = runner.invoke(app, ["corpus", "info"], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    assert f"anchor {ANCHOR_ID}: available" in r.stdout
    assert "2005-03-21_kofi-annan_other-event" in r.stdout  # the table lists the missing rows
    s = json.loads(runner.invoke(app, ["corpus", "info", "--json"]).stdout)
    assert s["available"] == 1 and len(s["missing_documents"]) == 58
    urls = {d["doc_id"]: d["url"] for d in s["missing_documents"]}
    # (the table folds long URLs to the console's width, so the URL is checked in the JSON)
    assert urls["2005-03-21_kofi-annan_other-event"] == "https://press.un.org/en/2005/ga10334.doc.htm"


def test_validate_ok_and_error_exit_codes(tmp_path):
    assert runner.invoke(app, ["corpus", "validate"]).exit_code == 0
    shutil.copytree(ROOT / "corpus", tmp_path / "c", ignore=shutil.ignore_patterns("raw"))
    m = tmp_path / "c" / "manifest.csv"
    df = pd.read_csv(m, dtype=str, keep_default_na=False)
    df.loc[0, "date"] = "2005-13-40"
    df.to_csv(m, index=False)
    r = runner.invoke(app, ["corpus", "validate", "--corpus", str(tmp_path / "c")])
    assert r.exit_code == 1
    assert "line 2" in r.stderr and "'date'" in r.stderr and "YYYY-MM-DD" in r.stderr


def test_usage_error_exit_code_2(tmp_path):
    assert runner.invoke(app, ["run", "--bogus"]).exit_code == 2
    r = runner.invoke(app, ["run", "--corpus", "inaugural", "--out", str(tmp_path), "--set", "nodot"])
    assert r.exit_code == 2


def test_unknown_corpus_exit_code_1():
    r = runner.invoke(app, ["corpus", "info", "--corpus", "no-such-corpus"])
    assert r.exit_code == 1 and "no corpus named" in r.stderr


def test_help_reads_well():
    r = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "--corpus" in r.stdout and "STAGE.KEY=VALUE" in r.stdout
