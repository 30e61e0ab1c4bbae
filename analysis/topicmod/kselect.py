"""Choosing K at any corpus size: an adaptive grid, held-out criteria for every model, the rule.

* :func:`auto_k_grid` - the K values to scan, more and larger for larger corpora;
* :func:`nmf_heldout_error` - document completion for NMF: held-out reconstruction error;
* :func:`stat_k_scan` - per model and K: held-out criterion (LDA: document-completion
  log-likelihood, NMF: reconstruction error), NPMI/UMass coherence, exclusivity (FREX),
  stability; LDA by variational Bayes (scikit-learn) or collapsed Gibbs (tomotopy);
* :func:`choose_k_heldout` - the default rule: the K with the best held-out criterion,
  with its edge-of-grid flag (:func:`edge_of_grid`);
* :func:`scan_stop` / :func:`worse_run` - where an ascending scan may stop once the
  held-out criterion has turned (early stopping with a patience);
* :func:`frontier` - the coherence-exclusivity Pareto frontier (what stm users inspect).

The default rule is validated by simulation (tests/test_kselect.py, the full study in
``benchmarks/bench_kselect.py`` and under the ``study`` marker): corpora drawn from
known topic models (:func:`analysis.topicmod.simulate_more.simulate_speech_corpus`)
with true K of 5, 10, 20 and 40.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.topicmod.alignment import stability
from analysis.topicmod.coherence import exclusivity, npmi_coherence, top_term_indices, umass_coherence
from analysis.topicmod.gibbs import GibbsLDA, document_completion_split
from analysis.dtm import DTM
from analysis.errors import UsageError
from analysis.topicmod.model import TopicModel, _matrix_and_terms

__all__ = [
    "AUTO_GRIDS",
    "HELDOUT_TOLERANCE",
    "SCAN_COLUMNS",
    "auto_k_grid",
    "auto_k_max",
    "choose_k_heldout",
    "edge_of_grid",
    "frontier",
    "heldout_criterion",
    "nmf_heldout_error",
    "scan_stop",
    "stat_k_scan",
    "worse_run",
]

#: (fewest units, grid): the grid of the largest threshold not above the number of units
AUTO_GRIDS: tuple[tuple[int, tuple[int, ...]], ...] = (
    (0, (4, 8, 12, 16, 20)),
    (2_000, (4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40)),
    (10_000, (5, 10, 15, 20, 25, 30, 35, 40, 50, 60, 80)),
    (50_000, (10, 20, 30, 40, 50, 60, 70, 80, 100)),
)

#: columns of :func:`stat_k_scan` (the first seven are ``topic_selection``'s historical ones)
SCAN_COLUMNS = ["model", "k", "npmi", "umass", "exclusivity", "perplexity", "stability", "npmi_sd", "n_runs",
                "heldout_loglik", "heldout_error", "heldout_sd", "engine"]


def auto_k_grid(n_units: int, n_terms: int, k_min: int | None = None, k_max: int | None = None,
                units_per_topic: int = 5) -> list[int]:
    """The K values to scan for a corpus of ``n_units`` units and ``n_terms`` terms.

    The grid grows with the corpus (:data:`AUTO_GRIDS`): below 2,000 units
    4, 8, ..., 20; from 2,000 units 4-40 (denser at small K); from 10,000 units
    5-80; from 50,000 units 10-100. ``k_min`` / ``k_max`` cut it (beyond its
    ends they extend it, at the spacing of its last step); values are capped at ``n_units / units_per_topic`` and ``n_terms / 5`` as in
    :func:`analysis.topicmod.selection.k_grid`. A larger grid is cheap for NMF
    and affordable for Gibbs LDA; a grid that stops short of the corpus's K shows
    up as a chosen K on the edge (:func:`edge_of_grid`), never silently.
    Bounds that leave no K (``k_min > k_max``, or ``k_max`` below the grid) are a
    UsageError; a corpus too small for every K of the grid gets its cap, when the
    cap is not below ``k_min``.
    """
    grid = list(next(g for lo, g in reversed(AUTO_GRIDS) if n_units >= lo))
    if k_max is not None and k_max > grid[-1]:  # extend with the grid's last spacing, up to k_max
        step = grid[-1] - grid[-2]
        grid += list(range(grid[-1] + step, k_max + 1, step))
        if grid[-1] != k_max:
            grid.append(k_max)
    if k_min is not None and k_min < grid[0]:
        grid = [k_min, *grid]
    grid = [k for k in grid if (k_min is None or k >= k_min) and (k_max is None or k <= k_max)]
    if not grid:
        raise UsageError(f"the K grid is empty: no K with k_min={k_min} <= K <= k_max={k_max}; "
                         "set k_min <= k_max (topics.k_min, topics.k_max)")
    cap = min(n_units // units_per_topic, n_terms // 5)
    feasible = [k for k in grid if k <= cap]
    if not feasible and cap >= 2 and (k_min is None or cap >= k_min):
        feasible = [cap]  # a corpus too small for the whole grid: its largest feasible K, inside the bounds
    return feasible


def auto_k_max(n_units: int) -> int:
    """The largest K of the adaptive grid for a corpus of ``n_units`` units (before capping)."""
    return next(g for lo, g in reversed(AUTO_GRIDS) if n_units >= lo)[-1]


def nmf_heldout_error(model: TopicModel, X, random_state: int = 0) -> float:
    """Held-out reconstruction error of an NMF topic model by document completion.

    The NMF counterpart of Wallach et al.'s (2009) document completion, in the
    spirit of cross-validating a matrix factorisation on held-out entries (Wold
    1978; Owen & Perry 2009): every held-out unit's tokens are split at random
    into halves (:func:`analysis.topicmod.gibbs.document_completion_split`); the
    unit's loadings ``w`` are fitted to the first half (TF-IDF with the training
    IDF, L2-normalised, topics fixed), and the prediction ``w H`` (L2-normalised)
    is compared with the second half's normalised TF-IDF vector ``e``::

        error = sum_u ||e_u - normalise(w_u H)||^2 / sum_u ||e_u||^2

    Lower is better. Too few topics miss structure the halves share; too many fit
    the noise of the first half, which the second half does not repeat.

    References
    ----------
    Wallach, H. M., Murray, I., Salakhutdinov, R., & Mimno, D. (2009). Evaluation
    methods for topic models. *ICML*, 1105-1112.
    Wold, S. (1978). Cross-validatory estimation of the number of components in
    factor and principal components models. *Technometrics*, 20(4), 397-405.
    Owen, A. B., & Perry, P. O. (2009). Bi-cross-validation of the SVD and the
    nonnegative matrix factorization. *Annals of Applied Statistics*, 3(2), 564-594.
    """
    if model.method != "nmf":
        raise ValueError(f"nmf_heldout_error needs an NMF model, got {model.method!r}")
    M = sp.csr_matrix(X, dtype=np.float64)
    obs, ev = document_completion_split(M, random_state)
    keep = (np.diff(obs.indptr) > 0) & (np.diff(ev.indptr) > 0)
    if not keep.any():
        return float("nan")
    obs, ev = obs[keep], ev[keep]
    W = model.estimator_.transform(model.tfidf_.transform(obs))
    H = np.asarray(model.estimator_.components_, dtype=np.float64)
    E = sp.csr_matrix(model.tfidf_.transform(ev), dtype=np.float64)
    # ||e - p||^2 = ||e||^2 - 2 e.p + ||p||^2 with p = wH / ||wH||, from K x K and sparse products
    # only (no dense units x terms array): ||wH||^2 = w (H H') w', e.(wH) = (e H') . w
    pp = np.einsum("ik,kl,il->i", W, H @ H.T, W)
    norms = np.sqrt(np.maximum(pp, 0.0))
    ep = np.einsum("ik,ik->i", np.asarray(E @ H.T), W)
    ep = np.divide(ep, norms, out=np.zeros_like(ep), where=norms > 0)
    ee = np.asarray(E.multiply(E).sum(axis=1)).ravel()
    err = ee - 2 * ep + (norms > 0)
    return float(err.sum() / max(ee.sum(), 1e-300))


def heldout_criterion(model, X, random_state: int = 0) -> tuple[float, float]:
    """``(heldout_loglik, heldout_error)`` of a fitted model on held-out rows ``X``.

    LDA (either engine): the document-completion log-likelihood per token
    (Wallach et al. 2009), error NaN; NMF: :func:`nmf_heldout_error`, loglik NaN.
    """
    if getattr(model, "method", None) == "nmf":
        return float("nan"), nmf_heldout_error(model, X, random_state)
    if isinstance(model, GibbsLDA):
        return model.heldout_loglik(X, random_state=random_state), float("nan")
    perp = model.perplexity(X, random_state=random_state)
    return float(-np.log(perp)) if np.isfinite(perp) and perp > 0 else float("nan"), float("nan")


def _named(matrix, terms) -> DTM:
    """Rows of a count matrix with their terms, as the DTM a :class:`TopicModel` is fitted on."""
    return DTM(matrix=matrix, terms=np.asarray(terms), docvars=pd.DataFrame(index=range(matrix.shape[0])))


def _split(n: int, frac: float, seed: int):
    """Seeded ``(train, test)`` row indices: a random ``frac`` of ``n`` rows and the rest, each sorted."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    n_train = max(round(frac * n), 1)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


def _subsample(M, max_units, seed):
    """A seeded random subsample of at most ``max_units`` rows of ``M`` (in row order); all when None."""
    if max_units is None or M.shape[0] <= max_units:
        return M
    return M[np.sort(np.random.default_rng(seed).choice(M.shape[0], size=int(max_units), replace=False))]


def _make(method: str, engine: str, k: int, seed: int, gibbs_iter: int, model_params: dict):
    if method == "lda" and engine == "gibbs":
        return GibbsLDA(k, random_state=seed, max_iter=gibbs_iter, infer_iter=min(100, gibbs_iter),
                        **model_params)
    return TopicModel(method=method, n_components=k, random_state=seed, **model_params)


def stat_k_scan(
    X,
    terms=None,
    ks: Sequence[int] = (4, 8, 12, 16, 20),
    methods: Sequence[str] = ("lda", "nmf"),
    n_runs: int = 5,
    sample_frac: float = 0.8,
    random_state: int = 0,
    top_n: int = 10,
    lda_engine: str = "sklearn",
    gibbs_iter: int = 500,
    max_units: int | None = None,
    model_params: dict | None = None,
    lda_max_units: int | None = None,
    return_fits: bool = False,
):
    """Scan K with held-out criteria, coherence, exclusivity and stability.

    For each method and K, ``n_runs`` models are fitted, run ``r`` on a random
    ``sample_frac`` of the units (seed ``random_state + r``, model seed the same)
    and scored on the other units:

    * ``heldout_loglik`` - LDA's document-completion log-likelihood per held-out
      token (Wallach et al. 2009), mean over runs (higher is better); ``perplexity``
      is ``exp(-heldout_loglik)`` of each run, averaged (the historical column);
    * ``heldout_error`` - NMF's held-out reconstruction error
      (:func:`nmf_heldout_error`, lower is better);
    * ``heldout_sd`` - standard deviation over runs of the model's criterion;
    * ``npmi``, ``umass``, ``exclusivity``, ``stability``, ``npmi_sd`` as in
      :func:`analysis.topicmod.selection.stat_k_selection` (Bouma 2009; Mimno et al.
      2011; Roberts et al. 2014 FREX; Greene et al. 2014).

    ``lda_engine``: ``"sklearn"`` (variational Bayes, :class:`TopicModel`) or
    ``"gibbs"`` (collapsed Gibbs, :class:`analysis.topicmod.gibbs.GibbsLDA`,
    ``gibbs_iter`` sweeps; Gibbs needs a converged chain for the held-out criterion
    to peak at the true K, hence the default 500). ``max_units``: when the matrix has
    more rows, the scan runs on a seeded random subsample of that many units
    (the chosen K is then fitted on all units by the caller). ``lda_max_units``:
    LDA's fits use a further seeded subsample of at most that many of those units
    (collapsed Gibbs costs about 20 times an NMF fit per unit; the scan's LDA rows
    then describe a smaller corpus, whose held-out criterion tends to favour a
    smaller K).

    Returns
    -------
    DataFrame with :data:`SCAN_COLUMNS` (and, with ``return_fits``, a dict
    ``(model, k) -> list`` of the fitted models).

    References
    ----------
    Wallach, H. M., Murray, I., Salakhutdinov, R., & Mimno, D. (2009). Evaluation
    methods for topic models. *ICML*, 1105-1112.
    Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics?
    Stability analysis for topic models. *ECML PKDD*, LNCS 8724, 498-513.
    Roberts, M. E., Stewart, B. M., & Airoldi, E. M. (2016). A model of text for
    experimentation in the social sciences. *JASA*, 111(515), 988-1003.
    """
    if lda_engine not in ("sklearn", "gibbs"):
        raise ValueError(f"lda_engine must be 'sklearn' or 'gibbs', got {lda_engine!r}")
    if not 0 < sample_frac <= 1:
        raise ValueError(f"sample_frac must be in (0, 1] (1: no held-out units, NaN criteria), got {sample_frac}")
    M_all, terms = _matrix_and_terms(X, terms)
    M_all = _subsample(M_all, max_units, random_state)
    rows, fits = [], {}
    for method in methods:
        engine = lda_engine if method == "lda" else "sklearn"
        params = (model_params or {}).get(method, {})
        M = _subsample(M_all, lda_max_units, [random_state, 1]) if method == "lda" else M_all
        splits = [_split(M.shape[0], sample_frac, random_state + r) for r in range(n_runs)]
        for k in ks:
            scores, comps = [], []
            for r, (tr, te) in enumerate(splits):
                tm = _make(method, engine, int(k), random_state + r, gibbs_iter, params)
                if isinstance(tm, GibbsLDA):
                    tm.fit(M[tr], terms=terms)
                else:
                    tm.fit(_named(M[tr], terms))
                tops = top_term_indices(tm.components_, top_n)
                ll, err = heldout_criterion(tm, M[te], random_state + r) if len(te) else (np.nan, np.nan)
                scores.append((np.nanmean(npmi_coherence(tops, M)), np.nanmean(umass_coherence(tops, M)),
                               float(exclusivity(tm.components_, top_n=top_n).mean()),
                               np.exp(-ll) if np.isfinite(ll) else np.nan, ll, err))
                comps.append(tm.components_)
                if return_fits:
                    fits.setdefault((method, int(k)), []).append(tm)
            s = np.asarray(scores, dtype=np.float64)
            crit = s[:, 5] if method == "nmf" else s[:, 4]
            sd = lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else np.nan  # noqa: E731
            rows.append({
                "model": method, "k": int(k), "npmi": s[:, 0].mean(), "umass": s[:, 1].mean(),
                "exclusivity": s[:, 2].mean(), "perplexity": s[:, 3].mean() if method != "nmf" else np.nan,
                "stability": stability(comps), "npmi_sd": sd(s[:, 0]), "n_runs": len(comps),
                "heldout_loglik": s[:, 4].mean() if method != "nmf" else np.nan,
                "heldout_error": s[:, 5].mean() if method == "nmf" else np.nan,
                "heldout_sd": sd(crit), "engine": "tomotopy-gibbs" if engine == "gibbs" else f"sklearn-{method}",
            })
    table = pd.DataFrame(rows, columns=SCAN_COLUMNS)
    return (table, fits) if return_fits else table


def edge_of_grid(selection: pd.DataFrame, model: str, k: int) -> str:
    """``"upper"`` / ``"lower"`` when ``k`` is the largest / smallest K scanned for ``model``, else ``""``.

    A grid of one value has no edge to speak of (``""``).
    """
    ks = selection.loc[selection["model"] == model, "k"].astype(int)
    if ks.nunique() < 2:
        return ""
    if k == ks.max():
        return "upper"
    if k == ks.min():
        return "lower"
    return ""


#: default parsimony tolerance of :func:`choose_k_heldout` per model (criterion units)
HELDOUT_TOLERANCE = {"lda": 0.005, "nmf": 0.0}


def choose_k_heldout(selection: pd.DataFrame, model: str, tolerance: float | None = None) -> tuple[int, str]:
    """The default rule: the K with the best held-out criterion; returns ``(k, edge)``.

    LDA: the highest ``heldout_loglik`` (document completion, Wallach et al. 2009);
    NMF: the lowest ``heldout_error`` (:func:`nmf_heldout_error`). Values within
    ``tolerance`` (nats per token, or error units) of the best count as ties, and
    ties go to the smaller K. The default (:data:`HELDOUT_TOLERANCE`) is 0 for NMF,
    whose error rises clearly past the true K, and 0.005 nats per token for LDA:
    with collapsed Gibbs the held-out log-likelihood is flat past the true K
    (differences of 0.001-0.003 nats in the simulations, against 0.05-0.2 per step
    below it), so the plain maximum overshoots; the tolerance is a fixed-size
    version of the one-standard-error rule (Breiman et al. 1984; Hastie et al. 2009). This is the cross-validation choice of the number of
    components (Wold 1978; Hastie, Tibshirani & Friedman 2009, section 7.10); stm's
    ``searchK`` reports the same held-out likelihood (Roberts, Stewart & Tingley
    2019). Coherence-based rules are known to favour few topics (the reason the
    rule changed); coherence, exclusivity and stability stay in the table and on
    the figure, and a low stability at the chosen K is worth a note.

    ``edge`` is :func:`edge_of_grid`'s verdict: a K on the upper edge means the
    criterion was still improving where the grid stops (extend ``topics.k_max``);
    callers report it, they do not hide it. Falls back to the smallest K when the
    criterion is missing everywhere.

    References
    ----------
    Wallach, H. M., Murray, I., Salakhutdinov, R., & Mimno, D. (2009). Evaluation
    methods for topic models. *ICML*, 1105-1112.
    Wold, S. (1978). Cross-validatory estimation of the number of components in
    factor and principal components models. *Technometrics*, 20(4), 397-405.
    Hastie, T., Tibshirani, R., & Friedman, J. (2009). *The Elements of
    Statistical Learning* (2nd ed.). Springer.
    Breiman, L., Friedman, J., Olshen, R., & Stone, C. (1984). *Classification
    and Regression Trees*. Wadsworth.
    Roberts, M. E., Stewart, B. M., & Tingley, D. (2019). stm: An R package for
    structural topic models. *Journal of Statistical Software*, 91(2), 1-40.
    """
    sel = selection[selection["model"] == model]
    if sel.empty:
        raise ValueError(f"no rows for model {model!r} in the selection table")
    score = _heldout_score(sel, model)
    if score.isna().all():
        k = int(sel["k"].min())
    else:
        tol = HELDOUT_TOLERANCE.get(model, 0.0) if tolerance is None else float(tolerance)
        best = score.max()
        k = int(sel.loc[score >= best - tol, "k"].min())
    return k, edge_of_grid(selection, model, k)


def _heldout_score(sel: pd.DataFrame, model: str) -> pd.Series:
    """The held-out criterion of ``model``'s rows as a score (higher is better)."""
    return -sel["heldout_error"].astype(float) if model == "nmf" else sel["heldout_loglik"].astype(float)


def scan_stop(selection: pd.DataFrame, model: str, patience: int, tolerance: float | None = None,
              last: int | None = None) -> int | None:
    """Where an ascending K scan may stop: the K after which no larger K is needed, or None.

    The scan walks ``model``'s rows of ``selection`` in ascending K and keeps the
    best held-out score so far (the criterion of :func:`choose_k_heldout`). A K
    whose score is below that best by more than ``tolerance`` (the rule's tie
    tolerance, :data:`HELDOUT_TOLERANCE` by default) is *worse*; once ``patience``
    K in a row are worse, the scan stops at the last of them. This is early
    stopping on a validation curve with a patience, as in the training of neural
    networks (Prechelt 1998), applied to the cross-validation curve over K: every
    row is fitted and scored on its own (seeded by its run, not by the others), so
    the rows of a stopped scan are exactly the first rows of the whole grid's, and
    :func:`choose_k_heldout` on them gives the whole grid's K unless a K past the
    stop scores better than the best before it. ``patience=0``, a missing
    criterion (no held-out units) or too few rows give None: scan on. ``last``
    is the grid's largest K: a stop there skips nothing and is None too.

    References
    ----------
    Prechelt, L. (1998). Early stopping - but when? In G. B. Orr & K.-R. Müller
    (Eds.), *Neural Networks: Tricks of the Trade*, LNCS 1524, 55-69. Springer.
    Wold, S. (1978). Cross-validatory estimation of the number of components in
    factor and principal components models. *Technometrics*, 20(4), 397-405.
    """
    if patience <= 0:
        return None
    ks, worse = worse_run(selection, model, tolerance)
    hit = np.flatnonzero(worse >= patience)
    if not len(hit) or (last is not None and ks[hit[0]] >= last):
        return None
    return int(ks[hit[0]])


def worse_run(selection: pd.DataFrame, model: str, tolerance: float | None = None):
    """``(ks, worse)``: ``model``'s K in ascending order and, at each, how many K in a row up to it
    were worse than the best before them (the count :func:`scan_stop` compares with its patience).

    After a missing criterion every count is 0 (the scan never stops on it).
    """
    sel = selection[selection["model"] == model].sort_values("k", kind="stable")
    score = _heldout_score(sel, model).to_numpy()
    tol = HELDOUT_TOLERANCE.get(model, 0.0) if tolerance is None else float(tolerance)
    best, run, out, missing = -np.inf, 0, [], False
    for s in score:
        missing = missing or not np.isfinite(s)
        if missing:
            run = 0
        elif s < best - tol:
            run += 1
        else:  # a new best, or a tie with the best: the curve has not turned yet
            best, run = max(best, s), 0
        out.append(run)
    return sel["k"].astype(int).to_numpy(), np.asarray(out, dtype=np.int64)


def frontier(selection: pd.DataFrame, model: str) -> pd.DataFrame:
    """The rows of ``model`` on the coherence-exclusivity Pareto frontier (by K).

    A K is on the frontier when no other K has both higher NPMI and higher
    exclusivity; stm users read ``searchK`` plots this way (Roberts et al. 2014:
    semantic coherence against exclusivity).

    References
    ----------
    Roberts, M. E., Stewart, B. M., Tingley, D., et al. (2014). Structural topic
    models for open-ended survey responses. *American Journal of Political
    Science*, 58(4), 1064-1082.
    """
    sel = selection[selection["model"] == model].dropna(subset=["npmi", "exclusivity"])
    x, y = sel["npmi"].to_numpy(float), sel["exclusivity"].to_numpy(float)
    on = [not np.any((x > x[i]) & (y > y[i])) for i in range(len(sel))]
    return sel[np.asarray(on, dtype=bool)].sort_values("k")


#: corpus size (units) of the recovery study for each true K: large enough that the
#: adaptive grid reaches beyond the true K
STUDY_UNITS = {5: 2000, 10: 3000, 20: 5000, 40: 12000}


def recovery_run(true_k: int, seed: int, n_units: int | None = None, model: str = "nmf", n_runs: int = 1,
                 lda_engine: str = "gibbs", gibbs_iter: int = 500, ks: Sequence[int] | None = None,
                 max_units: int | None = 20000, lda_max_units: int | None = 5000, patience: int = 2) -> dict:
    """One replicate of the K-recovery study: simulate, scan the adaptive grid, apply the rule.

    The corpus is :func:`analysis.topicmod.simulate_more.simulate_speech_corpus`
    (Zipfian vocabulary of 3,000 words, lognormal paragraph lengths with median 45
    model tokens, sparse paragraph mixtures) with ``true_k`` topics and
    ``n_units`` paragraphs (default :data:`STUDY_UNITS`). Returns the true and
    chosen K, whether it is within 20%, the edge flag, the grid (``ks``
    replaces the adaptive grid, for quick checks on small corpora) and the scan table.
    ``max_units`` / ``lda_max_units`` are the stage's scan subsamples
    (``topics.scan_max_units``, ``topics.lda_scan_max_units``), and ``patience``
    its early stop (``topics.scan_patience``, :func:`scan_stop`), so the study scans
    as the stage does: the whole grid is scanned, ``chosen_k`` is the rule's K on
    the rows up to ``stopped_at`` (the stage's), ``chosen_k_full`` on every row.
    """
    from analysis.topicmod.simulate_more import simulate_speech_corpus

    n = n_units or STUDY_UNITS.get(true_k, 3000)
    sim = simulate_speech_corpus(n_topics=true_k, n_units=n, random_state=seed)
    M = sim.counts
    used = np.asarray(M.sum(axis=0)).ravel() > 0
    M, terms = M[:, used].tocsr(), sim.vocabulary[used]
    ks = list(ks) if ks is not None else auto_k_grid(M.shape[0], M.shape[1])
    table = stat_k_scan(M, terms, ks=ks, methods=(model,), n_runs=n_runs, random_state=seed,
                        lda_engine=lda_engine, gibbs_iter=gibbs_iter, max_units=max_units,
                        lda_max_units=lda_max_units)
    stop = scan_stop(table, model, patience, last=max(ks))
    k, edge = choose_k_heldout(table if stop is None else table[table["k"] <= stop], model)
    k_full, _ = choose_k_heldout(table, model)
    return {"true_k": true_k, "seed": seed, "n_units": n, "model": model, "chosen_k": k,
            "within_20pct": abs(k - true_k) <= 0.2 * true_k, "edge": edge, "grid": ks, "stopped_at": stop,
            "chosen_k_full": k_full, "table": table}
