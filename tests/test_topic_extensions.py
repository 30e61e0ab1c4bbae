"""DMR covariates, seeded topics and topic terms by era, each on a planted corpus."""

import numpy as np
import pandas as pd
import pytest

from analysis.dtm import build_dtm
from analysis.errors import UsageError
from analysis.topicmod.alignment import match_topics
from analysis.topicmod.composition import composition_effects_from_fit
from analysis.topicmod.dmr import DMRTopicModel, stat_dmr_prevalence
from analysis.topicmod.dynamic import TERMS_BY_ERA_COLUMNS, DynamicTopics, stat_topic_terms_by_era
from analysis.topicmod.seeded import SeededLDA, seed_words, stat_seeded_topic_terms
from analysis.topicmod.simulate import simulate_topic_corpus
from analysis.topicmod.simulate_more import simulate_covariate_corpus, simulate_shift_corpus

pytestmark = pytest.mark.filterwarnings("ignore:The training result may differ:RuntimeWarning")


def test_dmr_recovers_covariate_effect_inside_the_model():
    sim = simulate_covariate_corpus(random_state=1)
    fit = DMRTopicModel(4, covariates=("speaker",), random_state=1, max_iter=300).fit(
        sim.counts, terms=sim.vocabulary, docvars=sim.units)
    rows, cols, sims = match_topics(sim.topic_word, fit.components_)
    assert sims.min() > 0.95
    diff = fit.expected_shares(["speaker=B"]) - fit.expected_shares(["speaker=A"])
    assert diff[cols[0]] == pytest.approx(sim.truth["effect"][0], abs=0.05)
    # each row's prior depends on its speaker, and composition uses it
    a = fit.doc_topic_prior_[sim.units["speaker"].eq("A").to_numpy()][0]
    b = fit.doc_topic_prior_[sim.units["speaker"].eq("B").to_numpy()][0]
    assert b[cols[0]] / b.sum() > a[cols[0]] / a.sum()
    eff = composition_effects_from_fit(fit, sim.units, covariate="speaker", n_draws=10)
    e = eff[(eff["term"] == "C(speaker)[T.B]") & (eff["topic"] == cols[0] + 1)].iloc[0]
    assert e["ci_low"] <= sim.truth["effect"][0] <= e["ci_high"] and e["method"] == "composition"
    prev = stat_dmr_prevalence(fit)
    assert set(prev["level"]) == {"(reference)", "A", "B"}
    np.testing.assert_allclose(prev.groupby(["level"])["share"].sum(), 1.0)
    with pytest.raises(UsageError, match="docvars"):
        DMRTopicModel(4).fit(sim.counts, terms=sim.vocabulary)


def test_gdmr_year_trend_follows_planted_prevalence():
    s = simulate_topic_corpus(n_topics=5, years=(2005, 2020), docs_per_year=6, speakers=("S",), random_state=11)
    dtm = build_dtm(s.units, id_col="unit_id")
    col = {w: i for i, w in enumerate(s.vocabulary)}
    true_phi = s.topic_word[:, [col[t] for t in dtm.terms]]
    fit = DMRTopicModel(5, covariates=(), year="year", random_state=1, max_iter=300).fit(dtm, docvars=s.units)
    rows, cols, sims = match_topics(true_phi, fit.components_)
    assert sims.min() > 0.9
    prev = stat_dmr_prevalence(fit, years=range(2005, 2021))
    est = prev.pivot(index="year", columns="topic", values="share")
    true = s.expected_prevalence.pivot(index="year", columns="topic", values="share")
    cors = [np.corrcoef(true.iloc[:, r], est.iloc[:, c])[0, 1] for r, c in zip(rows, cols)]
    assert np.mean(cors) >= 0.8, cors


def test_seeded_topics_match_planted_topics_and_prevalence():
    s = simulate_topic_corpus(n_topics=5, years=(2005, 2020), docs_per_year=6, random_state=11)
    dtm = build_dtm(s.units, id_col="unit_id")
    col = {w: i for i, w in enumerate(s.vocabulary)}
    true_phi = s.topic_word[:, [col[t] for t in dtm.terms]]
    planted = {"alpha": 2, "beta": 0, "gamma": 4}  # key -> planted topic (not in order)
    seeds = {}
    for key, k in planted.items():
        lift = true_phi[k] / true_phi.sum(axis=0)
        seeds[key] = [dtm.terms[i] for i in np.argsort(-(true_phi[k] * lift))[:5]]
    fit = SeededLDA(seeds=seeds, n_free=2, random_state=1, max_iter=300).fit(dtm)
    assert fit.seeded_key_ == ["alpha", "beta", "gamma", None, None]
    w = np.asarray(dtm.matrix.sum(axis=1)).ravel()
    years = s.units["year"].to_numpy()
    real = s.realized_prevalence.pivot(index="year", columns="topic", values="share")
    for j, (key, k) in enumerate(planted.items()):
        c = true_phi[k] @ fit.components_[j] / np.linalg.norm(true_phi[k]) / np.linalg.norm(fit.components_[j])
        assert c >= 0.8, (key, c)
        est = [np.sum(fit.doc_topic_[years == y, j] * w[years == y]) / w[years == y].sum() for y in real.index]
        assert np.corrcoef(est, real[k + 1])[0, 1] >= 0.9
    terms = stat_seeded_topic_terms(fit, 5)
    assert {"seeded_key", "is_seed"} <= set(terms.columns)
    assert terms.loc[terms["topic"] == 1, "is_seed"].any()


def test_seed_words_from_the_r2p_dictionary():
    terms = ["genocide", "ethnic", "cleansing", "crimes", "humanity", "weather", "sovereignty", "r2p"]
    found = seed_words(None, terms)
    assert found and all(set(v) <= set(terms) for v in found.values())
    assert "weather" not in {w for v in found.values() for w in v}
    assert any("r2p" in v for v in found.values())
    with pytest.raises(UsageError, match="no dictionary entry"):
        SeededLDA(seeds={"x": ["zzzz"]}).fit(np.ones((3, 2), dtype=int), terms=["a", "b"])


def test_topic_terms_by_era_track_a_vocabulary_shift(tmp_path):
    sim = simulate_shift_corpus(random_state=4)
    eras = np.where(sim.units["year"] >= sim.truth["shift_year"], "2011-2020", "2001-2010")
    fit = DynamicTopics(4, random_state=1, max_iter=300).fit(sim.counts, terms=sim.vocabulary, eras=eras)
    j = match_topics(sim.topic_word[0], fit.components_[0])[1][0]  # the fitted shifting topic
    for e in range(2):
        t, f = sim.topic_word[e, 0], fit.components_[e, j]
        assert t @ f / np.linalg.norm(t) / np.linalg.norm(f) >= 0.8
    tab = stat_topic_terms_by_era(fit)
    assert list(tab.columns) == TERMS_BY_ERA_COLUMNS
    before = set(tab[(tab["topic"] == j + 1) & (tab["era"] == "2001-2010")]["term"])
    after = set(tab[(tab["topic"] == j + 1) & (tab["era"] == "2011-2020")]["term"])
    assert len(before & set(sim.truth["leaving"])) >= 4 and not after & set(sim.truth["leaving"])
    assert len(after & set(sim.truth["entering"])) >= 1 and not before & set(sim.truth["entering"])
    from analysis.plots.topics_dynamic import plot_topic_terms_by_era

    fig, data = plot_topic_terms_by_era(tab, topic=j + 1)
    assert set(data["era"]) == {"2001-2010", "2011-2020"} and fig.axes
    from analysis.plots.topics_dynamic import most_changed_topic
    from analysis.stages.figures import draw_figures

    assert most_changed_topic(tab) == j + 1  # the figure of the stage shows the planted shift
    index = draw_figures({"topic_terms_by_era": tab}, tmp_path, params={"formats": "png"}, log=lambda m: None)
    assert index.set_index("figure").loc["topic_terms_by_era", "status"] == "drawn"
    assert set(pd.read_csv(tmp_path / "topic_terms_by_era.csv")["term"]) & set(sim.truth["entering"])
