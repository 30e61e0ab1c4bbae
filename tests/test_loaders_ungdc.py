"""The UN General Debate Corpus as released: folder, archive, degrading on odd files, speakers and regions.

Synthetic release trees are written here in the published layout (``TXT/Session NN -
YYYY/CODE_NN_YYYY.txt``, ``Speakers_by_session.xlsx`` with the release's columns);
the real sessions 60-79 in ``../shared/ungdc`` are read when present.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analysis.corpus import CorpusError, load_corpus
from analysis.loaders.countries import regional_groups
from analysis.loaders.ungdc import load_ungdc

SHARED = Path(__file__).resolve().parents[2] / "shared" / "ungdc"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/ungdc")

SPEECHES = {  # (code, session, year) -> text
    ("FRA", 1, 1946): "The French delegation speaks of peace.",
    ("USA", 1, 1946): "We the peoples.",
    ("FRA", 79, 2024): "We support the responsibility to protect.",
    ("EU", 79, 2024): "The European Union stands with the Charter.",
    ("PRT", 75, 2020): "Portugal speaks.",
    ("YDYE", 44, 1989): "Democratic Yemen speaks.",
}
XLSX_ROWS = [  # the release's columns and quirks: a typo code (POR), an empty trailing column
    (2024, 79, "FRA", "France", "Emmanuel Macron", "President"),
    (2024, 79, "EU", "European Union ", "Charles Michel", "President "),
    (2020, 75, "POR", "Portuguese Republic", "Mr. Antonio Costa", "Prime Minister"),
    (1946, 1, "FRA", "France", "Mr. Bidault", None),
    (1946, 1, "USA", "United States of America", "Mr. Stettinius", None),
]


def _xlsx_bytes() -> bytes:
    df = pd.DataFrame(XLSX_ROWS, columns=["Year", "Session", "ISO Code", "Country", "Name of Person Speaking",
                                          "Post"])
    df["Unnamed: 6"] = None
    buf = io.BytesIO()
    df.to_excel(buf, index=False)
    return buf.getvalue()


def release_files(extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    files = {"README.txt": b"UNGDC release notes", "Speakers_by_session.xlsx": _xlsx_bytes()}
    for (code, session, year), text in SPEECHES.items():
        files[f"TXT/Session {session:02d} - {year}/{code}_{session:02d}_{year}.txt"] = text.encode()
    files.update(extra or {})
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def test_release_folder_docvars_speakers_regions(tmp_path):
    c = load_corpus(write_tree(tmp_path / "rel", release_files()))
    assert len(c) == 6 and c.docvars["available"].all()
    dv = c.docvars.set_index("doc_id")
    assert list(c.docvars.columns[:10]) == ["doc_id", "date", "year", "speaker", "session", "country_code",
                                            "country", "post", "un_region", "source"]
    assert dv.loc["FRA_79_2024", ["speaker", "post", "country", "un_region", "session", "year"]].tolist() == [
        "Emmanuel Macron", "President", "France", "Western European and other States", 79, 2024]
    assert dv.loc["EU_79_2024", "country"] == "European Union" and pd.isna(dv.loc["EU_79_2024", "un_region"])
    assert dv.loc["PRT_75_2020", "speaker"] == "Mr. Antonio Costa"  # the xlsx's POR joined to PRT
    assert dv.loc["YDYE_44_1989", "country"] == "Democratic Yemen"  # no xlsx row: the regions table's name
    assert dv.loc["YDYE_44_1989", "un_region"] == "Asia-Pacific States" and pd.isna(dv.loc["YDYE_44_1989", "speaker"])
    assert dv["date"].isna().all() and (dv["source"] == "ungdc").all()
    notes = c.issues[c.issues["severity"] == "note"]["problem"]
    assert notes.str.contains("code EU .* not an ISO 3166-1").any()
    assert notes.str.contains("code POR read as PRT").any()
    assert not (c.issues["severity"] == "error").any()
    s = c.summary()
    assert s["countries"] == 5 and s["regions"]["Western European and other States"] == 4


def test_txt_folder_and_flat_folder_read_alike(tmp_path):
    root = write_tree(tmp_path / "rel", release_files())
    a = load_corpus(root / "TXT")  # the speakers table is found beside the TXT folder
    assert len(a) == 6 and a.docvars.set_index("doc_id").loc["USA_1_1946", "speaker"] == "Mr. Stettinius"
    (root / "Speakers_by_session.xlsx").unlink()
    a = load_corpus(root / "TXT")  # without it: no speakers, ISO 3166 names
    assert len(a) == 6 and a.docvars["speaker"].isna().all()
    assert a.docvars.set_index("doc_id").loc["USA_1_1946", "country"] == "United States"
    assert a.issues["problem"].str.contains("no Speakers_by_session.xlsx").any()
    flat = tmp_path / "flat"
    flat.mkdir()
    for p in (root / "TXT").rglob("*.txt"):
        (flat / p.name).write_bytes(p.read_bytes())
    b = load_corpus(flat)
    assert b.texts == a.texts


def test_archives_tgz_zip_and_zip_holding_tgz(tmp_path):
    files = release_files()
    folder = load_ungdc(write_tree(tmp_path / "rel", files))
    tgz = tmp_path / "UNGDC_1946-2024.tgz"
    with tarfile.open(tgz, "w:gz") as tf:
        for rel, data in files.items():
            info = tarfile.TarInfo(f"UNGDC_1946-2024/{rel}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    zp = tmp_path / "ungdc.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        for rel, data in files.items():
            zf.writestr(rel, data)
    dataverse = tmp_path / "dataverse_files.zip"  # "download all": the .tgz and the xlsx side by side
    with zipfile.ZipFile(dataverse, "w") as zf:
        zf.write(tgz, tgz.name)
        zf.writestr("Speakers_by_session.xlsx", files["Speakers_by_session.xlsx"])
    for path in (tgz, zp, dataverse):
        c = load_corpus(path)
        assert c.texts == folder.texts, path
        pd.testing.assert_frame_equal(c.docvars, folder.docvars)
        assert c.fingerprint() == folder.fingerprint()
    holder = tmp_path / "holder"  # a folder with the archive in it (what a download leaves)
    holder.mkdir()
    (holder / tgz.name).write_bytes(tgz.read_bytes())
    assert load_corpus(holder).texts == folder.texts
    (holder / "raw").mkdir()  # or one level down, as a download folder keeps it
    (holder / tgz.name).rename(holder / "raw" / tgz.name)
    assert load_corpus(holder).texts == folder.texts


def test_odd_files_are_reported_never_refused(tmp_path):
    extra = {
        "TXT/Session 79 - 2024/._FRA_79_2024.txt": b"\x00\x05\x16\x07 AppleDouble",
        "TXT/Session 79 - 2024/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "__MACOSX/TXT/._README": b"\x00",
        "TXT/Session 79 - 2024/notes.txt": b"my notes",
        "TXT/Session 79 - 2024/deu-79-2024.txt": b"Germany speaks.",
        "TXT/Session 79 - 2024/GBR_79_2024.txt": b"",
        "TXT/Session 79 - 2024/ITA_79_2024.txt": "Citt\xe0".encode("latin-1"),
        "TXT/Session 68 - 2013/.Rapp.history": b"x",
    }
    c = load_corpus(write_tree(tmp_path / "rel", release_files(extra)))
    assert "DEU_79_2024" in c.texts and "GBR_79_2024" not in c.texts and "ITA_79_2024" not in c.texts
    assert len(c) == 7
    iss = c.issues.assign(name=c.issues["file"].str.rsplit("/", n=1).str[-1])
    by = iss.set_index("name")
    assert by.loc["notes.txt", "action"] == "skipped" and "CODE_SESSION_YEAR.txt" in by.loc["notes.txt", "problem"]
    assert by.loc["deu-79-2024.txt", ["action", "severity"]].tolist() == ["loaded", "warning"]
    assert "empty" in by.loc["GBR_79_2024.txt", "problem"]
    assert "not UTF-8" in by.loc["ITA_79_2024.txt", "problem"]
    assert not iss["name"].str.startswith("._").any()  # macOS files: one summary note, not one row each
    assert iss["problem"].str.contains(r"3 macOS metadata file").any()
    assert iss["problem"].str.contains(r"\.Rapp\.history").any()
    assert c.summary()["skipped_files"] == 3


def test_missing_release_says_how_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("R2P_UNGDC_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(CorpusError, match=r"r2p corpus fetch --corpus ungdc"):
        load_corpus("ungdc")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "TXT").mkdir()
    with pytest.raises(CorpusError, match="no UNGDC speeches found"):
        load_corpus(empty)


def test_named_corpus_from_env_and_data_folder(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "rel", release_files())
    monkeypatch.setenv("R2P_UNGDC_DIR", str(root))
    assert len(load_corpus("ungdc")) == 6
    monkeypatch.delenv("R2P_UNGDC_DIR")
    from analysis.resources import set_data_dir

    previous = set_data_dir(tmp_path / "data")
    try:
        write_tree(tmp_path / "data" / "ungdc", release_files())
        assert len(load_corpus("ungdc")) == 6
    finally:
        set_data_dir(previous)


def test_regional_groups_table_is_the_193_members():
    import pycountry

    t = regional_groups()
    members = t[t["status"] == "member"]
    assert len(members) == 193 and members["code"].is_unique
    assert all(pycountry.countries.get(alpha_3=c) is not None for c in members["code"])
    sizes = members["un_region"].value_counts().to_dict()
    # DGACM: African 54, Asia-Pacific 53 + Kiribati, Eastern European 23, GRULAC 33, WEOG 28 + the United States
    assert sizes == {"African States": 54, "Asia-Pacific States": 54, "Eastern European States": 23,
                     "Latin American and Caribbean States": 33, "Western European and other States": 29}


def test_cli_validate_lists_and_exits_1(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    root = write_tree(tmp_path / "rel", release_files({"TXT/Session 79 - 2024/notes.txt": b"x"}))
    r = CliRunner().invoke(app, ["corpus", "validate", "--corpus", str(root)])
    assert r.exit_code == 1, r.output
    assert "notes.txt" in r.output and "CODE_SESSION_YEAR" in r.output
    ok = write_tree(tmp_path / "ok", release_files())
    r = CliRunner().invoke(app, ["corpus", "validate", "--corpus", str(ok), "--notes"])
    assert r.exit_code == 0, r.output
    assert "EU" in r.output
    r = CliRunner().invoke(app, ["corpus", "info", "--corpus", str(ok)])
    assert r.exit_code == 0 and "Western European and other States" in r.output and "skipped files" in r.output


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/ungdc (UNGDC sessions 60-79) is not on this machine")
def test_shared_sessions_60_79(monkeypatch):
    # text normalisation (analysis.text.prepare, tested elsewhere) is most of the 7 s a full load takes;
    # the loader's own work (walk, names, speakers, regions) is what is checked here
    monkeypatch.setattr("analysis.loaders.ungdc.prepare", lambda text, un_header=True: text)
    c = load_corpus(SHARED)
    dv = c.docvars
    assert len(c) == 3857 and dv["available"].all()
    assert (dv["session"].min(), dv["session"].max()) == (60, 79)
    assert (dv["country_code"] == "EU").sum() == 14  # EU_66_2011 ... EU_79_2024
    assert dv["speaker"].notna().sum() >= 3850 and dv["post"].notna().sum() >= 3850
    assert dv["country"].notna().all()
    assert dv["un_region"].notna().sum() == len(dv) - (dv["country_code"].isin(["EU", "VAT"])).sum()
    assert not (c.issues["severity"] == "error").any()
    row = dv.set_index("doc_id").loc["KOR_60_2005"]
    assert row["speaker"] == "Ban Ki-moon" and row["un_region"] == "Asia-Pacific States"


def test_properly_named_file_wins_over_an_odd_copy(tmp_path):
    extra = {"TXT/Session 79 - 2024/FRA_79_2024 (1).txt": b"A stray copy."}
    c = load_corpus(write_tree(tmp_path / "rel", release_files(extra)))
    assert c.texts["FRA_79_2024"] == "We support the responsibility to protect."
    skipped = c.issues[c.issues["action"] == "skipped"]
    assert skipped["file"].str.endswith("FRA_79_2024 (1).txt").tolist() == [True]


def test_unknown_folder_names_every_layout(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "data.json").write_text("{}")
    with pytest.raises(CorpusError, match=r"not a corpus folder.*manifest\.csv.*UNSC Debates"):
        load_corpus(tmp_path / "x")


def test_issues_stay_out_of_the_fingerprint_and_follow_subsets(tmp_path):
    clean = load_corpus(write_tree(tmp_path / "clean", release_files()))
    extra = {"TXT/Session 79 - 2024/notes.txt": b"x", "TXT/Session 79 - 2024/GBR_79_2024.txt": b"",
             "TXT/Session 79 - 2024/._FRA_79_2024.txt": b"\x00"}
    odd = load_corpus(write_tree(tmp_path / "odd", release_files(extra)))
    assert len(odd.issues) - len(clean.issues) == 3 and clean.issues["severity"].eq("note").all()
    assert odd.fingerprint() == clean.fingerprint()  # skipped files change no text and no docvar
    sub = odd.subset(odd.docvars["year"] == 2024)
    assert len(sub) == 2 and len(sub.issues) == len(odd.issues)


def test_texts_prepared_on_the_workers_equal_one_pass(tmp_path, monkeypatch):
    """A run passes the workers' map: the texts are prepared there in blocks while the speakers table
    is read, and the corpus is the one loaded here."""
    from analysis.loaders import ungdc
    from analysis.stats.parallel import pmap, use_workers

    root = write_tree(tmp_path / "rel", release_files())
    here = load_corpus(root)
    monkeypatch.setattr(ungdc, "PREPARE_BLOCK", 2)
    calls = []

    def counting_map(fn, tasks):
        tasks = list(tasks)
        calls.append(len(tasks))
        return pmap(fn, tasks)

    with use_workers(2):
        there = load_corpus(root, map=counting_map)
    assert calls == [3]  # 6 speeches in blocks of 2
    assert there.texts == here.texts and there.texts["FRA_79_2024"] != ""
    pd.testing.assert_frame_equal(there.docvars, here.docvars)
    pd.testing.assert_frame_equal(there.issues, here.issues)
    assert there.fingerprint() == here.fingerprint()


def test_a_failing_speakers_read_fails_the_load_after_the_texts_are_prepared(tmp_path, monkeypatch):
    from analysis.loaders import ungdc

    done = []

    def slow_map(fn, tasks):
        import time

        time.sleep(0.3)
        out = [fn(*t) for t in tasks]
        done.append(True)
        return out

    def failing(*args, **kwargs):
        raise CorpusError("Speakers_by_session.xlsx: cannot be read")

    monkeypatch.setattr(ungdc, "read_speakers", failing)
    root = write_tree(tmp_path / "rel", release_files())
    with pytest.raises(CorpusError, match="Speakers_by_session.xlsx"):
        load_corpus(root, map=slow_map)
    assert done == [True]  # nothing of the load runs on after it has failed
