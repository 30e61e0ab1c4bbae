"""A content-addressed cache for pipeline stage results, every entry checked on read.

A result is stored under a key derived by :class:`analysis.run.context.RunContext`
from the function and the content of its arguments (see :mod:`analysis.run.hashing`),
so re-running after a change recomputes only what the change touches, and a stale
result can never be returned for new inputs.

Each entry is a pickle inside a checked file (:mod:`analysis.run.checked`): the
SHA-256 and length of the pickle's bytes are in the entry's header, written with
it and renamed into place in one step. Every read verifies them *before*
unpickling; an entry that fails (a flipped byte, a truncated file, an older
format) or that cannot be unpickled is never served: it is reported with its
file and reason (``Cache.corrupt``, the run's messages and ``run.json``),
removed, and its result recomputed and stored again. ``r2p cache verify`` checks
every entry of a cache folder, ``r2p cache clear`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import pickle
from pathlib import Path
from typing import Any, Callable, Iterator

from analysis.run.checked import CorruptEntry, check_file, open_checked, write_checked

__all__ = ["Cache", "stable_hash", "ENTRY_SUFFIX"]

#: the file name ending of a cache entry (older ``.pkl`` entries are not read)
ENTRY_SUFFIX = ".entry"


def _default(o: Any):
    if hasattr(o, "to_dict"):
        return o.to_dict()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, Path):
        return str(o)
    return repr(o)


def stable_hash(*parts: Any) -> str:
    """SHA-256 of a JSON rendering of ``parts`` (keys sorted)."""
    blob = json.dumps(parts, sort_keys=True, default=_default, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Cache:
    """Checked pickle cache in ``directory``; ``enabled=False`` always recomputes.

    ``warn``, when set, is called with a message for every entry found corrupt
    (the runner sets it to the run's log); the same ``(file, reason)`` pairs are
    kept in :attr:`corrupt`.
    """

    def __init__(self, directory: str | os.PathLike | None, enabled: bool = True, salt: str = "",
                 warn: Callable[[str], None] | None = None):
        self.directory = Path(directory) if directory else None
        self.enabled = enabled and self.directory is not None
        self.salt = salt
        self.warn = warn
        self.hits = 0
        self.misses = 0
        # steps run on threads side by side (analysis.run.graph): the counters are updated under a lock
        self._counting = threading.Lock()
        #: (step, "cached" | "computed") for every lookup, in order
        self.log: list[tuple[str, str]] = []
        #: (file, reason) of every entry found corrupt and recomputed
        self.corrupt: list[tuple[str, str]] = []

    def key(self, name: str, params: Any) -> str:
        return stable_hash(self.salt, name, params)

    def get_or_compute(self, name: str, params: Any, fn: Callable[[], Any]) -> Any:
        """``fn()`` stored under the hash of ``name`` and ``params``."""
        return self.get_or_compute_key(name, self.key(name, params), fn)

    def get_or_compute_key(self, name: str, h: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` stored under the key ``h`` (a hex digest derived by the caller's context).

        ``name`` is only for the log of hits and misses (``self.log``).
        """
        found, value = self.lookup(name, h)
        if found:
            return value
        value = fn()
        self.store(h, value)
        return value

    def _path(self, h: str) -> Path:
        h = stable_hash(self.salt, h)
        return self.directory / h[:2] / f"{h}{ENTRY_SUFFIX}"

    def _reject(self, name: str, path: Path, reason: str) -> None:
        """Report a corrupt entry and remove it (it is recomputed and written again)."""
        self.corrupt.append((str(path), reason))
        if self.warn is not None:
            self.warn(f"cache: {path} ({name}) is corrupt: {reason}; recomputed (never served)")
        try:
            os.unlink(path)
        except OSError:
            pass

    def lookup(self, name: str, h: str) -> tuple[bool, Any]:
        """``(True, value)`` when key ``h`` is cached and intact, else ``(False, None)`` (a miss).

        The entry's checksum is verified before it is unpickled; a corrupt or
        unreadable entry is reported, removed and counted as a miss.
        """
        if self.enabled:
            path = self._path(h)
            try:
                with open_checked(path) as f:
                    value = pickle.load(f)
            except FileNotFoundError:
                pass
            except CorruptEntry as e:
                self._reject(name, path, e.reason)
            except Exception as e:  # noqa: BLE001 - intact bytes that do not unpickle (a changed class)
                self._reject(name, path, f"cannot be unpickled ({type(e).__name__}: {e})")
            else:
                with self._counting:
                    self.hits += 1
                    self.log.append((name, "cached"))
                return True, value
        with self._counting:
            self.misses += 1
            self.log.append((name, "computed"))
        return False, None

    def store(self, h: str, value: Any) -> None:
        """Keep ``value`` under key ``h`` (a checked entry written atomically; nothing when the cache is off)."""
        if not self.enabled:
            return
        path = self._path(h)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_checked(path, lambda f: pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL))

    # ------------------------------------------------------------ maintenance
    def entries(self) -> Iterator[Path]:
        """Every entry file of the cache folder (in a stable order)."""
        if self.directory is None or not self.directory.is_dir():
            return iter(())
        return iter(sorted(self.directory.glob(f"??/*{ENTRY_SUFFIX}")))

    def verify(self, remove: bool = False) -> tuple[int, list[tuple[Path, str]]]:
        """Check every entry's checksum: ``(entries checked, [(file, reason), ...] of the corrupt ones)``.

        With ``remove``, corrupt entries are deleted (the next run recomputes them).
        """
        n, bad = 0, []
        for p in self.entries():
            n += 1
            reason = check_file(p)
            if reason is not None:
                bad.append((p, reason))
                if remove:
                    try:
                        os.unlink(p)
                    except OSError:
                        pass
        return n, bad

    def clear(self) -> tuple[int, int]:
        """Remove every file of the cache folder (entries, older formats, temporary files).

        Returns ``(files removed, bytes freed)``. The folder itself and its lock file stay.
        """
        n = size = 0
        if self.directory is None or not self.directory.is_dir():
            return 0, 0
        for p in sorted(self.directory.rglob("*"), key=lambda q: len(q.parts), reverse=True):
            if p.name == ".r2p.lock" and p.parent == self.directory:
                continue
            try:
                if p.is_dir() and not p.is_symlink():
                    p.rmdir()
                else:
                    size += p.lstat().st_size
                    p.unlink()
                    n += 1
            except OSError:
                pass
        return n, size
