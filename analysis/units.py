"""The units frame: a corpus reshaped into analysis units, built and validated in one place.

Units are what quanteda's ``corpus_reshape`` makes of a corpus: one row per
paragraph (or document, or window of words) with ``unit_id, doc_id, position,
n_tokens, text`` and the document variables (date, year, speaker, ...) copied
onto every row, so they travel with every result. They are built by
:func:`make_units` (or :func:`as_units`, which also accepts a corpus) on the
string-level unit rule of :mod:`analysis.layout` and :mod:`analysis.text`, and
checked by :func:`validate_units`, which every text statistic (KWIC,
collocations, style, dictionary counts, frames) calls on its input instead of
checking columns itself. :func:`units_report` and :func:`corpus_layout` profile
them for ``r2p corpus info``.

This is the module that turns a corpus into units: it imports :mod:`analysis.text`
and :mod:`analysis.layout` (strings in, strings out), never the reverse.

References
----------
Benoit, K. et al. (2018). quanteda: An R package for the quantitative analysis
of textual data. *Journal of Open Source Software*, 3(30), 774 (``corpus_reshape``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from analysis.errors import UsageError, require_columns
from analysis.layout import (
    LAYOUT_ARTEFACTS,
    LAYOUT_COUNTS,
    SENTENCE_FINAL,
    ends_mid_sentence,
    layout,
    paragraphs,
)
from analysis.text import TextSettings
from analysis.tokens import count_words

if TYPE_CHECKING:  # pragma: no cover
    from analysis.corpus import Corpus

__all__ = ["UNIT_COLUMNS", "UNITS_HINT", "SENTENCE_FINAL", "as_units", "corpus_layout", "ends_mid_sentence",
           "make_units", "units_profile", "units_report", "validate_units"]

#: The columns every units frame has, in this order (docvars follow).
UNIT_COLUMNS = ["unit_id", "doc_id", "position", "n_tokens", "text"]
UNITS_HINT = "build units with analysis.units.make_units(corpus, kind='paragraph')"


def units_profile(units: pd.DataFrame) -> dict:
    """Counts that show whether units are real paragraphs: number, length, share cut mid-sentence.

    Returns
    -------
    dict
        ``units`` (number of units), ``words_median``, ``words_p90``, ``words_max``
        (``n_tokens``: running words, :func:`analysis.tokens.count_words`; p90 is the
        90th percentile, linear interpolation as numpy's default), ``mid_sentence``
        (units whose text ends mid-sentence, :func:`ends_mid_sentence`) and
        ``mid_sentence_share`` (that number over ``units``; NaN without units).
    """
    units = validate_units(units, what="units_profile: units")
    n = int(len(units))
    words = units["n_tokens"].to_numpy()
    mid = int(sum(ends_mid_sentence(str(t)) for t in units["text"].fillna("")))
    if n == 0:
        return {"units": 0, "words_median": float("nan"), "words_p90": float("nan"),
                "words_max": 0, "mid_sentence": 0, "mid_sentence_share": float("nan")}
    import numpy as np

    return {"units": n, "words_median": float(np.median(words)),
            "words_p90": float(np.percentile(words, 90)), "words_max": int(words.max()),
            "mid_sentence": mid, "mid_sentence_share": mid / n}


def _examples(values) -> str:
    vals = list(dict.fromkeys(map(str, values)))
    return ", ".join(map(repr, vals[:3])) + (f" and {len(vals) - 3} more" if len(vals) > 3 else "")


def _integer(df: pd.DataFrame, col: str, what: str) -> pd.Series:
    s = df[col]
    if not pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        raise UsageError(f"{what}: column {col!r} must hold integers, not {s.dtype} "
                         f"(for example {_examples(s.head(3))}); {UNITS_HINT}")
    if s.isna().any():
        rows = df.index[s.isna()]
        raise UsageError(f"{what}: column {col!r} is empty in {len(rows)} row(s), "
                         f"e.g. unit {_examples(df.loc[rows, 'unit_id'])}")
    return s


def validate_units(units: pd.DataFrame, doc_ids: Iterable[str] | None = None,
                   what: str = "units", text: bool = True) -> pd.DataFrame:
    """Check a units frame and return it unchanged.

    Parameters
    ----------
    units : DataFrame
        One row per unit.
    doc_ids : iterable of str, optional
        The documents the units may come from (for example ``corpus.doc_ids``);
        a unit of any other document is an error.
    what : str
        How to name the frame in messages (for example ``"stat_kwic: units"``).
    text : bool
        Whether the ``text`` column is required.

    Raises
    ------
    MissingColumnsError
        When a column of :data:`UNIT_COLUMNS` is missing.
    UsageError
        When ``unit_id`` is empty or repeated, ``doc_id`` empty or unknown,
        ``position`` not an integer or ``n_tokens`` not an integer >= 0.
    """
    if not isinstance(units, pd.DataFrame):
        raise UsageError(f"{what} must be a DataFrame of units, not {type(units).__name__}; "
                         f"{UNITS_HINT}")
    require_columns(units, UNIT_COLUMNS if text else UNIT_COLUMNS[:4], what=what, hint=UNITS_HINT)
    uid = units["unit_id"]
    if uid.isna().any():
        raise UsageError(f"{what}: {int(uid.isna().sum())} unit(s) have no unit_id")
    dup = uid[uid.duplicated()]
    if len(dup):
        raise UsageError(f"{what}: unit_id must be unique; repeated: {_examples(dup)}")
    doc = units["doc_id"]
    if doc.isna().any():
        raise UsageError(f"{what}: unit(s) {_examples(uid[doc.isna()])} have no doc_id")
    if doc_ids is not None:
        known = set(map(str, doc_ids))
        bad = ~doc.astype(str).isin(known)
        if bad.any():
            raise UsageError(f"{what}: doc_id {_examples(doc[bad])} not in the corpus "
                             f"(units of unit_id {_examples(uid[bad])}); rebuild the units "
                             "from this corpus")
    _integer(units, "position", what)
    n = _integer(units, "n_tokens", what)
    if (n < 0).any():
        raise UsageError(f"{what}: n_tokens must be >= 0; negative for unit(s) "
                         f"{_examples(uid[n < 0])}")
    return units


def make_units(
    corpus: Corpus,
    kind: str = "paragraph",
    min_tokens: int = 0,
    window: int = 200,
    docvars: Iterable[str] = ("date", "year", "speaker"),
    unwrap: str = "auto",
    sentences_per_unit: int = 3,
    max_unit_words: int = 400,
    map=None,
) -> pd.DataFrame:
    """Split the available documents of a corpus into analysis units.

    Parameters
    ----------
    corpus : Corpus
    kind : {"paragraph", "document", "window"}
        Paragraphs (ids ``<doc_id>#p<N>``, N counting paragraphs from 1), whole
        documents (``<doc_id>#d``) or consecutive windows of ``window`` words
        (``<doc_id>#w<N>``).
    min_tokens : int
        Paragraphs with fewer running words are merged into the preceding
        paragraph (the first into the following one); the merged unit keeps the
        id of its first paragraph, so ids stay stable.
    docvars : iterable of str
        Document variables copied onto every unit.
    unwrap, sentences_per_unit, max_unit_words
        The unit rule (:func:`analysis.layout.layout`; the ``text`` settings of the same names,
        :meth:`analysis.text.TextSettings.unit_rule`). Paragraph units are real paragraphs, or
        groups of sentences where the source marks none; never a line fragment.
    map : callable, optional
        ``map(fn, tasks) -> list`` that runs the tasks (fixed blocks of documents) and returns
        their results in order, e.g. the run's worker pool (:func:`analysis.stats.parallel.pmap`);
        default: one after another here. The units do not depend on it.

    Returns
    -------
    DataFrame
        ``unit_id, doc_id, position, n_tokens, text`` (:data:`UNIT_COLUMNS`) and the
        docvars, checked by :func:`validate_units`. ``n_tokens``
        counts running words (:func:`analysis.tokens.count_words`).

    References
    ----------
    Benoit, K. et al. (2018). quanteda: An R package for the quantitative analysis
    of textual data. *Journal of Open Source Software*, 3(30), 774 (``corpus_reshape``).
    """
    if kind not in ("paragraph", "document", "window"):
        raise UsageError(f"unit kind must be paragraph, document or window, not {kind!r}")
    docs = [(d, t) for d in corpus.doc_ids if (t := corpus.texts.get(d))]
    rule = (kind, min_tokens, window, unwrap, sentences_per_unit, max_unit_words)
    tasks = [(docs[a:a + UNITS_BLOCK], *rule) for a in range(0, len(docs), UNITS_BLOCK)]
    parts = map(_unit_rows, tasks) if map is not None else [_unit_rows(*t) for t in tasks]
    rows = [r for part in parts for r in part]
    units = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    units["position"] = units["position"].astype("int64")
    units["n_tokens"] = units["n_tokens"].astype("int64")
    dv = [c for c in docvars if c in corpus.docvars.columns]
    if dv:
        units = units.merge(corpus.docvars[["doc_id", *dv]], on="doc_id", how="left")
    return validate_units(units, what="make_units")


#: documents per task of :func:`make_units`
UNITS_BLOCK = 256


def _unit_rows(docs, kind, min_tokens, window, unwrap, sentences_per_unit, max_unit_words) -> list[tuple]:
    """The unit rows of a block of ``(doc_id, text)`` (a task of :func:`make_units`)."""
    rows = []
    for doc_id, text in docs:
        if kind == "document":
            pieces = [("d", 0, " ".join(layout(text, unwrap, group=False)[0]))]
        elif kind == "window":
            words = " ".join(layout(text, unwrap, group=False)[0]).split()
            pieces = [
                (f"w{i // window + 1}", i // window, " ".join(words[i : i + window]))
                for i in range(0, len(words), window)
            ]
        else:
            paras = paragraphs(text, unwrap, sentences_per_unit, max_unit_words)
            pieces = [(f"p{i + 1}", i, p) for i, p in enumerate(paras)]
            if min_tokens > 0:
                pieces = _merge_short(pieces, min_tokens)
        for suffix, pos, t in pieces:
            rows.append((f"{doc_id}#{suffix}", doc_id, pos, count_words(t), t))
    return rows


def units_report(corpus: Corpus, settings: TextSettings | None = None) -> dict:
    """The paragraph units of a corpus as a run makes them, profiled (``r2p corpus info``).

    The available texts lose their transcript annotations (``settings.annotations``,
    :func:`analysis.annotations.corpus_strip_annotations`) and are cut by the unit
    rule (:meth:`analysis.text.TextSettings.unit_rule`, :func:`make_units`).

    Returns
    -------
    dict
        :func:`units_profile` (``units``, ``words_median``,
        ``words_p90``, ``words_max``, ``mid_sentence``, ``mid_sentence_share``),
        ``rule`` (the unit settings), ``annotations_removed`` and ``layout``:
        ``{item: (number, documents)}`` of :func:`corpus_layout`, artefacts first.
    """
    from analysis.annotations import corpus_strip_annotations

    settings = settings or TextSettings()
    av, ann = corpus_strip_annotations(corpus.available(), settings.annotations)
    rule = settings.unit_rule()
    prof = units_profile(make_units(av, "paragraph", **rule))
    lay = corpus_layout(av, **rule)
    by = lay.groupby("item", sort=False).agg(n=("n", "sum"), docs=("doc_id", "nunique"))
    order = [k for k in (*LAYOUT_ARTEFACTS, *LAYOUT_COUNTS) if k in by.index]
    return {**prof, "rule": rule, "annotations_removed": int(ann["n_removed"].sum()),
            "layout": {k: (int(by.loc[k, "n"]), int(by.loc[k, "docs"])) for k in order}}


def as_units(data, kind: str = "paragraph", docvars: Iterable[str] = ("date", "year", "speaker"),
             what: str = "units") -> pd.DataFrame:
    """The units frame of ``data``: the one input type of the text statistics.

    Parameters
    ----------
    data : DataFrame or Corpus
        A units frame (from :func:`make_units`), validated and returned as is; or a
        corpus, reshaped with ``make_units(corpus.available(), kind, docvars=docvars)``.
    what : str
        How to name the frame in error messages.

    Raises
    ------
    analysis.errors.MissingColumnsError, analysis.errors.UsageError
        See :func:`validate_units`.
    """
    if isinstance(data, pd.DataFrame):
        return validate_units(data, what=what)
    if hasattr(data, "available") and hasattr(data, "texts") and hasattr(data, "docvars"):
        return make_units(data.available(), kind=kind, docvars=docvars)
    raise UsageError(f"{what}: expected a units DataFrame (analysis.units.make_units) or a "
                     f"Corpus, not {type(data).__name__}")


def _merge_short(pieces: list[tuple[str, int, str]], min_tokens: int):
    merged: list[list] = []
    carry: list | None = None
    for suffix, pos, t in pieces:
        if carry is not None:
            suffix, pos, t = carry[0], carry[1], carry[2] + " " + t
            carry = None
        if count_words(t) < min_tokens:
            if merged:
                merged[-1][2] += " " + t
            else:
                carry = [suffix, pos, t]
            continue
        merged.append([suffix, pos, t])
    if carry is not None:
        merged.append(carry)
    return [tuple(m) for m in merged]


def corpus_layout(corpus: Corpus, unwrap: str = "auto", sentences_per_unit: int = 3,
                  max_unit_words: int = 400) -> pd.DataFrame:
    """What the unit rule removed and joined in every available text of a corpus.

    Returns
    -------
    DataFrame
        ``doc_id, item, n, example``: one row per document and count of
        :func:`analysis.layout.layout` above 0 (:data:`LAYOUT_ARTEFACTS`, :data:`LAYOUT_COUNTS`),
        ``example`` the first removed line of an artefact kind (empty for the
        other counts), in corpus order; the same shape as the annotations table
        (:func:`analysis.annotations.corpus_strip_annotations`).
    """
    rows = []
    for doc_id in corpus.doc_ids:
        t = corpus.texts.get(doc_id)
        if not t:
            continue
        _, counts, first = layout(t, unwrap, sentences_per_unit, max_unit_words)
        rows.extend((doc_id, k, int(v), first.get(k, "")) for k, v in counts.items())
    table = pd.DataFrame(rows, columns=["doc_id", "item", "n", "example"])
    table["n"] = table["n"].astype("int64")
    return table
