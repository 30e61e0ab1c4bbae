"""Choosing K: the adaptive grid, the held-out criteria, the rule and its recovery of a planted K."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from analysis.topicmod.gibbs import document_completion_split
from analysis.topicmod.kselect import (
    SCAN_COLUMNS,
    STUDY_UNITS,
    auto_k_grid,
    choose_k_heldout,
    edge_of_grid,
    frontier,
    heldout_criterion,
    nmf_heldout_error,
    recovery_run,
    scan_stop,
    stat_k_scan,
    worse_run,
)
from analysis.topicmod.model import TopicModel
from analysis.topicmod.kselect import _named
from analysis.topicmod.simulate_more import simulate_speech_corpus

pytestmark = pytest.mark.filterwarnings("ignore:The training result may differ:RuntimeWarning")


def test_auto_grid_grows_with_the_corpus():
    assert auto_k_grid(1500, 5000) == [4, 8, 12, 16, 20]       # small corpora: the historical grid
    mid = auto_k_grid(5000, 5000)
    assert mid[0] == 4 and mid[-1] == 40 and {5, 10, 20} <= set(mid)
    big = auto_k_grid(20_000, 20_000)
    assert big[-1] == 80 and 40 in big
    assert auto_k_grid(88_000, 20_000)[-1] == 100
    assert auto_k_grid(20_000, 20_000, k_min=10, k_max=50) == [10, 15, 20, 25, 30, 35, 40, 50]
    assert auto_k_grid(2500, 100) == [4, 5, 6, 8, 10, 12, 15, 20]  # at most n_terms / 5
    assert auto_k_grid(15, 300) == [3] and auto_k_grid(8, 300) == []


@pytest.fixture(scope="module")
def planted():
    s = simulate_speech_corpus(n_topics=5, n_units=500, random_state=3)
    used = np.asarray(s.counts.sum(axis=0)).ravel() > 0
    return s.counts[:, used].tocsr(), s.vocabulary[used]


def test_nmf_heldout_error_by_hand(planted):
    M, terms = planted
    tm = TopicModel(method="nmf", n_components=5, random_state=0).fit(_named(M[:400], terms))
    te = M[400:]
    obs, ev = document_completion_split(te, 7)
    keep = (np.diff(obs.indptr) > 0) & (np.diff(ev.indptr) > 0)
    # by hand: idf of the training rows, loadings from the observed half, normalised prediction
    df = np.asarray((M[:400] > 0).sum(axis=0)).ravel()
    idf = np.log((1 + 400) / (1 + df)) + 1

    def tfidf(A):
        Z = A.toarray() * idf
        return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-300)

    W = tm.estimator_.transform(sp.csr_matrix(tfidf(obs[keep])))
    P = W @ tm.estimator_.components_
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    E = tfidf(ev[keep])
    assert nmf_heldout_error(tm, te, 7) == pytest.approx(((E - P) ** 2).sum() / (E ** 2).sum(), rel=1e-9)
    with pytest.raises(ValueError, match="NMF"):
        nmf_heldout_error(TopicModel(method="lda", n_components=2, random_state=0, max_iter=2).fit(
            _named(M[:50], terms)), te)


def test_heldout_criteria_peak_at_the_planted_k(planted):
    M, terms = planted
    table = stat_k_scan(M, terms, ks=[3, 5, 8], methods=["nmf", "lda"], n_runs=2, random_state=0,
                        lda_engine="gibbs", gibbs_iter=150)
    assert list(table.columns) == SCAN_COLUMNS
    nmf, lda = table[table["model"] == "nmf"], table[table["model"] == "lda"]
    assert nmf["heldout_loglik"].isna().all() and nmf["heldout_error"].notna().all()
    assert lda["heldout_error"].isna().all() and (lda["engine"] == "tomotopy-gibbs").all()
    assert choose_k_heldout(table, "nmf") == (5, "")
    assert choose_k_heldout(table, "lda")[0] in (5, 8)  # Gibbs at 150 sweeps may still gain from slack
    np.testing.assert_allclose(lda["perplexity"], np.exp(-lda["heldout_loglik"]), rtol=0.05)
    # the variational engine's criterion is -log(document-completion perplexity)
    tm = TopicModel(method="lda", n_components=5, random_state=0, max_iter=10).fit(_named(M[:400], terms))
    ll, err = heldout_criterion(tm, M[400:], 3)
    assert ll == pytest.approx(-np.log(tm.perplexity(M[400:], random_state=3))) and np.isnan(err)


def test_rule_ties_edges_and_frontier():
    sel = pd.DataFrame({"model": ["lda"] * 4 + ["nmf"] * 4, "k": [4, 8, 12, 16] * 2,
                        "heldout_loglik": [-6.0, -5.50, -5.49, -5.6] + [np.nan] * 4,
                        "heldout_error": [np.nan] * 4 + [1.2, 1.1, 1.05, 1.0],
                        "npmi": [0.3, 0.2, 0.25, 0.1] * 2, "exclusivity": [0.5, 0.6, 0.65, 0.7] * 2})
    assert choose_k_heldout(sel, "lda") == (12, "")
    assert choose_k_heldout(sel, "lda", tolerance=0.02) == (8, "")   # within tolerance: the smaller K
    flat = sel.assign(heldout_loglik=[-6.0, -5.500, -5.497, -5.6] + [np.nan] * 4)
    assert choose_k_heldout(flat, "lda") == (8, "")                  # LDA's default tolerance: 0.005 nats
    assert choose_k_heldout(flat, "lda", tolerance=0) == (12, "")
    assert choose_k_heldout(sel, "nmf") == (16, "upper")             # still improving where the grid stops
    assert edge_of_grid(sel, "lda", 4) == "lower" and edge_of_grid(sel.iloc[:1], "lda", 4) == ""
    with pytest.raises(ValueError, match="gibbs"):
        choose_k_heldout(sel, "gibbs")
    assert frontier(sel, "lda")["k"].tolist() == [4, 12, 16]         # 8 is dominated by 12


def _curve(model, ks, values):
    col = "heldout_error" if model == "nmf" else "heldout_loglik"
    return pd.DataFrame({"model": model, "k": ks, col: values})


def test_scan_stop_by_hand():
    ks = [5, 10, 15, 20, 25, 30]
    # NMF (lower error is better, no tolerance): best at 10, worse at 15 and 20, a better one at 25
    nmf = _curve("nmf", ks, [1.0, 0.9, 0.95, 0.97, 0.85, 0.99])
    assert worse_run(nmf, "nmf")[1].tolist() == [0, 0, 1, 2, 0, 1]
    assert scan_stop(nmf, "nmf", 2) == 20
    assert scan_stop(nmf, "nmf", 3) is None and scan_stop(nmf, "nmf", 0) is None
    assert scan_stop(nmf, "nmf", 2, last=30) == 20 and scan_stop(nmf.iloc[:4], "nmf", 2, last=20) is None
    # the documented exception: a K past the stop that beats the best before it is never seen
    assert choose_k_heldout(nmf[nmf["k"] <= 20], "nmf")[0] == 10 and choose_k_heldout(nmf, "nmf")[0] == 25
    # LDA (higher is better) with the rule's 0.005-nat tolerance: a tie resets the count
    lda = _curve("lda", ks, [-6.0, -5.5, -5.503, -5.52, -5.53, -5.4])
    assert worse_run(lda, "lda")[1].tolist() == [0, 0, 0, 1, 2, 0]
    assert scan_stop(lda, "lda", 2) == 25 and scan_stop(lda, "lda", 2, tolerance=0) == 20
    # rows in any order are read in ascending K; a missing criterion never stops the scan
    assert scan_stop(nmf.iloc[::-1], "nmf", 2) == 20
    assert scan_stop(nmf.assign(heldout_error=np.nan), "nmf", 1) is None
    assert scan_stop(_curve("nmf", ks, [1.0, np.nan, 1.1, 1.2, 1.3, 1.4]), "nmf", 1) is None


@pytest.mark.parametrize("model", ["nmf", "lda"])
def test_stopped_scan_keeps_the_rules_k_when_nothing_past_the_stop_is_better(model):
    """On random curves, the rule on the rows up to the stop gives the whole grid's K whenever
    no K past the stop scores better than the best before it (and, with NMF's zero tolerance,
    only then)."""
    rng = np.random.default_rng(7)
    ks = [5, 10, 15, 20, 25, 30, 35, 40, 50, 60]
    checked = stopped = 0
    for _ in range(400):
        true = rng.integers(0, len(ks))
        base = 0.02 * np.abs(np.arange(len(ks)) - true) + rng.normal(0, 0.008, len(ks))  # U-shaped plus noise
        values = 1.0 + base if model == "nmf" else -5.0 - base
        sel = _curve(model, ks, values)
        stop = scan_stop(sel, model, 2)
        if stop is None:
            continue
        stopped += 1
        score = -sel["heldout_error"] if model == "nmf" else sel["heldout_loglik"]
        head = sel["k"] <= stop
        later_better = score[~head].max() > score[head].max() if (~head).any() else False
        same = choose_k_heldout(sel[head], model)[0] == choose_k_heldout(sel, model)[0]
        if not later_better:
            assert same
            checked += 1
        elif model == "nmf":
            assert not same
    assert stopped > 300 and checked > 200


#: small corpora and grids around the truth: one seed per K, as CI runs it
CI_CASES = [(5, 600, [3, 4, 5, 6, 8]), (10, 1000, [6, 8, 10, 12, 15]), (20, 1500, [12, 16, 20, 25, 30]),
            (40, 2000, [32, 40, 48])]


@pytest.mark.parametrize("true_k,n_units,ks", CI_CASES, ids=[f"K{c[0]}" for c in CI_CASES])
def test_rule_recovers_planted_k_one_seed(true_k, n_units, ks):
    r = recovery_run(true_k, seed=0, n_units=n_units, ks=ks)
    assert r["within_20pct"], r
    assert r["edge"] == ""


@pytest.mark.study
@pytest.mark.parametrize("true_k", sorted(STUDY_UNITS))
def test_rule_recovery_study(true_k):
    """The full study: 10 seeds per K on speech-like corpora, adaptive grid; >= 8 of 10 within 20%."""
    hits = [recovery_run(true_k, seed=100 + s)["within_20pct"] for s in range(10)]
    assert sum(hits) >= 8, hits


def test_stage_reports_edge_and_uses_gibbs_with_composition(tmp_path):
    import json

    from analysis.run.runner import run_pipeline
    from analysis.topicmod import TABLE_COLUMNS
    from analysis.topicmod.simulate import simulate_topic_corpus

    corpus = simulate_topic_corpus(n_topics=4, years=(2001, 2008), docs_per_year=2, paragraphs_per_doc=(3, 5),
                                   random_state=2).to_corpus()
    ov = {"topics": {"k_min": 2, "k_max": 3, "k_step": 1, "n_runs": 2, "n_boot": 20, "model": "lda",
                     "lda_engine": "gibbs", "gibbs_iter": 60}}
    ctx = run_pipeline(corpus, out=tmp_path / "a", only=["topics"], overrides=ov, use_cache=False, verbose=False,
                       progress=False)
    assert ctx.errors == []
    sel = ctx.tables["topic_selection"]
    assert list(sel.columns) == TABLE_COLUMNS["topic_selection"]
    assert set(sel["engine"]) == {"tomotopy-gibbs"}  # scan_models=reported: the reported LDA's rows only
    chosen = sel[sel["selected"]].iloc[0]
    facts = json.loads((tmp_path / "a" / "run.json").read_text())["facts"]["topics"]
    assert facts["k"] == chosen["k"] and facts["rule"] == "heldout" and facts["lda_engine"] == "gibbs"
    assert bool(chosen["at_edge"]) and facts["edge"] in ("upper", "lower") and "edge of the grid" in facts["note"]
    assert sel["at_edge"].all()  # a grid of two values: both are its edges
    eff = ctx.tables["topic_effects"]
    assert list(eff.columns) == TABLE_COLUMNS["topic_effects"] and set(eff["method"]) == {"composition"}
    # one name for LDA whatever the engine; the engine is its own column (issue 13)
    terms = ctx.tables["topic_terms"]
    assert set(terms["model"]) == {"lda"} and set(terms["engine"]) == {"tomotopy-gibbs"}
    al = ctx.tables["topic_alignment"]
    assert set(al["model_a"]) == {"lda"} and set(al["engine_a"]) == {"tomotopy-gibbs"}
    assert set(al["engine_b"]) == {"tomotopy-gibbs", "sklearn-nmf"}
    by_era = ctx.tables["topic_terms_by_era"]  # the reported Gibbs model read by era: its own topics
    assert set(by_era["model"]) == {"lda"} and set(by_era["k"]) == {chosen["k"]}
    for t, sub in terms[terms["rank"] == 1].groupby("topic"):
        assert sub["term"].iloc[0] in set(by_era.loc[(by_era["topic"] == t) & (by_era["rank"] <= 5), "term"])
    assert any("edge of the grid" in m for m in ctx.messages)


def test_nmf_report_gets_lda_composition_effects_beside_it(tmp_path):
    """An NMF report with Gibbs LDA among the models (not scanned by default, topics.scan_models):
    one LDA fit at the chosen K serves the alignment,
    composition effects (``model = lda``) beside NMF's post-hoc ones, and the by-era table; the
    covariate resolves to ``un_region`` when the corpus has it; a covariate of too many levels
    is left out with a note."""
    import json

    from analysis.run.runner import run_pipeline
    from analysis.topicmod.simulate import simulate_topic_corpus

    corpus = simulate_topic_corpus(n_topics=3, years=(2001, 2008), docs_per_year=3, paragraphs_per_doc=(3, 5),
                                   random_state=4).to_corpus()
    docs = corpus.docvars["doc_id"].tolist()
    corpus.docvars["un_region"] = ["African" if i % 2 else "WEOG" for i in range(len(docs))]
    ov = {"topics": {"k_min": 2, "k_max": 3, "k_step": 1, "n_runs": "auto", "n_boot": 20, "model": "nmf",
                     "lda_engine": "gibbs", "gibbs_iter": 60, "lda_scan_max_units": 40}}
    ctx = run_pipeline(corpus, out=tmp_path / "a", only=["topics"], overrides=ov, use_cache=False, verbose=False,
                       progress=False)
    assert ctx.errors == []
    eff = ctx.tables["topic_effects"]
    assert set(zip(eff["model"], eff["method"])) == {("nmf", "posthoc"), ("lda", "composition")}
    assert eff["term"].astype(str).str.contains("un_region").any()
    facts = json.loads((tmp_path / "a" / "run.json").read_text())["facts"]["topics"]
    assert facts["covariate"] == "un_region" and facts["n_runs"] == 5
    assert set(ctx.tables["topic_terms_by_era"]["model"]) == {"lda"}
    assert set(ctx.tables["topic_alignment"]["engine_b"]) == {"sklearn-nmf", "tomotopy-gibbs"}
    assert set(ctx.tables["topic_selection"]["model"]) == {"nmf"} and facts["models_scanned"] == ["nmf"]
    assert facts["models_fitted"] == ["lda", "nmf"]
    ov["topics"].update(covariate="doc_id", max_levels=5)
    ctx = run_pipeline(corpus, out=tmp_path / "b", only=["topics"], overrides=ov, use_cache=False, verbose=False,
                       progress=False)
    assert any("levels (> topics.max_levels=5)" in m for m in ctx.messages)
    assert not ctx.tables["topic_effects"]["term"].astype(str).str.contains("doc_id").any()


def test_lda_scan_runs_on_its_own_smaller_subsample():
    sim = simulate_speech_corpus(n_topics=3, n_units=300, random_state=1)
    M = sim.counts.tocsr()
    cap = stat_k_scan(M, sim.vocabulary, ks=[3], methods=("lda",), n_runs=1, lda_engine="gibbs", gibbs_iter=20,
                      lda_max_units=100)
    sub = M[np.sort(np.random.default_rng([0, 1]).choice(300, size=100, replace=False))]
    direct = stat_k_scan(sub, sim.vocabulary, ks=[3], methods=("lda",), n_runs=1, lda_engine="gibbs",
                         gibbs_iter=20)
    pd.testing.assert_frame_equal(cap, direct)
    nmf = stat_k_scan(M, sim.vocabulary, ks=[3], methods=("nmf",), n_runs=1, lda_max_units=100)
    assert nmf.equals(stat_k_scan(M, sim.vocabulary, ks=[3], methods=("nmf",), n_runs=1))


def test_stage_stops_the_scan_early_with_the_whole_grids_rows_and_k(tmp_path):
    """topics.scan_patience: the stopped scan's rows are the whole grid's first rows (both models on
    the same K with topics.scan_models=all), its K is the whole grid's, the grid's ends stay the
    edges, run.json says where it stopped, and two workers give the same table; the default scan
    (the reported model only) has the same NMF rows and K, without LDA's."""
    import json

    from analysis.run.runner import run_pipeline
    from analysis.topicmod import TABLE_COLUMNS
    from analysis.topicmod.simulate import simulate_topic_corpus

    corpus = simulate_topic_corpus(n_topics=3, years=(2001, 2008), docs_per_year=3, paragraphs_per_doc=(4, 6),
                                   random_state=4).to_corpus()
    ov = {"topics": {"k_min": 2, "k_max": 9, "k_step": 1, "n_runs": 2, "n_boot": 10, "model": "nmf",
                     "lda_engine": "sklearn", "dynamic": False, "scan_models": "all"}}

    def run(name, workers=1, **more):
        o = {"topics": {**ov["topics"], **more}}
        ctx = run_pipeline(corpus, out=tmp_path / name, only=["topics"], overrides=o, use_cache=False,
                           verbose=False, progress=False, workers=workers)
        assert ctx.errors == []
        facts = json.loads((tmp_path / name / "run.json").read_text())["facts"]["topics"]
        return ctx.tables["topic_selection"], facts, ctx.messages

    stopped, facts, messages = run("stopped")
    whole, facts_whole, _ = run("whole", scan_patience=0)
    assert facts["grid"] == facts_whole["grid"] == facts_whole["scanned"] == list(range(2, 10))
    stop = facts["scan_stopped_at"]
    assert stop is not None and stop < 9 and facts["scanned"] == list(range(2, stop + 1))
    assert facts_whole["scan_stopped_at"] is None
    assert any(f"the scan stopped at K={stop}" in m for m in messages)
    assert facts["k"] == facts_whole["k"] < stop
    scan_cols = [c for c in TABLE_COLUMNS["topic_selection"] if c not in ("frontier", "at_edge", "scan_stopped")]
    head = whole[whole["k"] <= stop].reset_index(drop=True)
    pd.testing.assert_frame_equal(stopped[scan_cols].reset_index(drop=True), head[scan_cols])
    assert set(stopped.groupby("model")["k"].max()) == {stop}       # LDA scanned on the same K
    assert set(stopped.loc[stopped["at_edge"], "k"]) == {2}           # the grid's end, not the last K scanned
    assert stopped.loc[stopped["scan_stopped"], "k"].tolist() == [stop, stop] and not whole["scan_stopped"].any()
    from analysis.plots import plot_topic_selection

    fig, _ = plot_topic_selection(stopped)
    assert f"the scan stopped at K={stop}" in fig._suptitle.get_text()
    fig, _ = plot_topic_selection(whole)
    assert "stopped" not in fig._suptitle.get_text()
    two, facts_two, _ = run("two", workers=2)
    pd.testing.assert_frame_equal(two, stopped)
    assert facts_two["scanned"] == facts["scanned"]
    assert facts["models_scanned"] == ["lda", "nmf"] and set(stopped["model"]) == {"lda", "nmf"}
    reported, facts_rep, messages_rep = run("reported", scan_models="reported")
    assert set(reported["model"]) == {"nmf"} and facts_rep["models_scanned"] == ["nmf"]
    assert facts_rep["models_fitted"] == ["lda", "nmf"]
    assert (facts_rep["k"], facts_rep["scanned"], facts_rep["scan_stopped_at"]) == (facts["k"], facts["scanned"], stop)
    pd.testing.assert_frame_equal(reported.reset_index(drop=True),
                                  stopped[stopped["model"] == "nmf"].reset_index(drop=True))
    assert any("fitting ['lda'] once at the chosen K" in m for m in messages_rep)
    fig, _ = plot_topic_selection(reported)  # one model: the figure still draws
    assert f"the scan stopped at K={stop}" in fig._suptitle.get_text()


def _row(model, k, err):
    return pd.DataFrame({"model": [model], "k": [k], "heldout_error": [err]})


class _SerialCtx:
    """What ``scan_first`` needs of a run context: ``call_each`` computing each call in order."""

    def __init__(self):
        self.rounds = []

    def slots(self):
        from analysis.stats import parallel

        return parallel.slots()

    def call_each(self, calls, order=None, label=None, costs=None):
        self.rounds.append([c[1][1] for c in calls])
        return [fn(*a, **kw) for fn, a, kw in calls]


@pytest.mark.parametrize("errors,stop", [
    ([1.0, 0.9, 0.95, 0.97, 0.85, 0.99], 20),          # turns at 15, 20: stops there
    ([1.0, 0.9, 0.8, 0.7, 0.75, 0.76], None),          # turns only at the grid's last K: nothing skipped
    ([1.0, 0.9, 0.8, 0.7, 0.6, 0.5], None),            # never turns
    ([1.0, 0.9, 0.8, 0.7, 0.6, 0.65, 0.7, 0.5], 35),   # turns in the middle of a last round of three
], ids=["turns", "turns-at-end", "never", "mid-round"])
def test_scan_rounds_give_the_sequential_scan_for_any_width(monkeypatch, errors, stop):
    from analysis.stages import topics_scan
    from analysis.stats import parallel

    ks = [5, 10, 15, 20, 25, 30, 35, 40][:len(errors)]
    scan = {("nmf", k): (_row, ("nmf", k, e), {}) for k, e in zip(ks, errors)}
    cost = dict.fromkeys(scan, 1.0)
    results = {}
    for width in (1, 2, 3, 5, 8):
        monkeypatch.setattr(parallel, "slots", lambda w=width: w)
        ctx = _SerialCtx()
        rows, got = topics_scan.scan_first(ctx, scan, cost, list(scan), "nmf", patience=2)
        assert all(len(r) <= width for r in ctx.rounds)
        results[width] = (got, pd.concat(rows.values(), ignore_index=True))
    for width, (got, table) in results.items():
        assert got == stop, width
        kept = [k for k in ks if stop is None or k <= stop]
        assert table["k"].tolist() == kept, width
        pd.testing.assert_frame_equal(table, results[1][1])


def test_auto_k_grid_never_falls_back_outside_the_users_bounds():
    # issue: k_max=3 on inaugural scanned K=[299] (units/5), k_min=10 k_max=6 likewise
    import pytest

    from analysis.errors import UsageError
    from analysis.topicmod.kselect import auto_k_grid

    with pytest.raises(UsageError, match="k_min"):
        auto_k_grid(1500, 8000, k_max=3)
    with pytest.raises(UsageError, match="K grid is empty"):
        auto_k_grid(1500, 8000, k_min=10, k_max=6)
    assert auto_k_grid(1500, 8000, k_min=2, k_max=3) == [2]
    # a corpus too small for the grid gets its cap only inside the bounds
    assert auto_k_grid(15, 8000) == [3]
    assert auto_k_grid(15, 8000, k_min=8) == []
