"""Topic quality measures: NPMI and UMass coherence, FREX, exclusivity, relevance.

All measures take topics as ranked lists of terms (or a topic-word matrix) and a
reference unit-term matrix (rows are the units in which co-occurrence is counted,
normally the paragraphs the model was fitted on). They return plain NumPy arrays
or tidy DataFrames.

Relation to gensim's ``CoherenceModel``
---------------------------------------
* ``npmi`` equals gensim's ``'c_npmi'`` (segmentation ``s_one_one``, normalised
  log-ratio with ``EPSILON = 1e-12``, arithmetic mean per topic) **when gensim's
  sliding window is at least as long as the longest unit**, i.e. when each unit is
  one "virtual document". gensim's default for ``c_npmi`` is a 10-token sliding
  window over the running text; we count co-occurrence within units (paragraphs)
  as Bouma (2009) and Lau et al. (2014) do for document co-occurrence. Pass
  ``window_size=max_unit_length`` (or larger) to gensim to reproduce our numbers.
* ``umass`` with ``smoothing=1`` is Mimno et al. (2011), averaged over the
  ``M(M-1)/2`` ordered pairs (their sum divided by the number of pairs, so values
  are comparable across ``top_n``). gensim's ``'u_mass'`` adds ``1e-12 * N``
  instead of 1 to the co-document count; ``smoothing=1e-12 * n_units`` reproduces
  it exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import rankdata

__all__ = [
    "EPSILON",
    "cooccurrence",
    "exclusivity",
    "frex_scores",
    "npmi_coherence",
    "relevance_scores",
    "top_term_indices",
    "umass_coherence",
]

EPSILON = 1e-12


def _as_binary_csc(X) -> sp.csc_matrix:
    if hasattr(X, "matrix"):  # analysis.dtm.DTM
        X = X.matrix
    X = sp.csc_matrix(X)
    B = X.copy()
    B.data = (B.data > 0).astype(np.float64)
    B.eliminate_zeros()
    return B


def _resolve(topics: Sequence[Sequence], terms) -> list[np.ndarray]:
    """Turn topics given as term strings or column indices into index arrays."""
    index = None
    out = []
    for t, topic in enumerate(topics):
        topic = list(topic)
        if len(topic) < 2:
            raise ValueError(f"topic {t} has {len(topic)} terms; coherence needs at least 2")
        if all(isinstance(w, (int, np.integer)) for w in topic):
            out.append(np.asarray(topic, dtype=np.int64))
            continue
        if terms is None:
            raise ValueError("topics are given as strings: pass `terms` (the matrix columns)")
        if index is None:
            index = {str(w): i for i, w in enumerate(terms)}
        missing = [w for w in topic if str(w) not in index]
        if missing:
            raise KeyError(
                f"topic {t}: terms {missing[:5]} are not columns of the reference matrix; "
                "build the reference matrix with the same vocabulary as the model"
            )
        out.append(np.asarray([index[str(w)] for w in topic], dtype=np.int64))
    return out


def cooccurrence(X, term_index: np.ndarray) -> tuple[np.ndarray, int]:
    """Co-document counts for a set of columns.

    Parameters
    ----------
    X : sparse matrix (units x terms) or DTM
        Reference counts; only presence matters.
    term_index : array of int
        Columns to count.

    Returns
    -------
    D : ndarray (m, m)
        ``D[i, j]`` = number of units containing both terms, ``D[i, i]`` = unit frequency.
    n_units : int
    """
    B = _as_binary_csc(X)
    sub = B[:, np.asarray(term_index, dtype=np.int64)]
    D = np.asarray((sub.T @ sub).todense(), dtype=np.float64)
    return D, B.shape[0]


def _pair_matrices(topics_idx, X):
    union = np.unique(np.concatenate(topics_idx))
    D, n = cooccurrence(X, union)
    pos = {int(c): i for i, c in enumerate(union)}
    return D, n, pos


def npmi_coherence(topics, X, terms=None, eps: float = EPSILON) -> np.ndarray:
    """Normalised pointwise mutual information coherence of each topic.

    For every unordered pair of a topic's terms ``(i, j)``::

        NPMI(i, j) = log((p(i, j) + eps) / (p(i) p(j))) / -log(p(i, j) + eps)

    with probabilities estimated as the share of reference units containing the
    term(s). A topic's score is the mean over its pairs (NPMI is symmetric, so this
    equals the mean over ordered pairs, gensim's ``s_one_one``). Pairs that never
    co-occur score close to -1 (exactly -1 as ``eps -> 0``); pairs involving a
    term absent from the reference are ignored (NaN if all are).

    Parameters
    ----------
    topics : list of list of str or int
        Ranked top terms of each topic (strings need ``terms``) or column indices.
    X : sparse matrix (units x terms) or DTM
        Reference unit-term counts.
    terms : array of str, optional
        Column names of ``X``.
    eps : float
        Smoothing of the joint probability, as gensim's ``EPSILON``.

    Returns
    -------
    ndarray of shape (n_topics,)

    References
    ----------
    Bouma, G. (2009). Normalized (pointwise) mutual information in collocation
    extraction. *Proceedings of GSCL*, 31-40.
    Lau, J. H., Newman, D., & Baldwin, T. (2014). Machine reading tea leaves:
    Automatically evaluating topic coherence and topic model quality. *EACL*, 530-539.
    """
    if terms is None and hasattr(X, "terms"):
        terms = X.terms
    idx = _resolve(topics, terms)
    D, n, pos = _pair_matrices(idx, X)
    out = np.full(len(idx), np.nan)
    for t, topic in enumerate(idx):
        p = np.array([pos[int(c)] for c in topic])
        sub = D[np.ix_(p, p)]
        df = np.diag(sub) / n
        iu = np.triu_indices(len(p), k=1)
        pij = sub[iu] / n
        pi, pj = df[iu[0]], df[iu[1]]
        ok = (pi > 0) & (pj > 0)
        if not ok.any():
            continue
        with np.errstate(divide="ignore"):
            vals = np.log((pij[ok] + eps) / (pi[ok] * pj[ok])) / -np.log(pij[ok] + eps)
        out[t] = float(np.mean(vals))
    return out


def umass_coherence(topics, X, terms=None, smoothing: float = 1.0) -> np.ndarray:
    """UMass coherence (Mimno et al. 2011) of each topic, averaged over pairs.

    For a topic's ranked terms ``v_1..v_M``::

        C = mean_{m=2..M} mean_{l<m} log((D(v_m, v_l) + smoothing) / D(v_l))

    where ``D`` counts reference units (co-)containing the terms. Mimno et al. sum
    the ``M(M-1)/2`` terms; we report the mean so scores compare across ``M``
    (multiply by ``M(M-1)/2`` for the sum). Pairs whose conditioning term is
    absent from the reference are ignored.

    Parameters
    ----------
    topics : list of list of str or int
        Ranked top terms (most probable first).
    X : sparse matrix (units x terms) or DTM
    terms : array of str, optional
    smoothing : float
        Added to the co-document count: 1 in Mimno et al.; ``1e-12 * n_units``
        reproduces gensim's ``'u_mass'``.

    Returns
    -------
    ndarray of shape (n_topics,)

    References
    ----------
    Mimno, D., Wallach, H., Talley, E., Leenders, M., & McCallum, A. (2011).
    Optimizing semantic coherence in topic models. *EMNLP*, 262-272.
    """
    if terms is None and hasattr(X, "terms"):
        terms = X.terms
    idx = _resolve(topics, terms)
    D, _n, pos = _pair_matrices(idx, X)
    out = np.full(len(idx), np.nan)
    for t, topic in enumerate(idx):
        p = np.array([pos[int(c)] for c in topic])
        sub = D[np.ix_(p, p)]
        m_idx, l_idx = np.tril_indices(len(p), k=-1)  # m > l: (later, earlier)
        dl = sub[l_idx, l_idx]
        ok = dl > 0
        if not ok.any():
            continue
        vals = np.log((sub[m_idx, l_idx][ok] + smoothing) / dl[ok])
        out[t] = float(np.mean(vals))
    return out


def top_term_indices(phi: np.ndarray, n: int = 10) -> np.ndarray:
    """Column indices of each row's ``n`` largest weights, ties broken by column order."""
    phi = np.asarray(phi)
    n = min(n, phi.shape[1])
    # stable descending sort: sort by -weight with mergesort keeps column order for ties
    return np.argsort(-phi, axis=1, kind="stable")[:, :n]


def frex_scores(phi: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """FREX score of every term in every topic, as in stm's ``calcfrex``.

    With ``phi`` the topic-word probabilities (rows sum to one), the exclusivity of
    term ``w`` in topic ``k`` is ``phi[k, w] / sum_j phi[j, w]``. Within each topic,
    frequency and exclusivity are converted to ECDF ranks (average rank of ties
    divided by the vocabulary size) and combined by a weighted harmonic mean::

        FREX = 1 / (weight / ECDF_freq + (1 - weight) / ECDF_excl)

    stm optionally shrinks exclusivity with a James-Stein estimator when word
    counts are supplied; we use the unshrunk form (stm's default when
    ``wordcounts`` is NULL).

    Parameters
    ----------
    phi : ndarray (K, V)
        Topic-word distributions.
    weight : float
        Weight on frequency (stm's ``frexw``; 0.5 is stm's default in ``labelTopics``).

    Returns
    -------
    ndarray (K, V) in (0, 1]

    References
    ----------
    Bischof, J., & Airoldi, E. M. (2012). Summarizing topical content with word
    frequency and exclusivity. *ICML*, 201-208.
    Roberts, M. E., Stewart, B. M., & Tingley, D. (2019). stm: An R package for
    structural topic models. *Journal of Statistical Software*, 91(2), 1-40.
    """
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must lie in [0, 1], got {weight}")
    phi = np.asarray(phi, dtype=np.float64)
    V = phi.shape[1]
    colsum = phi.sum(axis=0, keepdims=True)
    excl = np.divide(phi, colsum, out=np.zeros_like(phi), where=colsum > 0)
    fr = rankdata(phi, axis=1, method="average") / V
    ex = rankdata(excl, axis=1, method="average") / V
    return 1.0 / (weight / fr + (1.0 - weight) / ex)


def exclusivity(phi: np.ndarray, top_n: int = 10, weight: float = 0.7) -> np.ndarray:
    """Exclusivity of each topic: mean FREX of its ``top_n`` most probable terms.

    This is stm's ``exclusivity()`` (which sums FREX with ``frexw = 0.7`` over the
    top terms), divided by ``top_n`` so that it lies in (0, 1].

    Parameters
    ----------
    phi : ndarray (K, V)
    top_n : int
    weight : float
        Frequency weight of FREX (stm's default here is 0.7).

    Returns
    -------
    ndarray (K,)

    References
    ----------
    Roberts, M. E., Stewart, B. M., & Tingley, D. (2019). stm: An R package for
    structural topic models. *Journal of Statistical Software*, 91(2), 1-40.
    Bischof, J., & Airoldi, E. M. (2012). Summarizing topical content with word
    frequency and exclusivity. *ICML*, 201-208.
    """
    phi = np.asarray(phi, dtype=np.float64)
    frex = frex_scores(phi, weight=weight)
    top = top_term_indices(phi, top_n)
    return np.take_along_axis(frex, top, axis=1).mean(axis=1)


def relevance_scores(phi: np.ndarray, term_prob: np.ndarray, lambda_: float = 0.6) -> np.ndarray:
    """Relevance of each term to each topic (Sievert & Shirley 2014).

    ``r(w, k | lambda) = lambda * log phi[k, w] + (1 - lambda) * log(phi[k, w] / p(w))``
    where ``p(w)`` is the term's marginal probability in the corpus. ``lambda = 1``
    ranks by probability, ``lambda = 0`` by lift; 0.6 is the value their user study
    found best.

    Parameters
    ----------
    phi : ndarray (K, V)
    term_prob : ndarray (V,)
        Marginal term probabilities (corpus term counts / total).
    lambda_ : float in [0, 1]

    Returns
    -------
    ndarray (K, V)

    References
    ----------
    Sievert, C., & Shirley, K. (2014). LDAvis: A method for visualizing and
    interpreting topics. *Workshop on Interactive Language Learning, Visualization,
    and Interfaces*, 63-70.
    """
    if not 0 <= lambda_ <= 1:
        raise ValueError(f"lambda_ must lie in [0, 1], got {lambda_}")
    phi = np.asarray(phi, dtype=np.float64)
    p = np.asarray(term_prob, dtype=np.float64)
    tiny = np.finfo(np.float64).tiny
    lphi = np.log(np.maximum(phi, tiny))
    lp = np.log(np.maximum(p, tiny))
    return lambda_ * lphi + (1.0 - lambda_) * (lphi - lp[None, :])


def coherence_table(topics, X, terms=None) -> pd.DataFrame:
    """Tidy per-topic NPMI and UMass: columns topic, npmi, umass."""
    return pd.DataFrame(
        {
            "topic": np.arange(1, len(topics) + 1),
            "npmi": npmi_coherence(topics, X, terms),
            "umass": umass_coherence(topics, X, terms),
        }
    )
