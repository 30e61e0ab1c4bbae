"""The loaded corpus of a folder or file, cached by the bytes of its files.

Reading a large published corpus (3,857 UNGDC speeches, 48 M characters) is quick;
parsing, normalising and stripping transcript annotations is not (about 9 s of a
25 s warm run). When ``--corpus`` names a folder or a file, the corpus as loaded
(after :func:`analysis.annotations.corpus_strip_annotations`) is stored in the run's
cache under a key derived from the package version, the annotation patterns, the
resolved path and the SHA-256 of every file under it (names and bytes), so any
change to any file, or to the package, is a cold load again.

The entry is a checked cache entry like any other (:mod:`analysis.run.checked`): a
damaged one is reported with its file and loaded again, never unpickled.

Only loaders that read nothing outside that path are cached (:data:`SELF_CONTAINED`;
not a manifest folder, whose texts may be fetched elsewhere, nor a built-in corpus);
the others load every time, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis._version import __version__

__all__ = ["SELF_CONTAINED", "corpus_key", "load_with_cache"]

#: loaders whose corpus is a function of the files under the path they were given
SELF_CONTAINED = ("ungdc", "unsc", "unsc_meetings", "table")


def corpus_key(spec: Any, annotations) -> str | None:
    """The cache key of ``--corpus spec`` (a folder or a file), or None when it is not a path."""
    if not isinstance(spec, (str, Path)):
        return None
    path = Path(spec).expanduser()
    if not path.exists():
        return None
    root = path.resolve()
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    h = hashlib.sha256()
    for part in (__version__, "corpus", str(root), repr(tuple(annotations))):
        h.update(part.encode() + b"\0")
    for f in files:
        h.update(str(f.relative_to(root) if f != root else f.name).encode() + b"\0")
        with open(f, "rb") as fh:
            h.update(hashlib.file_digest(fh, "sha256").digest())
    return h.hexdigest()


def _inside(settings: dict, root: Path) -> bool:
    """Whether every path named in the loader's settings lies under ``root``."""
    for value in settings.values():
        if isinstance(value, str) and ("/" in value or "\\" in value):
            p = Path(value).expanduser()
            if p.is_absolute() and p.exists() and not p.resolve().is_relative_to(root):
                return False
    return True


def load_with_cache(spec: Any, load: Callable[[], tuple[Any, Any]], cache, annotations) -> tuple[Any, Any, bool]:
    """``load()`` (the corpus and its removed annotations), through ``cache`` when ``spec`` is a path.

    Returns ``(corpus, annotations table, from_cache)``.
    """
    key = corpus_key(spec, annotations) if getattr(cache, "enabled", False) else None
    if key is None:
        return (*load(), False)
    found, value = cache.lookup("run/corpus", key)
    if found:
        return (*value, True)
    full, removed = load()
    root = Path(spec).expanduser().resolve()
    if full.settings.get("loader") in SELF_CONTAINED and _inside(full.settings, root):
        cache.store(key, (full, removed))
    return full, removed, False
