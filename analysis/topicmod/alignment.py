"""Matching topics between fits: Hungarian alignment and stability across seeds."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from analysis.topicmod.tables import TABLE_COLUMNS

__all__ = ["alignment_table", "cosine_matrix", "match_topics", "stability", "stat_alignment"]


def cosine_matrix(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Cosine similarity between every row of ``A`` and every row of ``B``."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"topic-word matrices have {A.shape[1]} and {B.shape[1]} terms; "
            "fit both models on the same document-term matrix"
        )
    na = np.linalg.norm(A, axis=1, keepdims=True)
    nb = np.linalg.norm(B, axis=1, keepdims=True)
    na[na == 0] = 1.0
    nb[nb == 0] = 1.0
    return (A / na) @ (B / nb).T


def match_topics(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-to-one matching of the topics of two fits maximising total cosine similarity.

    Parameters
    ----------
    A, B : ndarray (K_a, V), (K_b, V)
        Topic-word weights over the same vocabulary.

    Returns
    -------
    rows, cols : ndarray of int
        Matched pairs ``A[rows[i]] <-> B[cols[i]]`` (``min(K_a, K_b)`` pairs, ``rows`` sorted).
    sims : ndarray of float
        Cosine similarity of each matched pair.

    References
    ----------
    Kuhn, H. W. (1955). The Hungarian method for the assignment problem. *Naval
    Research Logistics Quarterly*, 2(1-2), 83-97.
    Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics?
    Stability analysis for topic models. *ECML PKDD*, LNCS 8724, 498-513.
    """
    S = cosine_matrix(A, B)
    rows, cols = linear_sum_assignment(S, maximize=True)
    return rows, cols, S[rows, cols]


def stability(fits: Sequence[np.ndarray]) -> float:
    """Stability of a topic model across runs (Greene et al. 2014).

    For every pair of runs, topics are matched one-to-one with the Hungarian
    algorithm and the mean cosine similarity of matched topic-word vectors is
    taken; the stability is the mean over all pairs of runs (1 = identical topics
    up to order). Greene et al. compare top-term lists with average Jaccard; we
    use the cosine of the full topic-word vectors, which is smoother and needs no
    choice of list length.

    Parameters
    ----------
    fits : sequence of ndarray (K, V)
        Topic-word matrices of the same K from different seeds (or data samples).

    Returns
    -------
    float in [0, 1] for non-negative weights; NaN if fewer than two runs.

    References
    ----------
    Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics?
    Stability analysis for topic models. *ECML PKDD*, LNCS 8724, 498-513.
    """
    fits = list(fits)
    if len(fits) < 2:
        return float("nan")
    scores = [match_topics(a, b)[2].mean() for a, b in combinations(fits, 2)]
    return float(np.mean(scores))


def alignment_table(
    A: np.ndarray,
    B: np.ndarray,
    terms: Sequence[str],
    label_a: dict | None = None,
    label_b: dict | None = None,
    n_terms: int = 5,
) -> pd.DataFrame:
    """Tidy alignment report between two fits.

    Columns: ``topic_a``, ``topic_b`` (1-based), ``cosine``, ``top_terms_a``,
    ``top_terms_b``, plus any constant columns from ``label_a`` / ``label_b``
    (e.g. ``{"model_a": "lda", "seed_a": 0}``). Unmatched topics of the larger fit
    are listed with ``topic_b`` (or ``topic_a``) missing.
    """
    terms = np.asarray(terms)
    rows, cols, sims = match_topics(A, B)

    def top(M, k):
        order = np.argsort(-np.asarray(M[k]), kind="stable")[:n_terms]
        return " ".join(str(t) for t in terms[order])

    recs = []
    for r, c, s in zip(rows, cols, sims):
        recs.append({"topic_a": int(r) + 1, "topic_b": int(c) + 1, "cosine": float(s),
                     "top_terms_a": top(A, r), "top_terms_b": top(B, c)})
    for r in sorted(set(range(len(A))) - set(rows.tolist())):
        recs.append({"topic_a": r + 1, "topic_b": pd.NA, "cosine": np.nan,
                     "top_terms_a": top(A, r), "top_terms_b": ""})
    for c in sorted(set(range(len(B))) - set(cols.tolist())):
        recs.append({"topic_a": pd.NA, "topic_b": c + 1, "cosine": np.nan,
                     "top_terms_a": "", "top_terms_b": top(B, c)})
    df = pd.DataFrame(recs, columns=["topic_a", "topic_b", "cosine", "top_terms_a", "top_terms_b"])
    df["topic_a"] = df["topic_a"].astype("Int64")
    df["topic_b"] = df["topic_b"].astype("Int64")
    front = {}
    for d in (label_a or {}), (label_b or {}):
        front.update(d)
    for i, (k, v) in enumerate(front.items()):
        df.insert(i, k, v)
    return df


def stat_alignment(fit_a, fit_b, seed_a=None, seed_b=None, n_terms: int = 5) -> pd.DataFrame:
    """Hungarian alignment of two fitted :class:`analysis.topicmod.TopicModel` over one vocabulary.

    Rows of ``topic_alignment.csv``: each topic of ``fit_a`` with its matched topic of
    ``fit_b`` (:func:`alignment_table`), the cosine of their topic-word vectors and their
    top ``n_terms`` terms; the seeds default to the fits' ``random_state``.

    References
    ----------
    Kuhn, H. W. (1955). The Hungarian method for the assignment problem. *Naval
    Research Logistics Quarterly*, 2(1-2), 83-97.
    """
    if not np.array_equal(fit_a.terms_, fit_b.terms_):
        raise ValueError("the two fits use different vocabularies; fit them on the same DTM")
    df = alignment_table(fit_a.components_, fit_b.components_, fit_a.terms_, n_terms=n_terms)
    df.insert(0, "model_a", fit_a.method)
    df.insert(1, "seed_a", seed_a if seed_a is not None else fit_a.random_state)
    df.insert(2, "model_b", fit_b.method)
    df.insert(3, "seed_b", seed_b if seed_b is not None else fit_b.random_state)
    df.insert(4, "k", fit_a.n_components)
    df["engine_a"] = getattr(fit_a, "engine", f"sklearn-{fit_a.method}")
    df["engine_b"] = getattr(fit_b, "engine", f"sklearn-{fit_b.method}")
    return df[TABLE_COLUMNS["topic_alignment"]]
