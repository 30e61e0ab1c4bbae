"""The topic-model estimator: LDA or NMF with topics in a stable, interpretable order.

:class:`TopicModel` is a scikit-learn estimator (it passes
``sklearn.utils.estimator_checks``): keyword-only parameters validated against
``_parameter_constraints``, ``fit(X)`` / ``transform(X)`` on a units x terms count
matrix, ``n_features_in_``, ``feature_names_in_``, ``n_iter_`` and
``get_feature_names_out``. The vocabulary travels with ``X``, as in scikit-learn:

* an :class:`analysis.dtm.DTM` (its ``terms``) - the usual route in this package;
* a pandas DataFrame whose columns are the terms (dense, or sparse with
  ``pd.DataFrame.sparse.from_spmatrix(matrix, columns=terms)``);
* a plain array or scipy sparse matrix: the terms are then ``x0, x1, ...``.

The rest of the topic toolkit lives next to it: :mod:`analysis.topicmod.units`
(merging short units), :mod:`~analysis.topicmod.labels` (top terms, labels,
representative units), :mod:`~analysis.topicmod.selection` (choosing K),
:mod:`~analysis.topicmod.prevalence` (shares per document and year, effects) and
:mod:`~analysis.topicmod.alignment`; :mod:`analysis.topicmod` re-exports them all.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.decomposition import NMF, LatentDirichletAllocation
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    check_non_negative,
    validate_data,
)

from analysis.topicmod.coherence import top_term_indices

__all__ = ["TopicModel"]

_NO_NAMES_WARNING = "X does not have valid feature names"


# ----------------------------------------------------------------------------- helpers
def _unwrap(X):
    """``(matrix, terms)`` of an ``analysis.dtm.DTM`` (anything with ``matrix`` and ``terms``), else ``(X, None)``."""
    if hasattr(X, "matrix") and hasattr(X, "terms"):
        return X.matrix, np.asarray(X.terms).astype(str)
    return X, None


def _matrix_and_terms(X, terms=None):
    """A sorted float64 CSR copy of a DTM or a units x terms matrix, and its terms.

    Used by the functions that take a matrix next to a fitted model (labels,
    K selection); ``terms`` defaults to the DTM's, else ``x0, x1, ...``.
    """
    M, own = _unwrap(X)
    terms = own if terms is None else terms
    # full copy: scipy's dtype conversion can share the index arrays with the input,
    # and estimators sort indices in place, which would scramble the caller's matrix
    M = sp.csr_matrix(M, dtype=np.float64, copy=True)
    M.sort_indices()
    if terms is None:
        terms = np.array([f"x{i}" for i in range(M.shape[1])])
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


# ----------------------------------------------------------------------------- estimator
class TopicModel(TransformerMixin, BaseEstimator):
    """LDA or NMF topic model with topics in a stable, interpretable order.

    Parameters
    ----------
    method : {"lda", "nmf"}, default="lda"
        ``"lda"``: variational Bayes LDA (scikit-learn, batch) on counts. ``"nmf"``:
        NMF (Frobenius loss, coordinate descent) on L2-normalised TF-IDF of the
        counts; unit "shares" are the normalised NMF loadings.
    n_components : int, default=10
        Number of topics K (at most the number of units).
    random_state : int, RandomState instance or None, default=None
        Seed for the model's random initialisation.
    max_iter : int or None, default=None
        Passes over the data (LDA, None: 20) or NMF iterations (None: 400).
    doc_topic_prior, topic_word_prior : float or None, default=None
        LDA's alpha and eta (None: scikit-learn's 1/K).
    nmf_init : {"nndsvda", "nndsvd", "nndsvdar", "random"} or None, default=None
        NMF initialisation. None is scikit-learn's rule: ``"nndsvda"``
        (deterministic given the data) when K <= min(units, terms), otherwise
        ``"random"`` (seeded by ``random_state``).
    tol : float, default=1e-3
        NMF convergence tolerance (relative decrease of the loss; looser than
        scikit-learn's 1e-4 at no visible cost in coherence).

    Attributes
    ----------
    components_ : ndarray of shape (K, n_features)
        Topic-word distributions (rows sum to 1), in stable order.
    n_features_in_ : int
        Number of terms seen in ``fit``.
    feature_names_in_ : ndarray of str, shape (n_features,)
        The terms, when ``X`` carried them (a DTM or a DataFrame with string columns).
    terms_ : ndarray of str
        The vocabulary used for top terms and labels: ``feature_names_in_`` if
        defined, else ``x0, x1, ...``. :meth:`top_terms` and
        :func:`analysis.topicmod.stat_topic_terms` read it.
    doc_topic_ : ndarray of shape (n_units, K)
        Shares of the training units (rows sum to 1).
    prevalence_ : ndarray of shape (K,)
        Token-weighted mean share of each topic in the training data (decreasing).
    order_ : ndarray of int
        Position of each reported topic in the underlying estimator.
    n_iter_ : int
        Iterations (LDA: passes over the data) the underlying estimator ran.
    estimator_ : LatentDirichletAllocation or NMF
    tfidf_ : TfidfTransformer or None

    Notes
    -----
    Topics are ordered by decreasing prevalence (rounded to 10 decimals), ties by
    their most probable term, so the same data and seed give the same numbering.
    :meth:`get_feature_names_out` names the columns of :meth:`transform`
    ``topic0, topic1, ...`` as scikit-learn transformers do (0-based); column
    ``topic{j}`` is topic ``j + 1`` of the tables (``topic_terms``, ``topic_labels``,
    ``topic_prevalence``). The top terms of each topic come from
    :meth:`top_terms` or :func:`analysis.topicmod.stat_topic_terms`.

    With NMF and K above min(units, terms) the factorisation is not unique; the
    training shares are then those :meth:`transform` gives for the training units.

    Passing the vocabulary as ``fit(X, terms=...)`` still works but is deprecated:
    scikit-learn estimators take every data-dependent input through ``X``.

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

    Examples
    --------
    >>> from analysis.dtm import build_dtm                      # doctest: +SKIP
    >>> tm = TopicModel(method="nmf", n_components=8, random_state=0).fit(build_dtm(units))
    >>> tm.top_terms(5)[0]                                       # terms of topic 1
    """

    @property
    def engine(self) -> str:
        """The ``engine`` column of the topic tables, as in ``topic_selection`` (``sklearn-lda``, ``sklearn-nmf``)."""
        return f"sklearn-{self.method}"

    _parameter_constraints: ClassVar[dict] = {
        "method": [StrOptions({"lda", "nmf"})],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "max_iter": [None, Interval(Integral, 1, None, closed="left")],
        "doc_topic_prior": [None, Interval(Real, 0, None, closed="neither")],
        "topic_word_prior": [None, Interval(Real, 0, None, closed="neither")],
        "nmf_init": [None, StrOptions({"nndsvda", "nndsvd", "nndsvdar", "random"})],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        method: str = "lda",
        n_components: int = 10,
        random_state=None,
        max_iter: int | None = None,
        doc_topic_prior: float | None = None,
        topic_word_prior: float | None = None,
        nmf_init: str | None = None,
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    def _validate_counts(self, X, reset: bool, names=None, where: str = "fit"):
        """``validate_data`` on the matrix of ``X``; ``names`` are the terms of a DTM."""
        if not reset and hasattr(X, "shape") and len(X.shape) == 2 and X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the fitted vocabulary, terms_); "
                "build the matrix with vocabulary=model.terms_"
            )
        with warnings.catch_warnings():
            if not reset and (names is not None or sp.issparse(X)):
                # a sparse matrix cannot carry column names: it is trusted to use the fitted
                # column order (its width is checked); a DTM's terms are compared below
                warnings.filterwarnings("ignore", message=_NO_NAMES_WARNING)
            M = validate_data(self, X, reset=reset, accept_sparse=("csr", "csc", "coo"), dtype=np.float64)
        M = sp.csr_matrix(M, dtype=np.float64, copy=True)
        M.sort_indices()
        check_non_negative(M, f"{type(self).__name__}.{where}")
        if reset:
            if names is not None:
                if len(names) != M.shape[1]:
                    raise ValueError(f"{len(names)} terms for a matrix with {M.shape[1]} columns")
                self.feature_names_in_ = np.asarray(names, dtype=object)
        elif names is not None and hasattr(self, "feature_names_in_"):
            fitted = np.asarray(self.feature_names_in_).astype(str)
            if not np.array_equal(fitted, names):
                bad = int(np.flatnonzero(fitted != names)[0])
                raise ValueError(
                    f"the DTM's term {bad} is {names[bad]!r} but the model was fitted with "
                    f"{fitted[bad]!r}; build it with vocabulary=model.terms_"
                )
        return M

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, terms=None):
        """Fit the topic model.

        Parameters
        ----------
        X : DTM, DataFrame, array-like or sparse matrix of shape (n_units, n_terms)
            Non-negative counts; the terms come from a DTM's ``terms`` or a
            DataFrame's columns (see the module docstring).
        y : None
            Ignored.
        terms : sequence of str, optional
            Deprecated: pass a DTM or a DataFrame instead.

        Returns
        -------
        self
        """
        X, names = _unwrap(X)
        if terms is not None:
            warnings.warn(
                "TopicModel.fit(X, terms=...) is deprecated: pass an analysis.dtm.DTM or a DataFrame "
                "whose columns are the terms (pd.DataFrame.sparse.from_spmatrix(X, columns=terms))",
                DeprecationWarning, stacklevel=2,
            )
            names = np.asarray(terms).astype(str)
        M = self._validate_counts(X, reset=True, names=names)
        n, n_terms = M.shape
        K = int(self.n_components)
        if K > n:
            raise ValueError(
                f"cannot fit {K} topics to {n} units (n_samples={n}); choose a smaller K or a larger corpus"
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
            self.tfidf_ = None
        else:
            self.tfidf_ = TfidfTransformer(norm="l2", sublinear_tf=False).fit(M)
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
                Z = self.tfidf_.transform(M)
                theta = est.fit_transform(Z)
                if K > min(n, n_terms):
                    # more topics than the rank of the data: the loadings found in fit are one of
                    # many exact factorisations; report those transform() finds, so that
                    # fit_transform(X) equals fit(X).transform(X)
                    theta = est.transform(Z)
        phi = _normalize_rows(est.components_)
        theta = _normalize_rows(theta)
        weights = np.asarray(M.sum(axis=1)).ravel()
        prev = (theta * weights[:, None]).sum(axis=0) / max(weights.sum(), 1e-300)
        if hasattr(self, "feature_names_in_"):
            self.terms_ = np.asarray(self.feature_names_in_).astype(str)
        else:
            self.terms_ = np.array([f"x{i}" for i in range(n_terms)])
        order = np.lexsort((self.terms_[np.argmax(phi, axis=1)], -np.round(prev, 10)))
        self.estimator_ = est
        self.n_iter_ = int(est.n_iter_)
        self.order_ = order
        self.components_ = phi[order]
        self.doc_topic_ = theta[:, order]
        self.prevalence_ = prev[order]
        return self

    def _shares(self, M) -> np.ndarray:
        if self.method == "lda":
            theta = self.estimator_.transform(M)
        else:
            theta = self.estimator_.transform(self.tfidf_.transform(M))
        return _normalize_rows(theta)[:, self.order_]

    def transform(self, X):
        """Topic shares (rows sum to one) of new units over the fitted vocabulary.

        ``X`` as in :meth:`fit`; a DTM's terms must equal the fitted ones
        (build it with ``vocabulary=model.terms_``).
        """
        check_is_fitted(self)
        X, names = _unwrap(X)
        return self._shares(self._validate_counts(X, reset=False, names=names, where="transform"))

    def fit_transform(self, X, y=None, terms=None):
        """Fit and return the shares of the training units (``doc_topic_``)."""
        return self.fit(X, y, terms=terms).doc_topic_

    def get_feature_names_out(self, input_features=None):
        """Names of the :meth:`transform` columns: ``topic0, ..., topic{K-1}``.

        ``input_features`` is only checked against the fitted terms, as in
        scikit-learn; the top terms of each topic come from :meth:`top_terms`.
        """
        check_is_fitted(self, "components_")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray([f"topic{j}" for j in range(self.components_.shape[0])], dtype=object)

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
        check_is_fitted(self)
        if self.method != "lda":
            return float("nan")
        X, names = _unwrap(X)
        M = self._validate_counts(X, reset=False, names=names, where="perplexity")
        rng = np.random.default_rng(random_state)
        obs = M.copy()
        obs.data = rng.binomial(M.data.astype(np.int64), 0.5).astype(np.float64)
        ev = (M - obs).tocsr()
        ev.eliminate_zeros()
        if ev.nnz == 0:
            return float("nan")
        theta = self._shares(obs)
        rows = np.repeat(np.arange(ev.shape[0]), np.diff(ev.indptr))
        p = np.einsum("ik,ik->i", theta[rows], self.components_[:, ev.indices].T)
        ll = float(np.sum(ev.data * np.log(np.maximum(p, 1e-300))))
        return float(np.exp(-ll / ev.data.sum()))

    def top_terms(self, n: int = 10) -> list[list[str]]:
        """The ``n`` most probable terms of each topic (topic 1 first)."""
        check_is_fitted(self)
        return [list(self.terms_[i]) for i in top_term_indices(self.components_, n)]
