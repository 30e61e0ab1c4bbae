"""A polite HTTP client: user agent, rate limit, robots.txt, retries, resumable downloads.

:class:`PoliteClient` wraps an ``httpx.Client``: it sends a descriptive
User-Agent, waits a minimum interval between requests to the same host, obeys
robots.txt, retries with exponential backoff (honouring ``Retry-After``) on
429, 5xx, timeouts and dropped connections, and resumes a body cut off midway
with an HTTP Range request. Failures raise :class:`FetchError` whose message
says why and what to do. :func:`offline_check` finds out at once whether any
source host resolves.

References
----------
Koster, M., Illyes, G., Zeller, H. and Sassman, L. (2022). Robots Exclusion
Protocol. RFC 9309, IETF.
Fielding, R., Nottingham, M. and Reschke, J. (2022). HTTP Semantics. RFC 9110,
IETF (sections 10.2.3 Retry-After, 14 Range requests, 13.1.5 If-Range).
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from analysis.acquire.sources import FetchConfig
from analysis.errors import R2PError

__all__ = ["Download", "FetchError", "PoliteClient", "offline_check"]


class FetchError(R2PError):
    """A URL could not be downloaded; ``str(err)`` says why and what to do."""

    def __init__(self, reason: str, status: int | None = None, retryable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retryable = retryable


@dataclass
class Download:
    url: str
    final_url: str
    status: int
    content: bytes
    content_type: str
    attempts: int


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


_UNKNOWN_HOST = ("Name or service not known", "nodename nor servname", "No address associated with hostname",
                 "getaddrinfo failed", "[Errno -2]", "[Errno -5]", "[Errno 8]", "[Errno 11001]")


def _is_unknown_host(exc: BaseException) -> bool:
    """Whether a connection error means the host name does not resolve (not a passing fault)."""
    return any(m in str(exc) for m in _UNKNOWN_HOST)


def offline_check(urls: Iterable[str]) -> str | None:
    """``None`` if at least one host of ``urls`` resolves, else the reason we look offline.

    Resolving a host name is cheap and answers at once when there is no network
    or no DNS, so a run with nothing reachable ends in seconds instead of waiting
    out every retry of every row.
    """
    import socket

    hosts = sorted({h for h in (urlsplit(u).hostname for u in urls) if h})
    if not hosts:
        return None
    errors = []
    for h in hosts:
        try:
            socket.getaddrinfo(h, 443, proto=socket.IPPROTO_TCP)
            return None
        except (OSError, UnicodeError) as exc:
            errors.append(f"{h}: {exc}")
    return (f"offline: none of the {len(hosts)} source hosts resolves (e.g. {errors[0]}); the text stays "
            "missing; run `r2p corpus fetch` again with a network connection")


class PoliteClient:
    """An httpx client that waits between requests to a host, obeys robots.txt and retries.

    Parameters
    ----------
    config : FetchConfig
        User agent, interval, timeouts, retry policy.
    client : httpx.Client, optional
        A client to use (for example with a custom transport); one is made otherwise.
    sleep, clock : callables
        ``time.sleep`` and ``time.monotonic`` by default (injectable for tests).
    partial_dir : path, optional
        Where bodies cut off midway are kept so that the next request resumes them.

    References
    ----------
    Koster, M. et al. (2022). Robots Exclusion Protocol. RFC 9309 (robots.txt;
    a 4xx robots.txt allows everything, a 5xx one disallows everything).
    Fielding, R. et al. (2022). HTTP Semantics. RFC 9110 (Retry-After, Range,
    If-Range, 206 Partial Content).
    """

    def __init__(self, config: FetchConfig, client=None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, partial_dir: str | os.PathLike | None = None):
        import httpx

        self.config = config
        self._own = client is None
        self.client = client or httpx.Client(
            follow_redirects=True,
            timeout=httpx.Timeout(config.timeout_seconds),
            headers={"User-Agent": config.user_agent_string},
        )
        self.sleep = sleep
        self.clock = clock
        self._last: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser | str] = {}
        self.requests = 0
        self.partial_dir = Path(partial_dir) if partial_dir is not None else None
        #: set when no host can be resolved: every request then fails at once with this reason
        self.offline_reason: str | None = None
        self._unresolvable: dict[str, str] = {}

    def close(self) -> None:
        if self._own:
            self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- politeness
    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc
        last = self._last.get(host)
        if last is not None:
            wait = self.config.min_interval_seconds - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
        self._last[host] = self.clock()

    def _partial_paths(self, url: str) -> tuple[Path, Path] | None:
        if self.partial_dir is None:
            return None
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
        return self.partial_dir / f"{key}.part", self.partial_dir / f"{key}.json"

    def _once(self, url: str) -> Download:
        """One GET. A body cut off midway is kept in ``partial_dir`` when the server
        names a validator (ETag or Last-Modified); the next request for the URL then
        asks only for the rest (``Range`` with ``If-Range``), so an interrupted large
        download resumes instead of starting over, within a run or in the next one.
        """
        import json

        import httpx

        if self.offline_reason:
            raise FetchError(self.offline_reason)
        host = urlsplit(url).hostname or ""
        if host in self._unresolvable:
            raise FetchError(self._unresolvable[host])
        self._wait_turn(url)
        self.requests += 1
        headers = {"User-Agent": self.config.user_agent_string}
        paths = self._partial_paths(url)
        offset = 0
        if paths and paths[0].exists() and paths[1].exists():
            try:
                meta = json.loads(paths[1].read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
            validator = meta.get("etag") or meta.get("last_modified")
            if meta.get("url") == url and validator and paths[0].stat().st_size > 0:
                offset = paths[0].stat().st_size
                headers["Range"] = f"bytes={offset}-"
                headers["If-Range"] = validator
        part = None
        try:
            with self.client.stream("GET", url, headers=headers, timeout=self.config.timeout_seconds) as r:
                declared = r.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) + offset > self.config.max_bytes:
                    raise FetchError(f"response of {int(declared)} bytes exceeds max_bytes={self.config.max_bytes}")
                buf = bytearray()
                if r.status_code == 416 and paths:  # our partial file is stale: start over
                    paths[0].unlink(missing_ok=True)
                    raise FetchError("HTTP 416 on resuming a partial download; starting over", retryable=True)
                resumed = (r.status_code == 206 and offset
                           and r.headers.get("content-range", "").startswith(f"bytes {offset}-"))
                if r.status_code < 400:
                    etag, modified = r.headers.get("etag"), r.headers.get("last-modified")
                    if resumed:
                        buf.extend(paths[0].read_bytes())
                        part = open(paths[0], "ab")  # noqa: SIM115 - closed in finally
                    elif paths and (etag or modified):
                        paths[0].parent.mkdir(parents=True, exist_ok=True)
                        paths[1].write_text(json.dumps({"url": url, "etag": etag, "last_modified": modified}),
                                            encoding="utf-8")
                        part = open(paths[0], "wb")  # noqa: SIM115 - closed in finally
                    for chunk in r.iter_bytes():
                        buf.extend(chunk)
                        if part is not None:
                            part.write(chunk)
                        if len(buf) > self.config.max_bytes:
                            raise FetchError(f"response exceeds max_bytes={self.config.max_bytes}; stopped reading")
                status = 200 if resumed else r.status_code
                ctype = r.headers.get("content-type", "")
                final = str(r.url)
                retry_after = r.headers.get("retry-after")
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out after {self.config.timeout_seconds:g} s ({type(exc).__name__})",
                             retryable=True) from None
        except httpx.ConnectError as exc:
            if _is_unknown_host(exc):  # retrying cannot help: fail this host's other URLs at once too
                self._unresolvable[host] = f"host {host} not found ({exc}); check the URL or your network"
                raise FetchError(self._unresolvable[host]) from None
            raise FetchError(f"connection failed ({type(exc).__name__}: {exc})", retryable=True) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise FetchError(f"connection failed ({type(exc).__name__}: {exc})", retryable=True) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"HTTP error ({type(exc).__name__}: {exc})") from None
        finally:
            if part is not None:
                part.close()
        if paths and status < 400:  # complete: the partial file has served its purpose
            paths[0].unlink(missing_ok=True)
            paths[1].unlink(missing_ok=True)
        if status >= 400:
            err = FetchError(_status_reason(status), status=status,
                             retryable=status in tuple(self.config.retry_statuses))
            err.retry_after = _retry_after(retry_after)  # type: ignore[attr-defined]
            raise err
        return Download(url, final, status, bytes(buf), ctype, 1)

    def get(self, url: str) -> Download:
        """Download ``url`` with retries; raise :class:`FetchError` with the last reason."""
        attempts = max(1, int(self.config.max_attempts))
        for attempt in range(1, attempts + 1):
            try:
                d = self._once(url)
                d.attempts = attempt
                return d
            except FetchError as err:
                if not err.retryable or attempt == attempts:
                    if attempt > 1:
                        err.reason = f"{err.reason} (after {attempt} attempts)"
                        err.args = (err.reason,)
                    raise
                delay = min(self.config.max_backoff_seconds, self.config.backoff_seconds * 2 ** (attempt - 1))
                ra = getattr(err, "retry_after", None)
                if ra is not None:
                    delay = min(self.config.max_backoff_seconds, max(delay, ra))
                self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def allowed(self, url: str) -> tuple[bool, str]:
        """Whether robots.txt of ``url``'s host lets our user agent fetch it (RFC 9309)."""
        if not self.config.respect_robots_txt:
            return True, ""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._robots:
            rp = RobotFileParser()
            try:
                d = self.get(key + "/robots.txt")
                rp.parse(d.content.decode("utf-8", errors="replace").splitlines())
                self._robots[key] = rp
            except FetchError as err:
                if err.status is not None and 400 <= err.status < 500:
                    self._robots[key] = "allow"  # no robots.txt: everything allowed
                elif err.status is not None:
                    self._robots[key] = f"robots.txt unreachable ({err.reason}); RFC 9309 says assume disallowed"
                else:
                    self._robots[key] = f"robots.txt unreachable ({err.reason})"
        rp = self._robots[key]
        if rp == "allow":
            return True, ""
        if isinstance(rp, str):
            return False, rp
        ua = self.config.user_agent_string.split("/")[0]
        if rp.can_fetch(ua, url):
            return True, ""
        return False, f"robots.txt of {parts.netloc} disallows this URL for {ua}"


_STATUS_HINTS = {
    401: "the page needs a login",
    403: "the server refuses access (often bot protection)",
    404: "the page is gone",
    410: "the page was removed",
    429: "too many requests; the server asks to slow down",
}


def _status_reason(status: int) -> str:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    hint = _STATUS_HINTS.get(status, "server error" if status >= 500 else "")
    return f"HTTP {status} {phrase}" + (f": {hint}" if hint else "")
