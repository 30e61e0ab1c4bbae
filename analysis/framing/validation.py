"""Hand-coding validation of the dictionary frames: KWIC samples and precision.

:func:`sample_kwic` draws a stratified keyword-in-context sample of each
frame's matches for coders to mark relevant or not; :func:`validate_coding`
reads the coded sample back and reports each frame's precision with Wilson
score intervals.

References
----------
Grimmer, J. and Stewart, B. M. (2013). Text as data: The promise and pitfalls
of automatic content analysis methods for political texts. *Political
Analysis* 21(3), 267-297.
Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. *JASA* 22(158), 209-212.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.framing.dictionary import Dictionary, match_token_spans
from analysis.framing.frames import as_dictionary
from analysis.stats.bootstrap import group_rng

__all__ = ["KWIC_COLUMNS", "PRECISION_COLUMNS", "sample_kwic", "validate_coding", "wilson_interval"]

KWIC_COLUMNS = ["sample_id", "frame", "entry", "doc_id", "unit_id", "year", "left",
                "keyword", "right", "relevant", "note"]
PRECISION_COLUMNS = ["frame", "n_coded", "n_relevant", "precision", "ci_low", "ci_high",
                     "n_uncoded"]


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


def sample_kwic(units: pd.DataFrame, dictionary: Dictionary | str | Path, n_per_frame: int = 20,
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
    d = as_dictionary(dictionary)
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
        rng = group_rng(seed, f)
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

