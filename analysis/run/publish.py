"""A run commits, or leaves the previous run intact: locks, a staging folder and a journalled commit.

What a run publishes in ``OUT`` (``tables/``, ``figures/``, ``report/`` and
``run.json``) must always be the output of one completed run, because users point
notebooks and papers at ``OUT/tables/*.csv``. The discipline (after R's
``targets``, whose data store is only updated by a pipeline that holds it):

1. **One writer.** :class:`DirLock` takes an exclusive lock on ``OUT/.r2p.lock``
   (and one on the cache folder) for the whole run. A second run into the same
   ``OUT`` or with the same cache fails at once with :class:`Busy`, naming the
   process that holds it (pid, host, command, start time). The lock is the
   operating system's (``flock``), so a killed run holds nothing: there are no
   stale locks to remove by hand.
2. **A private staging folder.** A run writes into ``OUT/.r2p-staging-PID-TOKEN/``,
   which starts as a snapshot of the published folders (hard links, so nothing is
   copied; every writer replaces a file by renaming a new one over it, so a link is
   never written through). Nothing in ``OUT/tables`` or ``OUT/figures`` changes while
   the stages run.
3. **A journalled commit.** When every stage has run and ``run.json`` is written
   (into the staging folder), the list of files of the new state is written to
   ``COMMIT.json`` in the staging folder and synced; then each file is renamed into
   place, files of the old state that the new one lacks are removed, ``run.json``
   goes last, and the staging folder is deleted. The renames take milliseconds.
4. **Recovery.** Every run first (under the lock) looks for staging folders left by
   a killed run: one with a ``COMMIT.json`` is a commit that was interrupted and is
   completed (it is idempotent); one without is an unfinished run and is deleted,
   with any temporary file an older version left. ``OUT`` is thus always the last
   completed run, and a rerun continues from the cache, which holds every step
   finished before the interruption.

A failure to write (a full disk, a read-only folder) is a :class:`RunWriteError`
naming the file and the cause; the staging folder and every temporary file are
removed, and ``OUT`` stays as the last completed run left it.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import socket
import sys
import time
from pathlib import Path
from typing import Any

from analysis.errors import R2PError, UsageError

__all__ = ["Busy", "RunWriteError", "DirLock", "Staging", "recover", "is_write_failure", "logged_write_failure",
           "describe_write_failure", "LOCK_NAME",
           "STAGING_PREFIX", "PUBLISHED", "JOURNAL"]

LOCK_NAME = ".r2p.lock"
STAGING_PREFIX = ".r2p-staging-"
#: the folders of OUT a run publishes (besides run.json)
PUBLISHED = ("tables", "figures", "report")
JOURNAL = "COMMIT.json"
#: errno values that mean "this folder cannot be written" (not a bug of a stage)
WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC),
                getattr(errno, "EFBIG", errno.ENOSPC)}


class Busy(UsageError):
    """Another process is writing this output folder (or using this cache): exit 2, naming it."""


class RunWriteError(R2PError, RuntimeError):
    """The run's output (or cache) cannot be written: a full disk, a read-only folder.

    Nothing was published; ``OUT`` is as the last completed run left it.
    """


def is_write_failure(e: BaseException) -> bool:
    """Whether ``e`` is a failure to write a file (full disk, read-only, quota), as opposed to a bug."""
    if isinstance(e, OSError):
        if e.errno in WRITE_ERRNOS:
            return True
        text = str(e).lower()
        return "no space left" in text or "read-only file system" in text or "disk quota" in text
    return False


#: how a write failure reads in a message that a stage logged instead of raising (a figure that failed)
WRITE_FAILURE_TEXTS = ("No space left on device", "Read-only file system", "Disk quota exceeded",
                       "[Errno 28]", "[Errno 30]", "[Errno 122]")


def logged_write_failure(messages) -> str | None:
    """The first of ``messages`` that reports a write failure a stage caught (the run must not commit)."""
    for m in messages:
        if any(t in str(m) for t in WRITE_FAILURE_TEXTS):
            return str(m)
    return None


def published_name(path: str | os.PathLike | None, out: Path) -> str | None:
    """``path`` inside a staging folder of ``out`` as the published file it stands for."""
    if path is None:
        return None
    p = Path(path)
    try:
        rel = p.relative_to(out)
    except ValueError:
        return str(p)
    if rel.parts and rel.parts[0].startswith(STAGING_PREFIX):
        return str(out.joinpath(*rel.parts[1:]))
    return str(p)


def describe_write_failure(e: BaseException, out: Path) -> str:
    """The message of a :class:`RunWriteError` for ``e``."""
    where = published_name(getattr(e, "filename", None), Path(out))
    cause = getattr(e, "strerror", None) or str(e)
    return (f"cannot write {where or out}: {cause}. Nothing was published: {out} is as the last completed run "
            "left it and no temporary file remains; free space or choose another --out, then run again "
            "(the steps already done are in the cache).")


# ------------------------------------------------------------------ locks
def _lock_fd(fd: int) -> bool:
    """Take an exclusive non-blocking lock on the open file ``fd``; False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise


class DirLock:
    """An exclusive lock on ``directory`` held by this process (``OUT`` or a cache folder).

    ``what`` names the folder in the error (``"output folder"``, ``"cache"``). The lock
    file records the holder (pid, host, command, start time) for the error another
    process gets; the lock itself is the operating system's, released when the
    process ends however it ends.
    """

    def __init__(self, directory: str | os.PathLike, what: str = "output folder"):
        self.directory = Path(directory)
        self.what = what
        self.path = self.directory / LOCK_NAME
        self.fd: int | None = None

    def holder(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def acquire(self) -> "DirLock":
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:
            raise RunWriteError(f"cannot use {self.directory} as the {self.what}: "
                                f"{e.strerror or e} ({e.filename or self.directory})") from e
        if not _lock_fd(fd):
            os.close(fd)
            h = self.holder()
            who = (f"process {h.get('pid')} on {h.get('host')}, started {h.get('started')}: {h.get('command')}"
                   if h else "another process")
            raise Busy(f"{self.directory} is in use by another r2p run ({who}). One run at a time writes an "
                       f"{self.what}: wait for it to finish, or use another --out / --cache-dir.")
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": " ".join(sys.argv)[:500]}
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(info).encode())
        except OSError:  # a full disk: the lock holds, only the holder's description is missing
            pass
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            os.close(self.fd)  # releases the flock
            self.fd = None

    def __enter__(self) -> "DirLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


# ------------------------------------------------------------------ staging and commit
def _files(root: Path, subs=PUBLISHED) -> list[str]:
    """Relative paths (POSIX) of the files under ``root/sub`` for each published folder."""
    out = []
    for sub in subs:
        d = root / sub
        if d.is_dir():
            out += [p.relative_to(root).as_posix() for p in d.rglob("*")
                    if (p.is_file() or p.is_symlink()) and not p.name.endswith(".tmp")]
    return sorted(out)


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _apply(staging: Path, out: Path, files: list[str]) -> None:
    """Make OUT's published folders hold exactly ``files`` (from ``staging``), run.json last. Idempotent."""
    keep = set(files)
    for rel in files:
        if rel == "run.json":
            continue
        src = staging / rel
        if src.exists() or src.is_symlink():
            dst = out / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    for rel in _files(out):
        if rel not in keep:
            try:
                (out / rel).unlink()
            except FileNotFoundError:
                pass
    if (staging / "run.json").exists():
        os.replace(staging / "run.json", out / "run.json")


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def recover(out: str | os.PathLike) -> list[str]:
    """Finish or discard what a killed run left in ``out`` (call it holding ``out``'s lock).

    Returns a message for each thing done (for the run's log).
    """
    out = Path(out)
    done = []
    if not out.is_dir():
        return done
    for d in sorted(out.glob(f"{STAGING_PREFIX}*")):
        if not d.is_dir():
            continue
        journal = d / JOURNAL
        files = None
        if journal.exists():
            try:
                files = json.loads(journal.read_text(encoding="utf-8"))["files"]
            except (OSError, ValueError, KeyError, TypeError):
                files = None
        if files is not None:
            _apply(d, out, list(files))
            done.append(f"completed the commit of an interrupted run ({d.name})")
        else:
            done.append(f"removed the unfinished output of an interrupted run ({d.name}); {out} is the last "
                        "completed run")
        _remove_tree(d)
    # temporary files of an older version's writers (run.json.tmp, tables/x.csv.tmp, figures/.x.svg.*.tmp)
    stray = [p for sub in ("", *PUBLISHED) if (out / sub).is_dir()
             for p in ((out / sub).glob("*.tmp") if sub == "" else (out / sub).rglob("*.tmp")) if p.is_file()]
    for p in stray:
        try:
            p.unlink()
        except OSError:
            pass
    if stray:
        done.append(f"removed {len(stray)} temporary file(s) an interrupted run left in {out}")
    return done


class Staging:
    """The private folder a run writes into; :meth:`commit` publishes it, :meth:`abort` discards it."""

    def __init__(self, out: str | os.PathLike):
        self.out = Path(out)
        self.path = self.out / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        self.path.mkdir(parents=True)
        try:
            for rel in _files(self.out):  # the published state, as hard links
                _link_or_copy(self.out / rel, self.path / rel)
            for sub in PUBLISHED[:2]:
                (self.path / sub).mkdir(exist_ok=True)
        except BaseException:
            self.abort()
            raise

    def commit(self) -> None:
        """Publish the staging folder in ``OUT`` (journalled: a kill here is completed by the next run)."""
        files = _files(self.path)
        if (self.path / "run.json").exists():
            files.append("run.json")
        tmp = self.path / f".{JOURNAL}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"files": files}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / JOURNAL)
        _apply(self.path, self.out, files)
        _remove_tree(self.path)

    def abort(self) -> None:
        """Discard the staging folder (OUT is untouched)."""
        _remove_tree(self.path)
