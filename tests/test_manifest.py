"""`r2p corpus validate`: one test per kind of problem, and validation never modifies anything."""

import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.acquire.lock import validate_corpus_folder
from analysis.manifest import curate_manifest, validate_manifest

from .conftest import ANCHOR_ID, ROOT

CORPUS = ROOT / "corpus"


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    dst = tmp_path / "corpus"
    dst.mkdir()
    for name in ["manifest.csv", "manifest.schema.json"]:
        shutil.copy(CORPUS / name, dst / name)
    (dst / "texts").mkdir()
    shutil.copy(CORPUS / "texts" / f"{ANCHOR_ID}.txt", dst / "texts" / f"{ANCHOR_ID}.txt")
    return dst


def edit(folder: Path, fn):
    df = pd.read_csv(folder / "manifest.csv", dtype=str, keep_default_na=False)
    fn(df)
    df.to_csv(folder / "manifest.csv", index=False)


def errors(folder):
    return [p for p in validate_manifest(folder) if p.severity == "error"]


def test_project_manifest_is_valid():
    assert errors(CORPUS) == []


#: the corrections of issue 14 (corpus/README.md, "Corrections"): doc_id -> the cells changed from the draft;
#: their notes keep the draft's notes and add a "v3 (issue 14)" entry
CORRECTED = {
    "2023-06-26_antonio-guterres_ga-plenary-debate": {"speaker", "role", "genre"},
    "2012-09-05_ban-ki-moon_ga-informal-dialogue": {"url", "doc_symbol"},
    "2005-09-14_kofi-annan_other-event": {"title", "title_descriptive"},
    "2007-11-20_ban-ki-moon_unsc-open-debate": {"url_override", "doc_symbol"},
    "2005-03-21_kofi-annan_report": set(),
    "2024-06-27_antonio-guterres_report": set(),
}
#: rows added by issue 14, after the draft's rows
ADDED = ["2013-09-11_jan-eliasson_ga-informal-dialogue", "2014-12-11_jan-eliasson_other-event",
         "2014-04-01_ban-ki-moon_other-event", "2008-02-14_ban-ki-moon_other-event",
         "2007-10-10_ban-ki-moon_other-event", "2015-07-08_jan-eliasson_other-event"]


def _draft():
    for base in (os.environ.get("R2P_SHARED"), ROOT.parent / "shared"):
        if base and (Path(base) / "corpus" / "sg_r2p_manifest_draft.csv").exists():
            return Path(base) / "corpus" / "sg_r2p_manifest_draft.csv"
    pytest.skip("shared draft not beside the repository (set R2P_SHARED)")


def test_curated_manifest_keeps_every_draft_row_and_provenance():
    draft = _draft()
    cur = pd.read_csv(CORPUS / "manifest.csv", dtype=str, keep_default_na=False)
    d = pd.read_csv(draft, dtype=str, keep_default_na=False)
    n = len(d)
    assert cur["doc_id"].tolist() == d["id"].tolist() + ADDED
    regenerated = curate_manifest(draft, CORPUS).fillna("").astype(str)
    drafted = cur.iloc[:n].reset_index(drop=True)
    for i, doc_id in enumerate(drafted["doc_id"]):
        changed = CORRECTED.get(doc_id)
        for col in cur.columns:
            if changed is not None and col == "notes":
                assert drafted.loc[i, col].startswith(regenerated.loc[i, col]), doc_id
                assert "v3 (issue 14): " in drafted.loc[i, col], doc_id
            elif changed is not None and col in changed:
                assert drafted.loc[i, col] != regenerated.loc[i, col], (doc_id, col)
            else:
                assert drafted.loc[i, col] == regenerated.loc[i, col], (doc_id, col)
    added = cur.iloc[n:]
    assert added["confirmed"].isin(["yes", "partial"]).all()
    assert added["notes"].str.startswith("v3 (issue 14) new: ").all()
    assert (added["source_kind"] == "html").all() and (added["anchor"] == "false").all()
    assert (added["text_file"] == "texts/" + added["doc_id"] + ".txt").all()
    assert (cur["anchor"] == "true").sum() == 1
    assert cur.loc[cur["anchor"] == "true", "doc_id"].item() == ANCHOR_ID
    sa = cur.set_index("doc_id").loc["2023-06-26_antonio-guterres_ga-plenary-debate"]
    assert (sa["speaker"], sa["role"]) == ("George Okoth-Obbo", "SA")


def test_missing_required_column(corpus_copy):
    edit(corpus_copy, lambda df: df.pop("speaker"))
    (p,) = [p for p in errors(corpus_copy) if p.column == "speaker"]
    assert p.row == 1 and "missing" in p.message


def test_duplicate_id(corpus_copy):
    def dup(df):
        df.loc[5, "doc_id"] = df.loc[4, "doc_id"]
    edit(corpus_copy, dup)
    (p,) = [p for p in errors(corpus_copy) if "duplicate" in p.message]
    assert p.row == 7 and p.column == "doc_id" and "line 6" in p.message


def test_non_iso_date(corpus_copy):
    edit(corpus_copy, lambda df: df.__setitem__("date", df["date"].where(df.index != 3, "14/09/2005")))
    ps = [p for p in errors(corpus_copy) if p.column == "date"]
    assert [(p.row, "not an ISO date" in p.message) for p in ps] == [(5, True)]


def test_year_disagrees_with_date(corpus_copy):
    edit(corpus_copy, lambda df: df.__setitem__("year", df["year"].where(df.index != 2, "2006")))
    (p,) = [p for p in errors(corpus_copy) if p.column == "year"]
    assert p.row == 4 and "disagrees" in p.message


def test_enum_violation(corpus_copy):
    edit(corpus_copy, lambda df: df.__setitem__("role", df["role"].where(df.index != 0, "PGA")))
    (p,) = [p for p in errors(corpus_copy) if p.column == "role"]
    assert p.row == 2 and "SG, DSG" in p.fix


def test_missing_bundled_file(corpus_copy):
    (corpus_copy / "texts" / f"{ANCHOR_ID}.txt").unlink()
    (p,) = errors(corpus_copy)
    assert p.column == "text_file" and "does not exist" in p.message


def test_non_utf8_file(corpus_copy):
    f = corpus_copy / "texts" / f"{ANCHOR_ID}.txt"
    f.write_bytes(f.read_bytes() + b"\xff\xfe")
    ps = errors(corpus_copy)
    assert any("not UTF-8" in p.message and p.file == str(f) for p in ps)


def test_empty_file(corpus_copy):
    (corpus_copy / "texts" / f"{ANCHOR_ID}.txt").write_text("  \n", encoding="utf-8")
    ps = errors(corpus_copy)
    assert any("empty" in p.message for p in ps)


def test_sha256_mismatch(corpus_copy):
    f = corpus_copy / "texts" / f"{ANCHOR_ID}.txt"
    f.write_text(f.read_text(encoding="utf-8") + "\nAn added line.", encoding="utf-8")
    (p,) = errors(corpus_copy)
    assert p.column == "sha256" and p.row == 35  # the anchor is on line 35


def test_manifest_not_utf8(corpus_copy):
    m = corpus_copy / "manifest.csv"
    m.write_bytes(m.read_bytes().replace("António".encode(), "Ant\xf3nio".encode("latin-1"), 1))
    (p,) = validate_manifest(corpus_copy)
    assert "not UTF-8" in p.message and "line" in p.message


def test_malformed_csv(corpus_copy):
    m = corpus_copy / "manifest.csv"
    m.write_text(m.read_text(encoding="utf-8") + 'x,"unterminated\n', encoding="utf-8")
    ps = validate_manifest(corpus_copy)
    assert ps and ps[0].file.endswith("manifest.csv")


def test_two_anchors(corpus_copy):
    edit(corpus_copy, lambda df: df.__setitem__("anchor", "true"))
    assert any(p.column == "anchor" for p in errors(corpus_copy))


def test_not_fetched_is_a_note_not_an_error(corpus_copy):
    notes = [p for p in validate_manifest(corpus_copy) if p.severity == "note"]
    assert len(notes) == 58 and all("not fetched" in p.message for p in notes)


def test_validation_of_corrupted_corpus_leaves_every_byte(corpus_copy):
    # corrupt several things at once
    edit(corpus_copy, lambda df: (df.__setitem__("year", df["year"].where(df.index != 2, "1999")),
                                  df.__setitem__("date", df["date"].where(df.index != 4, "May 2008"))))
    f = corpus_copy / "texts" / f"{ANCHOR_ID}.txt"
    f.write_bytes(f.read_bytes()[:200] + b"\xff")
    (corpus_copy / "texts" / "2009-01-12_ban-ki-moon_report.txt").write_text("", encoding="utf-8")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus_copy.rglob("*") if p.is_file()}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    ps = validate_corpus_folder(corpus_copy)
    assert len([p for p in ps if p.severity == "error"]) >= 3
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus_copy.rglob("*") if p.is_file()}
    assert after == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes


def test_minimal_schema_for_user_folders(tmp_path):
    pd.DataFrame({"doc_id": ["a"], "text_file": ["a.txt"]}).to_csv(tmp_path / "manifest.csv", index=False)
    ps = errors(tmp_path)
    assert any("neither date nor year" in p.message for p in ps)
    assert any("a.txt does not exist" in p.message for p in ps)
