"""Framing metrics: dictionary frames, stance and modality, sentiment, change points.

The stage counts the entries of the R2P framing dictionary
(``corpus/dictionaries/r2p_frames.yml``) and the stance dictionary
(``corpus/dictionaries/stance.yml``) in every paragraph, turns them into rates
per 1,000 running words per unit, document and year with bootstrap intervals,
derives indices (prevention-response balance, pillar shares, ...), finds change
points in each frame's yearly series (PELT with a penalty calibrated by
permuting the series, segments of at least 5 years), profiles the anchor speech paragraph by
paragraph, and scores every paragraph with VADER.  A validation workflow draws
stratified keyword-in-context samples to code by hand and reports precision per
frame with Wilson intervals.

Tokens and denominators: matching runs on running words (letters with internal
hyphens/apostrophes, stopwords kept, see :func:`analysis.dictionary.match_tokens`)
and the denominator of every rate is the number of those words, the same count
as ``n_tokens`` in the units table.

References
----------
Antoch, J. and Huskova, M. (2001). Permutation tests in change point analysis.
*Statistics & Probability Letters* 53(1), 37-46 (the change-point penalty).
Benoit, K. et al. (2018). quanteda: An R package for the quantitative analysis
of textual data. *Journal of Open Source Software* 3(30), 774.
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall (percentile intervals; resampling units within groups).
Hutto, C. J. and Gilbert, E. (2014). VADER: A parsimonious rule-based model for
sentiment analysis of social media text. *Proceedings of ICWSM-14*.
Killick, R., Fearnhead, P. and Eckley, I. A. (2012). Optimal detection of
changepoints with a linear computational cost. *JASA* 107(500), 1590-1598.
Truong, C., Oudre, L. and Vayatis, N. (2020). Selective review of offline
change point detection methods. *Signal Processing* 167, 107299 (``ruptures``).
Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. *JASA* 22(158), 209-212.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.framing.dictionary import (
    KEY_SEP,
    Dictionary,
    DictionaryError,
    match_token_spans,
    match_tokens,
    read_dictionary,
)
from analysis.resources import dictionary_dir

__all__ = [
    "DEFAULT_INDICES",
    "DICTIONARY_DIR",
    "FRAMES_DICTIONARY",
    "STANCE_DICTIONARY",
    "frame_levels",
    "load_frames_dictionary",
    "load_stance_dictionary",
    "sample_kwic",
    "stat_anchor_profile",
    "stat_changepoints",
    "stat_frames",
    "stat_indices",
    "stat_rates",
    "stat_sentiment",
    "stat_sentiment_years",
    "vader_analyzer",
    "validate_coding",
    "wilson_interval",
]

DICTIONARY_DIR = dictionary_dir()
FRAMES_DICTIONARY = DICTIONARY_DIR / "r2p_frames.yml"
STANCE_DICTIONARY = DICTIONARY_DIR / "stance.yml"

UNIT_FRAME_COLUMNS = ["unit_id", "doc_id", "frame", "matches", "tokens", "rate_per_1000"]
YEAR_COLUMNS = ["frame", "year", "rate", "ci_low", "ci_high", "matches", "tokens",
                "n_units", "n_docs"]
DOC_COLUMNS = ["doc_id", "frame", "matches", "tokens", "rate_per_1000", "ci_low", "ci_high",
               "n_units"]
INDEX_COLUMNS = ["level", "year", "doc_id", "index", "value", "ci_low", "ci_high",
                 "denominator"]
CHANGEPOINT_COLUMNS = ["frame", "changepoint_year", "last_year_before", "mean_before",
                       "mean_after", "shift", "n_years", "method", "model", "penalty"]
SENTIMENT_COLUMNS = ["unit_id", "doc_id", "neg", "neu", "pos", "compound"]
SENTIMENT_YEAR_COLUMNS = ["year", "compound", "ci_low", "ci_high", "share_positive",
                          "share_negative", "n_units", "n_docs"]
KWIC_COLUMNS = ["sample_id", "frame", "entry", "doc_id", "unit_id", "year", "left",
                "keyword", "right", "relevant", "note"]
PRECISION_COLUMNS = ["frame", "n_coded", "n_relevant", "precision", "ci_low", "ci_high",
                     "n_uncoded"]

#: Indices computed from frame (and stance) counts.  ``balance`` is (a - b)/(a + b)
#: in [-1, 1]; ``share`` is a / (sum of the listed keys).
DEFAULT_INDICES: dict[str, tuple] = {
    "prevention_response_balance": (
        "balance", "prevention_response.prevention", "prevention_response.response"),
    "pillar_one_share": ("share", "pillars.pillar_one",
                         ("pillars.pillar_one", "pillars.pillar_two", "pillars.pillar_three")),
    "pillar_two_share": ("share", "pillars.pillar_two",
                         ("pillars.pillar_one", "pillars.pillar_two", "pillars.pillar_three")),
    "pillar_three_share": ("share", "pillars.pillar_three",
                           ("pillars.pillar_one", "pillars.pillar_two", "pillars.pillar_three")),
    "sovereignty_as_responsibility_share": (
        "share", "sovereignty.as_responsibility",
        ("sovereignty.as_responsibility", "sovereignty.non_interference")),
    "consensus_contestation_balance": (
        "balance", "consensus_contestation.consensus", "consensus_contestation.contestation"),
    "first_person_plural_share": (
        "share", "first_person.plural", ("first_person.singular", "first_person.plural")),
}


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
    return counts, frames, [lv for _, lv in levels], ntok


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
    M = np.zeros((len(uniq), len(frames)), dtype=np.float64)
    np.add.at(M, (ucode, fcode), long["matches"].to_numpy(dtype=np.float64))
    _, first = np.unique(ucode, return_index=True)   # first row of each unit, by code
    units = long.iloc[first].drop(columns=["frame", "matches", "rate_per_1000"],
                                  errors="ignore").reset_index(drop=True)
    return units, M, [str(f) for f in frames], units["tokens"].to_numpy(dtype=np.float64)


# --------------------------------------------------------------- bootstrap
def _single_blas(fn):
    """Run ``fn`` with one BLAS thread: the bootstrap's many small matrix products
    are far faster single-threaded than with a thread pool (and do not oversubscribe)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **k):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*a, **k)

    return wrapper


def _group_seed(seed: int, group) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(str(group).encode())])


def _boot_sums(M: np.ndarray, t: np.ndarray, clusters: np.ndarray, n_boot: int,
               rng: np.random.Generator):
    """Bootstrap draws of summed matches (B x F) and words (B) resampling clusters."""
    cl, inv = np.unique(clusters, return_inverse=True)
    k = len(cl)
    if k == len(clusters):          # every unit its own cluster: no summing needed
        order = np.argsort(inv)
        CM, Ct = M[order], t[order]
    else:
        from scipy import sparse

        S = sparse.csr_matrix((np.ones(len(inv)), (inv, np.arange(len(inv)))), shape=(k, len(inv)))
        CM, Ct = np.asarray(S @ M), S @ t
    if n_boot <= 0:
        return None, None
    W = _resample_weights(k, n_boot, rng)
    return W @ CM, W @ Ct


def _resample_weights(k: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of k items is drawn in each of n_boot resamples (B x k)."""
    draws = rng.integers(0, k, size=(n_boot, k))
    flat = (draws + (np.arange(n_boot) * k)[:, None]).ravel()
    return np.bincount(flat, minlength=n_boot * k).reshape(n_boot, k).astype(np.float64)


def _percentile(draws: np.ndarray, ci: float):
    lo, hi = (1 - ci) / 2 * 100, (1 + ci) / 2 * 100
    if not np.isnan(draws).any():
        q = np.percentile(draws, [lo, hi], axis=0)
        return q[0], q[1]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanpercentile(draws, lo, axis=0), np.nanpercentile(draws, hi, axis=0)


@_single_blas
def stat_rates(frames_units: pd.DataFrame, by: str = "year", n_boot: int = 1000,
               ci: float = 0.95, cluster: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Rates per 1,000 words by group, with percentile bootstrap intervals.

    The rate of a group is ``1000 * sum(matches) / sum(words)`` over its units
    (a ratio estimator, so long paragraphs weigh more).  Intervals resample the
    group's units with replacement (or its ``cluster`` values, e.g.
    ``cluster="doc_id"`` to resample whole speeches) ``n_boot`` times.  Each
    group's random stream is seeded from ``seed`` and the group's label, so a
    year's interval does not change when other years are added.

    Parameters
    ----------
    frames_units : DataFrame
        Output of :func:`stat_frames`.
    by : str
        Group column: ``"year"`` or ``"doc_id"`` (or any unit docvar).
    n_boot : int
        Bootstrap replicates (0 skips the intervals).
    ci : float
        Interval coverage.
    cluster : str, optional
        Resampling unit within a group; default the text units.
    seed : int

    Returns
    -------
    DataFrame
        For ``by="year"``: ``frame, year, rate, ci_low, ci_high, matches, tokens,
        n_units, n_docs`` (plus ``level``, ``family``).  For ``by="doc_id"``:
        ``doc_id, frame, matches, tokens, rate_per_1000, ci_low, ci_high, n_units``
        plus ``level``, ``family`` and ``date, year, speaker`` when present.

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    ch. 13 (percentile intervals). Chapman & Hall.
    """
    if by not in frames_units.columns:
        raise KeyError(f"stat_rates: no column {by!r} in the frames table")
    meta = frames_units.drop_duplicates("frame").set_index("frame")[["level", "family"]] \
        if {"level", "family"} <= set(frames_units.columns) else None
    fu = frames_units[frames_units[by].notna()]
    if fu.empty:
        cols = YEAR_COLUMNS if by == "year" else DOC_COLUMNS
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols + ["level", "family"]}) \
            .astype({"frame": "str", "family": "str"})
    if cluster and cluster not in frames_units.columns:
        raise KeyError(f"stat_rates: cluster column {cluster!r} not in the frames table "
                       f"(columns: {list(frames_units.columns)})")
    units, M, frames, t = _wide(fu)
    rows = []
    for g, idx in units.groupby(by, sort=True).indices.items():
        Mg, tg = M[idx], t[idx]
        cl = units[cluster].to_numpy()[idx] if cluster else np.arange(len(idx))
        sm, st = Mg.sum(axis=0), tg.sum()
        rate = 1000.0 * sm / st if st > 0 else np.full(len(frames), np.nan)
        if n_boot > 0:
            bm, bt = _boot_sums(Mg, tg, cl, n_boot, _group_seed(seed, g))
            with np.errstate(invalid="ignore", divide="ignore"):
                br = 1000.0 * bm / bt[:, None]
            br[bt == 0] = np.nan
            lo, hi = _percentile(br, ci)
        else:
            lo = hi = np.full(len(frames), np.nan)
        n_docs = units["doc_id"].iloc[idx].nunique()
        for j, f in enumerate(frames):
            rows.append((f, g, rate[j], lo[j], hi[j], int(sm[j]), int(st), len(idx), n_docs))
    out = pd.DataFrame(rows, columns=["frame", by, "rate", "ci_low", "ci_high", "matches",
                                      "tokens", "n_units", "n_docs"])
    if meta is not None:
        out["level"] = out["frame"].map(meta["level"]).astype("int64")
        out["family"] = out["frame"].map(meta["family"]).astype("str")
    order = {f: i for i, f in enumerate(frames)}
    if by == "year":
        out["year"] = out["year"].astype("int64")
        out = out.sort_values(["frame", "year"], key=lambda s: s.map(order) if s.name == "frame" else s,
                              kind="stable")
        return out.reset_index(drop=True)
    out = out.rename(columns={"rate": "rate_per_1000"}).drop(columns="n_docs")
    dv = [c for c in ("date", "year", "speaker") if c in units.columns and c != by]
    if dv:
        out = out.merge(units.drop_duplicates(by)[[by, *dv]], on=by, how="left")
    out = out.sort_values([by, "frame"], key=lambda s: s.map(order) if s.name == "frame" else s,
                          kind="stable")
    first = [by, "frame", "matches", "tokens", "rate_per_1000", "ci_low", "ci_high", "n_units"]
    return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)


# ------------------------------------------------------------------ indices
def _index_values(sums: np.ndarray, fidx: Mapping[str, int], spec: tuple):
    kind = spec[0]
    if kind == "balance":
        a, b = sums[..., fidx[spec[1]]], sums[..., fidx[spec[2]]]
        den = a + b
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (a - b) / np.where(den > 0, den, 1), np.nan), den
    if kind == "share":
        a = sums[..., fidx[spec[1]]]
        den = sum(sums[..., fidx[k]] for k in spec[2])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, a / np.where(den > 0, den, 1), np.nan), den
    raise ValueError(f"unknown index kind {kind!r}; use 'balance' or 'share'")


@_single_blas
def stat_indices(frames_units: pd.DataFrame, indices: Mapping[str, tuple] | None = None,
                 levels: Sequence[str] = ("year", "doc_id"), n_boot: int = 1000,
                 ci: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Framing indices by year and document with bootstrap intervals.

    ``balance`` indices are ``(a - b) / (a + b)`` over the group's summed matches
    (e.g. the prevention-response balance: +1 all prevention, -1 all response);
    ``share`` indices are ``a / (a + b + ...)`` (e.g. each pillar's share of all
    pillar matches).  Undefined (NaN) where the denominator is zero.  Intervals
    resample the group's units as in :func:`stat_rates`.  Indices whose frames
    are absent from the table are skipped.

    Returns
    -------
    DataFrame
        ``level`` ("year" or "doc"), ``year``, ``doc_id`` (empty for years),
        ``index, value, ci_low, ci_high, denominator`` (matches in the denominator).

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    Chapman & Hall.
    """
    indices = DEFAULT_INDICES if indices is None else indices
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in INDEX_COLUMNS}).astype(
        {"level": "str", "doc_id": "str", "index": "str", "year": "Int64"})
    if frames_units.empty:
        return empty
    units, M, frames, t = _wide(frames_units)
    fidx = {f: j for j, f in enumerate(frames)}
    specs = {k: v for k, v in indices.items()
             if all(f in fidx for f in ([v[1], v[2]] if v[0] == "balance" else [v[1], *v[2]]))}
    if not specs:
        return empty
    needed = sorted({fidx[f] for v in specs.values()
                     for f in ([v[1], v[2]] if v[0] == "balance" else [v[1], *v[2]])})
    M = M[:, needed]
    fidx = {frames[j]: i for i, j in enumerate(needed)}
    rows = []
    for by in levels:
        if by not in units.columns:
            continue
        pos = np.flatnonzero(units[by].notna().to_numpy())
        for g, rel in units.iloc[pos].groupby(by, sort=True).indices.items():
            idx = pos[rel]
            Mg, tg = M[idx], t[idx]
            sums = Mg.sum(axis=0)
            draws = None
            if n_boot > 0:
                draws, _ = _boot_sums(Mg, tg, np.arange(len(idx)), n_boot, _group_seed(seed, g))
            year = g if by == "year" else units["year"].iloc[idx[0]] if "year" in units else pd.NA
            for name, spec in specs.items():
                v, den = _index_values(sums, fidx, spec)
                lo = hi = np.nan
                if draws is not None:
                    bv, _ = _index_values(draws, fidx, spec)
                    lo, hi = _percentile(bv[:, None], ci)
                    lo, hi = float(lo[0]), float(hi[0])
                rows.append(("year" if by == "year" else "doc", year,
                             "" if by == "year" else g, name, float(v), lo, hi, int(den)))
    if not rows:
        return empty
    out = pd.DataFrame(rows, columns=INDEX_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    return out


# ------------------------------------------------------------ change points
_MAD_TO_SD = 0.6744897501960817


def _noise_sd(x: np.ndarray) -> float:
    """Noise scale of a series with level shifts, from its first differences.

    The larger of two difference-based estimates of sigma: the MAD of first
    differences / (sqrt(2) * 0.6745), which ignores the few large differences at
    level shifts, and Rice's (1984) root mean squared difference / sqrt(2),
    which does not collapse to zero when most differences are zero (sparse
    frames whose yearly rate is mostly 0 with occasional bursts).  Taking the
    larger errs towards fewer change points.
    """
    x = np.asarray(x, dtype=float)
    if len(x) < 3:
        return float(np.std(x))
    d = np.diff(x)
    mad = np.median(np.abs(d - np.median(d))) / (np.sqrt(2) * _MAD_TO_SD)
    rice = np.sqrt(np.mean(d ** 2) / 2)
    return float(max(mad, rice))


def _segment_costs(x: np.ndarray, min_size: int) -> np.ndarray:
    """``cost[..., s, t]``: l2 cost (residual sum of squares) of ``x[..., s:t]``.

    Works on the last axis of ``x`` (so on a batch of series at once); segments
    shorter than ``min_size`` cost ``inf``.
    """
    n = x.shape[-1]
    pad = [(0, 0)] * (x.ndim - 1) + [(1, 0)]
    s1 = np.pad(np.cumsum(x, axis=-1), pad)
    s2 = np.pad(np.cumsum(x * x, axis=-1), pad)
    length = np.arange(n + 1)[None, :] - np.arange(n + 1)[:, None]       # t - s
    ok = length >= min_size
    with np.errstate(invalid="ignore", divide="ignore"):
        d1 = s1[..., None, :] - s1[..., :, None]
        cost = (s2[..., None, :] - s2[..., :, None]) - d1 * d1 / np.where(ok, length, 1)
    return np.where(ok, np.maximum(cost, 0.0), np.inf)


def _pelt_l2(x: np.ndarray, pen: float, min_size: int) -> list[int]:
    """Exact penalised l2 segmentation (the optimum PELT finds), as ruptures' breakpoints.

    Minimises ``sum of segment costs + pen * (number of change points)`` over
    segmentations with segments of at least ``min_size`` points by optimal
    partitioning (Jackson et al. 2005), the recursion PELT (Killick et al. 2012)
    speeds up by pruning; at yearly series lengths (a few hundred points) the
    unpruned recursion, vectorised over the last change, is faster than pruning
    in Python and returns the same optimum.  Returns the ends of the segments,
    the last being ``len(x)`` (ruptures' convention).
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 2 * min_size:
        return [n]
    cost = _segment_costs(x, min_size)
    F = np.full(n + 1, np.inf)
    F[0] = -pen
    last = np.zeros(n + 1, dtype=np.int64)
    for t in range(min_size, n + 1):
        cand = F[:t] + cost[:t, t]
        s = int(np.argmin(cand))          # first minimiser: ties favour earlier changes
        F[t] = cand[s] + pen
        last[t] = s
    bk, t = [], n
    while t > 0:
        bk.append(t)
        t = int(last[t])
    return bk[::-1]


def _zero_change_penalty(Y: np.ndarray, min_size: int, k_max: int = 10) -> np.ndarray:
    """For each row of ``Y``, the smallest penalty at which it gets no change point.

    That is ``max_k (C_0 - C_k) / k`` where ``C_k`` is the least l2 cost (residual
    sum of squares) with ``k`` changes and segments of at least ``min_size``,
    from the segment-neighbourhood recursion (Auger & Lawrence 1989) for
    ``k <= k_max``, vectorised over the rows.
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    n = Y.shape[1]
    K = max(1, min(k_max, n // min_size - 1))
    out = []
    for start in range(0, len(Y), 20):                           # chunks that fit in cache
        cost = _segment_costs(Y[start:start + 20], min_size)     # (B, n+1, n+1)
        C = cost[:, 0, :]                                        # 0 changes, prefix [0, t)
        c0 = C[:, n].copy()
        best = np.zeros(len(C))
        buf = np.empty_like(cost)
        for k in range(1, K + 1):
            np.add(C[:, :, None], cost, out=buf)
            C = buf.min(axis=1)
            ck = C[:, n]
            if not np.isfinite(ck).any():
                break
            best = np.maximum(best, np.where(np.isfinite(ck), (c0 - ck) / k, 0.0))
        out.append(best)
    return np.concatenate(out)


def _permutation_penalty(x: np.ndarray, min_size: int, level: float = 0.99,
                         n_perm: int = 199, seed: int = 0, label="") -> float:
    """Penalty from a Monte Carlo permutation test of "no change" at ``1 - level``.

    The series' own values are shuffled ``n_perm`` times (a series with no
    change is exchangeable, so this keeps its noise: sparsity, skew, bursts);
    the penalty is the ``level`` quantile of the smallest no-change penalty over
    the shuffles and the series itself (Phipson & Smyth 2010's ``(b + 1) /
    (B + 1)`` rule).  PELT then reports a change point only when the series'
    best segmentation beats that of all but ``1 - level`` of its shuffles.
    """
    rng = _group_seed(seed, label)
    Y = np.vstack([x] + [rng.permutation(x) for _ in range(n_perm)])
    b = np.sort(_zero_change_penalty(Y, min_size))
    k = int(np.ceil(level * (n_perm + 1)))
    return float(b[min(k, len(b)) - 1]) * (1 + 1e-9)


_PENALTY_FACTOR = {"bic": 2.0, "mbic": 3.0}
PENALTIES = ("permutation", "bic", "mbic")


def _penalty(x: np.ndarray, penalty, min_size: int, level: float, seed: int,
             label="") -> float | None:
    if penalty is None:
        return None
    if not isinstance(penalty, str):
        return float(penalty)
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {list(PENALTIES)} or a number, not {penalty!r}")
    if penalty == "permutation":
        return _permutation_penalty(x, int(min_size), float(level), seed=int(seed), label=label)
    sd = _noise_sd(x)
    if sd <= 0:
        return 0.0
    return _PENALTY_FACTOR[penalty] * sd ** 2 * np.log(len(x))


def stat_changepoints(years: pd.DataFrame, value: str = "rate", by: str = "frame",
                      method: str = "pelt", model: str = "l2", penalty="permutation",
                      min_size: int = 5, n_bkps: int | None = None, level: float = 0.99,
                      seed: int = 0) -> pd.DataFrame:
    """Change points in each frame's yearly series.

    Years are the observed years in order (gaps are not interpolated), and a
    segment spans at least ``min_size`` observed years (default 5: a framing
    regime, not a one-off speech).  With ``method="pelt"`` and the ``l2`` cost
    (a change in mean) the segmentation minimising the residual sum of squares
    plus ``penalty`` per change point is found exactly (the optimum of PELT,
    Killick et al. 2012; other models use ``ruptures``' PELT).

    The default ``penalty="permutation"`` is calibrated on the series itself,
    as a Monte Carlo permutation test of "no change" (Antoch & Huskova 2001):
    a series without a change is exchangeable, so its values are shuffled 199
    times, and for each shuffle (and the series itself) the smallest penalty at
    which it gets no change point, ``max_k (C_0 - C_k) / k`` with ``C_k`` the
    least residual sum of squares with ``k`` changes, is computed exactly by
    the segment-neighbourhood recursion (Auger & Lawrence 1989; ``k <= 10``).
    The penalty is the ``level`` quantile of these (the ``(b + 1) / (B + 1)``
    rule of Phipson & Smyth 2010), so a series with no change gets no change
    point with probability at least ``level`` (default 0.99: with some twenty
    frames a per-frame 5% false-alarm rate would flag one or two frames by
    chance in most corpora).  Shuffling keeps the series' own noise, which for
    rates of rare frames is sparse, skewed and bursty, where penalties scaled
    by a Gaussian noise estimate (BIC-type criteria) give dozens of spurious
    changes; choosing the penalty by the false-alarm rate it implies follows
    Lavielle (2005) and Truong et al. (2020, sec. 6.2).  ``"mbic"`` uses
    ``3 * sigma^2 * log(n)`` (the leading term of Zhang & Siegmund's 2007
    modified BIC), ``"bic"`` ``2 * sigma^2 * log(n)``, with sigma the larger of
    the MAD of first differences / (sqrt(2) 0.6745) and Rice's (1984)
    difference-based estimate; a number sets the penalty directly.  Slow
    drifts show up as steps: read change points with ``frames_years`` and its
    intervals.  ``method="binseg"`` or ``"dynp"`` (``ruptures``) with
    ``n_bkps`` finds exactly that many changes.

    Parameters
    ----------
    years : DataFrame
        Long table with ``by``, ``year`` and ``value`` (``frames_years``).
    method, model : str
        ``"pelt"`` (penalised, default), ``"binseg"`` or ``"dynp"``; the
        ``ruptures`` cost model (default ``"l2"``, a change in mean).
    penalty : {"permutation", "mbic", "bic"} or float
        How the cost of a change point is set (see above).
    min_size : int
        Fewest observed years in a segment (default 5).
    n_bkps : int, optional
        With ``binseg``/``dynp``: exactly this many changes.
    level : float
        With ``penalty="permutation"``: probability that a series with no
        change gets no change point (default 0.99).
    seed : int
        Seed of the permutations (each frame's stream also depends on its name).

    Returns
    -------
    DataFrame
        One row per change point: ``frame, changepoint_year`` (first year of the
        new regime), ``last_year_before, mean_before, mean_after, shift,
        n_years, method, model, penalty``.  Frames without changes (or with
        fewer than ``2 * min_size`` years) have no rows.

    References
    ----------
    Antoch, J. and Huskova, M. (2001). Permutation tests in change point
    analysis. *Statistics & Probability Letters* 53(1), 37-46.
    Auger, I. E. and Lawrence, C. E. (1989). Algorithms for the optimal
    identification of segment neighborhoods. *Bulletin of Mathematical Biology*
    51(1), 39-54.
    Jackson, B. et al. (2005). An algorithm for optimal partitioning of data on
    an interval. *IEEE Signal Processing Letters* 12(2), 105-108.
    Killick, R., Fearnhead, P. and Eckley, I. A. (2012). Optimal detection of
    changepoints with a linear computational cost. *JASA* 107(500), 1590-1598.
    Lavielle, M. (2005). Using penalized contrasts for the change-point
    problem. *Signal Processing* 85(8), 1501-1510.
    Phipson, B. and Smyth, G. K. (2010). Permutation p-values should never be
    zero. *Statistical Applications in Genetics and Molecular Biology* 9(1), 39.
    Rice, J. (1984). Bandwidth choice for nonparametric regression. *Annals of
    Statistics* 12(4), 1215-1230.
    Truong, C., Oudre, L. and Vayatis, N. (2020). Selective review of offline
    change point detection methods. *Signal Processing* 167, 107299.
    Zhang, N. R. and Siegmund, D. O. (2007). A modified Bayes information
    criterion with applications to the analysis of comparative genomic
    hybridization data. *Biometrics* 63(1), 22-32.
    """
    rows = []
    if method not in ("pelt", "binseg", "dynp"):
        raise ValueError("method must be 'pelt', 'binseg' or 'dynp'")
    if method != "pelt" and n_bkps is None and penalty is None:
        raise ValueError(f"method {method!r} needs n_bkps or a penalty")
    if isinstance(penalty, str) and penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {list(PENALTIES)} or a number, not {penalty!r}")
    if penalty == "permutation" and model != "l2" and (method == "pelt" or n_bkps is None):
        raise ValueError(f"penalty='permutation' is calibrated for the l2 cost; with "
                         f"model={model!r} pass penalty='mbic', 'bic' or a number")
    if int(min_size) < 1:
        raise ValueError(f"min_size must be at least 1, not {min_size!r}")
    min_size = int(min_size)
    for f, g in years.groupby(by, sort=False):
        g = g[g[value].notna()].sort_values("year")
        x = g[value].to_numpy(dtype=float)
        yrs = g["year"].to_numpy()
        n = len(x)
        if n < 2 * min_size or np.allclose(x, x[0]):
            continue
        pen = None if (method != "pelt" and n_bkps is not None) else \
            _penalty(x, penalty, min_size, level, seed, label=f)
        bk = _detect(x, method, model, pen, min_size, n_bkps)
        if bk is None:
            continue
        edges = [0] + list(bk)
        for i, b in enumerate(bk[:-1]):
            before, after = x[edges[i]:b], x[b:edges[i + 2]]
            rows.append((f, int(yrs[b]), int(yrs[b - 1]), float(before.mean()),
                         float(after.mean()), float(after.mean() - before.mean()), n,
                         method, model, float(pen) if pen is not None else np.nan))
    out = pd.DataFrame(rows, columns=CHANGEPOINT_COLUMNS)
    return out.astype({"frame": "str", "method": "str", "model": "str",
                       "changepoint_year": "int64", "last_year_before": "int64",
                       "n_years": "int64", "mean_before": "float64", "mean_after": "float64",
                       "shift": "float64", "penalty": "float64"})


def _detect(x, method, model, pen, min_size, n_bkps):
    """Breakpoints (ruptures' convention) of one series, or None when not run."""
    n = len(x)
    if method == "pelt":
        if not pen:
            return None
        if model == "l2":
            return _pelt_l2(x, pen, min_size)
        import ruptures as rpt

        return rpt.Pelt(model=model, min_size=min_size, jump=1).fit(x.reshape(-1, 1)).predict(pen=pen)
    import ruptures as rpt

    algo = (rpt.Binseg if method == "binseg" else rpt.Dynp)(
        model=model, min_size=min_size, jump=1).fit(x.reshape(-1, 1))
    if n_bkps is not None:
        if n_bkps * min_size + min_size > n:
            return None
        return algo.predict(n_bkps=n_bkps)
    return algo.predict(pen=pen)


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


# ---------------------------------------------------------------- sentiment
@lru_cache(maxsize=1)
def vader_analyzer():
    """NLTK's VADER analyzer, with a clear error when its lexicon is not installed.

    References
    ----------
    Hutto, C. J. and Gilbert, E. (2014). VADER: A parsimonious rule-based model
    for sentiment analysis of social media text. *Proceedings of the Eighth
    International AAAI Conference on Weblogs and Social Media (ICWSM-14)*.
    """
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    try:
        return SentimentIntensityAnalyzer()
    except LookupError:
        raise LookupError(
            "VADER's lexicon (sentiment/vader_lexicon.zip) is not installed. Run "
            "python -c \"import nltk; nltk.download('vader_lexicon')\" or set NLTK_DATA to a "
            "folder that contains sentiment/vader_lexicon.zip.") from None


def stat_sentiment(units: pd.DataFrame, docvars: Iterable[str] = ("date", "year", "speaker")
                   ) -> pd.DataFrame:
    """VADER sentiment of every unit (paragraph).

    Scores are NLTK's ``SentimentIntensityAnalyzer.polarity_scores`` of the whole
    unit text: ``neg``, ``neu``, ``pos`` proportions and the normalised
    ``compound`` score in [-1, 1].

    References
    ----------
    Hutto, C. J. and Gilbert, E. (2014). VADER. *ICWSM-14*.
    """
    sia = vader_analyzer()
    scores = [sia.polarity_scores(str(t)) for t in units["text"].tolist()]
    out = pd.DataFrame({
        "unit_id": units["unit_id"].astype(str).to_numpy(),
        "doc_id": units["doc_id"].astype(str).to_numpy(),
        "neg": [s["neg"] for s in scores], "neu": [s["neu"] for s in scores],
        "pos": [s["pos"] for s in scores], "compound": [s["compound"] for s in scores],
    }, columns=SENTIMENT_COLUMNS)
    for c in ("unit_id", "doc_id"):
        out[c] = out[c].astype("str")
    for c in docvars:
        if c in units.columns:
            out[c] = units[c].to_numpy()
    return out


@_single_blas
def stat_sentiment_years(sent: pd.DataFrame, n_boot: int = 1000, ci: float = 0.95,
                         seed: int = 0, threshold: float = 0.05) -> pd.DataFrame:
    """Mean VADER compound score per year, bootstrap interval over units.

    ``share_positive``/``share_negative`` are the shares of units with compound
    at least ``threshold`` / at most ``-threshold`` (Hutto & Gilbert's 0.05).

    References
    ----------
    Hutto, C. J. and Gilbert, E. (2014). VADER. *ICWSM-14*.
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    """
    if "year" not in sent.columns or sent["year"].notna().sum() == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in SENTIMENT_YEAR_COLUMNS}) \
            .astype({"year": "int64", "n_units": "int64", "n_docs": "int64"})
    rows = []
    s = sent[sent["year"].notna()]
    for y, g in s.groupby("year", sort=True):
        x = g["compound"].to_numpy(dtype=float)
        lo = hi = np.nan
        if n_boot > 0:
            rng = _group_seed(seed, y)
            W = _resample_weights(len(x), n_boot, rng)
            lo, hi = _percentile((W @ x / len(x))[:, None], ci)
            lo, hi = float(lo[0]), float(hi[0])
        rows.append((int(y), float(x.mean()), lo, hi, float((x >= threshold).mean()),
                     float((x <= -threshold).mean()), len(x), g["doc_id"].nunique()))
    return pd.DataFrame(rows, columns=SENTIMENT_YEAR_COLUMNS)


# --------------------------------------------------------------- validation
def _allocate(sizes: np.ndarray, n: int) -> np.ndarray:
    """Proportional allocation of n draws over strata (Hamilton's largest remainders)."""
    total = sizes.sum()
    if total <= n:
        return sizes.copy()
    quota = n * sizes / total
    alloc = np.floor(quota).astype(int)
    rem = n - alloc.sum()
    order = np.lexsort((np.arange(len(sizes)), -(quota - alloc)))
    for i in order:
        if rem == 0:
            break
        if alloc[i] < sizes[i]:
            alloc[i] += 1
            rem -= 1
    return np.minimum(alloc, sizes)


def sample_kwic(units: pd.DataFrame, dictionary: Dictionary | None = None, n_per_frame: int = 20,
                window: int = 60, strata: str | None = "year", seed: int = 0,
                frames: Sequence[str] | None = None, case_insensitive: bool = True,
                nested_scope: str = "key") -> pd.DataFrame:
    """A stratified keyword-in-context sample of each frame's matches, to code by hand.

    For every leaf frame, all counted matches in ``units`` are listed, split into
    strata (by default years) and ``n_per_frame`` of them are drawn without
    replacement with proportional allocation (largest remainders), so the
    sample is close to self-weighting and precision estimates refer to the
    frame's matches as a whole.  Each row shows ``window`` characters either
    side of the match; coders fill ``relevant`` with 1 (the passage expresses
    the frame) or 0 (a false positive) and may add a ``note``.

    Returns
    -------
    DataFrame
        ``sample_id, frame, entry, doc_id, unit_id, year, left, keyword, right,
        relevant, note``.

    References
    ----------
    Grimmer, J. and Stewart, B. M. (2013). Text as data: The promise and
    pitfalls of automatic content analysis methods for political texts.
    *Political Analysis* 21(3), 267-297 ("validate, validate, validate").
    """
    d = dictionary if dictionary is not None else load_frames_dictionary()
    keep = set(frames) if frames else None
    if keep:
        unknown = keep - set(d.keys)
        if unknown:
            raise KeyError(f"unknown frame(s) {sorted(unknown)}; frames are {d.keys}")
    if strata and strata not in units.columns:
        raise KeyError(f"sample_kwic: no column {strata!r} to stratify by (columns: "
                       f"{list(units.columns)}); use strata=None for a simple random sample")
    recs = []
    has_year = "year" in units.columns
    for row in units.itertuples(index=False):
        text = str(row.text)
        toks, spans = match_token_spans(text)
        for m in d.lookup(toks, case_insensitive=case_insensitive, nested_scope=nested_scope):
            if keep and m.key not in keep:
                continue
            a, b = spans[m.start][0], spans[m.end - 1][1]
            left = text[max(0, a - window):a]
            right = text[b:b + window]
            recs.append((m.key, m.entry, row.doc_id, row.unit_id,
                         row.year if has_year else pd.NA,
                         " ".join(left.split()), text[a:b], " ".join(right.split()), m.start,
                         getattr(row, strata) if strata and strata not in KWIC_COLUMNS else None))
    allm = pd.DataFrame(recs, columns=["frame", "entry", "doc_id", "unit_id", "year", "left",
                                       "keyword", "right", "_pos", "_stratum"])
    if allm.empty:
        out = pd.DataFrame({c: pd.Series(dtype="str") for c in KWIC_COLUMNS})
        out["year"] = out["year"].astype("Int64")
        return out
    parts = []
    order = {k: i for i, k in enumerate(d.keys)}
    for f in sorted(allm["frame"].unique(), key=order.get):
        g = allm[allm["frame"] == f].reset_index(drop=True)
        rng = _group_seed(seed, f)
        col = strata if strata in KWIC_COLUMNS else "_stratum"
        st = g[col].astype(str).fillna("NA") if strata else pd.Series("all", index=g.index)
        labels = sorted(st.unique())
        sizes = np.array([(st == s).sum() for s in labels])
        alloc = _allocate(sizes, n_per_frame)
        chosen = []
        for s, k in zip(labels, alloc):
            idx = np.flatnonzero((st == s).to_numpy())
            if k > 0:
                chosen.extend(rng.choice(idx, size=int(k), replace=False).tolist())
        parts.append(g.iloc[sorted(chosen)])
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["frame", "year", "unit_id", "_pos"],
                          key=lambda s: s.map(order) if s.name == "frame" else s,
                          kind="stable").drop(columns=["_pos", "_stratum"]).reset_index(drop=True)
    out.insert(0, "sample_id", [f"s{i + 1:05d}" for i in range(len(out))])
    out["relevant"] = ""
    out["note"] = ""
    out["year"] = out["year"].astype("Int64")
    return out[KWIC_COLUMNS]


_YES = {"1", "yes", "y", "true", "t", "relevant", "1.0"}
_NO = {"0", "no", "n", "false", "f", "not relevant", "irrelevant", "0.0"}


def wilson_interval(count: int, nobs: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (statsmodels' implementation).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA* 22(158), 209-212.
    """
    from statsmodels.stats.proportion import proportion_confint

    if nobs <= 0:
        return (np.nan, np.nan)
    lo, hi = proportion_confint(count, nobs, alpha=alpha, method="wilson")
    return float(lo), float(hi)


def validate_coding(coded, alpha: float = 0.05, code_col: str = "relevant") -> pd.DataFrame:
    """Precision per frame from a hand-coded KWIC sample, with Wilson intervals.

    Parameters
    ----------
    coded : str, Path or DataFrame
        The CSV written by ``r2p frames sample`` after coding: column ``frame``
        and ``relevant`` holding 1/0 (also yes/no, y/n, true/false).  Blank
        codes are skipped and counted as ``n_uncoded``.
    alpha : float
        1 - coverage of the intervals.

    Returns
    -------
    DataFrame
        ``frame, n_coded, n_relevant, precision, ci_low, ci_high, n_uncoded``,
        one row per frame and a final ``ALL`` row pooling every coded match.

    Raises
    ------
    ValueError
        When a column is missing or a code is not recognised, naming the file,
        the CSV line and the value.

    References
    ----------
    Wilson, E. B. (1927). *JASA* 22(158), 209-212.
    Grimmer, J. and Stewart, B. M. (2013). *Political Analysis* 21(3), 267-297.
    """
    name = "<DataFrame>"
    if not isinstance(coded, pd.DataFrame):
        name = str(coded)
        p = Path(coded)
        if not p.exists():
            raise FileNotFoundError(f"{p}: coded sample not found; create it with "
                                    "'r2p frames sample' and fill the 'relevant' column")
        coded = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = [c for c in ("frame", code_col) if c not in coded.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; the coded file needs 'frame' "
                         f"and '{code_col}' (1 = relevant, 0 = false positive)")
    codes = []
    for i, v in enumerate(coded[code_col].tolist()):
        s = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().lower()
        if s == "":
            codes.append(np.nan)
        elif s in _YES:
            codes.append(1.0)
        elif s in _NO:
            codes.append(0.0)
        else:
            raise ValueError(f"{name}, line {i + 2} (sample_id "
                             f"{coded['sample_id'].iloc[i] if 'sample_id' in coded else i + 1}): "
                             f"{code_col}={v!r} is not a code; use 1 (relevant) or 0 "
                             "(false positive), or leave blank to skip")
    df = pd.DataFrame({"frame": coded["frame"].astype(str).to_numpy(), "code": codes})
    rows = []
    for f, g in df.groupby("frame", sort=False):
        c = g["code"].dropna()
        k, n = int(c.sum()), len(c)
        lo, hi = wilson_interval(k, n, alpha)
        rows.append((f, n, k, k / n if n else np.nan, lo, hi, int(g["code"].isna().sum())))
    c = df["code"].dropna()
    k, n = int(c.sum()), len(c)
    lo, hi = wilson_interval(k, n, alpha)
    rows.append(("ALL", n, k, k / n if n else np.nan, lo, hi, int(df["code"].isna().sum())))
    out = pd.DataFrame(rows, columns=PRECISION_COLUMNS)
    return out.astype({"frame": "str", "n_coded": "int64", "n_relevant": "int64",
                       "n_uncoded": "int64"})
