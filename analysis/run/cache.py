"""A content-addressed cache for pipeline stage results.

A result is stored under a key derived by :class:`analysis.run.context.RunContext`
from the function and the content of its arguments (see :mod:`analysis.run.hashing`),
so re-running after a change recomputes only what the change touches, and a stale
result can never be returned for new inputs. Entries are pickles written atomically; a corrupt entry is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable

__all__ = ["Cache", "stable_hash"]


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
    """Pickle cache in ``directory``; ``enabled=False`` always recomputes."""

    def __init__(self, directory: str | os.PathLike | None, enabled: bool = True, salt: str = ""):
        self.directory = Path(directory) if directory else None
        self.enabled = enabled and self.directory is not None
        self.salt = salt
        self.hits = 0
        self.misses = 0
        #: (step, "cached" | "computed") for every lookup, in order
        self.log: list[tuple[str, str]] = []

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
        return self.directory / h[:2] / f"{h}.pkl"

    def lookup(self, name: str, h: str) -> tuple[bool, Any]:
        """``(True, value)`` when key ``h`` is cached, else ``(False, None)`` (counted as a miss)."""
        if self.enabled:
            path = self._path(h)
            if path.exists():
                try:
                    with open(path, "rb") as f:
                        value = pickle.load(f)
                    self.hits += 1
                    self.log.append((name, "cached"))
                    return True, value
                except Exception:  # corrupt or incompatible entry: recompute
                    pass
        self.misses += 1
        self.log.append((name, "computed"))
        return False, None

    def store(self, h: str, value: Any) -> None:
        """Keep ``value`` under key ``h`` (written atomically; nothing when the cache is off)."""
        if not self.enabled:
            return
        path = self._path(h)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
