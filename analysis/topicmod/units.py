"""Topic-model units: merge paragraphs too short to carry a topic into a neighbour.

Very short units (a salutation, a one-line paragraph) have topic shares dominated by
the prior. Pooling short texts before fitting a topic model is the remedy studied by
Hong & Davison (2010), who aggregated tweets by author; here a short paragraph is
pooled with its neighbour in the same speech, which keeps every token and the
unit-to-document map.

References
----------
Hong, L., & Davison, B. D. (2010). Empirical study of topic modeling in Twitter.
*Proceedings of the First Workshop on Social Media Analytics (SOMA)*, 80-88.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.errors import require_columns

__all__ = ["merge_short_units"]


def merge_short_units(units: pd.DataFrame, matrix, min_tokens: int = 10):
    """Merge units with fewer than ``min_tokens`` model tokens into a neighbour.

    A short unit is merged into the preceding unit of the same document (the
    first unit of a document into the following one), so the unit-to-document map
    is preserved: merged units keep the ``unit_id`` of their first part, list
    all parts in ``merged_ids`` and carry the summed counts. A document whose
    units together stay below ``min_tokens`` becomes a single unit.

    Parameters
    ----------
    units : DataFrame
        Rows aligned with ``matrix``; needs ``unit_id`` and ``doc_id`` and should be
        sorted by document and position (as ``analysis.units.make_units`` returns).
    matrix : sparse matrix (units x terms)
        Counts of the tokens the model will see.
    min_tokens : int

    Returns
    -------
    units : DataFrame
        Merged units (``text`` joined with a space, ``n_tokens`` summed if
        present) with extra columns ``merged_ids`` and ``n_model_tokens``.
    matrix : csr_matrix
        Counts of the merged units.
    """
    require_columns(units, ("unit_id", "doc_id"), what="units", hint="build them with analysis.units.make_units")
    M = sp.csr_matrix(matrix)
    if M.shape[0] != len(units):
        raise ValueError(f"units has {len(units)} rows but the matrix has {M.shape[0]}")
    ntok = np.asarray(M.sum(axis=1)).ravel()
    doc = units["doc_id"].astype(str).to_numpy()
    group = np.empty(len(units), dtype=np.int64)
    g = -1
    i = 0
    n = len(units)
    while i < n:
        j = i
        while j < n and doc[j] == doc[i]:
            j += 1
        # units i..j-1 belong to one document
        groups: list[list[int]] = []
        carry: list[int] = []
        for r in range(i, j):
            cur = carry + [r]
            if ntok[cur].sum() < min_tokens:
                if groups and not carry:
                    groups[-1].append(r)
                else:
                    carry = cur
                continue
            groups.append(cur)
            carry = []
        if carry:
            if groups:
                groups[-1].extend(carry)
            else:
                groups.append(carry)
        for members in groups:
            g += 1
            group[members] = g
        i = j
    n_groups = g + 1
    G = sp.csr_matrix((np.ones(n), (group, np.arange(n))), shape=(n_groups, n))
    merged = (G @ M).tocsr()
    # a group is a run of consecutive units (group numbers rise along the rows): its first row
    # starts the run, and its parts are joined only where a run holds more than one unit
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if n else np.zeros(0, dtype=np.int64)
    out = units.iloc[first].reset_index(drop=True).copy()
    out["merged_ids"] = _join_runs(units["unit_id"].astype(str).to_numpy(), first, n, ";")
    if "text" in units.columns:
        out["text"] = _join_runs(units["text"].astype(str).to_numpy(), first, n, " ")
    if "n_tokens" in units.columns:
        out["n_tokens"] = np.add.reduceat(units["n_tokens"].to_numpy(), first) if n else units["n_tokens"].to_numpy()
    out["n_model_tokens"] = np.asarray(merged.sum(axis=1)).ravel().astype(np.int64)
    return out, merged


def _join_runs(values: np.ndarray, starts: np.ndarray, n: int, sep: str) -> np.ndarray:
    """``sep.join`` of each run ``values[starts[i]:starts[i + 1]]`` (the last run ends at ``n``)."""
    out = np.asarray(values, dtype=object)[starts]
    ends = np.r_[starts[1:], n] if len(starts) else starts
    for i in np.flatnonzero(ends - starts > 1):
        out[i] = sep.join(values[starts[i]:ends[i]])
    return out
