"""Novelty, transience and resonance of documents in time (Barron et al. 2018).

Each document j is a probability distribution s_j: its topic mixture when a
topic model has been fitted (the ``document_topics`` table of the topics stage),
otherwise its smoothed term distribution. With documents ordered by date and a
window of w documents::

    N_w(j) = (1/w) sum_{d=1..w} KL(s_j || s_{j-d})      novelty
    T_w(j) = (1/w) sum_{d=1..w} KL(s_j || s_{j+d})      transience
    R_w(j) = N_w(j) - T_w(j)                            resonance

Documents without w predecessors have no novelty (NaN), without w successors no
transience, and resonance needs both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.errors import require_columns

__all__ = [
    "NOVELTY_COLUMNS",
    "TOPIC_SIMILARITY_COLUMNS",
    "stat_topic_similarity_to_anchor",
    "kl_divergence",
    "novelty_transience",
    "stat_novelty",
    "term_matrix",
    "topic_matrix",
]

NOVELTY_COLUMNS = ["doc_id", "position", "novelty", "transience", "resonance", "window", "basis"]


def kl_divergence(p, q, base: float = 2.0) -> np.ndarray:
    """KL(p || q) for rows of p and q (0 log 0 = 0; infinite where q = 0 < p)."""
    p = np.atleast_2d(np.asarray(p, dtype=float))
    q = np.atleast_2d(np.asarray(q, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return terms.sum(axis=1) / np.log(base)


def novelty_transience(S, window: int = 3, base: float = 2.0) -> pd.DataFrame:
    """Novelty, transience and resonance for the rows of S (already in time order).

    Parameters
    ----------
    S : array of shape (n_docs, n_components)
        Each row a probability distribution (rows are renormalised to sum to 1).
    window : int
        w, the number of preceding / following documents compared.
    base : float
        Logarithm base of the KL divergence (2: bits, as in the paper).

    Returns
    -------
    DataFrame with ``position``, ``novelty``, ``transience``, ``resonance``.

    References
    ----------
    Barron, A. T. J., Huang, J., Spang, R. L., & DeDeo, S. (2018). Individuals,
    institutions, and innovation in the debates of the French Revolution.
    *Proceedings of the National Academy of Sciences*, 115(18), 4607-4612.
    """
    S = np.asarray(S, dtype=float)
    if S.ndim != 2:
        raise ValueError("S must be a 2-D array (documents x components)")
    w = int(window)
    if w < 1:
        raise ValueError(f"novelty window must be a positive integer, got {window!r}")
    if np.any(S < 0):
        raise ValueError("distributions must be non-negative")
    sums = S.sum(axis=1, keepdims=True)
    if np.any(sums <= 0):
        raise ValueError("every document needs a non-empty distribution")
    S = S / sums
    n = S.shape[0]
    nov = np.full(n, np.nan)
    tra = np.full(n, np.nan)
    for j in range(n):
        if j - w >= 0:
            nov[j] = kl_divergence(np.repeat(S[j:j + 1], w, 0), S[j - w:j][::-1], base).mean()
        if j + w < n:
            tra[j] = kl_divergence(np.repeat(S[j:j + 1], w, 0), S[j + 1:j + w + 1], base).mean()
    return pd.DataFrame({"position": np.arange(n, dtype=np.int64), "novelty": nov,
                         "transience": tra, "resonance": nov - tra})


def topic_matrix(document_topics: pd.DataFrame, doc_ids) -> np.ndarray:
    """Documents x topics matrix from the long ``document_topics`` table (doc_id, topic, share)."""
    require_columns(document_topics, ["doc_id", "topic", "share"], what="document_topics table",
                    hint="it comes from the topics stage (doc_id, topic, share)")
    wide = document_topics.pivot_table(index="doc_id", columns="topic", values="share",
                                       aggfunc="sum", fill_value=0.0)
    wide.index = wide.index.astype(str)
    absent = [d for d in doc_ids if d not in wide.index]
    if absent:
        raise ValueError(f"document_topics has no mixture for {len(absent)} document(s), e.g. "
                         f"{absent[:3]}; re-run the topics stage on the same corpus")
    return wide.loc[list(doc_ids)].to_numpy(dtype=float)


def term_matrix(dtm, smoothing: float = 0.01) -> np.ndarray:
    """Smoothed term distributions: (counts + smoothing) / (n + V * smoothing) per row.

    Additive (Lidstone) smoothing keeps every KL divergence finite.
    """
    if smoothing <= 0:
        raise ValueError("smoothing must be positive so that KL divergences stay finite")
    X = dtm.matrix.toarray().astype(float) + float(smoothing)
    return X / X.sum(axis=1, keepdims=True)


def stat_novelty(corpus, window: int = 3, document_topics: pd.DataFrame | None = None,
                 settings=None, smoothing: float = 0.01, min_df: int = 2, base: float = 2.0,
                 topic_smoothing: float = 1e-3,
                 docvars=("date", "year", "speaker")) -> pd.DataFrame:
    """Novelty, transience and resonance of every available document.

    Documents are taken in corpus order (year, date, doc_id). On topic mixtures
    when ``document_topics`` (doc_id, topic, share) is given, else on term
    distributions of unigrams with document frequency >= ``min_df``, smoothed by
    adding ``smoothing`` to every count. Topic mixtures are mixed with the uniform
    distribution, ``(1 - topic_smoothing) * s + topic_smoothing / K``, because NMF
    shares can be exactly zero, which would make a KL divergence infinite (0 keeps
    the mixtures as they are).

    Returns
    -------
    DataFrame
        ``doc_id``, docvars, then ``position`` (0-based rank in time), ``novelty``,
        ``transience``, ``resonance`` (bits when ``base=2``), ``window`` and ``basis``
        (``"topics"`` or ``"terms"``). Empty when fewer than ``window + 1`` documents.

    References
    ----------
    Barron, A. T. J., Huang, J., Spang, R. L., & DeDeo, S. (2018). Individuals,
    institutions, and innovation in the debates of the French Revolution.
    *Proceedings of the National Academy of Sciences*, 115(18), 4607-4612.
    """
    av = corpus.available()
    dv = av.docvars.reset_index(drop=True)
    keep = ["doc_id", *[c for c in docvars if c in dv.columns]]
    cols = keep + NOVELTY_COLUMNS[1:]
    if len(dv) < int(window) + 1:
        return pd.DataFrame(columns=cols)
    ids = dv["doc_id"].astype(str).tolist()
    if document_topics is not None and len(document_topics):
        S, basis = topic_matrix(document_topics, ids), "topics"
        lam = float(topic_smoothing)
        if not 0 <= lam < 1:
            raise ValueError(f"topic_smoothing must be in [0, 1), got {topic_smoothing!r}")
        S = S / S.sum(axis=1, keepdims=True)
        S = (1 - lam) * S + lam / S.shape[1]
    else:
        from analysis.dtm import build_dtm

        frame = pd.DataFrame({"doc_id": ids, "text": [av.texts[d] for d in ids]})
        md = min_df if len(ids) >= min_df else 1
        dtm = build_dtm(frame, settings=settings, min_df=md)
        if dtm.matrix.shape[1] == 0:
            return pd.DataFrame(columns=cols)
        S, basis = term_matrix(dtm, smoothing), "terms"
    res = novelty_transience(S, window=window, base=base)
    res["window"] = int(window)
    res["basis"] = basis
    return pd.concat([dv[keep], res], axis=1)[cols]


TOPIC_SIMILARITY_COLUMNS = ["doc_id", "year", "speaker", "js_divergence", "js_distance"]


def stat_topic_similarity_to_anchor(corpus, document_topics: pd.DataFrame, anchor: str,
                                    base: float = 2.0) -> pd.DataFrame:
    """Jensen-Shannon divergence of each document's topic mixture from the anchor's.

    JS(p, q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2; in bits (``base=2``)
    it lies in [0, 1]. ``js_distance`` is its square root, a metric. Zero topic
    shares need no smoothing (m > 0 wherever p or q is).

    Returns
    -------
    DataFrame with ``doc_id, year, speaker, js_divergence, js_distance`` in corpus order.

    References
    ----------
    Lin, J. (1991). Divergence measures based on the Shannon entropy. *IEEE
    Transactions on Information Theory*, 37(1), 145-151.

    Endres, D. M., & Schindelin, J. E. (2003). A new metric for probability
    distributions. *IEEE Transactions on Information Theory*, 49(7), 1858-1860.
    """
    av = corpus.available()
    dv = av.docvars.reset_index(drop=True)
    ids = dv["doc_id"].astype(str).tolist()
    keep = ["doc_id", *[c for c in ("year", "speaker") if c in dv.columns]]
    if anchor not in ids:
        raise ValueError(f"anchor {anchor!r} is not among the available documents")
    S = topic_matrix(document_topics, ids)
    S = S / S.sum(axis=1, keepdims=True)
    a = S[ids.index(anchor)]
    m = (S + a) / 2
    js = 0.5 * kl_divergence(S, m, base) + 0.5 * kl_divergence(np.repeat(a[None], len(S), 0), m, base)
    js = np.maximum(js, 0.0)
    out = dv[keep].copy()
    out["js_divergence"] = js
    out["js_distance"] = np.sqrt(js)
    return out.reindex(columns=TOPIC_SIMILARITY_COLUMNS)
