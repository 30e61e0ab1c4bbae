"""The units frame: a corpus reshaped into analysis units, validated in one place.

Units are what quanteda's ``corpus_reshape`` makes of a corpus: one row per
paragraph (or document, or window of words) with ``unit_id, doc_id, position,
n_tokens, text`` and the document variables (date, year, speaker, ...) copied
onto every row, so they travel with every result. They are built by
:func:`analysis.text.make_units` (or :func:`analysis.text.as_units`, which also
accepts a corpus) and checked by :func:`validate_units`, which every text
statistic (KWIC, collocations, style, dictionary counts, frames) calls on its
input instead of checking columns itself.

References
----------
Benoit, K. et al. (2018). quanteda: An R package for the quantitative analysis
of textual data. *Journal of Open Source Software*, 3(30), 774 (``corpus_reshape``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from analysis.errors import UsageError, require_columns

__all__ = ["UNIT_COLUMNS", "UNITS_HINT", "SENTENCE_FINAL", "ends_mid_sentence", "units_profile",
           "validate_units"]

#: The columns every units frame has, in this order (docvars follow).
UNIT_COLUMNS = ["unit_id", "doc_id", "position", "n_tokens", "text"]
UNITS_HINT = "build units with analysis.text.make_units(corpus, kind='paragraph')"


#: the characters that end a sentence (full stop, question and exclamation marks, ellipsis)
SENTENCE_FINAL = ".!?\u2026"
#: what may follow a sentence's final character and still close the sentence: closing quotes
#: and brackets, and Markdown emphasis (``**Thank you.**``)
_CLOSERS = "\"')]}\u201d\u2019\u00bb*_ "


def ends_mid_sentence(text: str) -> bool:
    """Whether a unit's text ends in the middle of a sentence.

    Definition: after dropping trailing white space and the closing characters
    ``" ' ) ] } \u201d \u2019 \u00bb * _``, the last character is not one of
    :data:`SENTENCE_FINAL` (``. ! ? \u2026``). So ``'...aside from 25'``, ``'and the'``,
    ``'Mr. President,'``, a heading (``'Climate change'``) and ``'as follows:'`` end
    mid-sentence; ``'We will act.'``, ``'"Never again."'`` and ``'(Applause.)'`` do not.
    An empty text does not (it has no sentence).

    This is the one definition used by ``r2p corpus info``, the unit rule of
    :func:`analysis.text.paragraphs` (a block that ends mid-sentence is joined to
    the next) and the tests.
    """
    t = text.rstrip(_CLOSERS + "\n\t")
    return bool(t) and t[-1] not in SENTENCE_FINAL


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
