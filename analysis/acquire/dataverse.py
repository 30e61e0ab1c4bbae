"""Download a published dataset from a Dataverse installation by DOI and version.

``r2p corpus fetch --corpus ungdc`` (and :func:`fetch_dataset`) gets a corpus
exactly as its authors released it, through the Dataverse APIs:

1. **Listing** (native API): ``GET {server}/api/datasets/:persistentId/versions/{version}/files?persistentId={doi}``
   answers ``{"status": "OK", "data": [...]}``, one entry per file with
   ``label``, ``directoryLabel``, ``restricted`` and ``dataFile``:
   ``id``, ``filename``, ``filesize``, ``contentType`` and ``checksum``
   (``{"type": "MD5" | "SHA-1" | "SHA-256" | "SHA-512", "value": hex}``).
   A symbolic version (``:latest-published``) is resolved to its number with
   ``GET .../versions/{version}?persistentId={doi}&excludeFiles=true``.
2. **Files** (data access API): ``GET {server}/api/access/datafile/{id}``.
   Tabular files that Dataverse ingested (a ``.tsv`` or ``.xlsx`` shown as
   ``.tab``; the entry has ``originalFileName``, ``originalFileSize``,
   ``originalFileFormat``) are fetched as uploaded with ``?format=original``
   and saved under their original name: the published checksum is that of
   the original, not of the derived ``.tab``.
3. **Checks**: the size and the published checksum of every file; an HTML
   page served in place of a file is refused by name. A file is written to
   ``<name>.part`` and renamed into place only once verified.
4. **Resume**: a download cut off midway is retried (``max_attempts``, with
   backoff) from where it stopped with ``Range: bytes=N-`` (the access API
   supports a single range but not ``If-Range``, so the published checksum,
   checked at the end, is what guarantees that the pieces belong together);
   the ``.part`` file is kept, so the next run resumes too.
5. **Unpacking**: archives are unpacked into the dataset folder by
   :func:`analysis.acquire.unpack.safe_unpack` (no path may escape the folder;
   nothing existing is overwritten; atomic moves).
6. **Lock**: ``dataverse.lock`` (CSV, one row per file: dataset, DOI,
   version, server, file id, name, path, checksum, SHA-256, bytes, URL, time,
   files unpacked) is written last and atomically, as ``corpus.lock`` is
   (:mod:`analysis.acquire.lock`). A second run with a numbered version whose
   lock rows match the files on disk makes no request at all.

The named datasets are in :data:`DATASETS`; any other dataset is fetched by
its DOI (``--corpus doi:10.7910/DVN/XXXXXX``). Politeness: a descriptive
User-Agent and the ``min_interval_seconds``, timeouts and retry policy of
``sources.yml`` (:class:`analysis.acquire.sources.FetchConfig`). robots.txt is
not consulted: it governs crawlers of web pages, while these are the
documented programmatic interfaces of the repository, asked for one dataset
at a user's request.

References
----------
The Dataverse Project (2024). *API Guide*: Native API (Dataset versions, List
Files in a Dataset) and Data Access API (Basic File Access, ``format=original``,
``Range`` headers). https://guides.dataverse.org/en/latest/api/
Fielding, R., Nottingham, M. and Reschke, J. (2022). HTTP Semantics. RFC 9110,
IETF (section 14, Range requests).
Jankin, S., Baturo, A. and Dasandi, N. (2024). United Nations General Debate
Corpus 1946-2024, V13. Harvard Dataverse. doi:10.7910/DVN/0TJX8Y.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from analysis.acquire.download import (CHECKSUM_ALGORITHMS, DownloadClient, DownloadError, download_file, hash_file,
                                       verify_file)
from analysis.acquire.files import atomic_write
from analysis.acquire.lock import RunLock
from analysis.acquire.sources import FetchConfig
from analysis.acquire.unpack import UnpackError, UnpackResult, is_archive, safe_unpack
from analysis.errors import UsageError

__all__ = ["DATASETS", "DEFAULT_SERVER", "DATAVERSE_LOCK", "DataverseDataset", "DataverseError", "DatasetReport",
           "FileResult", "RemoteFile", "dataset_folder", "fetch_dataset", "is_dataverse_corpus", "list_files",
           "normalize_doi", "read_dataverse_lock", "resolve_dataset", "select_files", "verify_dataverse_lock"]

DEFAULT_SERVER = "https://dataverse.harvard.edu"
DATAVERSE_LOCK = "dataverse.lock"
LOCK_COLUMNS = ["dataset", "doi", "version", "version_number", "server", "selection", "file_id", "filename",
                "path", "checksum_type", "checksum_value", "sha256", "n_bytes", "url", "retrieved_at", "unpacked"]


#: A dataset could not be fetched; ``str(err)`` names the file or URL and what to do.
DataverseError = DownloadError


@dataclass(frozen=True)
class DataverseDataset:
    """A named dataset of the registry: where it is published and which of its files a corpus needs.

    ``include`` patterns (shell-style, matched against the file's original
    name and its path with the directory label) must each match at least one
    file; ``optional`` ones may match none; ``exclude`` wins over both. Empty
    ``include`` and ``optional``: every file.
    """

    name: str
    doi: str
    version: str
    title: str
    include: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    unpack: bool = True


#: The registry: corpus name -> Dataverse dataset.
DATASETS: dict[str, DataverseDataset] = {
    "ungdc": DataverseDataset(
        "ungdc", "doi:10.7910/DVN/0TJX8Y", "13.0",
        "United Nations General Debate Corpus 1946-2024 (Jankin, Baturo & Dasandi)",
        include=("UNGDC_*", "Speakers_by_session.*"), optional=("README*",), exclude=("Raw_PDFs*",)),
    "unsc-debates": DataverseDataset(
        "unsc-debates", "doi:10.7910/DVN/KGVSYH", ":latest-published",
        "The UN Security Council Debates (Schoenfeld, Eckhard, Patz & van Meegdenburg)",
        include=("speeches.tar*", "meta.tsv"), optional=("speaker.tsv", "*.pdf", "README*")),
    "unsc-meetings": DataverseDataset(
        "unsc-meetings", "doi:10.7910/DVN/CKPTRB", ":latest-published",
        "UNSC Meetings and Speeches 1946-2024 (Sakamoto & Matsuoka)",
        include=("speeches.tsv", "meetings.tsv"), optional=("README*", "*codebook*")),
}

_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)


def normalize_doi(doi: str) -> str:
    """``doi:10.x/y`` from ``doi:10.x/y``, ``10.x/y`` or ``https://doi.org/10.x/y``; UsageError otherwise."""
    m = _DOI.match(str(doi).strip())
    if not m:
        raise UsageError(f"{doi!r} is not a DOI; give it as doi:10.7910/DVN/0TJX8Y (or a named dataset: "
                         f"{', '.join(DATASETS)})")
    return "doi:" + m.group(1)


def is_dataverse_corpus(name: str) -> bool:
    """Whether ``--corpus name`` names a Dataverse dataset (a registry name or a DOI)."""
    return name in DATASETS or (bool(_DOI.match(str(name).strip())) and not os.path.exists(name))


def resolve_dataset(name: str, version: str | None = None) -> DataverseDataset:
    """The registry entry for ``name``, or an ad-hoc one (every file) for a DOI; ``version`` overrides."""
    if name in DATASETS:
        ds = DATASETS[name]
    else:
        doi = normalize_doi(name)
        ds = next((d for d in DATASETS.values() if d.doi.lower() == doi.lower()), None)
        if ds is None:
            ds = DataverseDataset(doi.replace("doi:", "doi-").replace("/", "-").lower(), doi,
                                  ":latest-published", doi)
    if version:
        v = str(version).strip()
        if not re.fullmatch(r"\d+(\.\d+)?|:latest|:latest-published|:draft", v):
            raise UsageError(f"--version {version!r}: give a published version number such as 13.0 (or 13), "
                             "or :latest-published")
        ds = DataverseDataset(ds.name, ds.doi, v, ds.title, ds.include, ds.optional, ds.exclude, ds.unpack)
    return ds


def dataset_folder(ds: DataverseDataset) -> Path:
    """Where a dataset is kept: :func:`analysis.resources.corpus_folder` when it knows the name, else
    ``<user data folder>/<name>`` (``--data-dir``, ``R2P_DATA_DIR`` or the platform's user data folder)."""
    from analysis.resources import corpus_folder, data_dir

    try:
        return Path(corpus_folder(ds.name))
    except UsageError:
        return data_dir() / ds.name


@dataclass
class RemoteFile:
    """One file of a dataset version, as the listing describes it."""

    file_id: int
    name: str  # the name it is saved under (the original name of an ingested tabular file)
    directory: str  # the directory label ('' for none)
    size: int | None
    checksum_type: str | None
    checksum_value: str | None
    original: bool  # fetched with ?format=original
    restricted: bool = False
    content_type: str = ""

    @property
    def path(self) -> str:
        return f"{self.directory}/{self.name}" if self.directory else self.name

    def url(self, server: str) -> str:
        return f"{server}/api/access/datafile/{self.file_id}" + ("?format=original" if self.original else "")


@dataclass
class FileResult:
    path: str
    status: str  # downloaded, resumed, present, planned, failed
    n_bytes: int | None = None
    url: str = ""
    reason: str = ""


@dataclass
class DatasetReport:
    """What :func:`fetch_dataset` did."""

    dataset: DataverseDataset
    folder: Path
    version_number: str = ""
    files: list[FileResult] = field(default_factory=list)
    unpacked: list[UnpackResult] = field(default_factory=list)
    requests: int = 0
    bytes_downloaded: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    noop: bool = False


def _parse_entry(entry: dict, where: str) -> RemoteFile:
    df = entry.get("dataFile") if isinstance(entry, dict) else None
    if not isinstance(df, dict) or "id" not in df:
        raise DataverseError(f"{where}: a file entry without dataFile.id ({str(entry)[:120]}); "
                             "the server's API is not the Dataverse native API; check --server")
    original = bool(df.get("originalFileName") or df.get("originalFileFormat"))
    name = (df.get("originalFileName") if original else None) or df.get("filename") or entry.get("label")
    size = df.get("originalFileSize") if original else df.get("filesize")
    if original and size is None:
        size = None  # the size of the original is not published; the checksum still is
    ck = df.get("checksum") or ({"type": "MD5", "value": df["md5"]} if df.get("md5") else {})
    directory = str(entry.get("directoryLabel") or "").strip("/")
    for part in [*PurePosixPath(directory).parts, str(name)] if name else [None]:
        if not part or part in (".", "..") or "/" in str(part) or "\\" in str(part) or "\x00" in str(part):
            raise DataverseError(f"{where}: file {df.get('id')} has an unsafe name or folder "
                                 f"({directory!r}/{name!r}); refused")
    return RemoteFile(int(df["id"]), str(name), directory, int(size) if size is not None else None,
                      ck.get("type"), (ck.get("value") or "").lower() or None, original,
                      bool(entry.get("restricted")), str(df.get("contentType") or ""))


def list_files(client: DownloadClient, server: str, ds: DataverseDataset) -> tuple[list[RemoteFile], str]:
    """The files of ``ds`` at its version, and the version number (``13.0``) they belong to."""
    base = f"{server}/api/datasets/:persistentId/versions/{ds.version}"
    what = f"{ds.doi} version {ds.version}"
    page = f"{server}/dataset.xhtml?persistentId={ds.doi}"
    hint = f"check the DOI and --version (the versions are listed on the dataset's page, {page})"
    body = client.get_json(base + "/files", {"persistentId": ds.doi}, f"listing the files of {what}", hint)
    if not isinstance(body["data"], list):
        raise DataverseError(f"listing the files of {what}: 'data' is not a list of files; check --server")
    files = [_parse_entry(e, f"listing of {what}") for e in body["data"]]
    number = ds.version if ds.version[0].isdigit() else ""
    if not number:
        meta = client.get_json(base, {"persistentId": ds.doi, "excludeFiles": "true"}, f"resolving {what}", hint)
        d = meta["data"] if isinstance(meta["data"], dict) else {}
        if "versionNumber" in d:
            number = f"{d['versionNumber']}.{d.get('versionMinorNumber', 0)}"
    elif "." not in number:
        number += ".0"
    return files, number


def select_files(files: list[RemoteFile], ds: DataverseDataset, only: list[str] | None = None) -> list[RemoteFile]:
    """The files a corpus needs (see :class:`DataverseDataset`); ``only`` names files (or patterns) instead."""
    def hit(f: RemoteFile, pats) -> bool:
        return any(fnmatch.fnmatch(f.name, p) or fnmatch.fnmatch(f.path, p) for p in pats)

    available = ", ".join(f.path for f in files) or "(none)"
    if only:
        missing = [p for p in only if not any(hit(f, [p]) for f in files)]
        if missing:
            raise UsageError(f"{ds.doi} version {ds.version} has no file matching {', '.join(missing)}; "
                             f"its files: {available}")
        return [f for f in files if hit(f, only)]
    if not ds.include and not ds.optional:
        return [f for f in files if not hit(f, ds.exclude)]
    kept = [f for f in files if hit(f, ds.include + ds.optional) and not hit(f, ds.exclude)]
    missing = [p for p in ds.include if not any(hit(f, [p]) for f in kept)]
    if missing:
        raise DataverseError(f"{ds.doi} version {ds.version} has no file matching {', '.join(missing)} (the "
                             f"release may have renamed it); its files: {available}. Name the files to fetch "
                             "with --only NAME")
    return kept


# ------------------------------------------------------------------ lock
def read_dataverse_lock(folder: str | os.PathLike) -> list[dict]:
    """The rows of ``<folder>/dataverse.lock`` (an empty list without one)."""
    p = Path(folder) / DATAVERSE_LOCK
    if not p.exists():
        return []
    with open(p, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def verify_dataverse_lock(folder: str | os.PathLike) -> list:
    """Check the files ``dataverse.lock`` records against the folder (read-only; no network).

    Errors: a lock without its columns; a recorded file that is missing, or
    whose size or SHA-256 differs from the lock (it was changed, or is not the
    file that was fetched). Returns a list of :class:`analysis.manifest.Problem`
    (empty without a lock).
    """
    from analysis.manifest import Problem

    folder = Path(folder)
    lname = str(folder / DATAVERSE_LOCK)
    try:
        rows = read_dataverse_lock(folder)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [Problem(lname, None, None, f"the lock cannot be read ({exc})",
                        "delete it and run r2p corpus fetch again to rebuild it")]
    missing = [c for c in ("doi", "version", "path", "sha256", "n_bytes") if rows and c not in rows[0]]
    if missing:
        return [Problem(lname, 1, missing[0], f"the lock lacks column(s) {', '.join(missing)}",
                        "delete it and run r2p corpus fetch again to rebuild it")]
    problems = []
    for i, r in enumerate(rows, start=2):
        p = folder / r["path"]
        name = r.get("dataset") or r["doi"]
        again = f"move it away and run r2p corpus fetch --corpus {name} --version {r['version']}"
        if not p.is_file():
            problems.append(Problem(lname, i, "path", f"{r['path']} is locked but missing", again))
        elif str(p.stat().st_size) != r["n_bytes"] or (r["sha256"] and hash_file(p, "sha256") != r["sha256"]):
            problems.append(Problem(lname, i, "sha256", f"{r['path']} differs from the file fetched from {r['doi']} "
                                    f"version {r['version']} (size or SHA-256)", again))
    return problems


def _write_lock(folder: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=LOCK_COLUMNS, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in sorted(rows, key=lambda r: (r["doi"], r["version"], r["path"])):
        w.writerow({c: r.get(c, "") for c in LOCK_COLUMNS})
    atomic_write(folder / DATAVERSE_LOCK, buf.getvalue().encode("utf-8"))


def _selection(ds: DataverseDataset, only: list[str] | None) -> str:
    if only:
        return "only:" + ",".join(sorted(only))
    return "|".join([",".join(ds.include), ",".join(ds.optional), ",".join(ds.exclude)])


def _locked_and_intact(folder: Path, ds: DataverseDataset, selection: str) -> list[dict] | None:
    """The lock rows that make a run a no-op: same DOI, numbered version and selection, files on disk."""
    if not ds.version[0].isdigit():
        return None
    rows = [r for r in read_dataverse_lock(folder)
            if r["doi"].lower() == ds.doi.lower() and r["version"] == ds.version and r["selection"] == selection]
    if not rows:
        return None
    for r in rows:
        p = folder / r["path"]
        if not p.is_file() or str(p.stat().st_size) != r["n_bytes"]:
            return None
        if ds.unpack and is_archive(r["filename"]) and not r.get("unpacked"):
            return None
    return rows


# ------------------------------------------------------------------ the fetch
def fetch_dataset(name: str, version: str | None = None, server: str = DEFAULT_SERVER,
                  folder: str | os.PathLike | None = None, only: list[str] | None = None, plan: bool = False,
                  force: bool = False, unpack: bool | None = None, config: FetchConfig | None = None,
                  client=None, sleep: Callable[[float], None] = time.sleep,
                  on_file: Callable[[RemoteFile, int, int], None] | None = None,
                  on_bytes: Callable[[int], None] | None = None) -> DatasetReport:
    """Fetch a Dataverse dataset (a name of :data:`DATASETS` or a DOI) into its folder.

    Parameters
    ----------
    name : str
        ``ungdc``, ``unsc-debates``, ``unsc-meetings``, or a DOI.
    version : str, optional
        A published version (``13.0``) or ``:latest-published``; default the registry's.
    server : str
        The Dataverse installation (default Harvard Dataverse).
    folder : path, optional
        Where to keep it; default :func:`dataset_folder`.
    only : list of str, optional
        File names (or shell patterns) to fetch instead of the registry's selection.
    plan : bool
        List the files and what would happen; write nothing.
    force : bool
        Ignore the lock's no-op shortcut: list again, re-verify present files, unpack again
        (identical files are left alone; different ones are still never overwritten).
    unpack : bool, optional
        Unpack archives (default the registry's ``unpack``, True).
    config : FetchConfig, optional
        User agent, interval, timeouts and retries (default :func:`analysis.acquire.sources.load_config`).
    client : httpx.Client, optional
        For tests (a custom transport).
    on_file, on_bytes : callables, optional
        Progress: ``on_file(remote_file, i, n)`` before each file, ``on_bytes(n)`` as bytes arrive.

    Returns
    -------
    DatasetReport

    Raises
    ------
    UsageError
        An unknown name, a malformed DOI or version, ``--only`` naming no file.
    DataverseError
        The listing or a file failed (HTTP error, wrong checksum, cut-off that could
        not be completed, HTML page instead of a file), or unpacking refused
        (:class:`~analysis.acquire.unpack.UnpackError` is re-raised as one).
    """
    from analysis.acquire.sources import load_config

    t0 = time.monotonic()
    if name not in DATASETS and not _DOI.match(str(name).strip()):
        raise UsageError(f"no Dataverse dataset named {name!r}; known: {', '.join(DATASETS)}, or a DOI "
                         "(doi:10.7910/DVN/XXXXXX)")
    ds = resolve_dataset(name, version)
    server = str(server or DEFAULT_SERVER).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", server):
        raise UsageError(f"--server {server!r}: give the installation's address, e.g. {DEFAULT_SERVER}")
    do_unpack = ds.unpack if unpack is None else unpack
    folder = Path(folder) if folder is not None else dataset_folder(ds)
    rep = DatasetReport(ds, folder)
    selection = _selection(ds, only)
    if not force and not plan:
        rows = _locked_and_intact(folder, ds, selection)
        if rows is not None:
            rep.noop, rep.version_number = True, rows[0]["version_number"]
            rep.files = [FileResult(r["path"], "present", int(r["n_bytes"]), r["url"], "recorded in "
                                    f"{DATAVERSE_LOCK}") for r in rows]
            rep.seconds = time.monotonic() - t0
            return rep
    cfg = config or load_config()
    http = DownloadClient(cfg, client=client, sleep=sleep)
    try:
        files, rep.version_number = list_files(http, server, ds)
        chosen = select_files(files, ds, only)
        locked = {(r["file_id"], r["checksum_value"]): r for r in read_dataverse_lock(folder)}
        if plan:
            for rf in chosen:
                dest = folder / rf.path
                state = "present" if dest.is_file() and verify_file(dest, rf) is None else (
                    "differs" if dest.exists() else "planned")
                rep.files.append(FileResult(rf.path, state, rf.size, rf.url(server),
                                            "restricted" if rf.restricted else ""))
            rep.requests = http.requests
            return rep
        restricted = [rf.path for rf in chosen if rf.restricted]
        if restricted:
            raise DataverseError(f"{', '.join(restricted)}: restricted on {server} (request access on the dataset's "
                                 f"page, https://doi.org/{ds.doi[4:]}, or leave them out with --only); nothing "
                                 "was downloaded")
        folder.mkdir(parents=True, exist_ok=True)
        paths = {rf.path for rf in chosen}
        rows = [r for r in read_dataverse_lock(folder)  # rows of other files and versions stay
                if not (r["doi"].lower() == ds.doi.lower() and r["version"] == ds.version and r["path"] in paths)]
        done: list[tuple[RemoteFile, Path]] = []
        with RunLock(folder):
            for i, rf in enumerate(chosen):
                if on_file:
                    on_file(rf, i, len(chosen))
                url = rf.url(server)
                dest = folder / rf.path
                if rf.checksum_type and rf.checksum_type.upper() not in CHECKSUM_ALGORITHMS:
                    rep.notes.append(f"{rf.path}: checksum type {rf.checksum_type} is not known here; only the "
                                     "size was checked")
                if not rf.checksum_value:
                    rep.notes.append(f"{rf.path}: the listing publishes no checksum; only the size was checked")
                if dest.exists():
                    lk = locked.get((str(rf.file_id), rf.checksum_value or ""))
                    quick = (not force and lk is not None and dest.is_file()
                             and str(dest.stat().st_size) == lk["n_bytes"])
                    why = None if quick else (verify_file(dest, rf) if dest.is_file() else "a folder")
                    if why:
                        raise DataverseError(
                            f"{dest} exists and is not {rf.path} of {ds.doi} version {ds.version} ({why}); "
                            "refusing to overwrite it. Move it away and run the fetch again, or fetch into "
                            "another folder with --data-dir")
                    rep.files.append(FileResult(rf.path, "present", dest.stat().st_size, url))
                else:
                    status, n = download_file(http, rf, url, dest, on_bytes)
                    rep.bytes_downloaded += n
                    rep.files.append(FileResult(rf.path, status, dest.stat().st_size, url))
                done.append((rf, dest))
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            for rf, dest in done:
                unpacked = ""
                lk = locked.get((str(rf.file_id), rf.checksum_value or ""))
                fresh = any(f.path == rf.path and f.status in ("downloaded", "resumed") for f in rep.files)
                if do_unpack and is_archive(rf.name) and lk and lk.get("unpacked") and not (fresh or force):
                    unpacked = lk["unpacked"]  # unpacked by an earlier run; --force checks it again
                elif do_unpack and is_archive(rf.name):
                    try:
                        res = safe_unpack(dest, dest.parent)
                    except UnpackError as exc:
                        raise DataverseError(str(exc)) from None
                    rep.unpacked.append(res)
                    unpacked = str(res.files)
                    if res.skipped:
                        rep.notes.append(f"{rf.name}: skipped {len(res.skipped)} link(s) or special file(s), "
                                         f"e.g. {res.skipped[0]}")
                prev_when = lk["retrieved_at"] if lk and lk.get("path") == rf.path else ""
                rows.append({
                    "dataset": ds.name, "doi": ds.doi, "version": ds.version,
                    "version_number": rep.version_number, "server": server, "selection": selection,
                    "file_id": rf.file_id, "filename": rf.name, "path": rf.path,
                    "checksum_type": rf.checksum_type or "", "checksum_value": rf.checksum_value or "",
                    "sha256": lk["sha256"] if lk and not fresh and lk.get("sha256") else hash_file(dest, "sha256"),
                    "n_bytes": dest.stat().st_size, "url": rf.url(server),
                    "retrieved_at": now if fresh or not prev_when else prev_when, "unpacked": unpacked})
            _write_lock(folder, rows)
    finally:
        rep.requests = http.requests
        rep.seconds = time.monotonic() - t0
        http.close()
    return rep
