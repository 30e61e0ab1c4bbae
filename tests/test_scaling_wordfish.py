"""Wordfish against austin's published example, corpora simulated from the model, and
a direct optimiser of the same penalised log-likelihood.

Published example: austin's ``sim.wordfish()`` matrix (20 words x 10 documents of
500 tokens) and ``summary(wordfish(dd$Y))`` as printed in the rendered tutorial
so-ch/CTA-ED, docs/05-week5demo.md (austin is the implementation quanteda's own
tests compare ``textmodel_wordfish`` with). quanteda's own printed examples are
conformance cases (tests/conformance/cases_scaling.py).

The optimiser: the objective history never falls, on real (LBG example, Irish budget
debate 2010 by speaker and by party) and simulated matrices; the optimum equals what
scipy's L-BFGS finds from several starts on the objective written independently here
(quanteda's ``lp`` with theta standardised inside the function, chain rule for the
gradient); ``converged`` is False when the iterations are cut short.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from analysis.dtm import DTM
from analysis.errors import UsageError
from analysis.scaling.wordfish import (Wordfish, _objective, _start, _sweep, penalised_loglik,
                                       simulate_wordfish, stat_wordfish)

DATA = Path(__file__).resolve().parent / "conformance" / "data" / "scaling"

AUSTIN_Y = """23 21 18 19 12 16 13 8 6 2
22 21 23 22 19 16 7 12 6 8
20 25 17 15 20 14 11 10 8 8
22 13 14 25 17 7 12 7 4 5
23 17 16 21 14 9 9 6 9 6
0 5 6 16 13 19 14 14 20 20
3 4 8 10 11 13 16 21 15 23
9 8 13 8 16 11 12 23 21 20
4 7 10 10 9 15 13 28 17 21
2 6 10 11 20 11 17 20 12 15
51 59 46 41 33 36 24 22 21 15
62 56 43 40 46 39 13 28 11 16
65 52 64 36 46 29 30 13 21 14
64 64 59 59 29 41 21 22 17 12
62 51 52 32 40 30 26 14 20 15
16 17 15 28 33 33 52 57 69 71
18 19 20 30 35 51 54 45 55 62
7 17 21 22 30 47 55 49 49 51
9 14 26 26 29 30 47 38 60 62
18 24 19 29 28 33 54 63 59 54"""
AUSTIN_THETA = [-1.5446, -1.1096, -0.8599, -0.4691, -0.2022, 0.1055, 0.6969, 0.8999, 1.1153, 1.3662]
AUSTIN_SE = [0.11595, 0.10195, 0.09614, 0.09005, 0.08791, 0.08743, 0.09242, 0.09598, 0.10084, 0.10796]


def austin_matrix():
    return np.array([[int(v) for v in line.split()] for line in AUSTIN_Y.splitlines()]).T


def test_reproduces_austin_example():
    m = Wordfish().fit(austin_matrix())
    assert m.convergence_["converged"]
    # austin prints 4 decimals of positions re-optimised in multinomial form (sd 1.002)
    assert m.theta_ == pytest.approx(AUSTIN_THETA, abs=0.005)
    assert m.se_theta_ == pytest.approx(AUSTIN_SE, rel=0.005)
    assert m.theta_.mean() == pytest.approx(0, abs=1e-10)
    assert m.theta_.std(ddof=1) == pytest.approx(1)


def test_recovers_simulated_positions_and_covers_them():
    """20 small corpora from the model: corr >= 0.95 each, mean coverage of 95% intervals >= 0.90."""
    cover, cors = [], []
    for s in range(20):
        Y, theta, beta, psi, _ = simulate_wordfish(n_docs=10, n_words=150, doc_length=1500, seed=s)
        m = Wordfish(dir=(0, 9)).fit(Y)
        cors.append(np.corrcoef(m.theta_, theta)[0, 1])
        cover.append(np.mean((m.ci_low_ <= theta) & (theta <= m.ci_high_)))
        if s == 0:  # word weights recovered too (beta is on the same standardised scale)
            assert np.corrcoef(m.beta_, beta)[0, 1] > 0.9
    assert min(cors) >= 0.95
    assert np.mean(cover) >= 0.90


def test_parametric_bootstrap_is_seeded_and_plausible():
    Y, theta, *_ = simulate_wordfish(n_docs=8, n_words=100, doc_length=1500, seed=3)
    a = Wordfish(se="bootstrap", n_boot=15, random_state=7).fit(Y)
    b = Wordfish(se="bootstrap", n_boot=15, random_state=7).fit(Y)
    c = Wordfish(se="bootstrap", n_boot=15, random_state=8).fit(Y)
    assert np.array_equal(a.se_theta_, b.se_theta_)
    assert not np.array_equal(a.se_theta_, c.se_theta_)
    assert a.theta_boot_.shape == (15, 8)
    assert (a.se_theta_ > 0).all() and (a.ci_low_ < a.theta_).all() and (a.theta_ < a.ci_high_).all()
    # same order of magnitude as the profile standard errors
    assert 0.3 < np.median(a.se_theta_ / a.se_hessian_) < 3
    # replicates that stop at max_iter are kept but counted, so a user can see it
    assert 10 <= a.convergence_["n_boot_converged"] <= 15


@pytest.mark.study  # 2 minutes: `pytest -m study` or `make bench`; CI runs the seeded check above
def test_bootstrap_coverage_study():
    cover = []
    for s in range(10):
        Y, theta, *_ = simulate_wordfish(n_docs=10, n_words=150, doc_length=1500, seed=100 + s)
        m = Wordfish(se="bootstrap", n_boot=40, random_state=s).fit(Y)
        cover.append(np.mean((m.ci_low_ <= theta) & (theta <= m.ci_high_)))
    assert np.mean(cover) >= 0.85


def test_direction_by_documents_and_by_docvar():
    Y, theta, *_ = simulate_wordfish(n_docs=8, n_words=120, seed=1)
    up = Wordfish(dir=(0, 7)).fit(Y).theta_
    down = Wordfish(dir=(7, 0)).fit(Y).theta_
    assert up == pytest.approx(-down)
    assert up[0] < up[7]
    by_var = Wordfish().fit(Y, direction=-np.arange(8)).theta_
    assert by_var[0] > by_var[7]


def test_stat_wordfish_tables_and_errors():
    Y, theta, *_ = simulate_wordfish(n_docs=6, n_words=80, seed=2)
    dv = pd.DataFrame({"doc_id": [f"d{i}" for i in range(6)], "year": np.arange(2000, 2006)})
    dtm = DTM(Y, np.array([f"t{j}" for j in range(80)]), dv)
    pos, words, conv = stat_wordfish(dtm, dir=("d5", "d0"))
    assert pos.loc[pos.doc_id == "d5", "theta"].item() < pos.loc[pos.doc_id == "d0", "theta"].item()
    assert list(pos.columns[:7]) == ["doc_id", "theta", "se", "ci_low", "ci_high", "alpha", "model"]
    assert "year" in pos and set(words.columns) == {"term", "beta", "psi"}
    assert conv["converged"] and conv["n_docs"] == 6
    pos2, _, _ = stat_wordfish(dtm, direction="year")
    assert np.corrcoef(pos2.theta, pos2.year)[0, 1] > 0
    with pytest.raises(UsageError, match="d9"):
        stat_wordfish(dtm, dir=("d0", "d9"))
    with pytest.raises(UsageError, match="se must be"):
        Wordfish(se="jackknife").fit(Y)
    Y0 = Y.copy()
    Y0[2] = 0
    with pytest.raises(UsageError, match="rows \\[2\\]"):
        Wordfish().fit(Y0)


def lbg_matrix():
    return pd.read_csv(DATA / "lbg_example.csv", index_col="doc").to_numpy(dtype=float)


def irish_matrix(by="speaker"):
    d = pd.read_csv(DATA / "irishbudget2010_counts.csv", keep_default_na=False)
    d = d[d.punct == 0]
    m = d.pivot_table(index="doc", columns="term", values="count", aggfunc="sum", fill_value=0)
    if by == "party":
        names = pd.read_csv(DATA / "irishbudget2010_docs.csv")["name"]
        party = names.str.extract(r"\((\w+)\)$")[0].to_numpy()
        m = m.groupby(party[m.index.to_numpy()]).sum()
    return m.to_numpy(dtype=float)


def _matrices():
    yield "lbg", lbg_matrix()
    yield "irish-speakers", irish_matrix()
    yield "irish-parties", irish_matrix("party")
    yield "austin", austin_matrix().astype(float)
    for s in (1, 11):
        Y = simulate_wordfish(n_docs=9, n_words=120, doc_length=800, seed=s)[0].astype(float)
        yield f"sim{s}", Y[:, Y.sum(axis=0) > 0]


MATRICES = dict(_matrices())


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_objective_never_falls_and_the_fit_converges(name):
    Y = MATRICES[name]
    m = Wordfish().fit(Y)
    c = m.convergence_
    h = np.asarray(c["objective_history"])
    assert len(h) == c["n_iter"] + 1 == c["n_newton"] + c["n_sweeps"] + 1
    assert (np.diff(h) >= -1e-12 * np.abs(h[1:])).all(), np.diff(h).min()
    assert c["converged"] and c["rel_grad_norm"] < m.tol
    # the last value is quanteda's lp at the returned (standardised) parameters
    assert h[-1] == pytest.approx(m.objective_, rel=1e-12)
    assert m.theta_.mean() == pytest.approx(0, abs=1e-10) and m.theta_.std(ddof=1) == pytest.approx(1)
    assert m.alpha_[0] == 0


@pytest.mark.parametrize("name", ["lbg", "irish-parties", "sim1"])
def test_block_sweeps_alone_never_lower_the_objective(name):
    """The minorise-maximise sweeps by themselves (no Newton step) are monotone too."""
    Y = MATRICES[name]
    from analysis.scaling.wordfish import _standardise

    params = _standardise(*_start(Y))
    prec = 1 / 9
    f = [_objective(Y, *params, prec)]
    for _ in range(40):
        params = _sweep(Y, np.ascontiguousarray(Y.T), params, prec)
        f.append(_objective(Y, *params, prec))
    f = np.asarray(f)
    assert (np.diff(f) >= -1e-12 * np.abs(f[1:])).all()
    assert f[-1] > f[0]


def _neg_lp_standardised(x, Y):
    """-lp with theta = (z - mean z) / sd(z) computed inside (an independent formulation)."""
    n, k = Y.shape
    a = np.concatenate([[0.0], x[:n - 1]])
    z = x[n - 1:2 * n - 1]
    psi = x[2 * n - 1:2 * n - 1 + k]
    beta = x[2 * n - 1 + k:]
    m, s = z.mean(), z.std(ddof=1)
    theta = (z - m) / s
    eta = a[:, None] + psi[None, :] + np.outer(theta, beta)
    mu = np.exp(eta)
    R = Y - mu
    lp = (Y * eta - mu).sum() - beta @ beta / 18 - theta @ theta / 2
    g_theta = R @ beta - theta
    g_z = (g_theta - g_theta.mean()) / s - (z - m) * ((z - m) @ g_theta) / ((n - 1) * s**3)
    grad = np.concatenate([R.sum(axis=1)[1:], g_z, R.sum(axis=0), theta @ R - beta / 9])
    return -lp, -grad


@pytest.mark.parametrize("name", ["lbg", "sim1", "austin"])
def test_optimum_matches_lbfgs_from_several_starts(name):
    Y = MATRICES[name]
    n, k = Y.shape
    ours = Wordfish().fit(Y)
    best = None
    for seed in range(3):
        rng = np.random.default_rng(seed)
        x0 = np.concatenate([np.log(Y.sum(axis=1)[1:] / Y.sum(axis=1)[0]), rng.normal(size=n),
                             np.log(Y.mean(axis=0) + 0.1), rng.normal(scale=0.1, size=k)])
        r = minimize(_neg_lp_standardised, x0, args=(Y,), jac=True, method="L-BFGS-B",
                     options={"maxiter": 100000, "maxfun": 200000, "gtol": 1e-9, "ftol": 1e-15})
        z = r.x[n - 1:2 * n - 1]
        theta = (z - z.mean()) / z.std(ddof=1)
        theta = theta if theta[0] < theta[-1] else -theta
        if best is None or -r.fun > best[0]:
            best = (-r.fun, theta)
        # every start ends at (or below) our maximum
        assert -r.fun <= ours.objective_ + 1e-9 * abs(ours.objective_)
    assert ours.objective_ == pytest.approx(best[0], rel=1e-9)
    assert ours.theta_ == pytest.approx(best[1], abs=2e-4)
    # and penalised_loglik is the same function the independent formulation computes
    x = np.concatenate([ours.alpha_[1:], ours.theta_, ours.psi_, ours.beta_])
    assert -_neg_lp_standardised(x, Y)[0] == pytest.approx(
        penalised_loglik(Y, ours.alpha_, ours.theta_, ours.psi_, ours.beta_), rel=1e-13)


def test_not_converged_when_cut_short():
    Y = MATRICES["irish-speakers"]
    m = Wordfish(max_iter=1).fit(Y)
    c = m.convergence_
    assert c["converged"] is False and c["n_iter"] == 1
    assert "max_iter=1" in c["message"] and c["rel_grad_norm"] >= m.tol
    assert len(c["objective_history"]) == 2
    full = Wordfish().fit(Y)
    assert full.objective_ > m.objective_
    with pytest.raises(UsageError, match="tol"):
        Wordfish(tol=0).fit(Y)


def test_bootstrap_replicates_follow_the_corrected_fit():
    """Replicates start at the estimate and converge; their spread is near the profile SEs.

    (On this 5 x 5,128 matrix the replicates' mean sits up to 0.1 from the estimate, several
    bootstrap SEs: the many rare words' parameters make the refit biased, so the test
    asserts order, not centring.)"""
    Y = MATRICES["irish-parties"]
    m = Wordfish(se="bootstrap", n_boot=12, random_state=1).fit(Y)
    assert m.convergence_["n_boot_converged"] == 12
    assert np.isfinite(m.theta_boot_).all()
    assert np.corrcoef(np.mean(m.theta_boot_, axis=0), m.theta_)[0, 1] > 0.95
    assert 0.3 < np.median(m.se_theta_ / m.se_hessian_) < 3


def test_random_starts_reach_the_same_maximum_on_the_irish_debate():
    from analysis.scaling.wordfish import _fit_map

    Y = MATRICES["irish-speakers"]
    ref = Wordfish(dir=(5, 4)).fit(Y)
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        a, _, p, _ = _start(Y)
        start = (a, rng.normal(size=Y.shape[0]), p, rng.normal(scale=0.5, size=Y.shape[1]))
        (_, theta, _, _), rec = _fit_map(Y, start, 3.0, 1e-8, 500)
        theta = theta if theta[5] < theta[4] else -theta
        assert rec["converged"]
        assert rec["objective"] == pytest.approx(ref.objective_, rel=1e-12)
        assert theta == pytest.approx(ref.theta_, abs=1e-6)


def test_newton_blocks_and_conjugate_gradients_reach_the_same_maximum(monkeypatch):
    """The Schur complement formed over small blocks of words, and the conjugate-gradient
    Newton steps used for many documents, give the fit of the default path."""
    import analysis.scaling.wordfish_fit as wf

    for name in ("irish-parties", "lbg"):
        Y = MATRICES[name]
        ref = Wordfish().fit(Y)
        monkeypatch.setattr(wf, "_CHUNK", 100)  # blocks of a few words
        chunked = Wordfish().fit(Y)
        assert chunked.objective_ == pytest.approx(ref.objective_, rel=1e-13)
        assert chunked.theta_ == pytest.approx(ref.theta_, abs=1e-8)
        monkeypatch.setattr(wf, "NEWTON_FLOPS", 0)
        cg = Wordfish().fit(Y)
        assert cg.convergence_["converged"] and cg.convergence_["n_newton"] > 0
        assert np.diff(cg.convergence_["objective_history"]).min() >= -1e-12 * abs(cg.objective_)
        assert cg.objective_ == pytest.approx(ref.objective_, rel=1e-12)
        assert cg.theta_ == pytest.approx(ref.theta_, abs=1e-6)
        monkeypatch.undo()
