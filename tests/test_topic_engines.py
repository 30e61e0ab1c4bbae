"""Gibbs LDA (tomotopy) estimator and the method of composition: determinism, recovery, coverage."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from analysis.errors import UsageError
from analysis.topicmod.alignment import match_topics
from analysis.topicmod.composition import (
    EFFECT_COLUMNS,
    ClusterOLS,
    posterior_theta_draws,
    stat_composition_effects,
)
from analysis.topicmod.gibbs import GibbsLDA, document_completion_split
from analysis.topicmod import TABLE_COLUMNS, stat_topic_effects
from analysis.topicmod.simulate import simulate_topic_corpus
from analysis.topicmod.simulate_more import simulate_covariate_corpus

pytestmark = pytest.mark.filterwarnings("ignore:The training result may differ:RuntimeWarning")


@pytest.fixture(scope="module")
def sim():
    s = simulate_topic_corpus(n_topics=5, years=(2005, 2020), docs_per_year=6, random_state=11)
    from analysis.dtm import build_dtm

    return s, build_dtm(s.units, id_col="unit_id")


@pytest.fixture(scope="module")
def fit(sim):
    return GibbsLDA(5, random_state=3, max_iter=150).fit(sim[1])


def test_two_fits_give_identical_bytes(sim, fit):
    again = GibbsLDA(5, random_state=3, max_iter=150).fit(sim[1])
    assert fit.components_.tobytes() == again.components_.tobytes()
    assert fit.doc_topic_.tobytes() == again.doc_topic_.tobytes()
    assert fit.transform(sim[1]).tobytes() == again.transform(sim[1]).tobytes()
    assert fit.engine_info_["seed"] == 3 and fit.engine_info_["workers"] == 1
    assert fit.engine_info_["engine_version"] == "0.14.0"


def test_result_depends_on_workers_but_not_between_runs(sim, fit):
    w2 = GibbsLDA(5, random_state=3, max_iter=150, workers=2).fit(sim[1])
    w2b = GibbsLDA(5, random_state=3, max_iter=150, workers=2).fit(sim[1])
    assert w2.components_.tobytes() == w2b.components_.tobytes()
    assert not np.array_equal(w2.components_, fit.components_)


def test_state_matches_tomotopy_and_counts(sim, fit):
    """components_ and doc_topic_ (computed from the Gibbs state) equal tomotopy's own distributions."""
    mdl = fit.model_
    col = {w: j for j, w in enumerate(fit.terms_)}
    cols = [col[w] for w in mdl.used_vocabs]
    for r, k in enumerate(fit.order_):
        phi = np.zeros(len(fit.terms_))
        phi[cols] = mdl.get_topic_word_dist(int(k))
        np.testing.assert_allclose(fit.components_[r], phi, atol=1e-6)
    np.testing.assert_allclose(fit.doc_topic_[0], np.asarray(mdl.docs[0].get_topic_dist())[fit.order_], atol=1e-6)
    M = sim[1].matrix
    np.testing.assert_array_equal(fit.doc_topic_counts_.sum(axis=1), np.asarray(M.sum(axis=1)).ravel())
    np.testing.assert_array_equal(fit.topic_word_counts_.sum(axis=0), np.asarray(M.sum(axis=0)).ravel())
    assert np.all(np.diff(fit.prevalence_) <= 1e-12)


def test_recovers_planted_topics(sim, fit):
    s, dtm = sim
    idx = {w: j for j, w in enumerate(dtm.terms)}
    truth = np.zeros((5, len(dtm.terms)))
    for j, w in enumerate(s.vocabulary):
        if w in idx:
            truth[:, idx[w]] = s.topic_word[:, j]
    _, _, sims = match_topics(truth, fit.components_)
    assert sims.min() >= 0.9


def test_heldout_document_completion(sim, fit):
    M = sim[1].matrix
    obs, ev = document_completion_split(M.astype(float), 7)
    assert (obs + ev - M).nnz == 0
    ll = fit.heldout_loglik(M, random_state=7)
    # by hand: theta inferred from the observed half, the other half scored
    theta = fit.transform(obs)
    dense = ev.toarray()
    hand = np.sum(dense * np.log(theta @ fit.components_)) / dense.sum()
    assert ll == pytest.approx(hand, rel=1e-9)
    one = GibbsLDA(1, random_state=3, max_iter=50).fit(sim[1])
    assert ll > one.heldout_loglik(M, random_state=7)  # the planted K beats a unigram model
    assert fit.perplexity(M, 7) == pytest.approx(np.exp(-ll))


def test_estimator_api_and_errors(sim):
    m = GibbsLDA(4, random_state=1, max_iter=20, workers=1)
    assert clone(m).get_params() == m.get_params()
    with pytest.raises(UsageError, match="not fitted"):
        m.transform(sim[1])
    with pytest.raises(UsageError, match="integer counts"):
        m.fit(sp.csr_matrix(np.array([[0.5, 1.0]])), terms=["a", "b"])
    with pytest.raises(UsageError, match="workers"):
        GibbsLDA(4, workers=0).fit(sim[1])


# ----------------------------------------------------------------------------- composition
def test_posterior_draws_are_dirichlet():
    counts = np.array([[10.0, 0.0, 5.0], [0.0, 0.0, 1.0]])
    prior = np.full((2, 3), 0.5)
    d = posterior_theta_draws(counts, prior, 4000, random_state=1)
    a = counts + prior
    np.testing.assert_allclose(d.mean(axis=0), a / a.sum(1, keepdims=True), atol=0.01)
    var = a * (a.sum(1, keepdims=True) - a) / (a.sum(1, keepdims=True) ** 2 * (a.sum(1, keepdims=True) + 1))
    np.testing.assert_allclose(d.var(axis=0), var, rtol=0.15)
    assert np.array_equal(d, posterior_theta_draws(counts, prior, 4000, random_state=1))


def test_cluster_ols_gives_statsmodels_estimates_and_cluster_covariances():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    for n, p, n_groups, k in ((60, 3, 7, 2), (2000, 9, 150, 4)):
        X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))])
        X[:, -1] = (rng.random(n) < 0.3).astype(float)             # a dummy column, as C(speaker) gives
        Y = rng.dirichlet(np.ones(k), size=n)
        groups = np.sort(rng.integers(0, n_groups, n)) * 7 + 3     # labels need not be 0..G-1
        params, covs = ClusterOLS(X, groups).fit(Y)
        for j in range(k):
            ref = sm.OLS(Y[:, j], X).fit(cov_type="cluster", cov_kwds={"groups": groups})
            np.testing.assert_allclose(params[j], ref.params, rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(covs[j], ref.cov_params(), rtol=1e-9, atol=1e-16)
    with pytest.raises(UsageError, match="two clusters"):
        ClusterOLS(X, np.zeros(len(X)))


def test_cluster_ols_scores_of_a_column_major_design_are_the_direct_products():
    """patsy's designs are column-major; the cluster sums use a row-major copy, with the same values."""
    rng = np.random.default_rng(8)
    n, p, k = 500, 6, 3
    X = np.asfortranarray(np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))]))
    groups = np.sort(rng.integers(0, 40, n))
    Y = rng.dirichlet(np.ones(k), size=n)
    ols = ClusterOLS(X, groups)
    assert X.flags["F_CONTIGUOUS"] and ols._rows.flags["C_CONTIGUOUS"]
    params, covs = ols.fit(Y)
    resid = Y - ols.X @ params.T
    for j in range(k):
        scores = ols.indicator @ (X * resid[:, j:j + 1])   # as written before the row-major copy
        want = ols.bread @ (scores.T @ scores) @ ols.bread.T * ols.correction
        assert np.array_equal(covs[j], want)


def test_composition_effects_equal_one_statsmodels_fit_per_draw_and_topic():
    """The table is the one the per-fit loop (one statsmodels OLS per draw and topic) gives."""
    import statsmodels.api as sm
    from scipy.stats import norm

    from analysis.topicmod.composition import effect_design, iter_theta_draws

    sim = simulate_covariate_corpus(random_state=5)
    fit = GibbsLDA(4, random_state=5, max_iter=100).fit(sim.counts, terms=sim.vocabulary)
    counts, prior = fit.doc_topic_counts_, fit.doc_topic_prior_
    eff = stat_composition_effects(counts, prior, sim.units, covariate="speaker", n_draws=12, random_state=4)
    # the reference: the loop as it was written before ClusterOLS
    units = sim.units.reset_index(drop=True)
    nonempty = counts.sum(axis=1) > 0
    keep, X, names, _info, data = effect_design(units[nonempty], "speaker", 4)
    rows = np.flatnonzero(nonempty)[keep]
    groups = pd.factorize(data["doc_id"])[0]
    rng = np.random.default_rng([4, 1])
    B = np.empty((12, counts.shape[1], X.shape[1]))
    for m, theta in enumerate(iter_theta_draws(counts[rows], prior[rows], 12, 4)):
        for j in range(counts.shape[1]):
            res = sm.OLS(theta[:, j], X).fit(cov_type="cluster", cov_kwds={"groups": groups})
            cov = np.asarray(res.cov_params())
            B[m, j] = rng.multivariate_normal(np.asarray(res.params), (cov + cov.T) / 2, method="eigh")
    coef = eff[eff["kind"] == "coefficient"]
    for j in range(counts.shape[1]):
        got = coef[coef["topic"] == j + 1].set_index("term").loc[names]
        np.testing.assert_allclose(got["estimate"], B[:, j].mean(axis=0), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(got["std_err"], B[:, j].std(axis=0, ddof=1), rtol=1e-8, atol=1e-12)
        z = norm.ppf(0.975)  # the intervals: estimate -/+ z * std_err of these draws
        np.testing.assert_allclose(got["ci_low"], B[:, j].mean(axis=0) - z * B[:, j].std(axis=0, ddof=1),
                                   rtol=1e-8, atol=1e-12)


def _composition_run(seed, n_draws=30):
    sim = simulate_covariate_corpus(random_state=seed)
    fit = GibbsLDA(4, random_state=seed, max_iter=200).fit(sim.counts, terms=sim.vocabulary)
    rows, cols, sims = match_topics(sim.topic_word, fit.components_)
    states = fit.gibbs_states(n_states=5, thin=10)
    eff = stat_composition_effects(states, fit.doc_topic_prior_, sim.units, covariate="speaker",
                                   n_draws=n_draws, random_state=seed)
    post = stat_topic_effects(fit.doc_topic_, sim.units, covariate="speaker")
    term = sim.truth["term"]
    e = eff[(eff["kind"] == "coefficient") & (eff["term"] == term)].set_index("topic")
    p = post[(post["kind"] == "coefficient") & (post["term"] == term)].set_index("topic")
    out = []
    for true_k, j in zip(rows, cols):
        t = sim.truth["effect"][true_k]
        out.append((t, e.loc[j + 1, "estimate"], e.loc[j + 1, "ci_low"] <= t <= e.loc[j + 1, "ci_high"],
                    e.loc[j + 1, "ci_high"] - e.loc[j + 1, "ci_low"], p.loc[j + 1, "ci_high"] - p.loc[j + 1, "ci_low"]))
    return eff, np.array(out, dtype=float), sims


def test_composition_recovers_planted_effect_and_is_wider():
    res = [_composition_run(s) for s in (11, 12, 13)]
    eff = res[0][0]
    assert list(eff.columns) == TABLE_COLUMNS["topic_effects"] == EFFECT_COLUMNS
    assert set(eff["method"]) == {"composition"} and set(eff["kind"]) == {"coefficient", "expected"}
    assert min(r[2].min() for r in res) > 0.95
    arr = np.vstack([r[1] for r in res])
    # the planted effect on topic 1 (first row: truth order) is found: positive, within 3 SE
    for _, a, _ in res:
        se = a[0, 3] / (2 * 1.959964)
        assert a[0, 0] > 0.1 and a[0, 1] > 0 and abs(a[0, 1] - a[0, 0]) < 3 * se
    assert arr[:, 2].mean() >= 2 / 3  # 12 intervals; the 50-corpus study asserts >= 0.9
    assert arr[:, 3].mean() > arr[:, 4].mean()  # the post-hoc regression's intervals are narrower


@pytest.mark.study
def test_composition_coverage_study():
    """50 simulated corpora: 95% composition intervals cover the planted effects >= 90%."""
    runs = [_composition_run(100 + s, n_draws=50) for s in range(50)]
    arr = np.vstack([r[1] for r in runs])
    first = np.array([r[1][0] for r in runs])
    assert first[:, 2].mean() >= 0.9  # topic 1's planted effect
    assert arr[:, 2].mean() >= 0.9  # every topic's effect
    assert arr[:, 3].mean() > arr[:, 4].mean()


def test_fitted_model_pickles_for_the_run_cache(sim, fit):
    import pickle

    blob = pickle.dumps(fit)
    again = pickle.loads(blob)
    # the sampler is rebuilt only when first used (a warm run that reads cached shares never does)
    assert isinstance(vars(again)["_tomotopy_model"], tuple)
    assert pickle.dumps(again) == blob                                # still the same pickle
    assert again.transform(sim[1]).tobytes() == fit.transform(sim[1]).tobytes()
    assert type(vars(again)["_tomotopy_model"]) is type(fit.model_)   # now the tomotopy model
    assert "model_" not in vars(fit) and again.model_.k == 5  # tomotopy model outside the hashed attributes
