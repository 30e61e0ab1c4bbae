"""Fetching a Dataverse dataset (``r2p corpus fetch --corpus ungdc``) against a local imitation of the API.

Everything is served by :class:`tests.dataversefixtures.DataverseServer` on
127.0.0.1; no test touches the network.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tarfile
import zipfile

import pytest

from analysis.acquire.dataverse import (DATASETS, DATAVERSE_LOCK, DataverseError, fetch_dataset, normalize_doi,
                                        read_dataverse_lock, resolve_dataset, verify_dataverse_lock)
from analysis.acquire.sources import load_config
from analysis.acquire.unpack import UnpackError, safe_unpack
from analysis.errors import UsageError
from tests.dataversefixtures import DOI, DataverseServer, DVFile, release_archive, release_files, ungdc_files


def fast(**kw):
    base = {"min_interval_seconds": 0.0, "timeout_seconds": 2.0, "max_attempts": 3, "backoff_seconds": 0.0,
            "max_backoff_seconds": 0.0}
    base.update(kw)
    return load_config(**base)


def tree(folder):
    """Every path under ``folder``, relative, as strings (files and folders)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def speeches(folder):
    return sorted(str(p.relative_to(folder)) for p in (folder / "TXT").rglob("*.txt")) if (folder / "TXT").exists() \
        else []


# ------------------------------------------------------------------ the good path
@pytest.mark.parametrize("kind", ["tgz", "zip"])
def test_fetch_end_to_end_then_noop(tmp_path, kind):
    files = ungdc_files(kind)
    with DataverseServer(files) as srv:
        rep = fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
        # the listing was asked by DOI and version, with our user agent
        listing = [h for h in srv.hits if h.path.endswith("/files")]
        assert listing and listing[0].path == "/api/datasets/:persistentId/versions/13.0/files"
        assert listing[0].query["persistentId"] == DOI
        assert listing[0].headers["User-Agent"].startswith("r2p-analysis/")
        # the ingested workbook came as uploaded; the raw PDFs were not asked for
        assert [h.query.get("format") for h in srv.file_hits(102)] == ["original"]
        assert srv.file_hits(104) == []
        n_requests = len(srv.hits)
        # unpacked in the release layout
        expected = release_files()
        assert speeches(tmp_path) == sorted(expected)
        for rel, data in expected.items():
            assert (tmp_path / rel).read_bytes() == data
        assert (tmp_path / "Speakers_by_session.xlsx").read_bytes() == files[1].body
        assert (tmp_path / files[0].name).read_bytes() == files[0].body  # the archive stays beside
        assert rep.version_number == "13.0" and not rep.noop
        assert {f.path: f.status for f in rep.files} == {files[0].name: "downloaded", "README.txt": "downloaded",
                                                          "Speakers_by_session.xlsx": "downloaded"}
        assert rep.unpacked[0].written == len(expected)
        # the lock: one row per file, with the published checksum and our SHA-256
        rows = {r["path"]: r for r in read_dataverse_lock(tmp_path)}
        assert set(rows) == {files[0].name, "README.txt", "Speakers_by_session.xlsx"}
        arch = rows[files[0].name]
        assert arch["doi"] == DOI and arch["version"] == "13.0" and arch["checksum_type"] == "MD5"
        assert arch["checksum_value"] == files[0].md5
        assert arch["sha256"] == hashlib.sha256(files[0].body).hexdigest()
        assert arch["unpacked"] == str(len(expected)) and arch["file_id"] == "101"
        assert rows["Speakers_by_session.xlsx"]["url"].endswith("/api/access/datafile/102?format=original")
        assert not list(tmp_path.rglob("*.part")) and not (tmp_path / ".fetch.pid").exists()
        lock_bytes = (tmp_path / DATAVERSE_LOCK).read_bytes()
        # a second run: nothing asked, nothing changed
        rep2 = fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
        assert rep2.noop and rep2.requests == 0 and len(srv.hits) == n_requests
        assert (tmp_path / DATAVERSE_LOCK).read_bytes() == lock_bytes
        # --force lists again and re-verifies, but downloads and overwrites nothing
        rep3 = fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast(), force=True)
        assert {f.status for f in rep3.files} == {"present"}
        assert rep3.unpacked[0].same == len(expected) and rep3.unpacked[0].written == 0
        assert all(len(srv.file_hits(i)) == 1 for i in (101, 102, 103))


def test_plan_writes_nothing(tmp_path):
    with DataverseServer(ungdc_files()) as srv:
        rep = fetch_dataset("ungdc", server=srv.base, folder=tmp_path / "ungdc", config=fast(), plan=True)
        assert [f.status for f in rep.files] == ["planned"] * 3
        assert not (tmp_path / "ungdc").exists()
        assert all(not h.path.startswith("/api/access") for h in srv.hits)


def test_no_unpack_then_unpack(tmp_path):
    files = ungdc_files()
    with DataverseServer(files) as srv:
        rep = fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast(), unpack=False)
        assert rep.unpacked == [] and speeches(tmp_path) == [] and (tmp_path / files[0].name).exists()
        assert {r["path"]: r["unpacked"] for r in read_dataverse_lock(tmp_path)}[files[0].name] == ""
        rep = fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())  # not a no-op: unpacks
        assert not rep.noop and rep.unpacked[0].written == len(release_files())
        assert len(srv.file_hits(101)) == 1  # the verified archive was not downloaded again


def test_symbolic_version_is_resolved_and_only_selects(tmp_path):
    with DataverseServer(ungdc_files()) as srv:
        rep = fetch_dataset("ungdc", version=":latest-published", server=srv.base, folder=tmp_path, config=fast(),
                            only=["Speakers_by_session.xlsx"])
        assert rep.version_number == "13.0"
        assert [f.path for f in rep.files] == ["Speakers_by_session.xlsx"]
        assert set(tree(tmp_path)) == {DATAVERSE_LOCK, "Speakers_by_session.xlsx"}
        with pytest.raises(UsageError, match="no file matching nope.csv.*UNGDC_1946-2024.tgz"):
            fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast(), only=["nope.csv"])


# ------------------------------------------------------------------ resuming
def test_resume_after_cut_off_within_a_run(tmp_path):
    files = ungdc_files(cut_after=1000, cut_times=1)
    with DataverseServer(files) as srv:
        rep = fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
        hits = srv.file_hits(101)
        assert [h.headers.get("Range") for h in hits] == [None, "bytes=1000-"]
        assert hits[0].sent == 1000 and hits[1].status == 206
        assert {f.path: f.status for f in rep.files}[files[0].name] == "resumed"
        assert (tmp_path / files[0].name).read_bytes() == files[0].body
        assert speeches(tmp_path) == sorted(release_files())


def test_resume_in_the_next_run(tmp_path):
    files = ungdc_files(cut_after=1500, cut_times=1)
    with DataverseServer(files) as srv:
        with pytest.raises(DataverseError) as err:
            fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast(max_attempts=1))
        msg = str(err.value)
        assert files[0].name in msg and "/api/access/datafile/101" in msg and "stopped at 1,500" in msg
        assert "run the same fetch again to resume" in msg
        part = tmp_path / (files[0].name + ".part")
        assert part.stat().st_size == 1500
        assert not (tmp_path / files[0].name).exists() and not (tmp_path / DATAVERSE_LOCK).exists()
        assert speeches(tmp_path) == []
        rep = fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast(max_attempts=1))
        assert srv.file_hits(101)[-1].headers.get("Range") == "bytes=1500-"
        assert {f.path: f.status for f in rep.files}[files[0].name] == "resumed"
        assert (tmp_path / files[0].name).read_bytes() == files[0].body and not part.exists()


# ------------------------------------------------------------------ failures: clear, and nothing half-written
def _nothing_half_written(folder, archive_name):
    names = tree(folder) if folder.exists() else []
    assert DATAVERSE_LOCK not in names
    assert not any(n.endswith((".part", ".part.json", ".tmp")) or ".unpack-" in n for n in names), names
    assert archive_name not in names and speeches(folder) == []


def test_wrong_checksum(tmp_path):
    files = ungdc_files(listed_md5="0" * 32)
    with DataverseServer(files) as srv, pytest.raises(DataverseError) as err:
        fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
    msg = str(err.value)
    assert files[0].name in msg and "checksum" in msg and "0" * 32 in msg and files[0].md5 in msg
    assert "/api/access/datafile/101" in msg and "Run the fetch again" in msg
    _nothing_half_written(tmp_path, files[0].name)


def test_file_404(tmp_path):
    files = ungdc_files(status=404)
    with DataverseServer(files) as srv, pytest.raises(DataverseError) as err:
        fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
    msg = str(err.value)
    assert files[0].name in msg and "HTTP 404" in msg and "/api/access/datafile/101" in msg and "--version" in msg
    _nothing_half_written(tmp_path, files[0].name)


def test_version_404(tmp_path):
    with DataverseServer(ungdc_files()) as srv, pytest.raises(DataverseError) as err:
        fetch_dataset("ungdc", version="99.0", server=srv.base, folder=tmp_path, config=fast())
    msg = str(err.value)
    assert "HTTP 404" in msg and "version 99.0" in msg and DOI in msg and "--version" in msg
    assert not tmp_path.exists() or tree(tmp_path) == []


def test_server_unreachable(tmp_path):
    with pytest.raises(DataverseError, match=r"could not be reached .* after 2 attempts; check your network"):
        fetch_dataset("ungdc", server="http://127.0.0.1:9", folder=tmp_path / "u", config=fast(max_attempts=2))
    assert not (tmp_path / "u").exists()


def test_cut_off_that_cannot_be_completed(tmp_path):
    files = ungdc_files(cut_after=800, cut_times=99, ranges=False)  # no Range support: every try starts over
    with DataverseServer(files) as srv, pytest.raises(DataverseError) as err:
        fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast(max_attempts=3))
    msg = str(err.value)
    assert files[0].name in msg and "/api/access/datafile/101" in msg and "after 3 attempt(s)" in msg
    assert "stopped at 800 of" in msg
    assert len(srv.file_hits(101)) == 3
    names = tree(tmp_path)
    # the verified small files may stay; the archive exists only as its resumable .part, nothing unpacked
    assert DATAVERSE_LOCK not in names and files[0].name not in names and speeches(tmp_path) == []
    assert (tmp_path / (files[0].name + ".part")).stat().st_size == 800


def test_html_page_instead_of_the_archive(tmp_path):
    files = ungdc_files(html=True)
    with DataverseServer(files) as srv, pytest.raises(DataverseError) as err:
        fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
    msg = str(err.value)
    assert "HTML page" in msg and "Scheduled Maintenance" in msg and files[0].name in msg
    _nothing_half_written(tmp_path, files[0].name)


def test_refuses_to_overwrite_a_different_file_on_unpack(tmp_path):
    files = ungdc_files()
    mine = tmp_path / "TXT" / "Session 79 - 2024" / "USA_79_2024.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("my corrected copy\n", encoding="utf-8")
    same = tmp_path / "TXT" / "Session 79 - 2024" / "FRA_79_2024.txt"
    same.write_bytes(release_files()["TXT/Session 79 - 2024/FRA_79_2024.txt"])
    with DataverseServer(files) as srv:
        with pytest.raises(DataverseError) as err:
            fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
        msg = str(err.value)
        assert "refusing to overwrite 1 existing file" in msg and "USA_79_2024.txt" in msg
        assert "Nothing was unpacked" in msg and "--data-dir" in msg
        assert mine.read_text(encoding="utf-8") == "my corrected copy\n"
        assert speeches(tmp_path) == [f"TXT/Session 79 - 2024/{c}_79_2024.txt" for c in ("FRA", "USA")]
        assert not (tmp_path / DATAVERSE_LOCK).exists() and not list(tmp_path.glob(".unpack-*"))
        # moved away, the next run unpacks the rest (the identical file is left as it is) without downloading again
        mine.rename(tmp_path / "mine.txt")
        rep = fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
        assert rep.unpacked[0].same == 1 and rep.unpacked[0].written == len(release_files()) - 1
        assert len(srv.file_hits(101)) == 1


def test_refuses_to_overwrite_a_different_download(tmp_path):
    (tmp_path / "README.txt").write_text("my notes\n")
    with DataverseServer(ungdc_files()) as srv, pytest.raises(DataverseError, match="README.txt exists and is not"):
        fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
    assert (tmp_path / "README.txt").read_text() == "my notes\n"


def test_missing_release_file_names_what_there_is(tmp_path):
    files = [f for f in ungdc_files() if not f.name.startswith("UNGDC")]
    with DataverseServer(files) as srv, pytest.raises(DataverseError, match="no file matching UNGDC_.*--only"):
        fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())


# ------------------------------------------------------------------ safe unpacking
def _tar(path, members):
    path.write_bytes(release_archive({}, "tgz", extra=members))
    return path


@pytest.mark.parametrize("bad", ["../evil.txt", "/etc/evil.txt", "TXT/../../evil.txt", "C:/evil.txt"])
def test_unpack_refuses_paths_outside(tmp_path, bad):
    arch = tmp_path / "a.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("TXT/ok.txt", b"fine")
        zf.writestr(bad, b"evil")
    arch.write_bytes(buf.getvalue())
    out = tmp_path / "out"
    with pytest.raises(UnpackError, match="outside the target folder.*nothing was unpacked"):
        safe_unpack(arch, out)
    assert tree(out) == [] and not (tmp_path / "evil.txt").exists()


def test_unpack_skips_links_and_tar_traversal(tmp_path):
    arch = _tar(tmp_path / "a.tgz", {"TXT/a.txt": b"a", "TXT/link.txt": ("symlink", "/etc/passwd")})
    res = safe_unpack(arch, tmp_path / "out")
    assert res.written == 1 and res.skipped == ["TXT/link.txt (symbolic link to '/etc/passwd')"]
    assert tree(tmp_path / "out") == ["TXT", "TXT/a.txt"]
    bad = _tar(tmp_path / "b.tgz", {"../../x.txt": b"x"})
    with pytest.raises(UnpackError, match="outside"):
        safe_unpack(bad, tmp_path / "out2")


def test_unpack_member_both_file_and_folder(tmp_path):
    arch = _tar(tmp_path / "a.tgz", {"TXT": b"a file", "TXT/b.txt": b"b"})
    with pytest.raises(UnpackError, match="member TXT/b.txt cannot be written.*nothing was unpacked"):
        safe_unpack(arch, tmp_path / "out")
    assert tree(tmp_path / "out") == []


def test_unpack_damaged_archive(tmp_path):
    arch = tmp_path / "a.tgz"
    arch.write_bytes(release_archive(release_files(), "tgz")[:700])
    with pytest.raises(UnpackError, match="truncated or damaged|not a readable"):
        safe_unpack(arch, tmp_path / "out")
    assert speeches(tmp_path / "out") == [] and not list((tmp_path / "out").glob(".unpack-*"))


# ------------------------------------------------------------------ names, DOIs, versions, registry
def test_registry_and_names():
    assert DATASETS["ungdc"].doi == "doi:10.7910/DVN/0TJX8Y" and DATASETS["ungdc"].version == "13.0"
    assert DATASETS["unsc-debates"].doi == "doi:10.7910/DVN/KGVSYH"
    for s in ("doi:10.7910/DVN/KGVSYH", "10.7910/DVN/KGVSYH", "https://doi.org/10.7910/DVN/KGVSYH"):
        assert normalize_doi(s) == "doi:10.7910/DVN/KGVSYH"
    assert resolve_dataset("10.7910/DVN/KGVSYH").name == "unsc-debates"
    adhoc = resolve_dataset("doi:10.7910/DVN/ABCDEF", "2")
    assert adhoc.version == "2" and adhoc.include == () and adhoc.name == "doi-10.7910-dvn-abcdef"
    with pytest.raises(UsageError, match="not a DOI"):
        normalize_doi("ungdcx")
    with pytest.raises(UsageError, match="--version 'v13'"):
        resolve_dataset("ungdc", "v13")
    with pytest.raises(UsageError, match="no Dataverse dataset named"):
        fetch_dataset("nope")


def test_symbolic_version_lists_again_but_does_not_unpack_again(tmp_path):
    with DataverseServer(ungdc_files()) as srv:
        fetch_dataset("ungdc", version=":latest-published", server=srv.base, folder=tmp_path, config=fast())
        n = len(srv.hits)
        rep = fetch_dataset("ungdc", version=":latest-published", server=srv.base, folder=tmp_path, config=fast())
        assert not rep.noop and {f.status for f in rep.files} == {"present"} and rep.unpacked == []
        assert all(h.path.startswith("/api/datasets/") for h in srv.hits[n:])  # listing only, no download
        rows = {r["path"]: r for r in read_dataverse_lock(tmp_path)}
        assert rows["UNGDC_1946-2024.tgz"]["unpacked"] == str(len(release_files()))


def test_ingested_tsv_is_matched_by_original_name(tmp_path):
    meta = DVFile(201, "meta.tsv", b"filename\tdate\nUNSC_1995_SPV.3487_spch001.txt\t1995-01-12\n",
                  ingested=True, content_type="text/tab-separated-values")
    speech = release_archive({"speeches/UNSC_1995_SPV.3487_spch001.txt": b"Mr. President ..."}, "tgz")
    files = [meta, DVFile(202, "speeches.tar.gz", speech)]
    with DataverseServer(files, doi="doi:10.7910/DVN/KGVSYH", version="7.0") as srv:
        rep = fetch_dataset("unsc-debates", server=srv.base, folder=tmp_path, config=fast())
    assert rep.version_number == "7.0"
    assert (tmp_path / "meta.tsv").read_bytes() == meta.body
    assert (tmp_path / "speeches" / "UNSC_1995_SPV.3487_spch001.txt").read_bytes() == b"Mr. President ..."


# ------------------------------------------------------------------ the command line
def test_cli_fetch_ungdc(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli.main import app
    from analysis.resources import set_data_dir

    cfg = tmp_path / "fast.yml"
    cfg.write_text("min_interval_seconds: 0\nbackoff_seconds: 0\nmax_backoff_seconds: 0\ntimeout_seconds: 2\n")
    runner = CliRunner()
    try:
        with DataverseServer(ungdc_files()) as srv:
            args = ["corpus", "fetch", "--corpus", "ungdc", "--server", srv.base, "--data-dir", str(tmp_path / "d"),
                    "--config", str(cfg), "-q"]
            r = runner.invoke(app, [*args, "--plan"])
            assert r.exit_code == 0, r.output
            assert "UNGDC_1946-2024.tgz" in r.output and "planned" in r.output
            r = runner.invoke(app, [*args[:-1], "--report", str(tmp_path / "report.csv")])  # with the progress bar
            assert r.exit_code == 0, r.output
            assert (tmp_path / "report.csv").read_text().count(",downloaded,") == 3
            assert "doi:10.7910/DVN/0TJX8Y" in r.output and "13.0" in r.output and "unpacked" in r.output
            folder = tmp_path / "d" / "ungdc"
            assert speeches(folder) == sorted(release_files()) and (folder / DATAVERSE_LOCK).exists()
            r = runner.invoke(app, args)
            assert r.exit_code == 0 and "already fetched" in r.output, r.output
            r = runner.invoke(app, [*args[:-3], "--version", "99.0", "--data-dir", str(tmp_path / "e"), "-q"])
            assert r.exit_code == 1 and "HTTP 404" in r.output
            r = runner.invoke(app, ["corpus", "fetch", "--corpus", "ungdc", "--accept"])
            assert r.exit_code == 2 and "--accept" in r.output
            r = runner.invoke(app, ["corpus", "fetch", "--version", "13.0", "--plan"])  # the manifest corpus
            assert r.exit_code == 2 and "--version and --server apply to Dataverse datasets" in r.output
    finally:
        set_data_dir(None)
    r = runner.invoke(app, ["corpus", "fetch", "--help"])
    assert "--version" in r.output and "--server" in r.output and "ungdc" in r.output


def test_lock_is_csv_with_documented_columns(tmp_path):
    with DataverseServer(ungdc_files()) as srv:
        fetch_dataset("ungdc", server=srv.base, folder=tmp_path, config=fast())
    with open(tmp_path / DATAVERSE_LOCK, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header[:4] == ["dataset", "doi", "version", "version_number"] and "sha256" in header
    with tarfile.open(tmp_path / "UNGDC_1946-2024.tgz") as tf:  # the archive kept is the one published
        assert len([m for m in tf if m.isfile()]) == len(release_files())
    assert verify_dataverse_lock(tmp_path) == []
    (tmp_path / "README.txt").write_text("edited\n")
    (tmp_path / "Speakers_by_session.xlsx").unlink()
    found = sorted(str(p) for p in verify_dataverse_lock(tmp_path))
    assert len(found) == 2 and "README.txt differs from the file fetched" in found[0]
    assert "Speakers_by_session.xlsx is locked but missing" in found[1] and "--version 13.0" in found[1]
