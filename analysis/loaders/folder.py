"""Folder loaders: a folder with ``manifest.csv`` (the project corpus's layout).

Loaders degrade, never refuse wholesale: a text that is missing, empty or not
UTF-8 is recorded in :attr:`Corpus.issues` (file, problem, action) and the
document kept as unavailable; the rest loads. ``strict=True`` raises instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.loaders.base import REFUSED, Corpus, CorpusError, Issues, decode_text, non_utf8_problem, outside_folder
from analysis.text import prepare

__all__ = ["load_manifest_folder", "read_text_file"]


def read_text_file(path: Path, what: str, issues: Issues | None = None) -> str | None:
    """The UTF-8 text of ``path``; with ``issues``, a problem is recorded there and ``None``
    returned, without it a :class:`CorpusError` naming ``what`` and the file is raised."""
    try:
        data = path.read_bytes()
    except OSError as e:
        problem = f"cannot be read ({e.strerror})"
        if issues is None:
            raise CorpusError(f"{what}: cannot read {path}: {e.strerror}") from None
        issues.add(path, problem)
        return None
    try:
        return decode_text(data)
    except UnicodeDecodeError as e:
        if issues is None:
            raise CorpusError(f"{what}: {path} is {non_utf8_problem(data, e)}") from None
        issues.add(path, f"{what}: {non_utf8_problem(data, e)}")
        return None


def load_manifest_folder(
    folder: str | os.PathLike, name: str | None = None, un_header: bool = True, strict: bool = False
) -> Corpus:
    """A folder with ``manifest.csv``: ``doc_id``, ``date`` or ``year``, and ``text_file``
    (relative to the folder) or ``text``. Every other column becomes a docvar.

    Rows whose text file is absent are kept as unavailable documents (listed by
    :meth:`Corpus.missing` with their URLs), never dropped. A text file that is
    empty or not UTF-8 is recorded in :attr:`Corpus.issues` and its document kept
    as unavailable. With ``strict`` a missing, empty or unreadable text raises
    instead. An ``anchor`` column marks the anchor document. A ``text_file`` that
    resolves outside the folder (``..``, an absolute path, a symbolic link out of
    it) is never read: it is recorded as an error naming the row and the path
    (:func:`analysis.loaders.base.outside_folder`), and raises with ``strict``.
    """
    from analysis.manifest import read_manifest

    folder = Path(folder)
    mf = read_manifest(folder / "manifest.csv")
    texts: dict[str, str] = {}
    issues = Issues()
    if "text" in mf.columns:
        for doc_id, t in zip(mf["doc_id"], mf["text"]):
            if isinstance(t, str) and t.strip():
                texts[doc_id] = prepare(t, un_header)
        mf = mf.drop(columns="text")
    if "text_file" in mf.columns:
        for i, (doc_id, tf) in enumerate(zip(mf["doc_id"], mf["text_file"])):
            if doc_id in texts or not isinstance(tf, str) or not tf.strip():
                continue
            p = folder / tf
            what = f"{folder / 'manifest.csv'} row {i + 2} ({doc_id})"
            outside = outside_folder(p, folder)
            if outside:  # ../../etc/passwd, an absolute path, a link out of the folder
                if strict:
                    raise CorpusError(f"{what}: text_file {tf!r}: {outside}")
                issues.add(p, f"{what}: text_file {tf!r}: {outside}", REFUSED, "error")
                continue
            if not p.exists():
                if strict:
                    raise CorpusError(f"{what}: text file {p} does not exist")
                continue  # not fetched yet: Corpus.missing() lists it
            raw = read_text_file(p, what, None if strict else issues)
            if raw is None:
                continue
            if not raw.strip():
                if strict:
                    raise CorpusError(f"{what}: text file {p} is empty")
                issues.add(p, f"{what}: the text file is empty", "document kept without text")
                continue
            texts[doc_id] = prepare(raw, un_header)
    anchor = None
    if "anchor" in mf.columns:
        flags = mf["anchor"].astype(str).str.lower().isin(["true", "1", "yes"])
        if flags.sum() > 1:
            raise CorpusError(f"{folder / 'manifest.csv'}: more than one row has anchor=true")
        if flags.any():
            anchor = mf.loc[flags, "doc_id"].iloc[0]
    return Corpus(
        name or str(folder),
        mf,
        texts,
        anchor,
        {"loader": "manifest", "folder": str(folder), "un_header": un_header},
        issues.frame(),
    )
