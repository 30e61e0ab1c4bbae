"""Dictionary frames: loading dictionaries, counting, the anchor profile.

The frames stage counts the entries of a framing dictionary and a stance
dictionary in every paragraph (:func:`stat_frames`) and profiles the anchor
speech paragraph by paragraph (:func:`stat_anchor_profile`). Which dictionaries
is the study's choice, handed in by the caller: the run's study
(``ctx.study``, :class:`analysis.profiles.Profile`; for R2P
``corpus/dictionaries/r2p_frames.yml`` and ``corpus/dictionaries/stance.yml``)
or a path the user gives; this module names none.  Rates with bootstrap intervals are in
:mod:`analysis.framing.rates`, indices in :mod:`analysis.framing.indices`,
sentiment in :mod:`analysis.framing.sentiment`, the hand-coding validation in
:mod:`analysis.framing.validation` and change points in
:mod:`analysis.stats.changepoint`.

Tokens and denominators: matching runs on running words (letters with internal
hyphens/apostrophes, stopwords kept, see
:func:`analysis.framing.dictionary.match_tokens`) and the denominator of every
rate is the number of those words, the same count as ``n_tokens`` in the units
table.

References
----------
Benoit, K. et al. (2018). quanteda: An R package for the quantitative analysis
of textual data. *Journal of Open Source Software* 3(30), 774.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.stats.parallel import chunks, pmap
from analysis.framing.dictionary import (
    KEY_SEP,
    Dictionary,
    DictionaryError,
    match_tokens,
    read_dictionary,
)
from analysis.resources import dictionary_dir
from analysis.reshape import plain_strings

__all__ = [
    "DICTIONARY_DIR",
    "UNIT_FRAME_COLUMNS",
    "as_dictionary",
    "concat_frames",
    "frame_levels",
    "load_frames_dictionary",
    "load_stance_dictionary",
    "plain_strings",
    "stat_anchor_profile",
    "stat_frames",
]

#: the folder of the packaged dictionaries (``corpus/dictionaries``)
DICTIONARY_DIR = dictionary_dir()

UNIT_FRAME_COLUMNS = ["unit_id", "doc_id", "frame", "matches", "tokens", "rate_per_1000"]


# ------------------------------------------------------------- dictionaries
def _load(path, what: str, key: str) -> Dictionary:
    if path is None or not str(path).strip():
        raise DictionaryError(
            f"no {what} dictionary given: pass the path of a .yml or LIWC .dic dictionary (a run uses its "
            f"study's, ctx.study.{what}_dictionary_path, unless --set frames.{key}=FILE)")
    p = Path(path)
    if not p.exists():
        raise DictionaryError(f"{p}: {what} dictionary not found (--set frames.{key}=FILE names another; "
                              f"a packaged one missing from a clone is restored from the repository)")
    return read_dictionary(p)


def load_frames_dictionary(path) -> Dictionary:
    """The framing dictionary at ``path`` (.yml or LIWC .dic).

    The R2P study's is ``get_profile().frames_dictionary_path``
    (``corpus/dictionaries/r2p_frames.yml``); a run passes ``ctx.study``'s.
    """
    return _load(path, "frames", "dictionary")


def load_stance_dictionary(path) -> Dictionary:
    """The stance and modality dictionary at ``path`` (.yml or LIWC .dic).

    The R2P study's is ``get_profile().stance_dictionary_path``
    (``corpus/dictionaries/stance.yml``); a run passes ``ctx.study``'s.
    """
    return _load(path, "stance", "stance_dictionary")


def as_dictionary(dictionary) -> Dictionary:
    """``dictionary`` itself if it is a :class:`Dictionary`, else the dictionary read from that path."""
    if isinstance(dictionary, Dictionary):
        return dictionary
    return _load(dictionary, "frames", "dictionary")


def frame_levels(dictionary: Dictionary) -> list[tuple[str, int]]:
    """The frames reported for a dictionary: every leaf key, plus each family.

    A family (top-level key) with sub-keys gets its own row (level 1), counted
    over the entries of all its sub-keys with longest-match-first across them
    (so a word matched by two sub-frames counts once for the family; each
    entry keeps its own exclusions); entries placed directly on such a family
    count only in the family row.  Leaves have level = depth.  Returns
    ``(frame, level)`` in dictionary order, each family before its frames.
    """
    out: list[tuple[str, int]] = []
    for fam in dict.fromkeys(k.split(KEY_SEP)[0] for k in dictionary.keys):
        leaves = [k for k in dictionary.keys if k == fam or k.startswith(fam + KEY_SEP)]
        out.append((fam, 1))
        out += [(k, k.count(KEY_SEP) + 1) for k in leaves if k != fam]
    return out


# --------------------------------------------------------------- counting
def _count(texts: Sequence[str], dictionary: Dictionary, case_insensitive: bool,
           nested_scope: str):
    """Matrix units x frames of counted matches, the frames and the word counts."""
    levels = frame_levels(dictionary)
    frames = [f for f, _ in levels]
    texts = list(texts)
    # fixed chunks of units on the run's workers (analysis.stats.parallel): the same rows for any number
    parts = pmap(_count_rows, [(texts[a:b], dictionary, frames, case_insensitive, nested_scope)
                               for a, b in chunks(len(texts), COUNT_CHUNK)])
    if parts:
        counts = np.concatenate([c for c, _ in parts])
        ntok = np.concatenate([t for _, t in parts])
    else:
        counts, ntok = np.zeros((0, len(frames)), dtype=np.int64), np.zeros(0, dtype=np.int64)
    return counts, frames, [lv for _, lv in levels], ntok


#: units per task of the dictionary count
COUNT_CHUNK = 8192


def _count_rows(texts: Sequence[str], dictionary: Dictionary, frames: Sequence[str], case_insensitive: bool,
                nested_scope: str):
    """Counts (units x frames) and word counts of a chunk of texts (a task of :func:`_count`)."""
    fidx = {f: j for j, f in enumerate(frames)}
    counts = np.zeros((len(texts), len(frames)), dtype=np.int64)
    ntok = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        toks = match_tokens(text)
        ntok[i] = len(toks)
        leaf, fam = dictionary.lookup_levels(toks, (None, 1), case_insensitive, nested_scope)
        for m in leaf:                  # frames within families (depth > 1)
            if KEY_SEP in m.key:
                counts[i, fidx[m.key]] += 1
        for m in fam:                   # families and single-level frames
            counts[i, fidx[m.key]] += 1
    return counts, ntok


def stat_frames(units: pd.DataFrame, dictionary: Dictionary | str | Path,
                case_insensitive: bool = True, nested_scope: str = "key",
                docvars: Iterable[str] = ("date", "year", "speaker")) -> pd.DataFrame:
    """Dictionary matches and rates per 1,000 words for every unit and frame.

    Parameters
    ----------
    units : DataFrame
        Units from :func:`analysis.units.make_units` (``unit_id``, ``doc_id``, ``text``).
    dictionary : Dictionary or path
        The dictionary (or its file) whose entries are counted; a run passes its
        study's (``ctx.study.frames_dictionary_path`` for frames,
        ``stance_dictionary_path`` for stance).
    case_insensitive, nested_scope
        See :meth:`analysis.dictionary.Dictionary.lookup`.
    docvars : iterable of str
        Unit columns carried into the result when present.

    Returns
    -------
    DataFrame
        ``unit_id, doc_id, frame, matches, tokens, rate_per_1000`` then ``level``
        (1 = family, 2 = frame within a family), ``family`` and the docvars; one
        row per unit and frame, zeros included. The label columns (ids, frame,
        family, string docvars) are categoricals with sorted categories, so the
        table holds each string once; :func:`plain_strings` turns them into
        string columns, and the tables a run writes hold strings.

    References
    ----------
    Benoit, K. et al. (2018). quanteda. *JOSS* 3(30), 774 (``tokens_lookup``).
    """
    for c in ("unit_id", "doc_id", "text"):
        if c not in units.columns:
            raise KeyError(f"stat_frames: units lack column {c!r} (columns: {list(units.columns)})")
    d = as_dictionary(dictionary)
    counts, frames, levels, ntok = _count(units["text"].tolist(), d, case_insensitive,
                                          nested_scope)
    return _long(units, counts, frames, levels, ntok, docvars)


def _categorical(values, n_repeat: int = 1, n_tile: int = 1) -> pd.Categorical:
    """``values`` (one per unit, or per frame) repeated or tiled, as a categorical with sorted categories.

    The categories are the distinct values in sorted (code point) order, so
    sorting, grouping and comparing the column give what they give on strings;
    missing values stay missing. Only the small integer codes are repeated.
    """
    codes, cats = pd.factorize(pd.Series(values, dtype="str"), sort=True)
    if n_repeat > 1:
        codes = np.repeat(codes, n_repeat)
    if n_tile > 1:
        codes = np.tile(codes, n_tile)
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype="str"))


def _long(units, counts, frames, levels, ntok, docvars):
    """The long table of :func:`stat_frames`: one row per unit and frame.

    The label columns (``unit_id, doc_id, frame, family`` and string docvars) are
    categoricals (:func:`_categorical`): the strings are held once, not once per
    frame. On the General Debate sessions 60-79 (136,218 units x 25 frames) the
    frames table's strings took about 0.5 GB as strings and take about 30 MB as
    codes. Written tables (CSV, Parquet) hold the plain strings.
    """
    n, F = counts.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(ntok[:, None] > 0, 1000.0 * counts / np.maximum(ntok, 1)[:, None], np.nan)
    out = pd.DataFrame({
        "unit_id": _categorical(units["unit_id"].astype(str).to_numpy(), n_repeat=F),
        "doc_id": _categorical(units["doc_id"].astype(str).to_numpy(), n_repeat=F),
        "frame": _categorical(list(frames), n_tile=n),
        "matches": counts.ravel(),
        "tokens": np.repeat(ntok, F),
        "rate_per_1000": rate.ravel(),
        "level": np.tile(np.array(levels, dtype=np.int64), n),
        "family": _categorical([f.split(KEY_SEP)[0] for f in frames], n_tile=n),
    })
    for c in docvars:
        if c not in units.columns:
            continue
        col = units[c]
        if c != "year" and pd.api.types.is_string_dtype(col):
            out[c] = _categorical(col.to_numpy(), n_repeat=F)
        else:
            out[c] = np.repeat(col.to_numpy(), F)
            if c == "year":
                out[c] = out[c].astype("Int64")
    return out


def concat_frames(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Rows of several frames tables (frames and stance) in one, labels still categorical.

    ``pd.concat`` turns categoricals whose categories differ (the two dictionaries'
    frames) into strings; here each such column gets the sorted union of the
    categories first, so the result holds codes, not one string per row.
    """
    parts = list(tables)
    if not parts:
        return pd.DataFrame()
    for c in parts[0].columns:
        if all(c in t.columns and isinstance(t[c].dtype, pd.CategoricalDtype) for t in parts):
            cats = sorted(set().union(*(t[c].cat.categories for t in parts)))
            dtype = pd.CategoricalDtype(pd.Index(cats, dtype="str"))
            parts = [t if t[c].dtype == dtype else t.assign(**{c: t[c].astype(dtype)}) for t in parts]
    return pd.concat(parts, ignore_index=True)


def _wide(long: pd.DataFrame, id_col: str = "unit_id"):
    """Back from long to (unit table, counts matrix, frames, tokens).

    Needs every unit to appear at least once (the full output of
    :func:`stat_frames`, zeros included), else its words are missing from the
    denominators.
    """
    ucode, uniq = pd.factorize(long[id_col], sort=False)
    fcode, frames = pd.factorize(long["frame"], sort=False)
    F = len(frames)  # summed by bincount (np.add.at is an order of magnitude slower on millions of rows)
    M = np.bincount(ucode * F + fcode, weights=long["matches"].to_numpy(dtype=np.float64),
                    minlength=len(uniq) * F).reshape(len(uniq), F)
    _, first = np.unique(ucode, return_index=True)   # first row of each unit, by code
    units = long.iloc[first].drop(columns=["frame", "matches", "rate_per_1000"],
                                  errors="ignore").reset_index(drop=True)
    return units, M, [str(f) for f in frames], units["tokens"].to_numpy(dtype=np.float64)


# ----------------------------------------------------------- anchor profile
def stat_anchor_profile(frames_units: pd.DataFrame, units: pd.DataFrame, anchor: str,
                        excerpt_chars: int = 80) -> pd.DataFrame:
    """The anchor's paragraph-by-paragraph frame profile.

    Returns
    -------
    DataFrame
        ``unit_id, doc_id, position, frame, level, family, matches, tokens,
        rate_per_1000, excerpt`` for every paragraph of ``anchor`` and frame.
    """
    fu = frames_units[frames_units["doc_id"] == anchor]
    u = units[units["doc_id"] == anchor]
    if "position" not in u.columns:
        u = u.assign(position=np.arange(len(u), dtype=np.int64))
    u = u[["unit_id", "position", "text"]]
    cols = ["unit_id", "doc_id", "position", "frame", "level", "family", "matches", "tokens",
            "rate_per_1000", "excerpt"]
    if fu.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols}).astype(
            {"unit_id": "str", "doc_id": "str", "frame": "str", "family": "str", "excerpt": "str"})
    u = u.assign(excerpt=u["text"].map(
        lambda s: s if len(s) <= excerpt_chars else s[:excerpt_chars].rsplit(" ", 1)[0] + " ..."))
    out = plain_strings(fu).merge(u.drop(columns="text"), on="unit_id", how="left")
    return out[cols].sort_values(["position"], kind="stable").reset_index(drop=True)

