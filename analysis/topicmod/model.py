"""Topic models over time: fit LDA/NMF, choose K, label topics, track prevalence.

The pieces, each usable on its own from a notebook:

* :func:`merge_short_units` - merge units with too few model tokens into a neighbour
  of the same document, keeping the unit-to-document map.
* :class:`TopicModel` - scikit-learn style estimator wrapping LDA or NMF, with
  topics in a stable order (by prevalence, then top term).
* :func:`stat_topic_terms`, :func:`stat_topic_labels`, :func:`stat_representative_units`
  - top terms by probability, FREX and relevance; most representative paragraphs.
* :func:`stat_k_selection` and :func:`choose_k` - the K grid with NPMI, UMass,
  exclusivity, held-out perplexity (LDA) and stability over subsamples/seeds.
* :func:`stat_document_topics`, :func:`stat_prevalence`, :func:`stat_topic_effects`
  - shares per document, per year with bootstrap intervals, and an STM-style
  regression on a time spline and speaker/era with document-clustered errors.
* :func:`stage` - the ``topics`` pipeline stage (tables listed in the README,
  section "Topic models").
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import NMF, LatentDirichletAllocation
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfTransformer

from analysis.topicmod.coherence import (
    exclusivity,
    frex_scores,
    npmi_coherence,
    relevance_scores,
    top_term_indices,
    umass_coherence,
)
from analysis.topicmod.alignment import alignment_table, stability

__all__ = [
    "TABLE_COLUMNS",
    "TopicModel",
    "choose_k",
    "era_labels",
    "k_grid",
    "merge_short_units",
    "stat_alignment",
    "stat_document_topics",
    "stat_k_selection",
    "stat_prevalence",
    "stat_representative_units",
    "stat_topic_effects",
    "stat_topic_labels",
    "stat_topic_terms",
    "stat_unit_topics",
]

TABLE_COLUMNS = {
    "topic_selection": ["model", "k", "npmi", "umass", "exclusivity", "perplexity", "stability", "selected"],
    "topic_terms": ["model", "k", "topic", "rank", "term", "weight", "frex"],
    "doc_topics": ["unit_id", "doc_id", "topic", "share"],
    "document_topics": ["doc_id", "year", "date", "topic", "share"],
    "topic_prevalence": ["model", "k", "topic", "label", "year", "share", "ci_low", "ci_high"],
    "topic_effects": [
        "model", "k", "topic", "label", "kind", "term", "year", "estimate", "std_err",
        "p_value", "ci_low", "ci_high", "n_units", "n_clusters",
    ],
    "topic_labels": ["topic", "label_prob", "label_frex", "label_relevance"],
    "topic_alignment": [
        "model_a", "seed_a", "model_b", "seed_b", "k", "topic_a", "topic_b", "cosine",
        "top_terms_a", "top_terms_b",
    ],
    "topic_examples": ["model", "k", "topic", "rank", "unit_id", "doc_id", "year", "share", "text"],
}


# ----------------------------------------------------------------------------- helpers
def _matrix_and_terms(X, terms=None):
    """Accept an analysis.dtm.DTM or a sparse/dense matrix (+ terms)."""
    if hasattr(X, "matrix") and hasattr(X, "terms"):
        M, terms = X.matrix, X.terms if terms is None else terms
    else:
        M = X
    # full copy: scipy's dtype conversion can share the index arrays with the input,
    # and estimators sort indices in place, which would scramble the caller's matrix
    M = sp.csr_matrix(M, dtype=np.float64, copy=True)
    M.sort_indices()
    if terms is None:
        terms = np.array([f"w{i}" for i in range(M.shape[1])])
    terms = np.asarray(terms).astype(str)
    if len(terms) != M.shape[1]:
        raise ValueError(f"{len(terms)} terms for a matrix with {M.shape[1]} columns")
    if M.nnz and M.data.min() < 0:
        raise ValueError("topic models need non-negative counts; got negative entries")
    return M, terms


def _normalize_rows(A: np.ndarray) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    s = A.sum(axis=1, keepdims=True)
    out = np.full_like(A, 1.0 / A.shape[1])
    np.divide(A, s, out=out, where=s > 0)
    return out


# ----------------------------------------------------------------------------- units
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
        sorted by document and position (as ``analysis.text.make_units`` returns).
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
    for col in ("unit_id", "doc_id"):
        if col not in units.columns:
            raise KeyError(f"units need a {col!r} column (see analysis.text.make_units)")
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
    first = np.full(n_groups, -1)
    for r in range(n - 1, -1, -1):
        first[group[r]] = r
    out = units.iloc[first].reset_index(drop=True).copy()
    ids = units["unit_id"].astype(str).to_numpy()
    parts = pd.Series(ids).groupby(group).agg(";".join)
    out["merged_ids"] = parts.to_numpy()
    if "text" in units.columns:
        out["text"] = pd.Series(units["text"].astype(str).to_numpy()).groupby(group).agg(" ".join).to_numpy()
    if "n_tokens" in units.columns:
        out["n_tokens"] = pd.Series(units["n_tokens"].to_numpy()).groupby(group).sum().to_numpy()
    out["n_model_tokens"] = np.asarray(merged.sum(axis=1)).ravel().astype(np.int64)
    return out, merged


# ----------------------------------------------------------------------------- estimator
class TopicModel(TransformerMixin, BaseEstimator):
    """LDA or NMF topic model with topics in a stable, interpretable order.

    Parameters
    ----------
    method : {"lda", "nmf"}
        ``"lda"``: variational Bayes LDA (scikit-learn) on counts. ``"nmf"``:
        NMF (Frobenius loss, coordinate descent) on L2-normalised TF-IDF of the
        counts; unit "shares" are the normalised NMF loadings.
    n_components : int
        Number of topics K.
    random_state : int or None
        Seed for the model's random initialisation.
    max_iter : int or None
        Passes over the data (LDA, default 20) or NMF iterations (default 400).
    doc_topic_prior, topic_word_prior : float or None
        LDA's alpha and eta (None: scikit-learn's 1/K).
    nmf_init : str
        NMF initialisation (default ``"nndsvda"``, deterministic given the data).
    tol : float
        NMF convergence tolerance (relative decrease of the loss; default 1e-3,
        looser than scikit-learn's 1e-4 at no visible cost in coherence).

    Attributes
    ----------
    components_ : ndarray (K, V)
        Topic-word distributions (rows sum to 1), in stable order.
    terms_ : ndarray of str
    doc_topic_ : ndarray (n_units, K)
        Shares of the training units.
    prevalence_ : ndarray (K,)
        Token-weighted mean share of each topic in the training data (decreasing).
    order_ : ndarray of int
        Position of each reported topic in the underlying estimator.
    estimator_ : LatentDirichletAllocation or NMF
    tfidf_ : TfidfTransformer or None

    Notes
    -----
    Topics are ordered by decreasing prevalence (rounded to 10 decimals), ties by
    their most probable term, so the same data and seed give the same numbering.

    References
    ----------
    Blei, D. M., Ng, A. Y., & Jordan, M. I. (2003). Latent Dirichlet allocation.
    *Journal of Machine Learning Research*, 3, 993-1022.
    Hoffman, M., Bach, F., & Blei, D. (2010). Online learning for latent Dirichlet
    allocation. *NIPS*, 856-864.
    Lee, D. D., & Seung, H. S. (1999). Learning the parts of objects by
    non-negative matrix factorization. *Nature*, 401, 788-791.
    Cichocki, A., & Phan, A.-H. (2009). Fast local algorithms for large scale
    nonnegative matrix and tensor factorizations. *IEICE Transactions*, E92-A(3), 708-721.
    """

    def __init__(
        self,
        method: str = "lda",
        n_components: int = 10,
        random_state: int | None = None,
        max_iter: int | None = None,
        doc_topic_prior: float | None = None,
        topic_word_prior: float | None = None,
        nmf_init: str = "nndsvda",
        tol: float = 1e-3,
    ):
        self.method = method
        self.n_components = n_components
        self.random_state = random_state
        self.max_iter = max_iter
        self.doc_topic_prior = doc_topic_prior
        self.topic_word_prior = topic_word_prior
        self.nmf_init = nmf_init
        self.tol = tol

    def _check(self):
        if self.method not in ("lda", "nmf"):
            raise ValueError(f"method must be 'lda' or 'nmf', not {self.method!r}")
        if int(self.n_components) < 1:
            raise ValueError(f"n_components must be >= 1, got {self.n_components}")

    def fit(self, X, y=None, terms=None):
        """Fit on a DTM (or a units x terms count matrix with ``terms``)."""
        self._check()
        M, terms = _matrix_and_terms(X, terms)
        K = int(self.n_components)
        if K > min(M.shape):
            raise ValueError(
                f"cannot fit {K} topics to {M.shape[0]} units x {M.shape[1]} terms; "
                "choose a smaller K or a larger corpus"
            )
        if self.method == "lda":
            est = LatentDirichletAllocation(
                n_components=K,
                doc_topic_prior=self.doc_topic_prior,
                topic_word_prior=self.topic_word_prior,
                learning_method="batch",
                max_iter=self.max_iter or 20,
                random_state=self.random_state,
            )
            theta = est.fit_transform(M)
            raw_phi = est.components_
            self.tfidf_ = None
        else:
            self.tfidf_ = TfidfTransformer(norm="l2", sublinear_tf=False).fit(M)
            Z = self.tfidf_.transform(M)
            est = NMF(
                n_components=K,
                init=self.nmf_init,
                solver="cd",
                beta_loss="frobenius",
                max_iter=self.max_iter or 400,
                tol=self.tol,
                random_state=self.random_state,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                W = est.fit_transform(Z)
            theta = W
            raw_phi = est.components_
        phi = _normalize_rows(raw_phi)
        theta = _normalize_rows(theta)
        weights = np.asarray(M.sum(axis=1)).ravel()
        prev = (theta * weights[:, None]).sum(axis=0) / max(weights.sum(), 1e-300)
        top = np.argmax(phi, axis=1)
        top_term = terms[top]
        order = np.lexsort((top_term, -np.round(prev, 10)))
        self.estimator_ = est
        self.order_ = order
        self.components_ = phi[order]
        self.doc_topic_ = theta[:, order]
        self.prevalence_ = prev[order]
        self.terms_ = terms
        self.n_features_in_ = M.shape[1]
        return self

    def transform(self, X):
        """Topic shares (rows sum to one) of new units over the fitted vocabulary."""
        M, _ = _matrix_and_terms(X, self.terms_ if not hasattr(X, "terms") else None)
        if M.shape[1] != self.n_features_in_:
            raise ValueError(
                f"matrix has {M.shape[1]} terms, the model {self.n_features_in_}; build it with "
                "vocabulary=model.terms_"
            )
        if self.method == "lda":
            theta = self.estimator_.transform(M)
        else:
            theta = self.estimator_.transform(self.tfidf_.transform(M))
        return _normalize_rows(theta)[:, self.order_]

    def fit_transform(self, X, y=None, terms=None):
        return self.fit(X, terms=terms).doc_topic_

    def perplexity(self, X, random_state: int = 0) -> float:
        """Held-out perplexity by document completion (LDA only; NaN for NMF).

        Each held-out unit's tokens are split at random into two halves (binomial
        thinning with p = 0.5, seeded): the unit's topic shares are inferred from
        the first half and the second half is scored,
        ``exp(-sum n_w log(sum_k theta_k phi_kw) / sum n_w)``. This is the
        "document completion" estimator of Wallach et al. (2009); it avoids
        scikit-learn's ``perplexity()``, whose variational bound adds the
        topic-word prior scaled by the size of the evaluation set, so that on a
        small held-out split it grows with K (scikit-learn issue #20032).

        References
        ----------
        Wallach, H. M., Murray, I., Salakhutdinov, R., & Mimno, D. (2009).
        Evaluation methods for topic models. *ICML*, 1105-1112.
        """
        if self.method != "lda":
            return float("nan")
        M, _ = _matrix_and_terms(X, self.terms_)
        rng = np.random.default_rng(random_state)
        M = M.tocsr()
        obs = M.copy()
        obs.data = rng.binomial(M.data.astype(np.int64), 0.5).astype(np.float64)
        ev = (M - obs).tocsr()
        ev.eliminate_zeros()
        if ev.nnz == 0:
            return float("nan")
        theta = _normalize_rows(self.estimator_.transform(obs))[:, self.order_]
        rows = np.repeat(np.arange(ev.shape[0]), np.diff(ev.indptr))
        p = np.einsum("ik,ik->i", theta[rows], self.components_[:, ev.indices].T)
        ll = float(np.sum(ev.data * np.log(np.maximum(p, 1e-300))))
        return float(np.exp(-ll / ev.data.sum()))

    def top_terms(self, n: int = 10) -> list[list[str]]:
        """The ``n`` most probable terms of each topic."""
        return [list(self.terms_[i]) for i in top_term_indices(self.components_, n)]


# ----------------------------------------------------------------------------- labels
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

    Returns columns ``model, k, topic, rank, term, weight, frex`` (``weight`` is
    the topic-word probability; ``topic`` and ``rank`` start at 1).

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


def stat_unit_topics(model: TopicModel, units: pd.DataFrame, shares: np.ndarray | None = None) -> pd.DataFrame:
    """Long table of unit shares: ``unit_id, doc_id, topic, share``."""
    theta = model.doc_topic_ if shares is None else shares
    if len(units) != theta.shape[0]:
        raise ValueError(f"{len(units)} units but {theta.shape[0]} rows of shares")
    K = theta.shape[1]
    return pd.DataFrame({
        "unit_id": np.repeat(units["unit_id"].astype(str).to_numpy(), K),
        "doc_id": np.repeat(units["doc_id"].astype(str).to_numpy(), K),
        "topic": np.tile(np.arange(1, K + 1), len(units)),
        "share": theta.ravel(),
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


# ----------------------------------------------------------------------------- choosing K
def k_grid(n_units: int, n_terms: int, k_min: int = 4, k_max: int = 20, k_step: int = 4,
           units_per_topic: int = 5) -> list[int]:
    """The K values to scan, shrunk to what the data allow.

    ``range(k_min, k_max + 1, k_step)`` (always including ``k_max``) limited to
    ``K <= n_units / units_per_topic`` and ``K <= n_terms / 5``. If that removes
    every value but at least 2 topics are feasible, the largest feasible K is used.
    """
    if k_step < 1 or k_min < 2 or k_max < k_min:
        raise ValueError(f"need 2 <= k_min <= k_max and k_step >= 1 (got {k_min}, {k_max}, {k_step})")
    grid = list(range(k_min, k_max + 1, k_step))
    if grid[-1] != k_max:
        grid.append(k_max)
    cap = min(n_units // units_per_topic, n_terms // 5)
    feasible = [k for k in grid if k <= cap]
    if not feasible and cap >= 2:
        feasible = [cap]
    return feasible


def _split(n: int, frac: float, seed: int):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    n_train = max(round(frac * n), 1)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def stat_k_selection(
    X,
    terms=None,
    ks: Sequence[int] = (4, 8, 12, 16, 20),
    methods: Sequence[str] = ("lda", "nmf"),
    n_runs: int = 5,
    sample_frac: float = 0.8,
    random_state: int = 0,
    top_n: int = 10,
    model_params: dict | None = None,
    return_fits: bool = False,
):
    """Scan K: coherence, exclusivity, held-out perplexity and stability.

    For each method and K, ``n_runs`` models are fitted, run ``r`` on a random
    ``sample_frac`` of the units (drawn with seed ``random_state + r``) and with
    model seed ``random_state + r``. Each run is scored on:

    * ``npmi`` - mean NPMI of the topics' ``top_n`` terms, co-occurrence counted in
      all units (Bouma 2009; Lau et al. 2014);
    * ``umass`` - mean UMass coherence (Mimno et al. 2011), same units;
    * ``exclusivity`` - mean FREX of the top terms (stm's exclusivity / ``top_n``);
    * ``perplexity`` - LDA perplexity of the held-out ``1 - sample_frac`` units by
      document completion (:meth:`TopicModel.perplexity`; NaN for NMF).

    The table reports the mean over runs, and ``stability``: the mean over pairs
    of runs of the mean cosine of Hungarian-matched topic-word vectors
    (Greene, O'Callaghan & Cunningham 2014, who also fit on document subsamples).

    Returns
    -------
    DataFrame with ``model, k, npmi, umass, exclusivity, perplexity, stability,
    npmi_sd, n_runs`` (and, with ``return_fits``, a dict (model, k) -> list of
    fitted TopicModels).

    References
    ----------
    Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics?
    Stability analysis for topic models. *ECML PKDD*, LNCS 8724, 498-513.
    Bouma, G. (2009). Normalized (pointwise) mutual information in collocation
    extraction. *Proceedings of GSCL*, 31-40.
    Mimno, D., Wallach, H., Talley, E., Leenders, M., & McCallum, A. (2011).
    Optimizing semantic coherence in topic models. *EMNLP*, 262-272.
    Wallach, H. M., Murray, I., Salakhutdinov, R., & Mimno, D. (2009). Evaluation
    methods for topic models. *ICML*, 1105-1112.
    """
    M, terms = _matrix_and_terms(X, terms)
    n = M.shape[0]
    if not 0 < sample_frac <= 1:
        raise ValueError(f"sample_frac must be in (0, 1], got {sample_frac}")
    splits = [_split(n, sample_frac, random_state + r) for r in range(n_runs)]
    rows, fits = [], {}
    for method in methods:
        for k in ks:
            scores, models = [], []
            for r, (tr, te) in enumerate(splits):
                tm = TopicModel(method=method, n_components=k, random_state=random_state + r,
                                **(model_params or {}).get(method, {}))
                tm.fit(M[tr], terms=terms)
                tops = top_term_indices(tm.components_, top_n)
                perp = tm.perplexity(M[te], random_state=random_state + r) if (method == "lda" and len(te)) else np.nan
                scores.append((
                    np.nanmean(npmi_coherence(tops, M)),
                    np.nanmean(umass_coherence(tops, M)),
                    float(exclusivity(tm.components_, top_n=top_n).mean()),
                    perp,
                ))
                models.append(tm)
            s = np.asarray(scores, dtype=np.float64)
            rows.append({
                "model": method, "k": int(k),
                "npmi": s[:, 0].mean(), "umass": s[:, 1].mean(), "exclusivity": s[:, 2].mean(),
                "perplexity": s[:, 3].mean() if method == "lda" else np.nan,
                "stability": stability([m.components_ for m in models]),
                "npmi_sd": s[:, 0].std(ddof=1) if len(s) > 1 else np.nan,
                "n_runs": len(models),
            })
            if return_fits:
                fits[(method, int(k))] = models
    table = pd.DataFrame(rows, columns=["model", "k", "npmi", "umass", "exclusivity", "perplexity",
                                        "stability", "npmi_sd", "n_runs"])
    return (table, fits) if return_fits else table


def choose_k(selection: pd.DataFrame, model: str, min_stability: float = 0.7,
             tolerance: float = 0.0) -> int:
    """The documented rule that picks K for ``model`` from a selection table.

    1. Keep the K whose stability is at least ``min_stability`` (if none, keep all:
       no K is stable, and the note in the log says so).
    2. Among them take the highest mean NPMI; values within ``tolerance`` of the
       best count as ties, and ties go to the smaller K (parsimony).

    References
    ----------
    Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics?
    Stability analysis for topic models. *ECML PKDD*, LNCS 8724, 498-513.
    Lau, J. H., Newman, D., & Baldwin, T. (2014). Machine reading tea leaves. *EACL*, 530-539.
    """
    sel = selection[selection["model"] == model]
    if sel.empty:
        raise ValueError(f"no rows for model {model!r} in the selection table")
    stable = sel[sel["stability"] >= min_stability]
    cand = stable if len(stable) else sel
    best = cand["npmi"].max()
    if np.isnan(best):
        return int(cand["k"].min())
    return int(cand.loc[cand["npmi"] >= best - tolerance, "k"].min())


# ----------------------------------------------------------------------------- prevalence
def stat_document_topics(unit_topics: pd.DataFrame, units: pd.DataFrame,
                         weight_col: str = "n_model_tokens") -> pd.DataFrame:
    """Token-weighted topic shares per document.

    ``share(d, k) = sum_u w_u theta_uk / sum_u w_u`` over the units ``u`` of
    document ``d`` with weights ``w_u`` (model tokens; equal weights if the column
    is missing). Returns ``doc_id, year, date, topic, share, n_tokens``.
    """
    w = units[weight_col].to_numpy(dtype=np.float64) if weight_col in units.columns else np.ones(len(units))
    wmap = pd.Series(w, index=units["unit_id"].astype(str).to_numpy())
    ut = unit_topics.copy()
    ut["w"] = wmap.reindex(ut["unit_id"].astype(str)).to_numpy()
    ut["ws"] = ut["w"] * ut["share"]
    g = ut.groupby(["doc_id", "topic"], sort=True)[["ws", "w"]].sum().reset_index()
    g["share"] = np.where(g["w"] > 0, g["ws"] / g["w"].where(g["w"] > 0, 1.0), np.nan)
    meta_cols = [c for c in ("year", "date") if c in units.columns]
    meta = units.drop_duplicates("doc_id")[["doc_id", *meta_cols]].copy()
    meta["doc_id"] = meta["doc_id"].astype(str)
    out = g.merge(meta, on="doc_id", how="left")
    for c in ("year", "date"):
        if c not in out.columns:
            out[c] = pd.NA
    out["n_tokens"] = out["w"]
    out = out.sort_values(["date", "doc_id", "topic"], na_position="last", kind="stable")
    return out[["doc_id", "year", "date", "topic", "share", "n_tokens"]].reset_index(drop=True)


def stat_prevalence(document_topics: pd.DataFrame, n_boot: int = 500, level: float = 0.95,
                    random_state: int = 0, by: str = "year") -> pd.DataFrame:
    """Topic share per year with percentile bootstrap intervals over documents.

    The share of topic ``k`` in year ``t`` is the token-weighted mean of the
    document shares of that year. Intervals resample the year's documents with
    replacement (``n_boot`` times, stratified by year) and take the
    ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles. A year with one
    document gets a degenerate interval.

    Returns ``year, topic, share, ci_low, ci_high, n_docs``.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    Chapman & Hall.
    """
    dt = document_topics.dropna(subset=[by])
    if dt.empty:
        return pd.DataFrame(columns=[by, "topic", "share", "ci_low", "ci_high", "n_docs"])
    wide = dt.pivot_table(index=["doc_id", by], columns="topic", values="share", aggfunc="first")
    wide = wide.sort_index()
    topics = wide.columns.to_numpy()
    if "n_tokens" in dt.columns:
        w_all = dt.drop_duplicates("doc_id").set_index("doc_id")["n_tokens"].astype(float)
        w_all = w_all.reindex(wide.index.get_level_values("doc_id")).to_numpy()
    else:
        w_all = np.ones(len(wide))
    rng = np.random.default_rng(random_state)
    a = (1 - level) / 2
    rows = []
    years = wide.index.get_level_values(by).to_numpy()
    S_all = wide.to_numpy(dtype=np.float64)
    for y in sorted(pd.unique(years)):
        sel = years == y
        S, w = S_all[sel], w_all[sel]
        point = (w[:, None] * S).sum(0) / w.sum()
        nd = len(w)
        idx = rng.integers(0, nd, size=(n_boot, nd))
        W = w[idx]
        B = np.einsum("bn,bnk->bk", W, S[idx]) / W.sum(axis=1, keepdims=True)
        lo, hi = np.quantile(B, [a, 1 - a], axis=0)
        for j, k in enumerate(topics):
            rows.append((y, int(k), point[j], lo[j], hi[j], nd))
    out = pd.DataFrame(rows, columns=[by, "topic", "share", "ci_low", "ci_high", "n_docs"])
    return out


def stat_topic_effects(unit_shares: np.ndarray, units: pd.DataFrame, covariate: str | None = "speaker",
                       spline_df: int = 4, level: float = 0.95, labels: Sequence[str] | None = None,
                       model: str = "", k: int | None = None) -> pd.DataFrame:
    """STM-style regression of unit topic shares on time and speaker (or era).

    For each topic, OLS of the unit share on a cubic B-spline of ``year``
    (``bs(year, df=spline_df)``, patsy) plus ``C(covariate)`` when it has at least
    two levels, with standard errors clustered by document (units of one speech
    are not independent). This is the "method of composition"-free point estimate
    of stm's ``estimateEffect``; unlike stm it does not propagate the topic
    model's own uncertainty, which the bootstrap in :func:`stat_prevalence` and the
    stability column of the K selection address.

    Returns rows of two kinds: ``kind="coefficient"`` (``term`` is the patsy
    column name) and ``kind="expected"`` (expected share at each observed
    ``year``, other covariates at their most frequent level; ``term="year"``).
    Columns as ``TABLE_COLUMNS["topic_effects"]``.

    References
    ----------
    Roberts, M. E., Stewart, B. M., Tingley, D., et al. (2014). Structural topic
    models for open-ended survey responses. *American Journal of Political
    Science*, 58(4), 1064-1082.
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to
    cluster-robust inference. *Journal of Human Resources*, 50(2), 317-372.
    """
    import statsmodels.formula.api as smf

    cols = TABLE_COLUMNS["topic_effects"]
    units = units.reset_index(drop=True)
    data = pd.DataFrame({"year": pd.to_numeric(units["year"], errors="coerce").to_numpy(dtype=np.float64),
                         "doc_id": units["doc_id"].astype(str).to_numpy()})
    ok = ~np.isnan(data["year"].to_numpy())
    rhs = []
    n_years = data.loc[ok, "year"].nunique()
    if n_years >= 2:
        df_eff = int(min(spline_df, n_years - 1))
        rhs.append(f"bs(year, df={df_eff}, degree={min(3, df_eff)})" if df_eff >= 3 else "year")
    if covariate and covariate in units.columns:
        data["cov"] = units[covariate].astype(str).to_numpy()
        ok &= units[covariate].notna().to_numpy()
        if data.loc[ok, "cov"].nunique() >= 2:
            rhs.append("C(cov)")
    data = data[ok].reset_index(drop=True)
    shares = np.asarray(unit_shares)[ok]
    n_clusters = data["doc_id"].nunique()
    if not rhs or n_clusters < 2 or len(data) <= 2:
        return pd.DataFrame(columns=cols)
    groups = pd.factorize(data["doc_id"])[0]
    K = shares.shape[1]
    newdata = pd.DataFrame({"year": np.sort(data["year"].unique())})
    if "C(cov)" in rhs:
        newdata["cov"] = data["cov"].value_counts().sort_index().idxmax()
    formula = "share ~ " + " + ".join(rhs)
    rows = []
    for j in range(K):
        data["share"] = shares[:, j]
        res = smf.ols(formula, data=data).fit(cov_type="cluster", cov_kwds={"groups": groups})
        ci = res.conf_int(alpha=1 - level)
        lab = labels[j] if labels is not None else ""
        for term in res.params.index:
            name = term.replace("C(cov)", f"C({covariate})")
            rows.append((model, k if k is not None else K, j + 1, lab, "coefficient", name, pd.NA,
                         res.params[term], res.bse[term], res.pvalues[term], ci.loc[term, 0],
                         ci.loc[term, 1], len(data), n_clusters))
        pred = res.get_prediction(newdata).summary_frame(alpha=1 - level)
        for y, (_, p) in zip(newdata["year"], pred.iterrows()):
            rows.append((model, k if k is not None else K, j + 1, lab, "expected", "year", int(y),
                         p["mean"], p["mean_se"], np.nan, p["mean_ci_lower"], p["mean_ci_upper"],
                         len(data), n_clusters))
    out = pd.DataFrame(rows, columns=cols)
    out["year"] = out["year"].astype("Int64")
    return out


def era_labels(years, breaks) -> pd.Series:
    """Label years by era: ``breaks`` are the first years of each new era.

    ``era_labels([2005, 2010, 2018], [2007, 2017])`` gives ``"-2006", "2007-2016", "2017-"``.
    """
    if isinstance(breaks, str):
        breaks = [b for b in breaks.replace(";", ",").split(",") if b.strip()]
    b = sorted(int(x) for x in breaks)
    edges = [None, *b, None]
    names = [f"{'' if lo is None else lo}-{'' if hi is None else hi - 1}" for lo, hi in itertools.pairwise(edges)]
    y = pd.to_numeric(pd.Series(years), errors="coerce").to_numpy()
    idx = np.searchsorted(np.asarray(b), y, side="right")
    out = pd.Series([names[i] for i in idx], dtype="str")
    out[np.isnan(y)] = pd.NA
    return out


def stat_alignment(fit_a: TopicModel, fit_b: TopicModel, seed_a=None, seed_b=None, n_terms: int = 5) -> pd.DataFrame:
    """Hungarian alignment of two fits over the same vocabulary (``topic_alignment.csv``)."""
    if not np.array_equal(fit_a.terms_, fit_b.terms_):
        raise ValueError("the two fits use different vocabularies; fit them on the same DTM")
    df = alignment_table(fit_a.components_, fit_b.components_, fit_a.terms_, n_terms=n_terms)
    df.insert(0, "model_a", fit_a.method)
    df.insert(1, "seed_a", seed_a if seed_a is not None else fit_a.random_state)
    df.insert(2, "model_b", fit_b.method)
    df.insert(3, "seed_b", seed_b if seed_b is not None else fit_b.random_state)
    df.insert(4, "k", fit_a.n_components)
    return df[TABLE_COLUMNS["topic_alignment"]]
