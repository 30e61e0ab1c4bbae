"""Collapsed-Gibbs LDA (tomotopy) as a scikit-learn estimator on a sparse count matrix.

:class:`GibbsLDA` fits latent Dirichlet allocation by collapsed Gibbs sampling
(Griffiths & Steyvers 2004) with tomotopy's C++ ``LDAModel`` and exposes the
scikit-learn estimator API of :class:`analysis.topicmod.model.TopicModel`:
``fit(X, terms=...)``, ``components_`` (K x V topic-word distributions in the
columns of ``X``), ``transform`` (document-topic shares of new rows),
``perplexity``/``score`` (held-out document completion, Wallach et al. 2009).

It also keeps the final Gibbs state that the method of composition needs
(:mod:`analysis.topicmod.composition`): ``doc_topic_counts_`` (tokens of each row
assigned to each topic) and ``doc_topic_prior_`` (each row's Dirichlet prior).

Determinism: the same data, ``random_state`` and ``workers`` give identical bytes
(tests/test_topic_engines.py checks it). With ``workers > 1`` tomotopy's parallel
sampler partitions the work, so the result depends on the worker count: keep it
fixed and record it (``engine_info_``). :class:`TomotopyEstimator` is the shared
base of the DMR, seeded and dynamic wrappers.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from analysis.errors import UsageError

__all__ = ["GibbsLDA", "TomotopyEstimator", "as_counts", "document_completion_split", "geweke_z", "row_words",
           "window_change"]


def _tomotopy():
    try:
        import tomotopy
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise UsageError("the Gibbs topic engines need tomotopy: pip install tomotopy==0.14.0") from e
    return tomotopy


def as_counts(X, terms=None) -> tuple[sp.csr_matrix, np.ndarray]:
    """A canonical CSR count matrix and its term array from a DTM or a matrix + ``terms``."""
    if hasattr(X, "matrix") and hasattr(X, "terms"):
        M, t = X.matrix, X.terms if terms is None else terms
    else:
        M, t = X, terms
    M = sp.csr_matrix(M, dtype=np.float64)
    M.sum_duplicates()
    M.sort_indices()
    if t is None:
        t = np.array([f"w{j}" for j in range(M.shape[1])])
    t = np.asarray(t).astype(str)
    if len(t) != M.shape[1]:
        raise UsageError(f"the matrix has {M.shape[1]} columns but {len(t)} terms were given")
    if M.nnz and (M.data.min() < 0 or not np.allclose(M.data, np.round(M.data))):
        raise UsageError("topic models need a matrix of non-negative integer counts (weighting='count')")
    return M, t


def row_words(M: sp.csr_matrix, terms: np.ndarray, i: int) -> list[str]:
    """Row ``i`` of a count matrix as a list of tokens (columns in order, repeated by count)."""
    lo, hi = M.indptr[i], M.indptr[i + 1]
    return np.repeat(terms[M.indices[lo:hi]], M.data[lo:hi].astype(np.int64)).tolist()


def document_completion_split(M: sp.csr_matrix, random_state: int = 0):
    """Split every row's tokens at random into an observed and an evaluation half.

    Binomial thinning with p = 0.5 of each cell (seeded): ``obs + ev == M``.
    """
    rng = np.random.default_rng(random_state)
    obs = M.copy()
    obs.data = rng.binomial(M.data.astype(np.int64), 0.5).astype(np.float64)
    ev = (M - obs).tocsr()
    obs.eliminate_zeros()
    ev.eliminate_zeros()
    return obs.tocsr(), ev


def window_change(trace, window: int = 50) -> float | None:
    """Change of the mean per-token log-likelihood between the last two windows of a chain.

    ``trace`` is a sequence of ``(sweep, ll_per_word)``; with ``n`` the last sweep,
    the result is the mean of the values recorded at sweeps in ``(n - window, n]``
    minus the mean of those in ``(n - 2 window, n - window]`` (None while the chain is
    shorter than ``2 window`` sweeps). In nats per token it is the log of the ratio of
    the two windows' training perplexities, so ``|change| < tol`` says the perplexity
    moved by less than about ``100 tol`` % over the last window: the relative-change
    rule of scikit-learn's ``LatentDirichletAllocation`` (``perp_tol``, perplexity
    evaluated every ``evaluate_every`` iterations), applied to window means because a
    Gibbs chain's log-likelihood is a noisy draw, not a deterministic bound. Judging
    convergence from the log-likelihood trace is Griffiths & Steyvers' (2004, Fig. 2)
    practice; tomotopy's and MALLET's users read the same trace (``ll_per_word`` /
    "LL/token" every 10 sweeps).

    References
    ----------
    Griffiths, T. L., & Steyvers, M. (2004). Finding scientific topics. *PNAS*,
    101(suppl. 1), 5228-5235.
    Pedregosa, F. et al. (2011). Scikit-learn: Machine learning in Python. *JMLR*, 12,
    2825-2830 (``sklearn.decomposition.LatentDirichletAllocation``, ``perp_tol``).
    """
    if len(trace) == 0:
        return None
    t = np.asarray(trace, dtype=np.float64).reshape(-1, 2)
    n, w = t[-1, 0], float(window)
    if n < 2 * w:
        return None
    late = t[(t[:, 0] > n - w) & (t[:, 0] <= n), 1]
    early = t[(t[:, 0] > n - 2 * w) & (t[:, 0] <= n - w), 1]
    if len(late) == 0 or len(early) == 0:
        return None
    return float(late.mean() - early.mean())


def _spectrum0_ar1(x: np.ndarray) -> float:
    """Spectral density at frequency zero of ``x`` from a least-squares AR(1) fit.

    ``sigma_e^2 / (1 - phi)^2`` (coda's ``spectrum0.ar`` chooses the AR order by AIC;
    order 1 here, with ``phi`` capped at 0.99 so a trending window stays finite).
    """
    x = np.asarray(x, dtype=np.float64)
    c = x - x.mean()
    if len(x) < 3 or not np.any(c):
        return float(np.var(x))
    phi = float(np.dot(c[1:], c[:-1]) / max(np.dot(c[:-1], c[:-1]), 1e-300))
    phi = min(max(phi, -0.99), 0.99)
    resid = c[1:] - phi * c[:-1]
    return float(np.dot(resid, resid) / (len(resid) - 1) / (1.0 - phi) ** 2)


def geweke_z(x, first: float = 0.1, last: float = 0.5) -> float:
    """Geweke's (1992) convergence z-score of a chain's values ``x``.

    ``(mean(A) - mean(B)) / sqrt(S_A(0)/n_A + S_B(0)/n_B)`` with ``A`` the first
    ``first`` share of ``x``, ``B`` the last ``last`` share and ``S(0)`` each
    segment's spectral density at zero (:func:`_spectrum0_ar1`), as coda's
    ``geweke.diag``. ``|z| > 1.96`` says the two segments' means differ more than the
    chain's autocorrelated noise allows: the early segment is still burn-in. NaN when
    a segment has fewer than 5 values (an AR fit needs a few; GibbsLDA's trace, one
    value per 10 sweeps, has them once its second half spans 500 sweeps).

    References
    ----------
    Geweke, J. (1992). Evaluating the accuracy of sampling-based approaches to the
    calculation of posterior moments. In J. M. Bernardo et al. (eds.), *Bayesian
    Statistics 4*, 169-193. Oxford University Press.
    Plummer, M., Best, N., Cowles, K., & Vines, K. (2006). CODA: Convergence diagnosis
    and output analysis for MCMC. *R News*, 6(1), 7-11.
    """
    x = np.asarray(x, dtype=np.float64)
    na, nb = int(np.floor(first * len(x))), int(np.floor(last * len(x)))
    if na < 5 or nb < 5:
        return float("nan")
    a, b = x[:na], x[len(x) - nb:]
    var = _spectrum0_ar1(a) / na + _spectrum0_ar1(b) / nb
    diff = float(a.mean() - b.mean())
    if var <= 0:
        return 0.0 if diff == 0 else float(np.copysign(np.inf, diff))
    return diff / float(np.sqrt(var))


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _normalize_rows(A: np.ndarray) -> np.ndarray:
    s = A.sum(axis=1, keepdims=True)
    return A / np.where(s > 0, s, 1.0)


class TomotopyEstimator(TransformerMixin, BaseEstimator):
    """Shared machinery of the tomotopy wrappers (not used directly).

    Subclasses define ``_make_model(tp, K)`` and may override ``_add_doc`` (to
    attach document variables), ``_doc_prior`` and ``_before_train``.
    """

    #: the ``engine`` column of the topic tables, as in ``topic_selection``
    engine = "tomotopy-gibbs"

    method = "gibbs"

    def _check_params(self):
        if int(self.n_components) < 1:
            raise UsageError(f"n_components must be >= 1, got {self.n_components}")
        if int(self.max_iter) < 1:
            raise UsageError(f"max_iter must be >= 1, got {self.max_iter}")
        tol = getattr(self, "tol", None)
        if tol is not None and not float(tol) > 0:
            raise UsageError(f"tol must be > 0 (or None: exactly max_iter sweeps), got {tol}")
        for name, lo in (("check_every", 1), ("window", 1), ("min_iter", 0)):
            if int(getattr(self, name, lo)) < lo:
                raise UsageError(f"{name} must be >= {lo}, got {getattr(self, name)}")
        if tol is not None and int(getattr(self, "window", 50)) < int(getattr(self, "check_every", 10)):
            raise UsageError(f"window ({self.window}) must be at least check_every ({self.check_every}) sweeps")
        if int(self.workers) < 1:
            raise UsageError(f"workers must be a fixed number >= 1 (results depend on it), got {self.workers}")

    # --- the tomotopy model: kept out of the learned attributes (``vars``) that the run layer
    # hashes, and pickled as its saved bytes (the run cache stores fitted models). An
    # unpickled estimator keeps those bytes until ``model_`` is first read: a warm run that
    # reads only the cached shares never rebuilds the sampler's state (1.6 s on UNGDC 60-79)
    @property
    def model_(self):
        try:
            mdl = self.__dict__["_tomotopy_model"]
        except KeyError:
            raise AttributeError("model_") from None
        if isinstance(mdl, tuple):
            name, blob = mdl
            mdl = getattr(_tomotopy(), name).loads(blob)
            self.__dict__["_tomotopy_model"] = mdl
        return mdl

    @model_.setter
    def model_(self, value):
        self.__dict__["_tomotopy_model"] = value

    def __getstate__(self):
        state = self.__dict__.copy()
        mdl = state.get("_tomotopy_model")
        if mdl is not None and hasattr(mdl, "saves"):
            state["_tomotopy_model"] = (type(mdl).__name__, bytes(mdl.saves(full=True)))
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)  # the model's bytes stay bytes until ``model_`` is read

    # --- hooks
    def _add_doc(self, mdl, words, row):
        return mdl.add_doc(words)

    def _before_train(self, mdl, terms):
        pass

    def _alpha(self, mdl) -> np.ndarray:
        """The model's (K,) document-topic prior (DMR: its first metadata column)."""
        return np.asarray(mdl.alpha, dtype=np.float64).reshape(int(self.n_components), -1)[:, 0]

    def _doc_prior(self, mdl, rows: np.ndarray) -> np.ndarray:
        return np.tile(self._alpha(mdl), (len(rows), 1))

    # --- fitting
    def _fit_counts(self, M, terms, n_rows):
        tp = _tomotopy()
        K = int(self.n_components)
        if K > M.shape[1]:
            raise UsageError(f"cannot fit {K} topics to {M.shape[1]} terms; choose a smaller K")
        seed = 0 if self.random_state is None else int(self.random_state)
        mdl = self._make_model(tp, K, seed)
        used = []
        for i in range(n_rows):
            words = row_words(M, terms, i)
            if words:
                self._add_doc(mdl, words, i)
                used.append(i)
        if not used:
            raise UsageError("every row of the matrix is empty: nothing to fit")
        self._before_train(mdl, terms)
        self._train(tp, mdl)
        return tp, mdl, np.asarray(used)

    def _train(self, tp, mdl):
        """Sweep in blocks of ``check_every``, recording ``ll_per_word`` after each block.

        tomotopy 0.14.0 keeps its sweep counter across ``train`` calls (the alpha
        optimisation every ``optim_interval`` sweeps and ``burn_in`` refer to it), so
        ``n`` blocks of ``b`` sweeps leave the same state, byte for byte, as one
        ``train(n * b)`` (tests/test_gibbs_convergence.py checks it): a fixed-length
        chain is unchanged, and with ``tol`` the chain is the prefix of the fixed one
        that the rule keeps. See :func:`window_change` for the rule.
        """
        cap = int(self.max_iter)
        tol = getattr(self, "tol", None)
        every = int(getattr(self, "check_every", 10))
        window = int(getattr(self, "window", 50))
        min_iter = int(getattr(self, "min_iter", 100))
        trace: list[tuple[int, float]] = []
        n, converged = 0, False
        while n < cap:
            step = min(every, cap - n)
            mdl.train(step, workers=int(self.workers), parallel=tp.ParallelScheme.DEFAULT)
            n += step
            trace.append((n, float(mdl.ll_per_word)))
            if tol is not None and n >= min_iter:
                d = window_change(trace, window)
                if d is not None and abs(d) < float(tol):
                    converged = True
                    break
        tr = np.array(trace, dtype=np.float64).reshape(-1, 2)
        self.log_likelihood_trace_ = tr
        self.n_iter_ = int(n)
        self.converged_ = bool(converged) if tol is not None else None
        d = window_change(trace, window)
        self.convergence_ = {
            "rule": "window_change" if tol is not None else "fixed",
            "tol": None if tol is None else float(tol), "window": window, "check_every": every,
            "min_iter": min_iter if tol is not None else None, "max_iter": cap, "n_iter": int(n),
            "converged": self.converged_,
            "window_change": None if d is None else float(d),
            # Geweke's z of the chain's second half (the first half taken as burn-in)
            "geweke_z": _finite(geweke_z(tr[len(tr) // 2:, 1])),
        }

    def fit(self, X, y=None, terms=None):
        """Fit on a DTM (or a units x terms count matrix with ``terms``)."""
        self._check_params()
        M, terms = as_counts(X, terms)
        tp, mdl, used = self._fit_counts(M, terms, M.shape[0])
        self._store(tp, mdl, M, terms, used)
        return self

    def _topic_word_counts(self, mdl, terms):
        col = {w: j for j, w in enumerate(terms)}
        vmap = np.array([col.get(w, -1) for w in mdl.vocabs])
        K = int(self.n_components)
        nkw = np.zeros((K, len(terms)))
        for d in mdl.docs:
            np.add.at(nkw, (np.asarray(d.topics, dtype=np.int64), vmap[np.asarray(d.words, dtype=np.int64)]), 1.0)
        return nkw

    def _store(self, tp, mdl, M, terms, used):
        K = int(self.n_components)
        n = M.shape[0]
        nkw = self._topic_word_counts(mdl, terms)
        eta = self._eta_matrix(mdl, terms)
        phi = _normalize_rows(nkw + eta)
        counts = np.zeros((n, K))
        for d, i in zip(mdl.docs, used):
            counts[i] = np.bincount(np.asarray(d.topics, dtype=np.int64), minlength=K)
        prior = np.tile(self._alpha(mdl), (n, 1))
        prior[used] = self._doc_prior(mdl, used)
        theta = _normalize_rows(counts + prior)
        weights = np.asarray(M.sum(axis=1)).ravel()
        prev = (theta * weights[:, None]).sum(axis=0) / max(weights.sum(), 1e-300)
        order = self._topic_order(phi, prev, terms)
        self.model_ = mdl
        self.order_ = order
        self.components_ = phi[order]
        self.topic_word_counts_ = nkw[order]
        self.doc_topic_counts_ = counts[:, order]
        self.doc_topic_prior_ = prior[:, order]
        self.doc_topic_ = theta[:, order]
        self.prevalence_ = prev[order]
        self.terms_ = terms
        self.n_features_in_ = M.shape[1]
        self.log_likelihood_ = float(mdl.ll_per_word)
        self.engine_info_ = {
            "engine": "tomotopy", "engine_version": tp.__version__, "isa": tp.isa,
            "model": type(mdl).__name__, "seed": 0 if self.random_state is None else int(self.random_state),
            "workers": int(self.workers), "iterations": int(getattr(self, "n_iter_", self.max_iter)),
        }

    def _eta_matrix(self, mdl, terms) -> np.ndarray:
        return np.full((int(self.n_components), len(terms)), float(mdl.eta))

    def _topic_order(self, phi, prev, terms):
        """Topics by decreasing prevalence (rounded to 10 decimals), ties by top term."""
        return np.lexsort((terms[np.argmax(phi, axis=1)], -np.round(prev, 10)))

    def gibbs_states(self, n_states: int = 5, thin: int = 10) -> np.ndarray:
        """Per-row topic counts of ``n_states`` further Gibbs states, ``thin`` sweeps apart.

        Sampling continues on a copy of the fitted tomotopy model (the fit itself is
        unchanged); the first state is the fitted one. Returns (n_states, n_rows, K)
        in the reported topic order, for :func:`analysis.topicmod.composition.
        stat_composition_effects` to mix over assignment uncertainty. Assumes no
        label switching within ``n_states * thin`` sweeps of a converged chain.
        """
        if not hasattr(self, "model_"):
            raise UsageError(f"this {type(self).__name__} is not fitted yet: call fit first")
        K = int(self.n_components)
        used = np.flatnonzero(self.doc_topic_counts_.sum(axis=1) > 0)
        out = np.zeros((int(n_states), *self.doc_topic_counts_.shape))
        out[0] = self.doc_topic_counts_
        mdl = self.model_.copy()
        for s in range(1, int(n_states)):
            mdl.train(int(thin), workers=int(self.workers))
            for d, i in zip(mdl.docs, used):
                out[s, i] = np.bincount(np.asarray(d.topics, dtype=np.int64), minlength=K)[self.order_]
        return out

    # --- new documents
    def _make_docs(self, M, rows):
        mdl = self.model_
        return [mdl.make_doc(row_words(M, self.terms_, i)) for i in rows]

    def _infer(self, M: sp.csr_matrix) -> np.ndarray:
        n = M.shape[0]
        K = int(self.n_components)
        lens = np.diff(M.indptr)
        rows = np.flatnonzero(lens > 0)
        theta = np.tile(_normalize_rows(self._alpha(self.model_)[None, :]), (n, 1))
        if len(rows):
            docs = self._make_docs(M, rows)
            dists, _ = self.model_.infer(docs, iterations=int(self.infer_iter), workers=int(self.workers),
                                         together=False)
            theta[rows] = np.asarray(dists, dtype=np.float64).reshape(len(rows), K)
        return _normalize_rows(theta)[:, self.order_]

    def _check_X(self, X):
        if not hasattr(self, "components_"):
            raise UsageError(f"this {type(self).__name__} is not fitted yet: call fit first")
        M, _ = as_counts(X, self.terms_ if not hasattr(X, "terms") else None)
        if M.shape[1] != self.n_features_in_:
            raise UsageError(f"matrix has {M.shape[1]} terms, the model {self.n_features_in_}; build it "
                             "with vocabulary=model.terms_")
        return M

    def transform(self, X):
        """Topic shares (rows sum to one) of new rows, inferred by Gibbs sampling with the topics fixed."""
        return self._infer(self._check_X(X))

    def fit_transform(self, X, y=None, terms=None):
        return self.fit(X, terms=terms).doc_topic_

    def heldout_loglik(self, X, random_state: int = 0) -> float:
        """Held-out log-likelihood per token by document completion.

        Each row's tokens are split at random into halves
        (:func:`document_completion_split`); the row's topic shares are inferred from
        the first half and the second half is scored,
        ``sum n_w log(sum_k theta_k phi_kw) / sum n_w`` (Wallach et al. 2009, the
        "document completion" estimator). NaN when nothing is left to score.

        References
        ----------
        Wallach, H. M., Murray, I., Salakhutdinov, R., & Mimno, D. (2009).
        Evaluation methods for topic models. *ICML*, 1105-1112.
        """
        M = self._check_X(X)
        obs, ev = document_completion_split(M, random_state)
        if ev.nnz == 0:
            return float("nan")
        theta = self._infer(obs)
        rows = np.repeat(np.arange(ev.shape[0]), np.diff(ev.indptr))
        p = np.einsum("ik,ik->i", theta[rows], self.components_[:, ev.indices].T)
        return float(np.sum(ev.data * np.log(np.maximum(p, 1e-300))) / ev.data.sum())

    def perplexity(self, X, random_state: int = 0) -> float:
        """``exp(-heldout_loglik)``: held-out perplexity by document completion."""
        return float(np.exp(-self.heldout_loglik(X, random_state)))

    def score(self, X, y=None) -> float:
        """Held-out log-likelihood per token (higher is better; for model selection)."""
        return self.heldout_loglik(X, random_state=0 if self.random_state is None else int(self.random_state))

    def top_terms(self, n: int = 10) -> list[list[str]]:
        """The ``n`` most probable terms of each topic."""
        return [list(self.terms_[np.argsort(-row, kind="stable")[:n]]) for row in self.components_]


class GibbsLDA(TomotopyEstimator):
    """LDA by collapsed Gibbs sampling (tomotopy ``LDAModel``), scikit-learn style.

    Parameters
    ----------
    n_components : int
        Number of topics K.
    random_state : int or None
        Seed of the sampler (None means 0, so results are always reproducible).
    max_iter : int
        Gibbs sweeps over the corpus (default 500): exactly this many with ``tol=None``,
        at most this many with ``tol``.
    tol : float or None
        Stop the chain once ``|window_change| < tol`` (:func:`window_change`: the change
        of the mean ``ll_per_word`` between the last two windows of ``window`` sweeps,
        in nats per token) after at least ``min_iter`` sweeps; ``converged_`` says
        whether it did before ``max_iter``. None (default): a fixed-length chain.
    min_iter : int
        Fewest sweeps before the rule may stop the chain (default 100).
    window : int
        Sweeps per window of the rule (default 50).
    check_every : int
        Sweeps per training block: ``ll_per_word`` is recorded (and the rule checked)
        after each block (default 10, tomotopy's default ``optim_interval``). The blocks
        do not change the chain: ``max_iter`` sweeps in blocks give the bytes of one
        ``train(max_iter)``.
    workers : int
        Sampler threads. Results are identical for a fixed ``(random_state,
        workers)`` but change with ``workers``; recorded in ``engine_info_``.
    doc_topic_prior : float or None
        Symmetric alpha (None: 0.1, tomotopy's default).
    topic_word_prior : float
        Symmetric eta (default 0.01).
    optim_interval : int
        Every this many sweeps the asymmetric alpha is re-estimated (Minka's fixed
        point, tomotopy's default 10; 0 keeps alpha fixed).
    burn_in : int
        Sweeps before the first alpha optimisation.
    infer_iter : int
        Gibbs sweeps to infer the topic shares of new rows (``transform``).

    Attributes
    ----------
    components_ : ndarray (K, V)
        ``(n_kw + eta) / (n_k + V eta)`` from the final Gibbs state, columns as ``X``.
    doc_topic_ : ndarray (n_rows, K)
        ``(n_dk + alpha_k) / (n_d + sum alpha)`` (the training rows; empty rows get
        the prior mean).
    doc_topic_counts_, doc_topic_prior_ : ndarray (n_rows, K)
        ``n_dk`` and ``alpha_dk`` of the final state (see the module docstring).
    topic_word_counts_ : ndarray (K, V)
    prevalence_ : ndarray (K,)
        Token-weighted mean share (decreasing: topics are in a stable order, by
        prevalence then top term).
    order_ : ndarray of int
        Underlying tomotopy topic of each reported topic.
    engine_info_ : dict
        Engine, version, SIMD instruction set, seed, workers, iterations (``n_iter_``).
    log_likelihood_trace_ : ndarray (n_blocks, 2)
        ``(sweep, ll_per_word)`` after each block of ``check_every`` sweeps
        (tomotopy's ``ll_per_word``: ``log p(w, z) / N`` of the current state).
    log_likelihood_ : float
        The last ``ll_per_word``.
    n_iter_ : int
        Sweeps run.
    converged_ : bool or None
        With ``tol``: whether the rule stopped the chain before ``max_iter``
        (None for a fixed-length chain).
    convergence_ : dict
        The rule and its settings, ``n_iter``, ``converged``, the last
        ``window_change`` and Geweke's (1992) z of the trace's second half
        (:func:`geweke_z`), for run.json.

    References
    ----------
    Blei, D. M., Ng, A. Y., & Jordan, M. I. (2003). Latent Dirichlet allocation.
    *Journal of Machine Learning Research*, 3, 993-1022.
    Griffiths, T. L., & Steyvers, M. (2004). Finding scientific topics. *PNAS*,
    101(suppl. 1), 5228-5235.
    Geweke, J. (1992). Evaluating the accuracy of sampling-based approaches to the
    calculation of posterior moments. *Bayesian Statistics 4*, 169-193.
    Wallach, H. M., Murray, I., Salakhutdinov, R., & Mimno, D. (2009). Evaluation
    methods for topic models. *ICML*, 1105-1112.
    Lee, M. (2022). tomotopy: Python package of Tomoto, the topic modeling tool
    (version 0.14.0). https://github.com/bab2min/tomotopy
    """

    method = "lda"  # as TopicModel(method="lda"): the model; the engine is ``engine``

    def __init__(self, n_components: int = 10, random_state: int | None = 0, max_iter: int = 500,
                 workers: int = 1, doc_topic_prior: float | None = None, topic_word_prior: float = 0.01,
                 optim_interval: int = 10, burn_in: int = 0, infer_iter: int = 100, tol: float | None = None,
                 min_iter: int = 100, window: int = 50, check_every: int = 10):
        self.n_components = n_components
        self.random_state = random_state
        self.max_iter = max_iter
        self.tol = tol
        self.min_iter = min_iter
        self.window = window
        self.check_every = check_every
        self.workers = workers
        self.doc_topic_prior = doc_topic_prior
        self.topic_word_prior = topic_word_prior
        self.optim_interval = optim_interval
        self.burn_in = burn_in
        self.infer_iter = infer_iter

    def _make_model(self, tp, K, seed):
        alpha = 0.1 if self.doc_topic_prior is None else float(self.doc_topic_prior)
        return tp.LDAModel(k=K, alpha=alpha, eta=float(self.topic_word_prior), seed=seed)

    def _before_train(self, mdl, terms):
        mdl.optim_interval = int(self.optim_interval)
        mdl.burn_in = int(self.burn_in)
