"""Reading topics: top terms (probability, FREX, relevance), labels, representative units.

Every function takes a fitted :class:`analysis.topicmod.TopicModel` and returns a
tidy DataFrame with 1-based ``topic`` numbers in the model's stable order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.topicmod.coherence import frex_scores, relevance_scores, top_term_indices
from analysis.topicmod.model import TopicModel, _matrix_and_terms
from analysis.topicmod.tables import TABLE_COLUMNS

__all__ = ["stat_representative_units", "stat_topic_labels", "stat_topic_terms"]


def _term_prob(model: TopicModel, X=None) -> np.ndarray:
    if X is not None:
        M, _ = _matrix_and_terms(X, model.terms_)
        c = np.asarray(M.sum(axis=0)).ravel()
        return c / max(c.sum(), 1e-300)
    p = model.prevalence_ @ model.components_
    return p / p.sum()


def stat_topic_terms(model: TopicModel, n: int = 20, frex_weight: float = 0.5,
                     label: dict | None = None) -> pd.DataFrame:
    """Top ``n`` terms of every topic by probability, with their FREX score.

    Returns columns ``model, k, topic, rank, term, weight, frex, engine`` (``weight`` is
    the topic-word probability; ``topic`` and ``rank`` start at 1; ``engine`` is
    ``sklearn-lda``, ``sklearn-nmf`` or ``tomotopy-gibbs``, as in ``topic_selection``).

    References
    ----------
    Bischof, J., & Airoldi, E. M. (2012). Summarizing topical content with word
    frequency and exclusivity. *ICML*, 201-208.
    """
    phi = model.components_
    frex = frex_scores(phi, weight=frex_weight)
    top = top_term_indices(phi, n)
    K, m = top.shape
    df = pd.DataFrame({
        "model": model.method,
        "k": K,
        "topic": np.repeat(np.arange(1, K + 1), m),
        "rank": np.tile(np.arange(1, m + 1), K),
        "term": model.terms_[top.ravel()],
        "weight": np.take_along_axis(phi, top, axis=1).ravel(),
        "frex": np.take_along_axis(frex, top, axis=1).ravel(),
        "engine": getattr(model, "engine", f"sklearn-{model.method}"),
    })
    return df


def stat_topic_labels(model: TopicModel, X=None, n: int = 3, frex_weight: float = 0.5,
                      lambda_: float = 0.6, sep: str = ", ") -> pd.DataFrame:
    """Three kinds of topic labels from the top ``n`` terms.

    ``label_prob``: most probable terms; ``label_frex``: highest FREX
    (Bischof & Airoldi 2012, as in stm's ``labelTopics``); ``label_relevance``:
    highest relevance with weight ``lambda_`` (Sievert & Shirley 2014), using the
    term frequencies of ``X`` (default: the model's implied marginal).

    Returns columns ``topic, label_prob, label_frex, label_relevance``.

    References
    ----------
    Bischof, J., & Airoldi, E. M. (2012). Summarizing topical content with word
    frequency and exclusivity. *ICML*, 201-208.
    Sievert, C., & Shirley, K. (2014). LDAvis: A method for visualizing and
    interpreting topics. *Workshop on Interactive Language Learning,
    Visualization, and Interfaces*, 63-70.
    """
    phi = model.components_
    terms = model.terms_

    def lab(score):
        return [sep.join(terms[i]) for i in top_term_indices(score, n)]

    return pd.DataFrame({
        "topic": np.arange(1, phi.shape[0] + 1),
        "label_prob": lab(phi),
        "label_frex": lab(frex_scores(phi, weight=frex_weight)),
        "label_relevance": lab(relevance_scores(phi, _term_prob(model, X), lambda_=lambda_)),
    })


def stat_representative_units(model: TopicModel, units: pd.DataFrame, n: int = 3,
                              shares: np.ndarray | None = None, max_chars: int = 400) -> pd.DataFrame:
    """The ``n`` units with the highest share of each topic (ties: earlier unit first).

    Returns ``model, k, topic, rank, unit_id, doc_id, year, share, text`` with the
    text cut to ``max_chars`` characters.
    """
    theta = model.doc_topic_ if shares is None else shares
    K = theta.shape[1]
    rows = []
    for k in range(K):
        idx = np.argsort(-theta[:, k], kind="stable")[:n]
        for r, i in enumerate(idx, 1):
            u = units.iloc[i]
            text = str(u.get("text", ""))
            if len(text) > max_chars:
                text = text[: max_chars - 3].rstrip() + "..."
            rows.append((model.method, K, k + 1, r, str(u["unit_id"]), str(u["doc_id"]),
                         u.get("year", pd.NA), float(theta[i, k]), text))
    df = pd.DataFrame(rows, columns=TABLE_COLUMNS["topic_examples"])
    df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("Int64")
    return df
