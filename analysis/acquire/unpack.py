"""Safe unpacking of a downloaded archive (``.zip``, ``.tar``, ``.tgz``/``.tar.gz``, ``.tar.bz2``, ``.tar.xz``).

:func:`safe_unpack` never lets an archive write outside its target folder and
never overwrites a file that is already there with different bytes:

1. every member name is checked first: absolute paths, drive letters, ``..``
   components, NUL bytes and empty names are refused, for the whole archive
   (an archive that tries to escape is not trusted for any of its members);
   symbolic and hard links, devices and FIFOs are skipped and counted (a
   speech corpus has no use for them, and a link is the classic way out of a
   folder);
2. the regular files are written, by this module (never by ``tarfile`` or
   ``zipfile``'s own extraction), into a staging folder inside the target
   (``.unpack-<archive>.tmp``), with a cap on the total size;
3. each staged file is compared with the file at its destination: absent (it
   will be moved in), identical (left as it is) or different (a conflict); one
   conflict and nothing is moved: the error names the files and what to do;
4. the staged files are moved into place one by one with :func:`os.replace`
   (atomic on one file system), and the staging folder is removed, also on
   failure. An interrupted move is completed by running it again: the files
   already moved are identical and left alone.

References
----------
Python Software Foundation (2023). ``tarfile`` -- extraction filters (PEP 706,
Viktorin, P.), on path traversal and links in archives.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from analysis.errors import R2PError

__all__ = ["ARCHIVE_SUFFIXES", "UnpackError", "UnpackResult", "is_archive", "safe_unpack"]

#: File name endings recognised as archives, longest first.
ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar", ".zip")
#: Default cap on the bytes an archive may unpack to (a guard against archive bombs).
MAX_UNPACKED_BYTES = 50 * 1024**3


class UnpackError(R2PError):
    """An archive could not be unpacked; ``str(err)`` names the archive, the member or file, and what to do."""


@dataclass
class UnpackResult:
    """What :func:`safe_unpack` did."""

    archive: Path
    folder: Path
    written: int = 0  # files moved into place
    same: int = 0  # files already there with identical bytes
    skipped: list[str] = field(default_factory=list)  # links, devices: "name (why)"
    n_bytes: int = 0  # bytes of all regular members
    top_level: list[str] = field(default_factory=list)  # first path components of the members

    @property
    def files(self) -> int:
        return self.written + self.same


def is_archive(name: str) -> bool:
    """Whether ``name`` ends with one of :data:`ARCHIVE_SUFFIXES` (case-insensitive)."""
    low = name.lower()
    return any(low.endswith(s) for s in ARCHIVE_SUFFIXES)


def _member_path(archive: Path, name: str) -> PurePosixPath | None:
    """The safe relative path of a member, ``None`` for a directory entry; raise for an unsafe name."""
    raw = name.replace("\\", "/")
    if "\x00" in raw:
        raise UnpackError(f"{archive.name}: member {name!r} has a NUL byte in its name; the archive is damaged "
                          "or hostile, nothing was unpacked; download it again")
    is_dir = raw.endswith("/")
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if raw.startswith("/") or (parts and len(parts[0]) >= 2 and parts[0][1] == ":") or ".." in parts:
        raise UnpackError(f"{archive.name}: member {name!r} would be written outside the target folder "
                          "(absolute path, drive letter or '..'); nothing was unpacked. The archive is not "
                          "the published one or is damaged: delete it and fetch again")
    if not parts:
        if is_dir:
            return None
        raise UnpackError(f"{archive.name}: a member has an empty name ({name!r}); nothing was unpacked")
    return None if is_dir else PurePosixPath(*parts)


def _iter_members(archive: Path):
    """Yield ``(path, kind, size, opener)`` for each member; kind is 'file', 'dir' or 'skip:<why>'."""
    low = archive.name.lower()
    if low.endswith(".zip"):
        try:
            zf = zipfile.ZipFile(archive)
        except zipfile.BadZipFile as exc:
            raise UnpackError(f"{archive}: not a readable zip archive ({exc}); delete it and fetch again") from None
        with zf:
            for info in zf.infolist():
                mode = (info.external_attr >> 16) & 0xFFFF
                path = _member_path(archive, info.filename)
                if path is None or info.is_dir():
                    yield path, "dir", 0, None
                elif stat.S_ISLNK(mode):
                    yield path, "skip:symbolic link", 0, None
                else:
                    yield path, "file", info.file_size, (lambda i=info: zf.open(i))
        return
    try:
        tf = tarfile.open(archive, mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnpackError(f"{archive}: not a readable tar archive ({exc}); delete it and fetch again") from None
    with tf:
        try:
            for m in tf:
                path = _member_path(archive, m.name + ("/" if m.isdir() else ""))
                if m.isdir() or path is None:
                    yield path, "dir", 0, None
                elif m.issym() or m.islnk():
                    yield path, f"skip:{'symbolic' if m.issym() else 'hard'} link to {m.linkname!r}", 0, None
                elif not m.isfile():
                    yield path, "skip:device or FIFO", 0, None
                else:
                    yield path, "file", m.size, (lambda mm=m: tf.extractfile(mm))
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise UnpackError(f"{archive}: the tar archive is truncated or damaged ({exc}); nothing was unpacked; "
                              "delete it and fetch again") from None


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _same_file(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and _sha256_file(a) == _sha256_file(b)


def safe_unpack(archive: str | os.PathLike, folder: str | os.PathLike,
                max_bytes: int = MAX_UNPACKED_BYTES) -> UnpackResult:
    """Unpack ``archive`` into ``folder`` without escaping it and without overwriting a different file.

    Parameters
    ----------
    archive : path
        A ``.zip`` or tar archive (compressed or not; see :data:`ARCHIVE_SUFFIXES`).
    folder : path
        The target folder (created if absent). Members keep their paths inside it.
    max_bytes : int
        Refuse an archive whose regular members add up to more than this.

    Returns
    -------
    UnpackResult

    Raises
    ------
    UnpackError
        For an unreadable archive, a member that would escape ``folder``, an
        archive over ``max_bytes``, or existing files that differ from the
        archive's (all listed; nothing is moved then).
    """
    archive, folder = Path(archive), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stage = folder / f".unpack-{archive.name}.tmp"
    if stage.exists():  # left by an interrupted run: it is ours
        shutil.rmtree(stage)
    result = UnpackResult(archive, folder)
    staged: list[PurePosixPath] = []
    try:
        seen: set[PurePosixPath] = set()
        top: list[str] = []
        for path, kind, size, opener in _iter_members(archive):
            if path is not None and path.parts[0] not in top:
                top.append(path.parts[0])
            if kind == "dir":
                continue
            if kind.startswith("skip:"):
                result.skipped.append(f"{path} ({kind[5:]})")
                continue
            result.n_bytes += size
            if result.n_bytes > max_bytes:
                raise UnpackError(f"{archive.name}: unpacks to more than {max_bytes:,} bytes; refused (an "
                                  "archive bomb, or raise max_bytes if you trust it)")
            if path in seen:  # a later member of the same name wins, as tar does
                staged.remove(path)
            seen.add(path)
            dest = stage / path
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                with opener() as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
            except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
                raise UnpackError(f"{archive}: member {path} cannot be read, the archive is truncated or damaged "
                                  f"({exc}); nothing was unpacked; delete it and fetch again") from None
            except OSError as exc:  # a member both file and folder, a full disk, a name the system refuses
                raise UnpackError(f"{archive.name}: member {path} cannot be written under {folder} "
                                  f"({exc.strerror or exc}); nothing was unpacked") from None
            staged.append(path)
        result.top_level = top
        conflicts, moves = [], []
        for path in staged:
            target = folder / path
            blocker = next((p for p in [*reversed(target.parents)] if p != folder and folder in p.parents
                            and p.exists() and not p.is_dir()), None)
            if blocker is not None:
                conflicts.append(f"{blocker.relative_to(folder)} (a file where the archive has a folder)")
            elif target.is_dir():
                conflicts.append(f"{path} (a folder where the archive has a file)")
            elif target.exists():
                if _same_file(stage / path, target):
                    result.same += 1
                else:
                    conflicts.append(f"{path} (exists with different content)")
            else:
                moves.append(path)
        if conflicts:
            shown = "; ".join(conflicts[:10]) + (f"; and {len(conflicts) - 10} more" if len(conflicts) > 10 else "")
            raise UnpackError(
                f"{archive.name}: refusing to overwrite {len(conflicts)} existing file(s) in {folder}: {shown}. "
                "Nothing was unpacked. Move those files away (or delete them if they are not yours to keep) "
                "and run the fetch again, or fetch into another folder with --data-dir")
        for path in moves:
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / path, target)
            result.written += 1
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return result
