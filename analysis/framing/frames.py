"""Dictionary frames: the framing and stance dictionaries, counting, the anchor profile.

The frames stage counts the entries of the R2P framing dictionary
(``corpus/dictionaries/r2p_frames.yml``) and the stance dictionary
(``corpus/dictionaries/stance.yml``) in every paragraph (:func:`stat_frames`)
and profiles the anchor speech paragraph by paragraph
(:func:`stat_anchor_profile`).  Rates with bootstrap intervals are in
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

from analysis.profiles import get_profile
from analysis.stats.parallel import chunks, pmap
from analysis.framing.dictionary import (
    KEY_SEP,
    Dictionary,
    DictionaryError,
    match_tokens,
    read_dictionary,
)
from analysis.resources import dictionary_dir

__all__ = [
    "DEFAULT_INDICES",
    "DICTIONARY_DIR",
    "FRAMES_DICTIONARY",
    "STANCE_DICTIONARY",
    "UNIT_FRAME_COLUMNS",
    "frame_levels",
    "load_frames_dictionary",
    "load_stance_dictionary",
    "stat_anchor_profile",
    "stat_frames",
]

DICTIONARY_DIR = dictionary_dir()
#: the study profile's dictionaries (analysis.profiles.r2p), the defaults of the frames stage
FRAMES_DICTIONARY = get_profile().frames_dictionary_path
STANCE_DICTIONARY = get_profile().stance_dictionary_path

UNIT_FRAME_COLUMNS = ["unit_id", "doc_id", "frame", "matches", "tokens", "rate_per_1000"]

#: Indices computed from frame (and stance) counts (by :func:`analysis.framing.indices.stat_indices`).  ``balance`` is (a - b)/(a + b)
#: in [-1, 1]; ``share`` is a / (sum of the listed keys).
#: the study profile's frame indices (analysis.profiles.r2p)
DEFAULT_INDICES: dict[str, tuple] = dict(get_profile().indices)


# ------------------------------------------------------------- dictionaries
def _load(path, default: Path, what: str) -> Dictionary:
    p = Path(path) if path else default
    if not p.exists():
        raise DictionaryError(
            f"{p}: {what} dictionary not found. Pass a path (--set frames.{what}=FILE) or "
            f"restore {default.relative_to(default.parent.parent.parent)} from the repository.")
    return read_dictionary(p)


def load_frames_dictionary(path=None) -> Dictionary:
    """The R2P framing dictionary (``corpus/dictionaries/r2p_frames.yml`` by default)."""
    return _load(path, FRAMES_DICTIONARY, "frames")


def load_stance_dictionary(path=None) -> Dictionary:
    """The stance and modality dictionary (``corpus/dictionaries/stance.yml`` by default)."""
    return _load(path, STANCE_DICTIONARY, "stance")


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


def stat_frames(units: pd.DataFrame, dictionary: Dictionary | None = None,
                case_insensitive: bool = True, nested_scope: str = "key",
                docvars: Iterable[str] = ("date", "year", "speaker")) -> pd.DataFrame:
    """Dictionary matches and rates per 1,000 words for every unit and frame.

    Parameters
    ----------
    units : DataFrame
        Units from :func:`analysis.text.make_units` (``unit_id``, ``doc_id``, ``text``).
    dictionary : Dictionary, optional
        Defaults to the R2P framing dictionary.
    case_insensitive, nested_scope
        See :meth:`analysis.dictionary.Dictionary.lookup`.
    docvars : iterable of str
        Unit columns carried into the result when present.

    Returns
    -------
    DataFrame
        ``unit_id, doc_id, frame, matches, tokens, rate_per_1000`` then ``level``
        (1 = family, 2 = frame within a family), ``family`` and the docvars; one
        row per unit and frame, zeros included.

    References
    ----------
    Benoit, K. et al. (2018). quanteda. *JOSS* 3(30), 774 (``tokens_lookup``).
    """
    for c in ("unit_id", "doc_id", "text"):
        if c not in units.columns:
            raise KeyError(f"stat_frames: units lack column {c!r} (columns: {list(units.columns)})")
    d = dictionary if dictionary is not None else load_frames_dictionary()
    counts, frames, levels, ntok = _count(units["text"].tolist(), d, case_insensitive,
                                          nested_scope)
    return _long(units, counts, frames, levels, ntok, docvars)


def _long(units, counts, frames, levels, ntok, docvars):
    n, F = counts.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(ntok[:, None] > 0, 1000.0 * counts / np.maximum(ntok, 1)[:, None], np.nan)
    out = pd.DataFrame({
        "unit_id": np.repeat(units["unit_id"].astype(str).to_numpy(), F),
        "doc_id": np.repeat(units["doc_id"].astype(str).to_numpy(), F),
        "frame": np.tile(np.array(frames, dtype=object), n),
        "matches": counts.ravel(),
        "tokens": np.repeat(ntok, F),
        "rate_per_1000": rate.ravel(),
        "level": np.tile(np.array(levels, dtype=np.int64), n),
        "family": np.tile(np.array([f.split(KEY_SEP)[0] for f in frames], dtype=object), n),
    })
    for c in ("unit_id", "doc_id", "frame", "family"):
        out[c] = out[c].astype("str")
    for c in docvars:
        if c in units.columns:
            out[c] = np.repeat(units[c].to_numpy(), F)
            if c == "year":
                out[c] = out[c].astype("Int64")
    return out


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
    out = fu.merge(u.drop(columns="text"), on="unit_id", how="left")
    return out[cols].sort_values(["position"], kind="stable").reset_index(drop=True)

