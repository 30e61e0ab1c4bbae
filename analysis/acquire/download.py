"""Verified, resumable downloads of published files (layer 2 of the acquisition wing).

:class:`DownloadClient` is httpx with the fetch configuration's User-Agent,
timeouts, minimum interval between requests and retry policy (backoff,
``Retry-After``); :func:`download_file` streams one file into ``<name>.part``,
resumes a body cut off midway with ``Range: bytes=N-`` (within a run, over its
``max_attempts``, and in the next run, as the ``.part`` file is kept), refuses
an HTML page served in place of the file, checks the published size and
checksum (:func:`verify_file`) and only then renames the file into place, so a
failure never leaves a half-written file under the final name. Used by
:mod:`analysis.acquire.dataverse`; the file's description is any object with
the attributes of :class:`analysis.acquire.dataverse.RemoteFile` (``name``,
``path``, ``file_id``, ``size``, ``checksum_type``, ``checksum_value``).

References
----------
Fielding, R., Nottingham, M. and Reschke, J. (2022). HTTP Semantics. RFC 9110,
IETF (section 14, Range requests; 10.2.3 Retry-After; 15.5.17 416 Range Not
Satisfiable).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from analysis.acquire.files import atomic_write
from analysis.acquire.http import _retry_after
from analysis.acquire.sources import FetchConfig
from analysis.errors import R2PError

__all__ = ["CHECKSUM_ALGORITHMS", "DownloadClient", "DownloadError", "download_file", "hash_file", "verify_file"]

#: Dataverse's checksum types (``dataFile.checksum.type``) -> hashlib names.
CHECKSUM_ALGORITHMS = {"MD5": "md5", "SHA-1": "sha1", "SHA1": "sha1", "SHA-256": "sha256", "SHA256": "sha256",
                       "SHA-512": "sha512", "SHA512": "sha512"}


class DownloadError(R2PError):
    """A file or API answer could not be had; ``str(err)`` names the file or URL and what to do."""


def _http_status(code: int) -> str:
    from http import HTTPStatus

    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


class DownloadClient:
    """httpx with the fetch configuration's user agent, timeouts, per-host interval and retry policy."""

    def __init__(self, config: FetchConfig, client=None, sleep: Callable[[float], None] = time.sleep):
        import httpx

        self.config = config
        self.sleep = sleep
        self._own = client is None
        self.client = client or httpx.Client(follow_redirects=True, timeout=httpx.Timeout(config.timeout_seconds),
                                             headers={"User-Agent": config.user_agent_string})
        self.requests = 0
        self._last: float | None = None

    def close(self) -> None:
        if self._own:
            self.client.close()

    def wait_turn(self) -> None:
        if self._last is not None:
            wait = self.config.min_interval_seconds - (time.monotonic() - self._last)
            if wait > 0:
                self.sleep(wait)
        self._last = time.monotonic()
        self.requests += 1

    def backoff(self, attempt: int, retry_after: str | None = None) -> None:
        delay = min(self.config.max_backoff_seconds, self.config.backoff_seconds * 2 ** (attempt - 1))
        ra = _retry_after(retry_after)
        if ra is not None:
            delay = min(self.config.max_backoff_seconds, max(delay, ra))
        self.sleep(delay)

    def get_json(self, url: str, params: dict, what: str, hint404: str = "") -> dict:
        """GET a Dataverse API answer ``{"status": "OK", "data": ...}``, with retries; ``hint404`` says what to do on 404."""
        import httpx

        attempts = max(1, int(self.config.max_attempts))
        for attempt in range(1, attempts + 1):
            self.wait_turn()
            try:
                r = self.client.get(url, params=params, headers={"Accept": "application/json"})
            except httpx.HTTPError as exc:
                if attempt == attempts:
                    raise DownloadError(f"{what}: {url} could not be reached ({type(exc).__name__}: {exc}) "
                                         f"after {attempts} attempts; check your network or --server") from None
                self.backoff(attempt)
                continue
            if r.status_code in tuple(self.config.retry_statuses) and attempt < attempts:
                self.backoff(attempt, r.headers.get("retry-after"))
                continue
            try:
                body = r.json()
            except ValueError:
                body = None
            msg = body.get("message") if isinstance(body, dict) else None
            if r.status_code >= 400:
                hint = f"; {hint404}" if r.status_code == 404 and hint404 else ""
                raise DownloadError(f"{what}: {r.url} answered {_http_status(r.status_code)}"
                                    + (f" ({msg})" if msg else "") + hint)
            if not isinstance(body, dict) or body.get("status") != "OK" or "data" not in body:
                raise DownloadError(f"{what}: {r.url} did not answer with Dataverse API JSON "
                                     f"(content type {r.headers.get('content-type', '?')!r}"
                                     + (f", message {msg!r}" if msg else "") + "); check --server")
            return body
        raise AssertionError("unreachable")  # pragma: no cover



def hash_file(path: Path, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_file(path: Path, rf) -> str | None:
    """Why ``path`` is not ``rf`` (size or checksum), or ``None``."""
    size = path.stat().st_size
    if rf.size is not None and size != rf.size:
        return f"{size:,} bytes where the listing publishes {rf.size:,}"
    if rf.checksum_type and rf.checksum_value:
        algo = CHECKSUM_ALGORITHMS.get(rf.checksum_type.upper())
        if algo is None:
            return None  # an unknown checksum type: the size check stands alone (noted by the caller)
        got = hash_file(path, algo)
        if got != rf.checksum_value:
            return f"{rf.checksum_type} {got}, the listing publishes {rf.checksum_value}"
    return None


_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<html)",
                         re.IGNORECASE | re.DOTALL)
_HINTS = {404: "the file is not in this version of the dataset (check --version), or was removed; see the "
               "dataset's page",
          401: "the file is restricted: request access on the dataset's page",
          403: "the file is restricted or the server refuses access: see the dataset's page"}


def _html_refusal(rf, content_type: str, head: bytes) -> str | None:
    """Why ``head`` (the start of a body) is an HTML page and not the file ``rf``, or ``None``."""
    if rf.name.lower().endswith((".html", ".htm", ".xml")):
        return None
    looks = _HTML_START.match(head[:2048]) or ("text/html" in content_type.lower()
                                               and b"<html" in head[:4096].lower())
    if not looks:
        return None
    m = re.search(rb"<title[^>]*>(.*?)</title>", head, re.IGNORECASE | re.DOTALL)
    title = " ".join(m.group(1).decode("utf-8", "replace").split())[:100] if m else ""
    return ("the server sent an HTML page" + (f" ({title!r})" if title else "") + f" instead of {rf.name}: "
            "a login, error or maintenance page; nothing was kept. Open the URL in a browser to see why, "
            "and try again later")


def _refuse_html(rf, content_type: str, head: bytes, url: str, discard: Callable[[], None]) -> None:
    why = _html_refusal(rf, content_type, head)
    if why:
        discard()
        raise DownloadError(f"{rf.path}: {why} (URL {url})")


def download_file(client: DownloadClient, rf, url: str, dest: Path,
                  on_bytes: Callable[[int], None] | None = None) -> tuple[str, int]:
    """Download ``url`` to ``dest`` through ``dest.part`` (resumed with Range); verify; rename into place.

    Returns ``(status, bytes transferred)``: status ``downloaded`` or
    ``resumed``. Raises :class:`DownloadError`; the ``.part`` file is kept
    only when it can be resumed (a cut-off), and removed when its content is
    wrong (checksum, HTML page).
    """
    import httpx

    part = dest.with_name(dest.name + ".part")
    meta = dest.with_name(dest.name + ".part.json")
    key = {"url": url, "file_id": rf.file_id, "checksum": rf.checksum_value, "size": rf.size}
    if part.exists():
        try:
            ok = json.loads(meta.read_text(encoding="utf-8")) == key
        except (OSError, ValueError):
            ok = False
        if not ok:  # a piece of some other file (another version): start over
            part.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(meta, json.dumps(key).encode("utf-8"))
    attempts = max(1, int(client.config.max_attempts))
    transferred, resumed_any, last = 0, False, ""

    def discard():
        part.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)

    complete = False
    for attempt in range(1, attempts + 1):
        offset = part.stat().st_size if part.exists() else 0
        if rf.size is not None and offset >= rf.size:
            complete = True
            break
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        client.wait_turn()
        try:
            with client.client.stream("GET", url, headers=headers) as r:
                if r.status_code == 416 and offset:
                    discard()
                    last = "HTTP 416 on resuming: the partial file was stale"
                    atomic_write(meta, json.dumps(key).encode("utf-8"))
                    continue
                if r.status_code >= 400:
                    retry = r.status_code in tuple(client.config.retry_statuses)
                    last = _http_status(r.status_code)
                    if retry and attempt < attempts:
                        client.backoff(attempt, r.headers.get("retry-after"))
                        continue
                    if not retry:  # the file is not to be had: keep nothing
                        discard()
                    raise DownloadError(f"{rf.path}: {url} answered {last}; "
                                        + _HINTS.get(r.status_code, "try again later"))
                append = bool(r.status_code == 206 and offset
                              and r.headers.get("content-range", "").startswith(f"bytes {offset}-"))
                ctype = r.headers.get("content-type", "")
                head, checked = b"", append  # the start of a new body is checked for an HTML page first
                with open(part, "ab" if append else "wb") as out:
                    try:
                        for chunk in r.iter_bytes():
                            if not checked:
                                head += chunk
                                if len(head) < 4096:
                                    continue
                                chunk, head, checked = head, b"", True
                                _refuse_html(rf, ctype, chunk, url, discard)
                            out.write(chunk)
                            transferred += len(chunk)
                            if on_bytes:
                                on_bytes(len(chunk))
                    except httpx.HTTPError:  # cut off within the first 4 KB: keep them for the resume
                        if head and _html_refusal(rf, ctype, head) is None:
                            out.write(head)
                            transferred += len(head)
                        raise
                    if head:  # a body shorter than 4 KB
                        _refuse_html(rf, ctype, head, url, discard)
                        out.write(head)
                        transferred += len(head)
                        if on_bytes:
                            on_bytes(len(head))
                resumed_any = resumed_any or append
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            last = f"connection broken ({type(exc).__name__}: {exc})"
            if attempt < attempts:
                client.backoff(attempt)
            continue
        except httpx.HTTPError as exc:
            raise DownloadError(f"{rf.path}: HTTP error from {url} ({type(exc).__name__}: {exc})") from None
        got = part.stat().st_size
        if rf.size is None or got >= rf.size:
            complete = True
            break
        last = f"the body ended after {got:,} of {rf.size:,} bytes"
        if attempt < attempts:
            client.backoff(attempt)
    got = part.stat().st_size if part.exists() else 0
    if not complete and not got:
        discard()
        raise DownloadError(f"{rf.path}: could not be downloaded from {url} in {attempts} attempt(s) ({last}); "
                            "check your network (or --server) and run the fetch again")
    if not complete:
        raise DownloadError(
            f"{rf.path}: the download from {url} stopped at {got:,} of "
            + (f"{rf.size:,}" if rf.size is not None else "?") + f" bytes after {attempts} "
            f"attempt(s) ({last}). The {got:,} bytes are kept in {part.name}: run the same fetch again to resume "
            "from there (or delete the .part file to start over)")
    why = verify_file(part, rf)
    if why:
        discard()
        raise DownloadError(
            f"{rf.path}: the downloaded file does not match the published checksum ({why}); it was deleted, "
            f"nothing was kept. URL {url}. Run the fetch again; if it fails the same way, the copy on the "
            "server may be damaged: tell the dataset's contact (see its page)")
    os.replace(part, dest)
    meta.unlink(missing_ok=True)
    return ("resumed" if resumed_any else "downloaded"), transferred
