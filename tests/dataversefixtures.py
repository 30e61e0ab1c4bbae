"""A local imitation of a Dataverse installation, for the dataset-fetch tests.

:class:`DataverseServer` answers, on 127.0.0.1 with an ephemeral port, the
three requests :mod:`analysis.acquire.dataverse` makes, in the shapes of the
Dataverse API Guide:

- ``GET /api/datasets/:persistentId/versions/{version}/files?persistentId={doi}``:
  ``{"status": "OK", "data": [{"label", "directoryLabel", "restricted",
  "dataFile": {"id", "filename", "filesize", "contentType", "md5",
  "checksum": {"type": "MD5", "value"}, ...}}]}``; ingested tabular files
  carry ``originalFileName``, ``originalFileSize``, ``originalFileFormat``
  and a ``.tab`` filename; an unknown DOI or version gets
  ``{"status": "ERROR", "message": ...}`` with 404;
- ``GET /api/datasets/:persistentId/versions/{version}?persistentId={doi}``:
  the version's ``versionNumber`` and ``versionMinorNumber``;
- ``GET /api/access/datafile/{id}`` (``?format=original`` for ingested files):
  the bytes, honouring a single ``Range: bytes=N-`` with 206 and
  ``Content-Range`` (and ignoring ``If-Range``, as Dataverse does).

Each file can misbehave on purpose: cut the body off after ``cut_after``
bytes for its first ``cut_times`` requests, answer 404, serve an HTML error
page with status 200, or be listed with a wrong checksum. Every request is
recorded (path, query, headers), so tests check what was asked.

The release itself is made by the tests from text they write
(:func:`release_archive`): a ``.tgz`` or ``.zip`` in the layout of the UN
General Debate Corpus (``TXT/Session NN - YYYY/ISO3_NN_YYYY.txt``).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DOI = "doi:10.7910/DVN/0TJX8Y"
VERSION = "13.0"

MAINTENANCE_HTML = (b"<!DOCTYPE html>\n<html><head><title>Harvard Dataverse - Scheduled Maintenance</title></head>"
                    b"<body><h1>We'll be back soon</h1><p>The repository is down for maintenance.</p></body></html>")


def release_files(sessions=((78, 2023), (79, 2024)), countries=("USA", "FRA", "EU")) -> dict[str, bytes]:
    """Speech files in the release layout: ``TXT/Session NN - YYYY/CODE_NN_YYYY.txt`` -> UTF-8 text."""
    import random

    words = ("responsibility protect populations genocide war crimes ethnic cleansing humanity sovereignty "
             "prevention council assembly development climate peace security rights nations").split()
    out = {}
    for s, y in sessions:
        for c in countries:
            rng = random.Random(f"{c}{s}")  # deterministic, and not too compressible: a real-sized archive
            body = " ".join(rng.choice(words) + rng.choice(("", ",", ".")) for _ in range(900))
            text = f"Statement by {c} at the general debate of the {s}th session ({y}).\n\n{body}\n"
            out[f"TXT/Session {s} - {y}/{c}_{s}_{y}.txt"] = text.encode("utf-8")
    return out


def release_archive(files: dict[str, bytes], kind: str = "tgz", extra: dict | None = None) -> bytes:
    """A ``.tgz`` or ``.zip`` holding ``files`` (plus ``extra`` members: name -> bytes or ('symlink', target))."""
    buf = io.BytesIO()
    members = {**files, **(extra or {})}
    if kind == "zip":
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        return buf.getvalue()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        dirs = sorted({n.rsplit("/", 1)[0] for n in members if "/" in n})
        for d in dirs:
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            tf.addfile(ti)
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            if isinstance(data, tuple) and data[0] == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, data[1]
                tf.addfile(ti)
                continue
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 1_700_000_000
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def speakers_xlsx() -> bytes:
    """A small real ``.xlsx`` standing in for ``Speakers_by_session.xlsx``."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Year", "Session", "ISO Code", "Country", "Name of Person Speaking", "Post"])
    ws.append([2024, 79, "USA", "United States", "Joseph R. Biden", "President"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class DVFile:
    """One file of the imitated dataset version, and how it misbehaves."""

    file_id: int
    name: str
    body: bytes
    directory: str = ""
    ingested: bool = False  # listed as an ingested tabular file (name.tab; the original on ?format=original)
    content_type: str = "application/octet-stream"
    cut_after: int | None = None  # send only this many bytes (then close) ...
    cut_times: int = 0  # ... for this many requests
    status: int = 200  # e.g. 404
    html: bool = False  # serve an HTML maintenance page with 200 instead of the file
    listed_md5: str | None = None  # publish this checksum instead of the true one
    ranges: bool = True
    served: int = field(default=0)

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body).hexdigest()

    def entry(self) -> dict:
        df = {"id": self.file_id, "persistentId": "", "filename": self.name, "contentType": self.content_type,
              "filesize": len(self.body), "description": "", "storageIdentifier": f"s3://dvn-cloud:{self.file_id:x}",
              "rootDataFileId": -1, "md5": self.listed_md5 or self.md5,
              "checksum": {"type": "MD5", "value": self.listed_md5 or self.md5}, "creationDate": "2025-01-15"}
        if self.ingested:
            stem = self.name.rsplit(".", 1)[0]
            df.update({"filename": stem + ".tab", "contentType": "text/tab-separated-values",
                       "filesize": len(self.body) // 2 + 7, "originalFileFormat": self.content_type,
                       "originalFormatLabel": "MS Excel Spreadsheet", "originalFileSize": len(self.body),
                       "originalFileName": self.name, "UNF": "UNF:6:abc=="})
        return {"description": "", "label": df["filename"], "restricted": False, "version": 1,
                "datasetVersionId": 424242, **({"directoryLabel": self.directory} if self.directory else {}),
                "dataFile": df}


@dataclass
class Hit:
    path: str
    query: dict
    headers: dict
    status: int = 0
    sent: int = 0


class DataverseServer:
    """A threaded HTTP server imitating one dataset (``doi``, ``version``) of a Dataverse installation."""

    def __init__(self, files: list[DVFile], doi: str = DOI, version: str = VERSION):
        self.files = {f.file_id: f for f in files}
        self.doi, self.version = doi, version
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body: bytes, ctype: str, extra: dict | None = None, cut: int | None = None):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                if cut is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                out = body if cut is None else body[:cut]
                try:
                    self.wfile.write(out)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if cut is not None:
                    self.close_connection = True
                return len(out)

            def _json(self, status, obj):
                return self._send(status, json.dumps(obj).encode(), "application/json")

            def do_GET(self):
                parts = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                hit = Hit(parts.path, q, dict(self.headers))
                with server._lock:
                    server.hits.append(hit)
                hit.status, hit.sent = self._route(parts.path, q)

            def _route(self, path, q):
                prefix = "/api/datasets/:persistentId/versions/"
                if path.startswith(prefix):
                    rest = path[len(prefix):]
                    version, _, tail = rest.partition("/")
                    known = version in (server.version, server.version.split(".")[0], ":latest-published",
                                        ":latest")
                    if q.get("persistentId") != server.doi or not known:
                        return 404, self._json(404, {"status": "ERROR", "message":
                                                     f"Dataset version {version} of dataset "
                                                     f"{q.get('persistentId')} not found"})
                    if tail == "files":
                        return 200, self._json(200, {"status": "OK", "totalCount": len(server.files),
                                                     "data": [f.entry() for f in server.files.values()]})
                    major, minor = server.version.split(".")
                    return 200, self._json(200, {"status": "OK", "data": {
                        "id": 424242, "datasetPersistentId": server.doi, "versionNumber": int(major),
                        "versionMinorNumber": int(minor), "versionState": "RELEASED"}})
                if path.startswith("/api/access/datafile/"):
                    try:
                        f = server.files[int(path.rsplit("/", 1)[1])]
                    except (KeyError, ValueError):
                        f = None
                    if f is None or f.status == 404:
                        return 404, self._json(404, {"status": "ERROR", "message": "File not found"})
                    if f.status >= 400:
                        return f.status, self._json(f.status, {"status": "ERROR", "message": "error"})
                    if f.ingested and q.get("format") != "original":
                        return 200, self._send(200, b"Year\tSession\n2024\t79\n", "text/tab-separated-values")
                    if f.html:
                        return 200, self._send(200, MAINTENANCE_HTML, "text/html; charset=utf-8")
                    with server._lock:
                        f.served += 1
                        n = f.served
                    body, status, extra = f.body, 200, {"Accept-Ranges": "bytes"} if f.ranges else {}
                    want = self.headers.get("Range", "")
                    if f.ranges and want.startswith("bytes="):
                        start = int(want[6:].split("-")[0])
                        if start >= len(body):
                            return 416, self._send(416, b"", "text/plain",
                                                   {"Content-Range": f"bytes */{len(body)}"})
                        status = 206
                        extra["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                        body = body[start:]
                    cut = f.cut_after if (f.cut_after is not None and n <= f.cut_times) else None
                    return status, self._send(status, body, f.content_type, extra, cut=cut)
                return 404, self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def file_hits(self, file_id: int) -> list[Hit]:
        return [h for h in self.hits if h.path == f"/api/access/datafile/{file_id}"]

    def __enter__(self) -> DataverseServer:  # noqa: PYI034
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def ungdc_files(kind: str = "tgz", **archive_kw) -> list[DVFile]:
    """The files of a UNGDC release: the speeches archive, the speakers workbook (ingested), the README,
    and a raw-PDF tarball the corpus must not download."""
    arch = release_archive(release_files(), kind)
    name = "UNGDC_1946-2024." + ("zip" if kind == "zip" else "tgz")
    return [
        DVFile(101, name, arch, content_type="application/zip" if kind == "zip" else "application/x-gzip",
               **archive_kw),
        DVFile(102, "Speakers_by_session.xlsx", speakers_xlsx(), ingested=True,
               content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        DVFile(103, "README.txt", b"UN General Debate Corpus, V13.\n", content_type="text/plain"),
        DVFile(104, "Raw_PDFs_1946-1969.tgz", b"\x1f\x8b" + b"\x00" * 4000, content_type="application/x-gzip"),
    ]
