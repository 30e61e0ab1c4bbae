"""Corpus acquisition: download, extract, check and lock the manifest's texts.

``r2p corpus fetch`` (and :func:`fetch_corpus`) walks a corpus folder's
``manifest.csv`` and, for every row without a text, downloads its source:
``url_override`` first (a user's replacement for a dead link), then for
reports (``source_kind=pdf``) the UN Official Document System by document
symbol, then ``url``. Downloads are kept untouched under ``raw/`` (named by
their SHA-256), the main text is extracted (:mod:`analysis.extract`) and
written to ``texts/<doc_id>.txt``, and ``corpus.lock`` records where and when
each text came from with the SHA-256 of the raw file and of the cleaned text.

Politeness and robustness: a descriptive User-Agent, a minimum interval
between requests to the same host, robots.txt, retries with exponential
backoff (and ``Retry-After``) on 429, 5xx, timeouts and dropped connections,
and a run that can be interrupted and resumed (every document is committed on
its own, with atomic writes; a download cut off midway continues with an HTTP
Range request). Error pages served with status 200 (access
denied, far too short, not about the manifest title) are refused with the
reason. A re-fetch never overwrites a good text: a different text is written
beside it as ``<doc_id>.new.txt`` and the difference is reported.

Site-specific settings (URL templates, user agent, rate limit, refusal
patterns) live in ``corpus/sources.yml``.

References
----------
Koster, M., Illyes, G., Zeller, H. and Sassman, L. (2022). Robots Exclusion
Protocol. RFC 9309, IETF.
Fielding, R., Nottingham, M. and Reschke, J. (2022). HTTP Semantics. RFC 9110,
IETF (sections 10.2.3 Retry-After, 14 Range requests, 13.1.5 If-Range).
Barbaresi, A. (2021). Trafilatura: A web scraping library and command-line tool
for text discovery and extraction. *ACL-IJCNLP 2021 Demos*, 122-131.
"""

from __future__ import annotations

import csv
import difflib
import email.utils
import hashlib
import io
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit
from urllib.robotparser import RobotFileParser

import pandas as pd

from analysis import __version__
from analysis.acquire.extract import Extraction, ExtractionError, extract
from analysis.tokens import tokens

__all__ = [
    "LOCK_COLUMNS",
    "FetchConfig",
    "FetchError",
    "FetchReport",
    "FetchResult",
    "PoliteClient",
    "accept_new",
    "candidate_urls",
    "check_page",
    "fetch_corpus",
    "load_config",
    "read_lock",
    "update_manifest_sha256",
    "verify_lock",
]

LOCK_NAME = "corpus.lock"
LOCK_COLUMNS = [
    "doc_id",
    "url",
    "retrieved_at",
    "raw_sha256",
    "text_sha256",
    "extractor",
    "extractor_version",
    "raw_file",
    "content_type",
    "n_bytes",
    "final_url",
]
_SHA = re.compile(r"^[0-9a-f]{64}$")
_SAFE_ID = re.compile(r"^(?!\.)[\w.\-]+$")
DEFAULT_SOURCES = Path(__file__).resolve().parents[2] / "corpus" / "sources.yml"


# ---------------------------------------------------------------- configuration
@dataclass
class FetchConfig:
    """Settings of a fetch run; read from ``sources.yml`` by :func:`load_config`.

    The defaults are those of the project's ``corpus/sources.yml``; see that
    file for what each key means.
    """

    user_agent: str = (
        "r2p-analysis/{version} (academic research on UN speeches; "
        "+https://github.com/r2p-analysis/r2p-analysis)"
    )
    min_interval_seconds: float = 3.0
    respect_robots_txt: bool = True
    timeout_seconds: float = 30.0
    max_attempts: int = 4
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 60.0
    retry_statuses: tuple = (429, 500, 502, 503, 504)
    max_bytes: int = 50_000_000
    symbol_language: str = "en"
    symbol_split_pattern: str = r"\s*[\u2013\u2014]\s*|\s+-\s+"
    symbol_url_templates: tuple = (
        "https://documents.un.org/api/symbol/access?s={symbol}&l={language}&t=pdf",
        "https://undocs.org/{language}/{symbol}",
    )
    min_chars: int = 600
    error_page_patterns: tuple = (
        "access denied",
        "403 forbidden",
        "you don't have permission to access",
        "request (?:was )?(?:rejected|blocked)",
        "are you a robot",
        "verify (?:that )?you are (?:a )?human",
        "checking your browser",
        "attention required",
        "enable javascript and cookies",
        "page not found",
        "404 not found",
        "service unavailable",
    )
    title_keyword_share: float = 0.4
    generic_title_words: tuple = (
        "secretary", "general", "secretary-general", "deputy", "remarks", "statement", "message",
        "address", "says", "delivered", "prepared", "delivery", "united", "nations",
    )
    html_min_chars: int = 200
    pdf_furniture: tuple | None = None
    pdf_cover: tuple | None = None
    html_drop_paragraphs: tuple | None = None

    @property
    def user_agent_string(self) -> str:
        return self.user_agent.replace("{version}", __version__)

    def replace(self, **changes) -> FetchConfig:
        d = asdict(self)
        d.update(changes)
        return FetchConfig(**d)


def _flatten_sources(d: dict, source: str) -> dict:
    """Map the nested YAML layout onto :class:`FetchConfig` field names."""
    out: dict = {}
    known = {f.name for f in fields(FetchConfig)}
    for key, value in (d or {}).items():
        if key == "document_symbol" and isinstance(value, dict):
            for k, v in value.items():
                name = {"language": "symbol_language", "split_pattern": "symbol_split_pattern",
                        "url_templates": "symbol_url_templates"}.get(k)
                if name is None:
                    raise ValueError(f"{source}: unknown key document_symbol.{k}; known: language, split_pattern, url_templates")
                out[name] = v
        elif key in ("refusal", "extraction") and isinstance(value, dict):
            for k, v in value.items():
                if k not in known:
                    raise ValueError(f"{source}: unknown key {key}.{k}; see corpus/sources.yml for the known keys")
                out[k] = v
        elif key in known:
            out[key] = value
        else:
            raise ValueError(f"{source}: unknown key {key!r}; see corpus/sources.yml for the known keys")
    for k, v in list(out.items()):
        if isinstance(v, list):
            out[k] = tuple(v)
    return out


def load_config(corpus_dir: str | os.PathLike | None = None, path: str | os.PathLike | None = None,
                **overrides) -> FetchConfig:
    """Read the fetch configuration.

    Layers, later ones winning: the built-in defaults, the project's
    ``corpus/sources.yml``, ``<corpus_dir>/sources.yml`` if the corpus folder
    has one, the file ``path``, and keyword ``overrides``.

    Raises
    ------
    ValueError
        For an unreadable file or an unknown key (naming the file and key).
    """
    import yaml

    values: dict = {}
    files = [DEFAULT_SOURCES]
    if corpus_dir is not None:
        files.append(Path(corpus_dir) / "sources.yml")
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ValueError(f"{p}: configuration file not found")
        files.append(p)
    seen = set()
    for f in files:
        f = Path(f)
        if not f.exists() or f.resolve() in seen:
            continue
        seen.add(f.resolve())
        try:
            data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{f}: not valid YAML ({exc}); fix the file") from None
        if not isinstance(data, dict):
            raise ValueError(f"{f}: expected a mapping of settings at the top level")  # noqa: TRY004
        values.update(_flatten_sources(data, str(f)))
    values.update(overrides)
    cfg = FetchConfig(**values)
    for pat in cfg.error_page_patterns:
        try:
            re.compile(pat)
        except re.error as exc:
            raise ValueError(f"sources.yml: refusal.error_page_patterns entry {pat!r} is not a regular expression ({exc})")
    return cfg


# ---------------------------------------------------------------- HTTP
class FetchError(Exception):
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


# ---------------------------------------------------------------- checks
def _nonempty(v) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    v = str(v).strip()
    return v or None


def candidate_urls(row: dict, config: FetchConfig) -> list[tuple[str, str]]:
    """The URLs to try for one manifest row, in order, as ``(origin, url)`` pairs.

    ``url_override`` first, then (for ``source_kind=pdf`` rows with a
    ``doc_symbol``) each document-symbol template of the configuration, then
    ``url``. Duplicates are dropped.
    """
    out: list[tuple[str, str]] = []
    override = _nonempty(row.get("url_override"))
    if override:
        out.append(("url_override", override))
    symbol = _nonempty(row.get("doc_symbol"))
    if symbol and str(row.get("source_kind", "")).strip().lower() == "pdf":
        first = re.split(config.symbol_split_pattern, symbol)[0].strip()
        for tpl in config.symbol_url_templates:
            out.append(("doc_symbol", tpl.format(symbol=quote(first, safe="/"), language=config.symbol_language)))
    url = _nonempty(row.get("url"))
    if url:
        out.append(("url", url))
    seen: set[str] = set()
    return [(o, u) for o, u in out if not (u in seen or seen.add(u))]


#: Function words of four or more letters (English and French) that never count
#: as key words of a title; a small fixed list keeps the check independent of NLTK.
_TITLE_STOPWORDS = frozenset(["about", "above", "after", "again", "against", "also", "among", "because", "been", "before", "being", "below", "between", "both", "could", "does", "doing", "down", "during", "each", "from", "further", "have", "having", "here", "into", "itself", "just", "more", "most", "much", "must", "only", "other", "over", "same", "should", "some", "such", "than", "that", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "under", "until", "upon", "very", "were", "what", "when", "where", "which", "while", "whom", "will", "with", "within", "without", "would", "your", "yours", "ourselves", "themselves", "dans", "pour", "avec", "sans", "leur", "leurs", "cette", "elle", "elles", "nous", "vous", "sont", "sur", "entre"])


def _title_keywords(title: str, config: FetchConfig) -> list[str]:
    stop = _TITLE_STOPWORDS
    generic = {w.lower() for w in config.generic_title_words}
    words = tokens(title, lowercase=True, joiners="")
    out = []
    for w in words:
        if len(w) >= 4 and w not in stop and w not in generic and w not in out:
            out.append(w)
    return out


def check_page(ext: Extraction, title: str | None, config: FetchConfig) -> str | None:
    """Why an extracted page is not the statement it should be, or ``None`` if it is.

    Refuses (1) access-denied, bot-check and error pages served with status
    200 (``refusal.error_page_patterns`` in the page title or the start of its
    text), (2) texts far too short (``refusal.min_chars``), (3) texts that do
    not mention enough of the manifest title's key words
    (``refusal.title_keyword_share``; key words are words of four or more
    letters that are neither stopwords nor generic, matched by prefix so
    "implementing" finds "implementation").
    """
    head = " ".join(filter(None, [ext.title or "", ext.text[:400]]))
    if len(ext.text) < 3 * config.min_chars:
        head += " " + ext.visible_text[:1000]
    for pat in config.error_page_patterns:
        m = re.search(pat, head, re.IGNORECASE)
        if m:
            where = f" (page title {ext.title!r})" if ext.title else ""
            return f"error page served with status 200: it says {m.group(0)!r}{where}"
    n = len(ext.text)
    if n < config.min_chars:
        return (f"text far too short: {n} characters of main text (minimum {config.min_chars}); "
                "probably an error, cookie or index page")
    if title:
        keys = _title_keywords(title, config)
        if keys:
            words = set(tokens(ext.text, lowercase=True, joiners=""))
            prefixes = {w[: max(4, len(w) - 3)] for w in words} | words
            hits = [k for k in keys if k in words or k[: max(4, len(k) - 3)] in prefixes
                    or any(w.startswith(k[: max(4, len(k) - 3)]) for w in words)]
            share = len(hits) / len(keys)
            if share < config.title_keyword_share:
                missing = [k for k in keys if k not in hits]
                return (f"text does not match the manifest title: only {len(hits)} of {len(keys)} key words "
                        f"found ({share:.0%} < {config.title_keyword_share:.0%}); missing: {', '.join(missing[:8])}")
    return None


# ---------------------------------------------------------------- files
def _sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _text_bytes(text: str) -> bytes:
    return (text.rstrip("\n") + "\n").encode("utf-8")


def read_lock(corpus_dir: str | os.PathLike) -> pd.DataFrame:
    """The lock file as a DataFrame of strings (empty with :data:`LOCK_COLUMNS` if absent)."""
    p = Path(corpus_dir) / LOCK_NAME
    if not p.exists():
        return pd.DataFrame({c: pd.Series(dtype=str) for c in LOCK_COLUMNS})
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    return df


def _write_lock(corpus_dir: Path, entries: dict[str, dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=LOCK_COLUMNS, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for doc_id in sorted(entries):
        w.writerow({c: entries[doc_id].get(c, "") for c in LOCK_COLUMNS})
    _atomic_write(corpus_dir / LOCK_NAME, buf.getvalue().encode("utf-8"))


def update_manifest_sha256(manifest_path: str | os.PathLike, shas: dict[str, str]) -> int:
    """Fill the ``sha256`` cells of ``manifest.csv`` for the given doc_ids, changing nothing else.

    Every record that is not updated keeps its exact bytes (quoting, line
    endings); the file is replaced atomically and the result is re-read to
    check that no other cell changed. Returns the number of cells changed.
    """
    path = Path(manifest_path)
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    consumed: list[str] = []

    def feed():
        for line in lines:
            consumed.append(line)
            yield line

    reader = csv.reader(feed())
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError(f"{path}: empty manifest") from None
    out = ["".join(consumed)]
    consumed.clear()
    id_col = "doc_id" if "doc_id" in header else ("id" if "id" in header else None)
    if id_col is None or "sha256" not in header:
        raise ValueError(f"{path}: needs doc_id and sha256 columns to record text hashes")
    i_id, i_sha = header.index(id_col), header.index("sha256")
    changed = 0
    for rec in reader:
        chunk = "".join(consumed)
        consumed.clear()
        if len(rec) == len(header) and rec[i_id] in shas and rec[i_sha] != shas[rec[i_id]]:
            rec[i_sha] = shas[rec[i_id]]
            ending = "\r\n" if chunk.endswith("\r\n") else ("\n" if chunk.endswith("\n") else "")
            b = io.StringIO()
            csv.writer(b, lineterminator=ending).writerow(rec)
            chunk = b.getvalue()
            changed += 1
        out.append(chunk)
    if not changed:
        return 0
    new_text = "".join(out)
    before = list(csv.reader(io.StringIO(text)))
    after = list(csv.reader(io.StringIO(new_text)))
    ok = len(before) == len(after) and all(
        len(a) == len(b) and all(x == y or (j == i_sha and k > 0) for j, (x, y) in enumerate(zip(a, b)))
        for k, (a, b) in enumerate(zip(before, after))
    )
    if not ok:  # pragma: no cover - defensive: never write a manifest that changed elsewhere
        raise RuntimeError(f"{path}: refusing to write; updating sha256 would change other cells")
    _atomic_write(path, (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8"))
    return changed


class _RunLock:
    """Keeps two fetch runs from writing the same corpus folder at once."""

    def __init__(self, corpus_dir: Path):
        self.path = corpus_dir / ".fetch.pid"

    def __enter__(self):
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(self.path.read_text().strip() or 0)
                os.kill(pid, 0)
                alive = True
            except (ValueError, ProcessLookupError, PermissionError, OSError):
                alive = False
            if alive:
                raise RuntimeError(
                    f"another fetch (pid {pid}) is running on {self.path.parent}; wait for it, "
                    f"or delete {self.path} if it is not running") from None
            self.path.unlink(missing_ok=True)  # stale: the earlier run was killed
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return self

    def __exit__(self, *exc):
        self.path.unlink(missing_ok=True)


# ---------------------------------------------------------------- results
@dataclass
class FetchResult:
    """What happened to one manifest row."""

    doc_id: str
    status: str  # planned | fetched | present | bundled | unchanged | changed | failed
    url: str = ""
    reason: str = ""
    tried: list = field(default_factory=list)  # [(url, reason)] of candidates that failed
    text_file: str = ""
    text_sha256: str = ""
    raw_file: str = ""
    extractor: str = ""
    n_chars: int = 0
    attempts: int = 0


class FetchReport:
    """The summary of a fetch run: one :class:`FetchResult` per manifest row handled.

    ``to_frame()`` gives a tidy DataFrame (doc_id, status, url, reason, ...);
    ``failed`` lists the failures; ``ok`` is False when anything failed.
    """

    STATUSES = ("planned", "fetched", "unchanged", "changed", "present", "bundled", "failed")

    def __init__(self, results: Iterable[FetchResult] = (), corpus_dir: str | None = None):
        self.results = list(results)
        self.corpus_dir = corpus_dir

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def to_frame(self) -> pd.DataFrame:
        cols = [f.name for f in fields(FetchResult)]
        rows = []
        for r in self.results:
            d = asdict(r)
            d["tried"] = " | ".join(f"{u} -> {why}" for u, why in r.tried)
            rows.append(d)
        return pd.DataFrame(rows, columns=cols)

    def __dataframe__(self, *args, **kwargs):  # pragma: no cover - interchange protocol
        return self.to_frame().__dataframe__(*args, **kwargs)

    @property
    def failed(self) -> list[FetchResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def counts(self) -> dict[str, int]:
        c = {s: 0 for s in self.STATUSES}
        for r in self.results:
            c[r.status] = c.get(r.status, 0) + 1
        return c

    def summary(self) -> str:
        c = self.counts()
        head = ", ".join(f"{k}: {v}" for k, v in c.items() if v)
        lines = [f"fetch summary: {head or 'nothing to do'}"]
        for r in self.results:
            if r.status == "changed":
                lines.append(f"  changed {r.doc_id}: {r.reason}")
        for r in self.failed:
            lines.append(f"  FAILED {r.doc_id} ({r.url or 'no URL'}): {r.reason}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------- the run
def _diff_summary(old: str, new: str) -> str:
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    ratio = sm.ratio() if max(len(old), len(new)) < 400_000 else sm.quick_ratio()
    ol, nl = old.splitlines(), new.splitlines()
    added = removed = 0
    for line in difflib.unified_diff(ol, nl, lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return f"similarity {ratio:.3f}; {added} line(s) added, {removed} removed; {len(old)} -> {len(new)} characters"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _resolve_corpus_dir(corpus: str | os.PathLike) -> Path:
    if str(corpus) in ("sg-r2p", "sg_r2p", "r2p"):
        from analysis.corpus import corpus_dir

        return corpus_dir()
    p = Path(corpus)
    if p.is_file() and p.name == "manifest.csv":
        p = p.parent
    if not (p / "manifest.csv").exists():
        raise FileNotFoundError(
            f"{p}: no manifest.csv here; fetch needs a corpus folder with manifest.csv (or --corpus sg-r2p)")
    return p


def fetch_corpus(
    corpus_dir: str | os.PathLike = "sg-r2p",
    only: Iterable[str] | None = None,
    force: bool = False,
    plan: bool = False,
    config: FetchConfig | dict | str | os.PathLike | None = None,
    client=None,
    on_start: Callable[[str, int, int], None] | None = None,
    on_result: Callable[[FetchResult], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchReport:
    """Download, extract, check and lock the texts of a corpus folder.

    Parameters
    ----------
    corpus_dir : str or path
        A folder with ``manifest.csv`` (or ``"sg-r2p"`` for the project corpus).
    only : iterable of str, optional
        Restrict the run to these doc_ids (unknown ids raise ``ValueError``).
    force : bool
        Re-fetch rows whose text is present. A different text is written beside
        the old one as ``<doc_id>.new.txt`` (the old one is kept); a failure
        leaves the old text untouched.
    plan : bool
        List what would be fetched and from where; download and write nothing.
    config : FetchConfig, dict, path or None
        Settings; a dict overrides keys of the corpus's ``sources.yml``.
    client : httpx.Client, optional
        HTTP client to use (default: a new one with the configured user agent).
    on_start, on_result : callables, optional
        Progress callbacks: ``on_start(doc_id, i, n)`` before a row is
        handled, ``on_result(result)`` after.
    sleep : callable
        Used for the rate limit and backoff (``time.sleep``).

    Returns
    -------
    FetchReport
        One result per row; ``report.to_frame()`` for a DataFrame.
    """
    from analysis.manifest import read_manifest

    cdir = _resolve_corpus_dir(corpus_dir)
    if isinstance(config, FetchConfig):
        cfg = config
    elif isinstance(config, dict):
        cfg = load_config(cdir, **config)
    else:
        cfg = load_config(cdir, path=config)
    manifest = read_manifest(cdir / "manifest.csv")
    mname = cdir / "manifest.csv"
    if manifest["doc_id"].isna().any():
        line = int(manifest.index[manifest["doc_id"].isna()][0]) + 2
        raise ValueError(f"{mname}, line {line}: empty doc_id; give every row a doc_id (r2p corpus validate)")
    dups = manifest["doc_id"][manifest["doc_id"].duplicated()]
    if len(dups):
        raise ValueError(f"{mname}: duplicate doc_id {dups.iloc[0]!r}; give every row its own doc_id "
                         "(r2p corpus validate lists them all)")
    rows = manifest.to_dict("records")
    if only:
        wanted = list(dict.fromkeys(only))
        known = set(manifest["doc_id"])
        unknown = [d for d in wanted if d not in known]
        if unknown:
            hints = []
            for d in unknown:
                close = difflib.get_close_matches(d, sorted(known), n=1)
                hints.append(f"{d!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ValueError(f"{cdir / 'manifest.csv'}: no row with doc_id {', '.join(hints)}")
        rows = [r for r in rows if r["doc_id"] in set(wanted)]

    results: list[FetchResult] = []
    if plan:
        for i, row in enumerate(rows):
            results.append(_plan_row(cdir, row, cfg, force))
            if on_result:
                on_result(results[-1])
        return FetchReport(results, str(cdir))

    existing = read_lock(cdir)
    if "doc_id" not in existing.columns or "text_sha256" not in existing.columns:
        raise ValueError(f"{cdir / LOCK_NAME}: not a lock file this version can read (columns: "
                         f"{', '.join(existing.columns)}); restore it from git, or move it away to rebuild it")
    with _RunLock(cdir):
        lock = {r["doc_id"]: dict(r) for r in existing.to_dict("records")}
        poli = PoliteClient(cfg, client=client, sleep=sleep, partial_dir=cdir / "raw" / ".partial")
        if client is None:  # our own network client: find out at once whether anything is reachable
            poli.offline_reason = offline_check(u for row in rows for _, u in candidate_urls(row, cfg))
        try:
            for i, row in enumerate(rows):
                if on_start:
                    on_start(row["doc_id"], i, len(rows))
                res = _fetch_row(cdir, row, cfg, poli, force, lock)
                results.append(res)
                if on_result:
                    on_result(res)
        finally:
            poli.close()
    return FetchReport(results, str(cdir))


def _text_path(cdir: Path, row: dict) -> Path:
    tf = _nonempty(row.get("text_file"))
    return cdir / (tf or f"texts/{row['doc_id']}.txt")


def _plan_row(cdir: Path, row: dict, cfg: FetchConfig, force: bool) -> FetchResult:
    doc_id = row["doc_id"]
    tp = _text_path(cdir, row)
    if not _SAFE_ID.match(str(doc_id)) or not tp.resolve().is_relative_to(cdir.resolve()):
        return FetchResult(doc_id, "failed", reason="unsafe doc_id or text_file outside the corpus folder; "
                           "fix the row in manifest.csv")
    if str(row.get("source_kind", "")).strip().lower() == "bundled":
        return FetchResult(doc_id, "bundled", reason="text ships with the corpus; never fetched",
                           text_file=str(tp.relative_to(cdir)))
    if tp.exists() and not force:
        return FetchResult(doc_id, "present", text_file=str(tp.relative_to(cdir)))
    cands = candidate_urls(row, cfg)
    if not cands:
        return FetchResult(doc_id, "failed", reason="no URL: fill in url_override (or url / doc_symbol) in manifest.csv")
    return FetchResult(doc_id, "planned", url=cands[0][1],
                       reason="would try: " + " ; ".join(f"{o}={u}" for o, u in cands),
                       text_file=str(tp.relative_to(cdir)))


def _raw_ext(kind: str) -> str:
    return {"pdf": "pdf", "html": "html", "text": "txt"}.get(kind, "bin")


def _fetch_row(cdir: Path, row: dict, cfg: FetchConfig, poli: PoliteClient, force: bool,
               lock: dict[str, dict]) -> FetchResult:
    doc_id = str(row["doc_id"])
    if not _SAFE_ID.match(doc_id):
        return FetchResult(doc_id, "failed", reason="doc_id cannot serve as a file name (use letters, digits, "
                           "'-', '_' and '.'); rename it in manifest.csv")
    tp = _text_path(cdir, row)
    try:
        rel = str(tp.resolve().relative_to(cdir.resolve()))
    except ValueError:
        return FetchResult(doc_id, "failed", reason=f"text_file {row.get('text_file')!r} points outside the corpus "
                           "folder; use a path like texts/<doc_id>.txt")
    bundled = str(row.get("source_kind", "")).strip().lower() == "bundled"
    present = tp.exists() and tp.stat().st_size > 0

    if bundled or (present and not force):
        status = "bundled" if bundled else "present"
        res = FetchResult(doc_id, status, text_file=rel)
        if present:
            data = tp.read_bytes()
            res.text_sha256 = _sha256_bytes(data)
            if doc_id not in lock:  # record texts that were here before the lock
                lock[doc_id] = {"doc_id": doc_id, "url": "", "retrieved_at": "", "raw_sha256": "",
                                "text_sha256": res.text_sha256,
                                "extractor": "bundled" if bundled else "present-before-fetch",
                                "extractor_version": "", "raw_file": "", "content_type": "", "n_bytes": ""}
                _write_lock(cdir, lock)
            res.reason = _record_manifest_sha(cdir, row, res.text_sha256)
        elif bundled:
            res.status = "failed"
            res.reason = f"bundled text {rel} is missing; restore it with git (git checkout -- corpus/{rel})"
        return res

    cands = candidate_urls(row, cfg)
    if not cands:
        return FetchResult(doc_id, "failed",
                           reason="no URL: fill in url_override (or url / doc_symbol) in manifest.csv", text_file=rel)
    title = _nonempty(row.get("title"))
    tried: list[tuple[str, str]] = []
    got: tuple[str, Download, Extraction, str] | None = None
    attempts = 0
    for origin, url in cands:
        ok, why = poli.allowed(url)
        if not ok:
            tried.append((url, why))
            continue
        try:
            d = poli.get(url)
        except FetchError as err:
            tried.append((url, err.reason))
            continue
        attempts += d.attempts
        # keep the raw download untouched, named by its hash
        raw_sha = _sha256_bytes(d.content)
        try:
            ext = extract(d.content, d.content_type, d.final_url,
                          pdf_furniture=list(cfg.pdf_furniture) if cfg.pdf_furniture else None,
                          pdf_cover=list(cfg.pdf_cover) if cfg.pdf_cover else None,
                          html_drop=list(cfg.html_drop_paragraphs) if cfg.html_drop_paragraphs else None,
                          min_chars=cfg.html_min_chars)
        except ExtractionError as err:
            _save_raw(cdir, doc_id, raw_sha, "pdf" if d.content[:5] == b"%PDF-" else "bin", d.content)
            tried.append((url, str(err)))
            continue
        raw_path = _save_raw(cdir, doc_id, raw_sha, _raw_ext(ext.kind), d.content)
        why = check_page(ext, title, cfg)
        if why:
            tried.append((url, why))
            continue
        got = (url, d, ext, str(raw_path.relative_to(cdir)))
        break

    if got is None:
        reason = tried[0][1] if len(tried) == 1 else "; ".join(f"{u}: {why}" for u, why in tried)
        return FetchResult(doc_id, "failed", url=cands[0][1], reason=f"{reason} -> {_failure_hint(tried, doc_id)}",
                           tried=tried, text_file=rel, attempts=attempts)

    url, d, ext, raw_rel = got
    data = _text_bytes(ext.text)
    text_sha = _sha256_bytes(data)
    res = FetchResult(doc_id, "fetched", url=url, tried=tried, text_file=rel, text_sha256=text_sha,
                      raw_file=raw_rel, extractor=ext.extractor, n_chars=len(ext.text), attempts=attempts)
    entry = {"doc_id": doc_id, "url": url, "retrieved_at": _now(), "raw_sha256": _sha256_bytes(d.content),
             "text_sha256": text_sha, "extractor": ext.extractor, "extractor_version": ext.extractor_version,
             "raw_file": raw_rel, "content_type": d.content_type.split(";")[0].strip(), "n_bytes": str(len(d.content)),
             "final_url": d.final_url if d.final_url != url else ""}
    if present:
        old = tp.read_bytes()
        if old == data:
            res.status = "unchanged"
            lock[doc_id] = entry
            _write_lock(cdir, lock)
            return res
        new_path = _new_path(tp)
        _atomic_write(new_path, data)
        # what the lock will say once the new text is accepted (r2p corpus fetch --accept)
        pending = cdir / "raw" / doc_id / "pending.json"
        _atomic_write(pending, json.dumps({"entry": entry, "footnotes": ext.footnotes}, indent=1).encode("utf-8"))
        res.status = "changed"
        res.reason = (f"re-fetched text differs from {rel} ({_diff_summary(old.decode('utf-8', 'replace'), ext.text)}); "
                      f"kept the old text, wrote the new one to {new_path.relative_to(cdir)}: review it, then accept "
                      f"it with r2p corpus fetch --accept --only {doc_id} (or delete it to keep the old text)")
        return res

    _atomic_write(tp, data)
    if ext.footnotes:
        _atomic_write(cdir / "footnotes" / f"{doc_id}.txt", _text_bytes(ext.footnotes))
    lock[doc_id] = entry
    _write_lock(cdir, lock)
    note = _record_manifest_sha(cdir, row, text_sha)
    if note:
        res.reason = note
    return res


def _new_path(tp: Path) -> Path:
    return tp.with_name(tp.stem + ".new" + tp.suffix) if tp.suffix else tp.with_name(tp.name + ".new")


def accept_new(corpus_dir: str | os.PathLike = "sg-r2p", only: Iterable[str] | None = None) -> FetchReport:
    """Accept re-fetched texts awaiting review: ``<doc_id>.new.txt`` replaces ``<doc_id>.txt``.

    For each selected row with a pending new text (written by a ``--force``
    re-fetch that found a different text), the new text replaces the old one,
    and the lock entry and the manifest's sha256 are updated to describe it.
    A pending text that was edited since the re-fetch is refused (its hash no
    longer matches the record).

    Returns
    -------
    FetchReport
        ``fetched`` for each accepted text, ``failed`` for refusals.
    """
    from analysis.manifest import read_manifest

    cdir = _resolve_corpus_dir(corpus_dir)
    manifest = read_manifest(cdir / "manifest.csv")
    wanted = set(only) if only else None
    results = []
    with _RunLock(cdir):
        lock = {r["doc_id"]: dict(r) for r in read_lock(cdir).to_dict("records")}
        for row in manifest.to_dict("records"):
            doc_id = str(row["doc_id"])
            if (wanted is not None and doc_id not in wanted) or not _SAFE_ID.match(doc_id):
                continue
            tp = _text_path(cdir, row)
            new, pending = _new_path(tp), cdir / "raw" / doc_id / "pending.json"
            if not new.exists():
                continue
            rel = str(tp.relative_to(cdir))
            if not pending.exists():
                results.append(FetchResult(doc_id, "failed", text_file=rel, reason=(
                    f"{new.name} has no record of where it came from ({pending.relative_to(cdir)} is missing); "
                    f"re-fetch with r2p corpus fetch --force --only {doc_id}")))
                continue
            info = json.loads(pending.read_text(encoding="utf-8"))
            entry = info["entry"]
            data = new.read_bytes()
            if _sha256_bytes(data) != entry["text_sha256"]:
                results.append(FetchResult(doc_id, "failed", text_file=rel, reason=(
                    f"{new.name} was edited after the re-fetch (its sha256 no longer matches); "
                    f"re-fetch with r2p corpus fetch --force --only {doc_id}")))
                continue
            os.replace(new, tp)
            if info.get("footnotes"):
                _atomic_write(cdir / "footnotes" / f"{doc_id}.txt", _text_bytes(info["footnotes"]))
            lock[doc_id] = entry
            _write_lock(cdir, lock)
            try:
                update_manifest_sha256(cdir / "manifest.csv", {doc_id: entry["text_sha256"]})
            except ValueError:
                pass  # no sha256 column: the lock alone records the hash
            pending.unlink()
            results.append(FetchResult(doc_id, "fetched", url=entry["url"], text_file=rel,
                                       text_sha256=entry["text_sha256"], raw_file=entry["raw_file"],
                                       extractor=entry["extractor"], reason=f"accepted {new.name}"))
    return FetchReport(results, str(cdir))


def _failure_hint(tried: list[tuple[str, str]], doc_id: str) -> str:
    last = tried[-1][1] if tried else ""
    if re.search(r"timed out|connection failed|HTTP 5\d\d|HTTP 429|unreachable", last):
        return (f"the server did not answer properly; try again later (r2p corpus fetch --only {doc_id}); "
                "a run resumes where it stopped")
    if "robots.txt" in last:
        return (f"the site forbids automated access; save the page from a browser as texts/{doc_id}.txt, "
                "or put a mirror in the url_override column of manifest.csv")
    return ("if the source is dead or moved, put a working URL (a mirror or a web-archive copy) in the "
            "url_override column of manifest.csv and run fetch again")


def _save_raw(cdir: Path, doc_id: str, sha: str, ext: str, content: bytes) -> Path:
    p = cdir / "raw" / doc_id / f"{sha[:16]}.{ext}"
    if not p.exists():
        _atomic_write(p, content)
    return p


def _record_manifest_sha(cdir: Path, row: dict, sha: str) -> str:
    """Fill an empty manifest sha256; report (never overwrite) a different recorded one."""
    recorded = _nonempty(row.get("sha256"))
    if recorded == sha:
        return ""
    if recorded:
        return (f"note: the text's sha256 {sha[:12]}... differs from the one recorded in manifest.csv "
                f"({recorded[:12]}...): this is not the text the manifest's author analysed")
    mpath = cdir / "manifest.csv"
    try:
        update_manifest_sha256(mpath, {str(row["doc_id"]): sha})
        row["sha256"] = sha
    except ValueError:
        return ""  # a manifest without a sha256 column: the lock alone records the hash
    return ""


# ---------------------------------------------------------------- verification
def verify_lock(corpus_dir: str | os.PathLike) -> list:
    """Check ``corpus.lock`` against the texts, raw downloads and manifest of a folder.

    Errors: a lock that cannot be read or lacks columns; duplicate or unknown
    doc_ids; malformed hashes; a locked text that is missing or whose SHA-256
    differs from the lock; a raw download present but altered; a manifest
    sha256 that disagrees with the lock. Notes: present texts the lock does not
    record, and pending ``.new`` texts from a re-fetch awaiting review.
    Read-only.

    Returns
    -------
    list of analysis.manifest.Problem
    """
    from analysis.manifest import ManifestError, Problem, read_manifest

    cdir = Path(corpus_dir)
    lpath = cdir / LOCK_NAME
    lname = str(lpath)
    if not lpath.exists():
        return []
    try:
        lock = pd.read_csv(lpath, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        return [Problem(lname, None, None, f"lock file cannot be read ({exc})",
                        "restore it from git, or delete it and run r2p corpus fetch to rebuild it")]
    missing = [c for c in ("doc_id", "url", "text_sha256", "raw_sha256") if c not in lock.columns]
    if missing:
        return [Problem(lname, 1, missing[0], f"lock file lacks column(s) {', '.join(missing)}",
                        "restore it from git, or delete it and run r2p corpus fetch to rebuild it")]
    try:
        manifest = read_manifest(cdir / "manifest.csv")
    except ManifestError:
        manifest = None
    mrows = {} if manifest is None else {r["doc_id"]: r for r in manifest.to_dict("records")}
    problems = []
    seen: dict[str, int] = {}
    for i, r in enumerate(lock.to_dict("records")):
        line = i + 2
        doc_id = r["doc_id"]
        if doc_id in seen:
            problems.append(Problem(lname, line, "doc_id", f"duplicate doc_id {doc_id!r} (first at line {seen[doc_id]})",
                                    "keep one row per document (delete the older one)"))
            continue
        seen[doc_id] = line
        if manifest is not None and doc_id not in mrows:
            problems.append(Problem(lname, line, "doc_id", f"{doc_id!r} is not in manifest.csv",
                                    "remove the row from corpus.lock, or restore the manifest row"))
            continue
        for col in ("text_sha256", "raw_sha256"):
            v = r.get(col, "")
            if v and not _SHA.match(v):
                problems.append(Problem(lname, line, col, f"{v!r} is not a SHA-256 hex digest",
                                        "restore corpus.lock from git, or re-fetch the document"))
        mrow = mrows.get(doc_id, {})
        tp = _text_path(cdir, mrow) if mrow else cdir / "texts" / f"{doc_id}.txt"
        rel = tp.relative_to(cdir)
        if not tp.exists():
            problems.append(Problem(lname, line, "text_sha256", f"{rel} is locked but missing",
                                    f"run r2p corpus fetch --only {doc_id}"))
        else:
            sha = _sha256_bytes(tp.read_bytes())
            if r["text_sha256"] and sha != r["text_sha256"]:
                problems.append(Problem(
                    lname, line, "text_sha256",
                    f"{rel} has sha256 {sha[:12]}..., the lock records {r['text_sha256'][:12]}...: the text was edited "
                    "or is not the one fetched",
                    f"restore it, or re-fetch with r2p corpus fetch --only {doc_id} --force and review the difference"))
        raw_file = r.get("raw_file", "")
        if (raw_file and r["raw_sha256"] and (cdir / raw_file).exists()
                and _sha256_bytes((cdir / raw_file).read_bytes()) != r["raw_sha256"]):
            problems.append(Problem(lname, line, "raw_sha256", f"raw download {raw_file} was altered",
                                    f"delete it and re-fetch with r2p corpus fetch --only {doc_id} --force"))
        msha = _nonempty(mrow.get("sha256")) if mrow else None
        if msha and r["text_sha256"] and msha != r["text_sha256"]:
            problems.append(Problem(
                lname, line, "text_sha256",
                f"manifest.csv records sha256 {msha[:12]}... for {doc_id}, the lock {r['text_sha256'][:12]}...",
                "the fetched text differs from the one the manifest's author analysed: compare the texts, "
                "then update whichever is wrong"))
    for doc_id, mrow in mrows.items():
        tp = _text_path(cdir, mrow)
        if doc_id not in seen and tp.exists():
            problems.append(Problem(lname, None, "doc_id", f"{tp.relative_to(cdir)} is present but not in the lock",
                                    "run r2p corpus fetch to record it", severity="note"))
        new = _new_path(tp)
        if new.exists():
            problems.append(Problem(str(new), None, None, "a re-fetch gave a different text, awaiting review",
                                    f"compare with {tp.name}; accept it with r2p corpus fetch --accept --only "
                                    f"{doc_id}, or delete {new.name}", severity="note"))
    return problems


# ---------------------------------------------------------------- command line
def fetch_command(corpus: str = "sg-r2p", only: list[str] | None = None, force: bool = False, plan: bool = False,
                  config: str | os.PathLike | None = None, report_csv: str | os.PathLike | None = None,
                  quiet: bool = False, console=None, out_console=None, accept: bool = False) -> int:
    """What ``r2p corpus fetch`` does: run :func:`fetch_corpus` with a progress bar and print the summary.

    Returns the exit code: 0 when nothing failed, 1 when any row failed, 2 for
    a usage error (no such corpus folder or doc_id, bad configuration).
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from analysis.manifest import ManifestError

    console = console or Console(stderr=True)
    out_console = out_console or Console()
    try:
        cdir = _resolve_corpus_dir(corpus)
        cfg = load_config(cdir, path=config)
    except (FileNotFoundError, ValueError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    styles = {"fetched": "green", "unchanged": "green", "changed": "yellow", "failed": "red",
              "planned": "cyan", "present": "dim", "bundled": "dim"}
    try:
        if accept:
            rep = accept_new(cdir, only=only)
            if not len(rep):
                out_console.print("no re-fetched texts awaiting review (<doc_id>.new.txt)")
        elif plan or quiet:
            rep = fetch_corpus(cdir, only=only, force=force, plan=plan, config=cfg)
        else:
            with Progress(TextColumn("[bold]fetch[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          TextColumn("{task.description}"), console=console, transient=False) as progress:
                task = progress.add_task("", total=None)

                def on_start(doc_id: str, i: int, n: int) -> None:
                    progress.update(task, total=n, description=doc_id)

                def on_result(r: FetchResult) -> None:
                    progress.advance(task)
                    if r.status not in ("present", "bundled") and "offline: none of the" not in (r.reason or ""):
                        why = r.reason.split(" -> ")[0] if r.status == "failed" else ""
                        progress.console.print(f"[{styles.get(r.status, 'white')}]{r.status:>9}[/] {r.doc_id}"
                                               + (f"  [dim]{escape(why[:160])}[/]" if why else ""),
                                               highlight=False)

                rep = fetch_corpus(cdir, only=only, force=force, plan=False, config=cfg,
                                   on_start=on_start, on_result=on_result)
    except (ValueError, RuntimeError, ManifestError) as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return 2
    if report_csv:
        rep.to_frame().to_csv(report_csv, index=False)
    if plan:
        t = Table(title=f"fetch plan for {cdir}")
        for col in ("doc_id", "status", "would try"):
            t.add_column(col, overflow="fold")
        for r in rep:
            t.add_row(r.doc_id, r.status, r.reason.removeprefix("would try: ") if r.status in ("planned", "failed") else "")
        out_console.print(t)
    c = rep.counts()
    out_console.print("summary: " + ", ".join(f"{k} {v}" for k, v in c.items() if v), highlight=False)
    for r in rep:
        if r.status == "changed":
            out_console.print(f"changed {r.doc_id}: {r.reason}", markup=False, highlight=False)
        elif r.status == "fetched" and r.reason:  # accepted texts, manifest hash notes
            out_console.print(f"{r.doc_id}: {r.reason}", markup=False, highlight=False)
    offline = [r for r in rep.failed if "offline: none of the" in (r.reason or "")]
    if rep.failed and len(offline) == len(rep.failed):
        out_console.print(f"{len(offline)} text(s) not fetched: {offline[0].reason.split(' -> ')[0]}"
                          "\n`r2p corpus info` lists them with their URLs.", style="red", markup=False, highlight=False)
        return 1
    if rep.failed:
        out_console.print(f"{len(rep.failed)} failed:", style="red")
        for r in rep.failed:
            out_console.print(f"  {r.doc_id}  {r.url or '(no URL)'}\n      {r.reason}", markup=False, highlight=False)
        return 1
    return 0
