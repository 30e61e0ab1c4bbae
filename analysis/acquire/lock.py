"""The lock file ``corpus.lock``: where and when each text came from, with its SHA-256.

One row per document: the URL it was fetched from, the time, the SHA-256 of
the raw download and of the cleaned text, the extractor and its version. A
colleague who fetches the same corpus runs :func:`verify_lock` (``r2p corpus
validate``) to check they analyse the same texts. Also here: the manifest's
``sha256`` cells (:func:`update_manifest_sha256`, which changes no other
byte) and :class:`RunLock`, which keeps two fetch runs off one folder.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pandas as pd

from analysis.acquire.files import atomic_write as _atomic_write
from analysis.acquire.files import new_path as _new_path
from analysis.acquire.files import nonempty as _nonempty
from analysis.acquire.files import sha256_bytes as _sha256_bytes
from analysis.acquire.files import text_path as _text_path

__all__ = ["LOCK_COLUMNS", "LOCK_NAME", "RunLock", "read_lock", "update_manifest_sha256", "verify_lock",
           "write_lock"]

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


def read_lock(corpus_dir: str | os.PathLike) -> pd.DataFrame:
    """The lock file as a DataFrame of strings (empty with :data:`LOCK_COLUMNS` if absent)."""
    p = Path(corpus_dir) / LOCK_NAME
    if not p.exists():
        return pd.DataFrame({c: pd.Series(dtype=str) for c in LOCK_COLUMNS})
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    return df


def write_lock(corpus_dir: Path, entries: dict[str, dict]) -> None:
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


class RunLock:
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


def validate_corpus_folder(folder) -> list:
    """Manifest checks (:func:`analysis.manifest.validate_manifest`) plus the lock file when the folder has one.

    (It lives here, above the manifest layer, because the lock check belongs to acquisition.)
    """
    from analysis.manifest import validate_manifest

    folder = Path(folder)
    problems = validate_manifest(folder)
    if (folder / LOCK_NAME).exists():
        problems.extend(verify_lock(folder))
    return problems
