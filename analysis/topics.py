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

from analysis.coherence import (
    exclusivity,
    frex_scores,
    npmi_coherence,
    relevance_scores,
    top_term_indices,
    umass_coherence,
)
from analysis.topic_sim import alignment_table, stability

__all__ = [
    "TABLE_COLUMNS",
    "TopicModel",
    "choose_k",
    "era_labels",
    "k_grid",
    "merge_short_units",
    "stage",
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


# ----------------------------------------------------------------------------- pipeline stage
DEFAULTS = {
    "model": "nmf",          # model whose K is selected and reported (lda | nmf)
    "models": "auto",        # models scanned: "lda,nmf", "nmf", ...; auto = both up to 5000 units, else nmf
    "auto_lda_max_units": 5000,
    "k": None,               # fixed K (skips the rule; the grid is still reported)
    "k_min": 4,
    "k_max": 20,
    "k_step": 4,
    "n_runs": 5,             # seeds / subsamples per K for stability
    "sample_frac": 0.8,
    "min_stability": 0.7,
    "top_n": 10,
    "n_terms": 20,
    "unit": "paragraph",     # paragraph | document | window
    "window": 200,           # words per unit when unit=window
    "min_unit_tokens": 5,    # merge units with fewer model tokens
    "min_df": "auto",        # auto: 1 below 100 units, else 2
    "max_df": 0.5,
    "n_boot": 500,
    "covariate": "speaker",  # speaker | era | any docvar | none
    "era_breaks": None,      # first years of eras, e.g. [2007, 2017], for covariate=era without an era docvar
    "spline_df": 4,
    "lambda": 0.6,
    "frex_weight": 0.5,
    "n_examples": 3,
}


_CACHE_VERSION = 2  # bump when a cached result's definition changes


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=TABLE_COLUMNS[name])


def _write_empty(ctx, note: str) -> None:
    ctx.log(f"topics: skipped ({note}); writing empty tables")
    for name in TABLE_COLUMNS:
        ctx.write_table(name, _empty(name))


def _as_int(v):
    return None if v in (None, "", "none", "None") else int(v)


def _merged_units(units: pd.DataFrame, dtm, min_unit_tokens: int):
    """``merge_short_units`` on the stage's DTM, dropping units left without model tokens."""
    units_m, M = merge_short_units(units, dtm.matrix, min_unit_tokens)
    keep = units_m["n_model_tokens"].to_numpy() > 0
    return units_m[keep].reset_index(drop=True), M[keep]


def _effects(model, units_m: pd.DataFrame, docvars: pd.DataFrame, p: dict, labels: list, model_name: str,
             k: int):
    """The effects regression with the covariate resolved from ``p``; returns (table, log messages)."""
    notes = []
    units_m = units_m.copy()
    cov = None if str(p["covariate"]).lower() in ("none", "", "null") else str(p["covariate"])
    if cov is not None and cov not in units_m.columns:
        extra = docvars.drop_duplicates("doc_id").set_index("doc_id")
        if cov in extra.columns:
            units_m[cov] = units_m["doc_id"].map(extra[cov]).to_numpy()
        elif cov == "era" and p["era_breaks"]:
            units_m["era"] = era_labels(units_m["year"], p["era_breaks"])
    if cov is not None and cov not in units_m.columns:
        notes.append(f"topics: covariate {cov!r} is not a docvar; regression on time only")
        cov = None
    eff = stat_topic_effects(model.doc_topic_, units_m, covariate=cov, spline_df=int(p["spline_df"]),
                             labels=labels, model=model_name, k=k)
    if eff.empty:
        notes.append("topics: too few documents or years for the effects regression; empty topic_effects")
    return (eff if len(eff) else _empty("topic_effects")), notes


def _alignment(model, M, terms, methods: list, model_name: str, k: int, sample_frac: float, seed: int):
    """``topic_alignment``: the reported model against a seed + 1 refit and the other model(s)."""
    # same model refitted with seed + 1 on a random sample_frac of the units (as one stability
    # run; NMF is deterministic given the data, so a seed alone would change nothing), and the
    # other model(s) at the same K on all units
    align = []
    tr, _ = _split(M.shape[0], sample_frac, seed + 1)
    other_seed = TopicModel(method=model_name, n_components=k, random_state=seed + 1).fit(M[tr], terms=terms)
    align.append(stat_alignment(model, other_seed))
    for other in methods:
        if other != model_name:
            o = TopicModel(method=other, n_components=k, random_state=seed).fit(M, terms=terms)
            align.append(stat_alignment(model, o))
    return pd.concat(align, ignore_index=True)


def stage(ctx) -> None:
    """Pipeline stage ``topics``: selection grid, final model, labels, prevalence, effects.

    Parameters (``--set topics.<key>=<value>``) are listed in ``DEFAULTS``. Tables:
    ``topic_selection, topic_terms, topic_labels, doc_topics, document_topics,
    topic_prevalence, topic_effects, topic_alignment, topic_examples``.

    Every expensive step goes through ``ctx.cached`` with a key holding every
    parameter it depends on (the corpus hash, seed and text settings are added by
    the cache), so a second run with the same inputs only reads results back; the
    fitted model is loaded from the cache only when a step that needs it has to be
    recomputed.
    """
    from analysis.dtm import build_dtm

    p = ctx.params("topics", dict(DEFAULTS))
    unknown = sorted(set(p) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"--set topics.{unknown[0]}: unknown parameter; known: {', '.join(DEFAULTS)}")
    model_name = str(p["model"]).lower()
    unit_kind = str(p["unit"]).lower()
    if unit_kind == "paragraph":
        units = ctx.units
    elif unit_kind in ("document", "window"):
        from analysis.text import make_units

        units = ctx.cached("topics_units", {"kind": unit_kind, "window": int(p["window"]), "code": _CACHE_VERSION},
                           lambda: make_units(ctx.corpus, kind=unit_kind, window=int(p["window"])))
    else:
        raise ValueError(f"topics.unit must be paragraph, document or window, not {unit_kind!r}")
    if str(p["models"]).lower() == "auto":
        n_u = 0 if units is None else len(units)
        if n_u <= int(p["auto_lda_max_units"]):
            methods = ["lda", "nmf"]
        else:
            methods = ["nmf"]
            ctx.log(f"topics: {n_u} units > {p['auto_lda_max_units']}: LDA left out of the K scan to keep "
                    "the run affordable (--set topics.models=lda,nmf to include it)")
    else:
        given = p["models"] if isinstance(p["models"], (list, tuple)) else str(p["models"]).split(",")
        methods = [str(m).strip().lower() for m in given if str(m).strip()]
    if model_name not in methods:
        methods.append(model_name)
    for m in methods:
        if m not in ("lda", "nmf"):
            raise ValueError(f"topics.models: unknown model {m!r}; use lda and/or nmf")
    if units is None or len(units) == 0:
        _write_empty(ctx, "no units")
        return
    units = units.reset_index(drop=True)
    n_docs = units["doc_id"].nunique()
    max_df = float(p["max_df"]) if n_docs > 1 or len(units) > 1 else 1.0
    min_df = (1 if len(units) < 100 else 2) if str(p["min_df"]) == "auto" else int(p["min_df"])
    dtm_params = {"min_df": min_df, "max_df": max_df, "unit": unit_kind, "window": int(p["window"]),
                  "code": _CACHE_VERSION}
    try:
        dtm = ctx.cached("topics_dtm", dtm_params,
                         lambda: build_dtm(units, text_col="text", id_col="unit_id",
                                           settings=ctx.text_settings, min_df=min_df,
                                           max_df=max_df))
    except ValueError as e:  # e.g. empty vocabulary after pruning
        _write_empty(ctx, f"no vocabulary: {e}")
        return
    min_unit_tokens = int(p["min_unit_tokens"])
    units_m, M = ctx.cached("topics_merged_units", dict(dtm_params, min_unit_tokens=min_unit_tokens),
                            lambda: _merged_units(units, dtm, min_unit_tokens))
    terms = np.asarray(dtm.terms).astype(str)
    ks = k_grid(M.shape[0], M.shape[1], int(p["k_min"]), int(p["k_max"]), int(p["k_step"]))
    k_fixed = _as_int(p["k"])
    if k_fixed is not None and k_fixed > min(M.shape):
        raise ValueError(f"topics.k={k_fixed} exceeds what {M.shape[0]} units x {M.shape[1]} terms allow")
    if not ks and k_fixed is None:
        _write_empty(ctx, f"{M.shape[0]} units x {M.shape[1]} terms are too few for a topic model")
        return
    if k_fixed is not None and k_fixed not in ks:
        ks = sorted(set(ks) | {k_fixed})
    ctx.log(f"topics: {M.shape[0]} units x {M.shape[1]} terms; scanning K={ks} for {methods}")
    seed = int(ctx.seed)
    sel_params = dict(dtm_params, ks=ks, methods=methods, n_runs=int(p["n_runs"]),
                      sample_frac=float(p["sample_frac"]), seed=seed, top_n=int(p["top_n"]),
                      min_unit_tokens=min_unit_tokens)
    selection = ctx.cached(
        "topics_selection", sel_params,
        lambda: stat_k_selection(M, terms, ks=ks, methods=methods, n_runs=int(p["n_runs"]),
                                 sample_frac=float(p["sample_frac"]), random_state=seed,
                                 top_n=int(p["top_n"])))
    if k_fixed is not None:
        k = k_fixed
        ctx.log(f"topics: K fixed by topics.k={k}")
    else:
        k = choose_k(selection, model_name, float(p["min_stability"]))
        if (selection.loc[selection["model"] == model_name, "stability"] < float(p["min_stability"])).all():
            ctx.log(f"topics: no K reached stability {p['min_stability']}; chose by NPMI alone")
        ctx.log(f"topics: rule picked K={k} for {model_name}")
    selection = selection.copy()
    selection["selected"] = (selection["model"] == model_name) & (selection["k"] == k)
    ctx.write_table("topic_selection", selection[TABLE_COLUMNS["topic_selection"]])

    # Everything below depends on the fitted model; its cache key holds all the parameters
    # above, and each later key adds the parameters of its own step. The model itself is
    # read (or fitted) only when one of these steps has to be computed.
    fit_params = dict(sel_params, model=model_name, k=k)
    fitted: list[TopicModel] = []

    def get_model() -> TopicModel:
        if not fitted:
            fitted.append(ctx.cached(
                "topics_model", fit_params,
                lambda: TopicModel(method=model_name, n_components=k, random_state=seed).fit(M, terms=terms)))
        return fitted[0]

    frex_weight, lambda_ = float(p["frex_weight"]), float(p["lambda"])
    label_params = dict(fit_params, frex_weight=frex_weight, lambda_=lambda_, n_terms=int(p["n_terms"]))
    labels, terms_df = ctx.cached(
        "topics_labels", label_params,
        lambda: (stat_topic_labels(get_model(), M, n=3, frex_weight=frex_weight, lambda_=lambda_),
                 stat_topic_terms(get_model(), n=int(p["n_terms"]), frex_weight=frex_weight)))
    label_list = labels["label_frex"].tolist()
    ctx.write_table("topic_terms", terms_df)
    ctx.write_table("topic_labels", labels)

    def shares():
        ut = stat_unit_topics(get_model(), units_m)
        dt = stat_document_topics(ut, units_m)
        return ut, dt

    ut, dt = ctx.cached("topics_shares", fit_params, shares)
    ctx.write_table("doc_topics", ut)
    ctx.write_table("document_topics", dt[TABLE_COLUMNS["document_topics"]])
    n_boot = int(p["n_boot"])
    prev = ctx.cached("topics_prevalence", dict(fit_params, n_boot=n_boot),
                      lambda: stat_prevalence(dt, n_boot=n_boot, random_state=seed))
    prev.insert(0, "model", model_name)
    prev.insert(1, "k", k)
    prev.insert(3, "label", prev["topic"].map(dict(zip(labels["topic"], label_list))))
    ctx.write_table("topic_prevalence", prev[TABLE_COLUMNS["topic_prevalence"]])
    # the covariate's values come from the docvars, which the corpus hash in every key covers
    eff_params = dict(label_params, covariate=p["covariate"], era_breaks=p["era_breaks"],
                      spline_df=int(p["spline_df"]))
    eff, notes = ctx.cached("topics_effects", eff_params,
                            lambda: _effects(get_model(), units_m, ctx.corpus.docvars, p, label_list,
                                             model_name, k))
    for note in notes:
        ctx.log(note)
    ctx.write_table("topic_effects", eff)
    n_examples = int(p["n_examples"])
    ctx.write_table("topic_examples", ctx.cached(
        "topics_examples", dict(fit_params, n_examples=n_examples),
        lambda: stat_representative_units(get_model(), units_m, n=n_examples)))
    ctx.write_table("topic_alignment", ctx.cached(
        "topics_alignment", fit_params,
        lambda: _alignment(get_model(), M, terms, methods, model_name, k, float(p["sample_frac"]), seed)))
