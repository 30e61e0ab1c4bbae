"""Checked entries: a file whose header carries the SHA-256 and length of its payload.

Every cache entry (:class:`analysis.run.cache.Cache`) is such a file. The layout is
a fixed 48-byte header followed by the payload::

    b"R2PCHK1\\n"            8 bytes, the format
    SHA-256(payload)         32 bytes
    len(payload)             8 bytes, big-endian
    payload

The header and the payload are written together to a temporary file with a
unique name (process id and random token) and renamed over the entry's name, so a
reader sees a complete old entry or a complete new one, never half of one. A
reader checks the format, the length and the digest of the bytes on disk
*before* it interprets them (:func:`open_checked`): a flipped bit anywhere in the
file, a truncated file or a file of an older format is a :class:`CorruptEntry`
naming the file and the reason, and its bytes are never unpickled or
decompressed (unpickling damaged NumPy or Arrow buffers can crash the process).

The discipline follows R's ``targets`` (each target's file hash is stored in its
metadata and compared before the target is considered up to date) and
``joblib.Memory`` (results are written under a content hash of the inputs and a
result that cannot be loaded is recomputed); unlike ``joblib.Memory``, which only
catches a load that raises, a checked entry also refuses bytes that load
without error but are not the bytes written.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from analysis.errors import R2PError

__all__ = ["MAGIC", "HEADER_SIZE", "CorruptEntry", "write_checked", "open_checked", "check_file", "unique_tmp", "replacing"]

MAGIC = b"R2PCHK1\n"
HEADER_SIZE = len(MAGIC) + 32 + 8
_CHUNK = 1 << 20


class CorruptEntry(R2PError):
    """A checked file that is not what was written: ``path`` and ``reason`` say which and why."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def unique_tmp(path: str | os.PathLike) -> Path:
    """A temporary name beside ``path`` that no other process or call uses (``.NAME.PID.TOKEN.tmp``)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


class _HashingWriter:
    """A write-only file object that hashes and counts what passes through it."""

    def __init__(self, f: BinaryIO):
        self.f = f
        self.h = hashlib.sha256()
        self.n = 0

    def write(self, b) -> int:
        mv = memoryview(b)
        self.h.update(mv)
        self.n += mv.nbytes
        return self.f.write(mv)


@contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """A unique temporary name beside ``path``, renamed over it when the block ends.

    If the block fails, the temporary file is removed and ``path`` is as it was; an
    ``OSError`` (a full disk says nothing else) names ``path``, not its temporary name.
    Every file the run layer writes (cache entries, tables) goes through here.
    """
    path = Path(path)
    tmp = unique_tmp(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError) and (e.filename is None or str(e.filename) == str(tmp)):
            e.filename = str(path)
        raise


def write_checked(path: str | os.PathLike, write: Callable[[BinaryIO], None], fsync: bool = False) -> Path:
    """Write a checked file at ``path``: ``write(f)`` writes the payload to the file object ``f``.

    The payload is streamed (a large pickle is never held twice in memory); the header
    is filled in at the end and the file renamed into place. On any failure (a full
    disk: ``OSError``) the temporary file is removed and the error raised; ``path`` is
    then as it was.
    """
    path = Path(path)
    with replacing(path) as tmp, open(tmp, "wb") as f:
        f.write(b"\0" * HEADER_SIZE)
        w = _HashingWriter(f)
        write(w)
        f.seek(0)
        f.write(MAGIC + w.h.digest() + struct.pack(">Q", w.n))
        f.flush()
        if fsync:
            os.fsync(f.fileno())
    return path


def _verify(f: BinaryIO, path: Path) -> int:
    """Check the open file ``f`` against its header; return the payload's length."""
    head = f.read(HEADER_SIZE)
    if len(head) < HEADER_SIZE:
        raise CorruptEntry(path, f"short file ({len(head)} bytes, no complete header)")
    if head[:len(MAGIC)] != MAGIC:
        raise CorruptEntry(path, "not a checked entry (unknown header: an older format or damaged)")
    digest, (n,) = head[len(MAGIC):len(MAGIC) + 32], struct.unpack(">Q", head[len(MAGIC) + 32:])
    h, seen = hashlib.sha256(), 0
    while True:
        block = f.read(_CHUNK)
        if not block:
            break
        h.update(block)
        seen += len(block)
    if seen != n:
        raise CorruptEntry(path, f"length {seen} bytes, header says {n} (truncated or extended)")
    if h.digest() != digest:
        raise CorruptEntry(path, "checksum mismatch (SHA-256 of the payload differs from the one written)")
    return n


@contextmanager
def open_checked(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """The payload of a checked file as an open binary file, after its checksum is verified.

    Raises :class:`CorruptEntry` before anything of the payload is handed out when the
    file fails the check, and ``FileNotFoundError`` when it does not exist. The check
    reads the open file once and then seeks back, so the bytes verified are the bytes
    read (a rename over ``path`` meanwhile does not change the open file).
    """
    path = Path(path)
    with open(path, "rb") as f:
        _verify(f, path)
        f.seek(HEADER_SIZE)
        yield f


def check_file(path: str | os.PathLike) -> str | None:
    """None when the checked file at ``path`` is intact, else the reason it is not."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            _verify(f, path)
    except CorruptEntry as e:
        return e.reason
    except OSError as e:
        return f"unreadable ({e.strerror or e})"
    return None
