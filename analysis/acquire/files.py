"""File helpers of the acquisition wing: hashing, atomic writes, where a row's text lives.

Every write goes through :func:`atomic_write` (a temporary file in the same
folder, flushed, then renamed over the target), so an interrupted fetch never
leaves a half-written text, lock or manifest behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import pandas as pd

__all__ = ["SAFE_ID", "atomic_write", "new_path", "nonempty", "sha256_bytes", "text_bytes", "text_path"]

#: A doc_id that can serve as a file name (no path separators, no leading dot).
SAFE_ID = re.compile(r"^(?!\.)[\w.\-]+$")


def nonempty(v) -> str | None:
    """``v`` stripped, or ``None`` for a missing (NA) or blank cell."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    v = str(v).strip()
    return v or None


def sha256_bytes(b: bytes) -> str:
    """Hex SHA-256 of ``b``."""
    return hashlib.sha256(b).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename)."""
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


def text_bytes(text: str) -> bytes:
    """A cleaned text as stored: UTF-8 with exactly one final newline."""
    return (text.rstrip("\n") + "\n").encode("utf-8")


def text_path(cdir: Path, row: dict) -> Path:
    """Where a manifest row's text lives: its ``text_file``, else ``texts/<doc_id>.txt``."""
    tf = nonempty(row.get("text_file"))
    return cdir / (tf or f"texts/{row['doc_id']}.txt")


def new_path(tp: Path) -> Path:
    """Where a re-fetched text that differs from ``tp`` waits for review (``<doc_id>.new.txt``)."""
    return tp.with_name(tp.stem + ".new" + tp.suffix) if tp.suffix else tp.with_name(tp.name + ".new")
