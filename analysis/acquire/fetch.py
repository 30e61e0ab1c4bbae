"""Corpus acquisition: download, extract, check and lock the manifest's texts.

``r2p corpus fetch`` (and :func:`fetch_corpus`) walks a corpus folder's
``manifest.csv`` and, for every row without a text, downloads its source:
``url_override`` first (a user's replacement for a dead link), then for
reports (``source_kind=pdf``) the UN Official Document System by document
symbol, then ``url``. Downloads are kept untouched under ``raw/`` (named by
their SHA-256), the main text is extracted (:mod:`analysis.acquire.extract`)
and written to ``texts/<doc_id>.txt``, and ``corpus.lock`` records where and
when each text came from with the SHA-256 of the raw file and of the cleaned
text (:mod:`analysis.acquire.lock`).

Politeness and robustness live in :mod:`analysis.acquire.http` (user agent,
rate limit, robots.txt, retries with backoff and ``Retry-After``, Range
resume); every document is committed on its own, with atomic writes, so a run
can be interrupted and resumed. Error pages served with status 200 are
refused with the reason (:mod:`analysis.acquire.checks`). A re-fetch never
overwrites a good text: a different text is written beside it as
``<doc_id>.new.txt`` and the difference is reported. Site settings (URL
templates, user agent, rate limit, refusal patterns) live in ``sources.yml``
(:mod:`analysis.acquire.sources`).

This module prints nothing: :func:`fetch_corpus` returns a
:class:`FetchReport` and reports progress through the ``on_start`` and
``on_result`` callbacks; the console output of ``r2p corpus fetch`` is in
:mod:`analysis.cli.fetch`.

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

import difflib
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from analysis.acquire.checks import check_page
from analysis.acquire.extract import Extraction, ExtractionError, extract
from analysis.acquire.files import SAFE_ID as _SAFE_ID
from analysis.acquire.files import atomic_write as _atomic_write
from analysis.acquire.files import new_path as _new_path
from analysis.acquire.files import nonempty as _nonempty
from analysis.acquire.files import sha256_bytes as _sha256_bytes
from analysis.acquire.files import text_bytes as _text_bytes
from analysis.acquire.files import text_path as _text_path
from analysis.acquire.http import Download, FetchError, PoliteClient, offline_check
from analysis.acquire.lock import (LOCK_COLUMNS, LOCK_NAME, RunLock, read_lock, update_manifest_sha256,
                                   verify_lock, write_lock)
from analysis.acquire.sources import FetchConfig, candidate_urls, load_config

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
    "offline_check",
    "read_lock",
    "resolve_corpus_dir",
    "update_manifest_sha256",
    "verify_lock",
]


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


def resolve_corpus_dir(corpus: str | os.PathLike) -> Path:
    """The folder a fetch works on: ``sg-r2p`` (the project corpus's data folder) or a folder
    with ``manifest.csv`` (or that file itself).

    Raises
    ------
    FileNotFoundError
        When the folder has no ``manifest.csv``.
    """
    if str(corpus) in ("sg-r2p", "sg_r2p", "r2p"):
        from analysis.resources import corpus_folder

        return corpus_folder("sg-r2p")
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

    cdir = resolve_corpus_dir(corpus_dir)
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
    with RunLock(cdir):
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
                write_lock(cdir, lock)
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
            write_lock(cdir, lock)
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
    write_lock(cdir, lock)
    note = _record_manifest_sha(cdir, row, text_sha)
    if note:
        res.reason = note
    return res


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

    cdir = resolve_corpus_dir(corpus_dir)
    manifest = read_manifest(cdir / "manifest.csv")
    wanted = set(only) if only else None
    results = []
    with RunLock(cdir):
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
            write_lock(cdir, lock)
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
