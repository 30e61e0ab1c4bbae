"""Similarity of documents, years and sources to the anchor from paragraph embeddings.

For every paragraph ``p`` its best match in the anchor is ``s(p) = max_a cos(e_p, e_a)``
over the anchor's paragraphs ``a`` (the paragraph-level alignment of BERTScore's
greedy matching, Zhang et al. 2020, averaged one way: how much of each text is
said in the anchor). A group's similarity is the mean of ``s(p)`` over its
paragraphs, with a nonparametric bootstrap interval over paragraphs drawn from
``analysis.stats.bootstrap.group_rng(seed, by, label)`` (a document's stream from
``group_rng(seed, doc_id)``).

References
----------
Zhang, T., Kishore, V., Wu, F., Weinberger, K. Q., & Artzi, Y. (2020). BERTScore:
Evaluating text generation with BERT. *ICLR 2020*.

Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import UsageError, require_columns
from analysis.stats.bootstrap import group_rng, percentile_interval, resample_counts

__all__ = ["best_matches", "nearest_anchor_paragraphs", "stat_semantic_similarity"]


def best_matches(E: np.ndarray, anchor_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``E`` (unit-normalised), the best cosine to an anchor row and that row's index."""
    A = E[anchor_mask]
    if len(A) == 0:
        raise UsageError("the anchor has no paragraphs to compare with")
    S = E @ A.T
    j = S.argmax(axis=1)
    return S[np.arange(len(E)), j].astype(float), np.flatnonzero(anchor_mask)[j]


def nearest_anchor_paragraphs(units: pd.DataFrame, E: np.ndarray, anchor: str) -> pd.DataFrame:
    """For each non-anchor paragraph, the anchor paragraph closest in meaning (a table to read).

    Columns: unit_id, doc_id (+ year/source/speaker when present), similarity,
    anchor_unit_id, text, anchor_text; sorted by document and position.
    """
    require_columns(units, ["unit_id", "doc_id", "text"], what="the units table")
    is_anchor = (units["doc_id"].astype(str) == str(anchor)).to_numpy()
    sim, j = best_matches(E, is_anchor)
    keep = [c for c in ("unit_id", "doc_id", "year", "source", "speaker", "position") if c in units]
    out = units[keep].reset_index(drop=True).copy()
    out["similarity"] = sim
    out["anchor_unit_id"] = units["unit_id"].to_numpy()[j]
    out["text"] = units["text"].to_numpy()
    out["anchor_text"] = units["text"].to_numpy()[j]
    return out[~is_anchor].reset_index(drop=True)


def stat_semantic_similarity(units: pd.DataFrame, E: np.ndarray, anchor: str, by=("doc_id", "year", "source"),
                             n_boot: int = 200, ci: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Mean best-match similarity to the anchor per document, year and source, with bootstrap intervals.

    Returns long rows: ``level`` (the grouping column), ``group``, ``similarity``,
    ``ci_low``, ``ci_high``, ``n_paragraphs``, ``is_anchor`` (the anchor's own
    document, similarity 1 by construction). Levels absent from ``units`` are skipped.
    """
    require_columns(units, ["unit_id", "doc_id"], what="the units table")
    if len(units) != len(E):
        raise UsageError(f"{len(units)} units but {len(E)} embeddings")
    if n_boot < 0:
        raise UsageError(f"n_boot must be >= 0, got {n_boot}")
    units = units.reset_index(drop=True)
    is_anchor = (units["doc_id"].astype(str) == str(anchor)).to_numpy()
    if not is_anchor.any():
        raise UsageError(f"anchor document {anchor!r} has no paragraphs in the units table")
    sim, _ = best_matches(E, is_anchor)
    rows = []
    for level in [b for b in by if b in units.columns]:
        for value, idx in units.groupby(level, sort=True, dropna=True).indices.items():
            x = sim[idx]
            label = str(value)
            rng = group_rng(seed, label) if level == "doc_id" else group_rng(seed, level, label)
            if n_boot and len(x) > 1:
                W = resample_counts(len(x), n_boot, rng)
                lo, hi = percentile_interval(W @ x / len(x), ci=ci)
            else:
                lo = hi = np.nan
            rows.append({"level": level, "group": label, "similarity": float(x.mean()), "ci_low": float(lo),
                         "ci_high": float(hi), "n_paragraphs": int(len(x)),
                         "is_anchor": bool(is_anchor[idx].all())})
    return pd.DataFrame(rows, columns=["level", "group", "similarity", "ci_low", "ci_high", "n_paragraphs",
                                       "is_anchor"])
