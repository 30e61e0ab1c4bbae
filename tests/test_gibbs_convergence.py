"""GibbsLDA's chain length: trained in blocks with its log-likelihood trace recorded, stopped by a
convergence rule (``tol``) or run for exactly ``max_iter`` sweeps (``tol=None``, unchanged)."""

import numpy as np
import pytest

from analysis.errors import UsageError
from analysis.topicmod.alignment import match_topics
from analysis.topicmod.gibbs import GibbsLDA, as_counts, geweke_z, row_words, window_change
from analysis.topicmod.simulate import simulate_topic_corpus

pytestmark = pytest.mark.filterwarnings("ignore:The training result may differ:RuntimeWarning")


@pytest.fixture(scope="module")
def sim():
    s = simulate_topic_corpus(n_topics=5, years=(2005, 2020), docs_per_year=6, random_state=11)
    from analysis.dtm import build_dtm

    return s, build_dtm(s.units, id_col="unit_id")


@pytest.fixture(scope="module")
def auto(sim):
    return GibbsLDA(5, random_state=3, max_iter=1000, tol=2e-3).fit(sim[1])


def _truth(s, dtm):
    idx = {w: j for j, w in enumerate(dtm.terms)}
    truth = np.zeros((5, len(dtm.terms)))
    for j, w in enumerate(s.vocabulary):
        if w in idx:
            truth[:, idx[w]] = s.topic_word[:, j]
    return truth


def _raw_chain(M, terms, sweeps: list[int], workers: int = 1):
    """tomotopy directly, as GibbsLDA sets it up, trained in the given sweep counts."""
    import tomotopy as tp

    mdl = tp.LDAModel(k=5, alpha=0.1, eta=0.01, seed=3)
    for i in range(M.shape[0]):
        w = row_words(M, terms, i)
        if w:
            mdl.add_doc(w)
    mdl.optim_interval, mdl.burn_in = 10, 0
    for n in sweeps:
        mdl.train(n, workers=workers, parallel=tp.ParallelScheme.DEFAULT)
    return np.concatenate([np.asarray(d.topics) for d in mdl.docs]).tobytes(), mdl.ll_per_word


def test_blocks_leave_the_chain_of_one_train_call(sim):
    """tomotopy 0.14.0: 15 x train(10) and 7+7+...+3 sweeps leave the state of one train(150)."""
    M, terms = as_counts(sim[1])
    one = _raw_chain(M, terms, [150])
    assert _raw_chain(M, terms, [10] * 15) == one
    assert _raw_chain(M, terms, [7] * 21 + [3]) == one


def test_fixed_length_path_is_one_train_call(sim):
    """max_iter=int, tol=None: exactly max_iter sweeps, the state of tomotopy's own train(max_iter)."""
    M, terms = as_counts(sim[1])
    fit = GibbsLDA(5, random_state=3, max_iter=150).fit(sim[1])
    z, ll = _raw_chain(M, terms, [150])
    assert np.concatenate([np.asarray(d.topics) for d in fit.model_.docs]).tobytes() == z
    assert fit.log_likelihood_ == ll
    assert fit.n_iter_ == 150 and fit.converged_ is None and fit.engine_info_["iterations"] == 150
    # a block size that does not divide max_iter still runs exactly max_iter sweeps
    odd = GibbsLDA(5, random_state=3, max_iter=150, check_every=7).fit(sim[1])
    assert odd.components_.tobytes() == fit.components_.tobytes()
    assert odd.log_likelihood_trace_[-1, 0] == 150 and odd.log_likelihood_trace_[-2, 0] == 147


def test_trace_is_recorded_and_rises(sim, auto):
    tr = auto.log_likelihood_trace_
    assert tr.shape == (auto.n_iter_ // 10, 2)
    np.testing.assert_array_equal(tr[:, 0], np.arange(10, auto.n_iter_ + 1, 10))
    assert tr[-1, 1] == auto.log_likelihood_
    # the chain climbs from its random start and then stays on its plateau (a sampler's trace is
    # noisy, so monotone only in the large: the first block is the lowest, the late ones highest)
    assert tr[0, 1] == tr[:, 1].min()
    assert tr[-5:, 1].mean() > tr[:5, 1].mean() + 0.05
    assert np.all(tr[len(tr) // 2:, 1] > tr[0, 1] + 0.9 * (tr[-1, 1] - tr[0, 1]))


def test_rule_stops_the_chain_once_converged(sim, auto):
    assert auto.converged_ is True
    assert auto.min_iter <= auto.n_iter_ < auto.max_iter
    tr = auto.log_likelihood_trace_
    # the rule, recomputed by hand from the trace: the mean of the last 5 blocks (50 sweeps) minus
    # the 5 before, below tol at the stop and not at any earlier block from min_iter on
    last = tr[-5:, 1].mean() - tr[-10:-5, 1].mean()
    assert abs(last) < 2e-3 and auto.convergence_["window_change"] == pytest.approx(last, abs=1e-12)
    for j in range(len(tr) - 1):
        if tr[j, 0] >= 100:
            assert abs(tr[j - 4:j + 1, 1].mean() - tr[j - 9:j - 4, 1].mean()) >= 2e-3
    c = auto.convergence_
    assert c["rule"] == "window_change" and c["n_iter"] == auto.n_iter_ and c["converged"] is True
    # Geweke's z needs 5 values in the first tenth of the trace's second half: None before that
    assert (c["geweke_z"] is None) == (len(tr) - len(tr) // 2 < 50)
    assert auto.engine_info_["iterations"] == auto.n_iter_


def test_stopped_chain_recovers_the_planted_topics_like_the_fixed_one(sim, auto):
    s, dtm = sim
    truth = _truth(s, dtm)
    fixed = GibbsLDA(5, random_state=3, max_iter=500).fit(dtm)
    _, _, sims_auto = match_topics(truth, auto.components_)
    _, _, sims_fixed = match_topics(truth, fixed.components_)
    assert sims_auto.min() >= 0.9
    assert sims_auto.min() >= sims_fixed.min() - 0.02
    _, _, between = match_topics(auto.components_, fixed.components_)
    assert between.min() >= 0.95
    # the stopped chain is the prefix of the fixed one: its trace is the fixed trace's start
    n = auto.log_likelihood_trace_.shape[0]
    np.testing.assert_array_equal(auto.log_likelihood_trace_, fixed.log_likelihood_trace_[:n])


def test_unconverged_chain_says_so(sim):
    fit = GibbsLDA(5, random_state=3, max_iter=120, tol=1e-9, min_iter=100).fit(sim[1])
    assert fit.n_iter_ == 120 and fit.converged_ is False
    assert fit.convergence_["converged"] is False


def test_two_fits_give_identical_bytes(sim, auto):
    again = GibbsLDA(5, random_state=3, max_iter=1000, tol=2e-3).fit(sim[1])
    assert again.n_iter_ == auto.n_iter_
    assert again.log_likelihood_trace_.tobytes() == auto.log_likelihood_trace_.tobytes()
    assert again.components_.tobytes() == auto.components_.tobytes()
    assert again.doc_topic_.tobytes() == auto.doc_topic_.tobytes()


def test_bad_settings_are_usage_errors(sim):
    for kw in ({"tol": 0}, {"tol": -1e-3}, {"check_every": 0}, {"tol": 1e-3, "window": 5, "check_every": 10}):
        with pytest.raises(UsageError):
            GibbsLDA(5, max_iter=50, **kw).fit(sim[1])


def test_window_change_by_hand():
    tr = [(10 * (i + 1), v) for i, v in enumerate([-9.0, -8.5, -8.2, -8.1, -8.0, -7.9])]
    assert window_change(tr[:3], 20) is None  # 30 sweeps < two windows of 20
    # sweeps 50-60 (late) vs 30-40 (early)
    assert window_change(tr, 20) == pytest.approx(np.mean([-8.0, -7.9]) - np.mean([-8.2, -8.1]))
    assert window_change([], 20) is None


def test_geweke_z_against_an_independent_computation():
    """White noise: S(0) is the variance (AR(1) phi ~ 0), so z is the two-sample z of the means."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=4000)
    a, b = x[:400], x[2000:]
    z_plain = (a.mean() - b.mean()) / np.sqrt(a.var() / 400 + b.var() / 2000)
    assert geweke_z(x) == pytest.approx(z_plain, rel=0.05)
    # an AR(1) chain with phi=0.9: S(0) = sigma^2 / (1 - phi)^2, so z from the plain variance is
    # too large by about sqrt((1 + phi) / (1 - phi)) = 4.4; Geweke's z of a stationary chain is N(0, 1)
    zs = []
    for seed in range(200):
        r = np.random.default_rng(seed)
        e = r.normal(size=2000)
        y = np.empty_like(e)
        y[0] = e[0] / np.sqrt(1 - 0.81)
        for t in range(1, len(e)):
            y[t] = 0.9 * y[t - 1] + e[t]
        zs.append(geweke_z(y))
    assert 0.8 < np.std(zs) < 1.25
    # a trend is flagged (the AR(1) fit of a trending segment has phi near its cap of 0.99, which
    # inflates S(0) by up to 1e4, so z stays moderate but beyond 1.96)
    assert abs(geweke_z(np.linspace(0, 1, 500) + 0.01 * rng.normal(size=500))) > 3
    assert np.isnan(geweke_z(x[:49]))  # 4 values in the first tenth: too few for the AR fit


def test_the_run_records_the_chain_at_the_chosen_k(tmp_path):
    """facts.topics.gibbs in run.json: the companion Gibbs LDA's rule, sweeps and trace; topics.gibbs_tol=0
    runs exactly topics.gibbs_iter sweeps, and the stopped chain is the fixed one's prefix (same trace)."""
    import json

    from analysis.corpus import load_corpus
    from analysis.run import run_pipeline

    c = load_corpus("inaugural")
    base = {"models": "nmf,lda", "lda_engine": "gibbs", "k": 3, "k_min": 2, "k_max": 3, "n_runs": 2,
            "n_boot": 10, "gibbs_iter": 200, "dynamic": False}
    got = {}
    for tol in (0.05, 0.0):
        out = tmp_path / f"tol{tol}"
        ctx = run_pipeline(c, out, only=["topics"], use_cache=False, verbose=False, progress=False,
                           overrides={"topics": {**base, "gibbs_tol": tol}})
        assert ctx.errors == []
        got[tol] = json.loads((out / "run.json").read_text(encoding="utf-8"))["facts"]["topics"]["gibbs"]
    stopped, fixed = got[0.05], got[0.0]
    assert fixed["model"] == stopped["model"] == "lda" and fixed["k"] == 3
    assert fixed["rule"] == "fixed" and fixed["converged"] is None and fixed["n_iter"] == 200
    assert [n for n, _ in fixed["trace"]] == list(range(10, 201, 10))
    assert stopped["rule"] == "window_change" and stopped["tol"] == 0.05
    assert 100 <= stopped["n_iter"] <= 200 and stopped["converged"] == (stopped["n_iter"] < 200)
    assert stopped["trace"] == fixed["trace"][:len(stopped["trace"])]
    if stopped["converged"]:
        assert abs(stopped["window_change"]) < 0.05
