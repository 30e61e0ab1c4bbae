"""Dynamic topics: topic-word distributions that drift across eras.

:class:`DynamicTopics` has two engines:

* ``"gibbs"`` (default): one collapsed-Gibbs LDA on all eras
  (:class:`analysis.topicmod.gibbs.GibbsLDA`), then each topic's word distribution
  in era ``e`` from the tokens of era ``e`` assigned to it in the final Gibbs state,
  ``phi_kw(e) = (n_kw(e) + eta) / (n_k(e) + V eta)``. Topics keep one identity
  across eras by construction (as in Hall, Jurafsky & Manning 2008, who read
  change off one LDA fit); the wording of a topic may differ by era.
* ``"dtm"``: the dynamic topic model of Blei & Lafferty (2006), each topic's word
  distribution a Gaussian random walk over eras, by tomotopy's stochastic-gradient
  Langevin sampler (Bhadury et al. 2016). On the planted corpus of the tests its
  topics swap identity between eras at 600-1000 iterations (docs/notes/topics13.md),
  so it is not the default.

:func:`stat_topic_terms_by_era` gives the
``topic_terms_by_era`` table (``model, k, topic, era, rank, term, weight``) and
:func:`analysis.plots.topics_dynamic.plot_topic_terms_by_era` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from analysis.errors import UsageError
from analysis.topicmod.gibbs import _tomotopy, as_counts, row_words

__all__ = ["TERMS_BY_ERA_COLUMNS", "DynamicTopics", "stat_topic_terms_by_era"]

TERMS_BY_ERA_COLUMNS = ["model", "k", "topic", "era", "rank", "term", "weight"]


class DynamicTopics(BaseEstimator):
    """Topic-word distributions by era (era-sliced Gibbs LDA or tomotopy ``DTModel``).

    Parameters
    ----------
    n_components : int
    engine : {"gibbs", "dtm"}
        See the module docstring.
    random_state : int or None
    max_iter : int
        Sampler iterations (default 500).
    topic_word_prior : float
        eta of the ``"gibbs"`` engine.
    workers : int
        Fixed thread count (results depend on it; recorded in ``engine_info_``).
    alpha_var, eta_var, phi_var : float
        tomotopy's transition variances (its defaults 0.1, 0.1, 0.1); ``phi_var``
        sets how far a topic's wording may move from one era to the next.

    Attributes
    ----------
    eras_ : list of str
        The eras, in time order.
    components_ : ndarray (n_eras, K, V)
        Topic-word distribution of each topic in each era (columns as ``X``).
    doc_topic_ : ndarray (n_rows, K)
    prevalence_ : ndarray (K,)
        Share of all tokens assigned to each topic (decreasing).

    References
    ----------
    Blei, D. M., & Lafferty, J. D. (2006). Dynamic topic models. *ICML*, 113-120.
    Hall, D., Jurafsky, D., & Manning, C. D. (2008). Studying the history of ideas
    using topic models. *EMNLP*, 363-371.
    Bhadury, A., Chen, J., Zhu, J., & Liu, S. (2016). Scaling up dynamic topic
    models. *WWW*, 381-390.
    """

    method = "dtm"

    def __init__(self, n_components: int = 10, engine: str = "gibbs", random_state: int | None = 0,
                 max_iter: int = 500, workers: int = 1, topic_word_prior: float = 0.01, alpha_var: float = 0.1,
                 eta_var: float = 0.1, phi_var: float = 0.1):
        self.n_components = n_components
        self.engine = engine
        self.topic_word_prior = topic_word_prior
        self.random_state = random_state
        self.max_iter = max_iter
        self.workers = workers
        self.alpha_var = alpha_var
        self.eta_var = eta_var
        self.phi_var = phi_var

    def fit(self, X, y=None, terms=None, eras: Sequence | None = None, era_order: Sequence[str] | None = None,
            base=None):
        """Fit on counts; ``eras`` gives each row's era label (sorted, or in ``era_order``).

        ``base`` (``"gibbs"`` engine only): a :class:`~analysis.topicmod.gibbs.GibbsLDA`
        already fitted on these rows with ``n_components`` topics, whose final state
        is sliced by era instead of a new fit (its topics keep their numbers).
        """
        tp = _tomotopy()
        M, terms = as_counts(X, terms)
        if eras is None or len(eras) != M.shape[0]:
            raise UsageError(f"eras= must give one era label per row of the matrix ({M.shape[0]} rows)")
        lab = pd.Series(list(eras), dtype="object")
        if lab.isna().any():
            raise UsageError(f"era is missing in row(s) {np.flatnonzero(lab.isna())[:5].tolist()}: drop or label them")
        lab = lab.astype(str)
        order = list(era_order) if era_order is not None else sorted(lab.unique())
        unknown = sorted(set(lab) - set(order))
        if unknown:
            raise UsageError(f"era label(s) {unknown} are not in era_order {order}")
        t_of = {e: i for i, e in enumerate(order)}
        K = int(self.n_components)
        if K < 1 or int(self.workers) < 1:
            raise UsageError("n_components and workers must be >= 1")
        seed = 0 if self.random_state is None else int(self.random_state)
        if self.engine == "gibbs":
            self.method = "lda"  # one LDA, read by era (the table's model column)
            return self._fit_gibbs(tp, M, terms, lab, order, base)
        if self.engine != "dtm":
            raise UsageError(f"engine must be 'gibbs' or 'dtm', not {self.engine!r}")
        self.method = "dtm"
        mdl = tp.DTModel(k=K, t=len(order), alpha_var=float(self.alpha_var), eta_var=float(self.eta_var),
                         phi_var=float(self.phi_var), seed=seed)
        used = []
        for i in range(M.shape[0]):
            words = row_words(M, terms, i)
            if words:
                mdl.add_doc(words, timepoint=t_of[lab[i]])
                used.append(i)
        if not used:
            raise UsageError("every row of the matrix is empty: nothing to fit")
        mdl.train(int(self.max_iter), workers=int(self.workers))
        col = {w: j for j, w in enumerate(terms)}
        cols = np.array([col[w] for w in mdl.used_vocabs])
        phi = np.zeros((len(order), K, len(terms)))
        for t in range(len(order)):
            for k in range(K):
                phi[t, k, cols] = mdl.get_topic_word_dist(k, timepoint=t)
        theta = np.full((M.shape[0], K), 1.0 / K)
        counts = np.zeros(K)
        for d, i in zip(mdl.docs, used):
            theta[i] = np.asarray(d.get_topic_dist(), dtype=np.float64)
            counts += np.bincount(np.asarray(d.topics, dtype=np.int64), minlength=K)
        prev = counts / counts.sum()
        top = terms[np.argmax(phi.mean(axis=0), axis=1)]
        o = np.lexsort((top, -np.round(prev, 10)))
        self.model_ = mdl
        self.eras_ = order
        self.order_ = o
        self.components_ = phi[:, o]
        self.doc_topic_ = theta[:, o]
        self.prevalence_ = prev[o]
        self.terms_ = terms
        self.n_features_in_ = M.shape[1]
        self.engine_info_ = {"engine": "tomotopy", "engine_version": tp.__version__, "model": "DTModel",
                             "seed": seed, "workers": int(self.workers), "iterations": int(self.max_iter)}
        return self

    def _fit_gibbs(self, tp, M, terms, lab, order, base=None):
        from analysis.topicmod.gibbs import GibbsLDA

        if base is not None:
            if not isinstance(base, GibbsLDA) or int(base.n_components) != int(self.n_components) or \
                    not np.array_equal(np.asarray(base.terms_), terms) or base.doc_topic_.shape[0] != M.shape[0]:
                raise UsageError("base= must be a GibbsLDA with n_components topics fitted on the same matrix")
            g = base
        else:
            g = GibbsLDA(int(self.n_components), random_state=self.random_state, max_iter=int(self.max_iter),
                         workers=int(self.workers), topic_word_prior=float(self.topic_word_prior)).fit(
                M, terms=terms)
        K, V = int(self.n_components), len(terms)
        col = {w: j for j, w in enumerate(terms)}
        vmap = np.array([col[w] for w in g.model_.vocabs])
        inv = np.argsort(g.order_)  # tomotopy topic -> reported topic
        used = np.flatnonzero(np.diff(M.indptr) > 0)
        t_of = {e: i for i, e in enumerate(order)}
        nkw = np.zeros((len(order), K, V))
        for d, i in zip(g.model_.docs, used):
            np.add.at(nkw[t_of[lab[i]]], (inv[np.asarray(d.topics, dtype=np.int64)],
                                          vmap[np.asarray(d.words, dtype=np.int64)]), 1.0)
        eta = float(g.topic_word_prior)
        self.model_ = g
        self.eras_ = order
        self.order_ = g.order_
        self.components_ = (nkw + eta) / (nkw.sum(axis=2, keepdims=True) + V * eta)
        self.era_topic_word_counts_ = nkw
        self.doc_topic_ = g.doc_topic_
        self.prevalence_ = g.prevalence_
        self.terms_ = terms
        self.n_features_in_ = M.shape[1]
        self.engine_info_ = dict(g.engine_info_, era_engine="gibbs")
        return self


def stat_topic_terms_by_era(fit: DynamicTopics, n: int = 10) -> pd.DataFrame:
    """The ``topic_terms_by_era`` table: top ``n`` terms of each topic in each era.

    Columns ``model, k, topic, era, rank, term, weight`` (``weight`` is the topic-word
    probability in that era; ``topic`` and ``rank`` start at 1; ``model`` is ``lda``
    for the ``"gibbs"`` engine, ``dtm`` for tomotopy's DTModel).
    """
    if not hasattr(fit, "components_"):
        raise UsageError("fit the DynamicTopics model first")
    rows = []
    K = fit.components_.shape[1]
    for t, era in enumerate(fit.eras_):
        for k in range(K):
            row = fit.components_[t, k]
            for r, i in enumerate(np.argsort(-row, kind="stable")[:n]):
                rows.append((fit.method, K, k + 1, era, r + 1, str(fit.terms_[i]), float(row[i])))
    return pd.DataFrame(rows, columns=TERMS_BY_ERA_COLUMNS)
