"""The :class:`Corpus` object and :func:`load_corpus`: the one import for corpora.

All loaders return one ``Corpus``: prepared texts keyed by ``doc_id`` plus a
docvars DataFrame (one row per document, ``doc_id, date, year, speaker, ...``)
and ``issues`` (what was skipped or loaded partly). Select a corpus by name or
path with :func:`load_corpus`; the command line's ``--corpus NAME_OR_PATH`` goes
through the same function.

The class lives in :mod:`analysis.loaders.base` and each loader in its own module
of :mod:`analysis.loaders` (a folder with a manifest, the UN General Debate
Corpus, the Security Council debates, tables, the packaged corpora); this module
re-exports them so that ``from analysis.corpus import Corpus, load_corpus`` keeps
working and no loader has to import the module that dispatches to it.
"""

from __future__ import annotations

from analysis.loaders import load_corpus
from analysis.loaders.base import (BUILTIN_CORPORA, CORE_DOCVARS, ISSUE_COLUMNS, Corpus, CorpusError, Issues,
                                   corpus_dir)
from analysis.loaders.builtin import load_nltk, load_sotu
from analysis.loaders.folder import load_manifest_folder
from analysis.loaders.tables import load_table
from analysis.loaders.ungdc import load_general_debate, load_ungdc
from analysis.loaders.unsc import load_unsc, load_unsc_meetings

__all__ = ["Corpus", "CorpusError", "Issues", "ISSUE_COLUMNS", "CORE_DOCVARS", "BUILTIN_CORPORA", "corpus_dir",
           "load_corpus", "load_manifest_folder", "load_sotu", "load_nltk", "load_ungdc", "load_general_debate",
           "load_unsc", "load_unsc_meetings", "load_table"]
