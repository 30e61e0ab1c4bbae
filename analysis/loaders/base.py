"""The :class:`Corpus` object, :class:`CorpusError`, and what every loader shares.

A loader returns one ``Corpus``: prepared texts keyed by ``doc_id`` plus a
docvars DataFrame (one row per document, ``doc_id, date, year, speaker, ...``)
and ``issues``, the files it skipped or loaded partly and why (one row each:
``file, problem, action, severity``). :mod:`analysis.corpus` re-exports all of
it; this module sits below the loaders so that they can build a ``Corpus``
without importing the dispatcher that imports them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from analysis.errors import R2PError
from analysis.resources import corpus_folder

__all__ = ["Corpus", "CorpusError", "Issues", "ISSUE_COLUMNS", "CORE_DOCVARS", "BUILTIN_CORPORA",
           "corpus_dir", "decode_text", "empty_issues", "outside_folder", "REFUSED"]

BUILTIN_CORPORA = ("sg-r2p", "sotu", "inaugural", "state_union", "ungdc")

#: Docvars every corpus has, in this order, before corpus-specific ones.
CORE_DOCVARS = ["doc_id", "date", "year", "speaker"]

#: Columns of :attr:`Corpus.issues`. ``severity`` is ``error`` (the file was skipped:
#: fix or remove it), ``warning`` (loaded, but with less than the file should give)
#: or ``note`` (nothing to fix: a code outside ISO 3166 kept, system files ignored).
ISSUE_COLUMNS = ["file", "problem", "action", "severity"]


class CorpusError(R2PError):
    """A corpus could not be loaded; the message names the file or row and the fix."""


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})


class Issues:
    """Collects the problems a loader met while reading, for :attr:`Corpus.issues`."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, file, problem: str, action: str = "skipped", severity: str = "error") -> None:
        self.rows.append({"file": str(file), "problem": problem, "action": action, "severity": severity})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=ISSUE_COLUMNS) if self.rows else empty_issues()


#: the ``action`` of an issue for a file refused because it lies outside the corpus folder
REFUSED = "refused"


def outside_folder(path: str | os.PathLike, folder: str | os.PathLike) -> str | None:
    """Why ``path`` may not be read as part of the corpus in ``folder``, or None when it may.

    A corpus reads only its own files: ``path`` is resolved (``..``, an absolute
    path, a symbolic link at any step, including links to links) and must lie
    inside ``folder`` resolved the same way. A manifest row ``text_file =
    ../../etc/passwd``, or a speech file that is a link to a system file, would
    otherwise be loaded as a text. Links that stay inside the folder are fine, and so
    is a corpus folder that is itself a link.
    """
    root = os.path.realpath(folder)
    real = os.path.realpath(path)
    if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
        return None
    how = "is a symbolic link to" if os.path.islink(path) else "resolves to"
    return (f"{path} {how} {real}, outside the corpus folder {root}: refused (a corpus reads only its own "
            "files; copy the file into the folder)")


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM allowed); raises :class:`UnicodeDecodeError` otherwise."""
    return data.decode("utf-8-sig")


def non_utf8_problem(data: bytes, exc: UnicodeDecodeError) -> str:
    return (f"not UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); re-save it as UTF-8, "
            "e.g. iconv -f cp1252 -t utf-8")


def corpus_dir() -> Path:
    """The project corpus's folder: ``corpus/`` in a clone, else in the user data folder
    (see :func:`analysis.resources.corpus_folder`; ``R2P_CORPUS_DIR`` overrides it)."""
    env = os.environ.get("R2P_CORPUS_DIR")
    if env:
        return Path(env)
    return corpus_folder("sg-r2p")


@dataclass
class Corpus:
    """Texts plus document variables.

    Attributes
    ----------
    name : str
        The corpus name or path it was loaded from.
    docvars : DataFrame
        One row per document, keyed by a unique ``doc_id``; always has ``date``
        (ISO string or NA), ``year`` (int), ``speaker`` and ``available`` (bool:
        whether the text is present), then any other manifest columns.
    texts : dict
        ``doc_id -> prepared text`` for the available documents only.
    anchor : str or None
        The ``doc_id`` that similarity and keyness compare against by default.
    settings : dict
        How the texts were prepared (recorded in ``run.json``).
    issues : DataFrame
        What the loader skipped or loaded partly, one row per file: ``file``,
        ``problem``, ``action`` and ``severity`` (see :data:`ISSUE_COLUMNS`); empty
        when all went well. ``r2p corpus validate`` lists them. Not part of the
        fingerprint (a skipped file is already absent from the texts).
    """

    name: str
    docvars: pd.DataFrame
    texts: dict[str, str]
    anchor: str | None = None
    settings: dict = field(default_factory=dict)
    issues: pd.DataFrame = field(default_factory=empty_issues)

    def __post_init__(self) -> None:
        if self.issues is None or not len(self.issues):
            self.issues = empty_issues()
        dv = self.docvars.copy()
        if "doc_id" not in dv.columns:
            raise CorpusError(f"corpus {self.name!r}: docvars lack a doc_id column")
        dv["doc_id"] = dv["doc_id"].astype(str)
        dup = dv["doc_id"][dv["doc_id"].duplicated()].tolist()
        if dup:
            raise CorpusError(f"corpus {self.name!r}: duplicate doc_id values {dup[:5]}")
        if "date" not in dv.columns:
            dv["date"] = pd.NA
        if "year" not in dv.columns:
            dv["year"] = pd.to_datetime(dv["date"], errors="coerce").dt.year
        dv["year"] = pd.to_numeric(dv["year"], errors="coerce").astype("Int64")
        if "speaker" not in dv.columns:
            dv["speaker"] = pd.NA
        dv["available"] = dv["doc_id"].map(lambda d: bool(self.texts.get(d)))
        order = CORE_DOCVARS + [c for c in dv.columns if c not in CORE_DOCVARS]
        dv = dv[order]
        dv = dv.assign(_d=dv["date"].fillna("").astype(str)).sort_values(
            ["year", "_d", "doc_id"], kind="stable", na_position="last"
        )
        self.docvars = dv.drop(columns="_d").reset_index(drop=True)
        if self.anchor is not None and self.anchor not in set(self.docvars["doc_id"]):
            raise CorpusError(f"corpus {self.name!r}: anchor {self.anchor!r} is not a doc_id")

    # ---------------------------------------------------------------- access
    @property
    def doc_ids(self) -> list[str]:
        """Document ids in corpus order (year, date, doc_id)."""
        return self.docvars["doc_id"].tolist()

    def __len__(self) -> int:
        return len(self.docvars)

    def __repr__(self) -> str:
        n_av = int(self.docvars["available"].sum())
        return f"Corpus({self.name!r}, {len(self)} documents, {n_av} with text, anchor={self.anchor!r})"

    def text(self, doc_id: str) -> str:
        return self.texts[doc_id]

    def available(self) -> "Corpus":
        """The documents whose text is present."""
        return self.subset(self.docvars["available"].to_numpy())

    def missing(self) -> pd.DataFrame:
        """Docvars of the documents without text (with their URLs where known)."""
        return self.docvars[~self.docvars["available"]].reset_index(drop=True)

    def subset(self, which: Iterable[str] | np.ndarray | pd.Series) -> "Corpus":
        """A corpus of the documents selected by ids or by a boolean mask over docvars."""
        if isinstance(which, (np.ndarray, pd.Series)) and np.asarray(which).dtype == bool:
            ids = self.docvars.loc[np.asarray(which), "doc_id"].tolist()
        else:
            ids = list(which)
            unknown = set(ids) - set(self.doc_ids)
            if unknown:
                raise KeyError(f"unknown doc_id(s): {sorted(unknown)[:5]}")
        keep = set(ids)
        dv = self.docvars[self.docvars["doc_id"].isin(keep)]
        anchor = self.anchor if self.anchor in keep else None
        return Corpus(
            self.name,
            dv,
            {k: v for k, v in self.texts.items() if k in keep},
            anchor,
            dict(self.settings),
            self.issues,
        )

    def fingerprint(self) -> str:
        """SHA-256 over the available texts and the docvars: the corpus hash of a run."""
        h = hashlib.sha256()
        for doc_id in sorted(self.texts):
            h.update(doc_id.encode())
            h.update(b"\0")
            h.update(self.texts[doc_id].encode())
            h.update(b"\0")
        h.update(self.docvars.to_csv(index=False).encode())
        return h.hexdigest()

    def summary(self) -> dict:
        """Counts for ``r2p corpus info``."""
        dv = self.docvars
        av = dv[dv["available"]]
        years = av["year"].dropna()
        return {
            "name": self.name,
            "documents": int(len(dv)),
            "available": int(len(av)),
            "missing": int((~dv["available"]).sum()),
            "first_year": int(years.min()) if len(years) else None,
            "last_year": int(years.max()) if len(years) else None,
            "speakers": int(dv["speaker"].nunique()),
            "anchor": self.anchor,
            **self._group_counts(),
            "skipped_files": int((self.issues["action"] == "skipped").sum()) if len(self.issues) else 0,
            "issues": {s: int(n) for s, n in self.issues["severity"].value_counts().items()}
            if len(self.issues) else {},
        }

    def _group_counts(self) -> dict:
        """Counts of countries and of documents per UN regional group, where the docvars have them."""
        dv = self.docvars
        out: dict = {}
        if "country" in dv.columns:
            out["countries"] = int(dv["country_code"].nunique() if "country_code" in dv.columns
                                   else dv["country"].nunique())
        if "un_region" in dv.columns:
            counts = dv["un_region"].fillna("(none)").value_counts()
            out["regions"] = {str(k): int(v) for k, v in counts.sort_index().items()}
        return out


