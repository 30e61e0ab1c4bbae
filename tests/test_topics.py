"""Topic models: recovery of planted topics and drift, K selection, prevalence, effects, stage."""

import hashlib

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from analysis.dtm import DTM
from analysis.stats.bootstrap import group_rng
from analysis.topicmod import (
    TABLE_COLUMNS,
    TopicModel,
    choose_k,
    k_grid,
    merge_short_units,
    stat_document_topics,
    stat_k_selection,
    stat_prevalence,
    stat_representative_units,
    stat_topic_effects,
    stat_topic_labels,
    stat_topic_terms,
    stat_unit_topics,
)
from analysis.topicmod.alignment import match_topics
from analysis.topicmod.simulate import simulate_topic_corpus


@pytest.fixture(scope="module")
def sim():
    return simulate_topic_corpus(n_topics=5, years=(2005, 2020), docs_per_year=6, random_state=11)


@pytest.fixture(scope="module")
def sim_dtm(sim):
    from analysis.dtm import build_dtm

    return build_dtm(sim.units, text_col="text", id_col="unit_id")


def test_simulator_is_seeded_and_consistent(sim):
    again = simulate_topic_corpus(n_topics=5, years=(2005, 2020), docs_per_year=6, random_state=11)
    pd.testing.assert_frame_equal(sim.units, again.units)
    other = simulate_topic_corpus(n_topics=5, years=(2005, 2020), docs_per_year=6, random_state=12)
    assert not sim.units["text"].equals(other.units["text"])
    assert sim.unit_topic_counts.sum(axis=1).tolist() == sim.units["n_tokens"].tolist()
    prev = sim.realized_prevalence.groupby("year")["share"].sum()
    np.testing.assert_allclose(prev.to_numpy(), 1.0)
    # the drift is real: some topic's share changes by > 0.15 over the period
    wide = sim.expected_prevalence.pivot(index="year", columns="topic", values="share")
    assert (wide.max() - wide.min()).max() > 0.15


def _recovery(sim, dtm, method):
    terms = np.asarray(dtm.terms)
    tm = TopicModel(method=method, n_components=5, random_state=0).fit(dtm)
    # true topic-word in the DTM's column order
    col = {w: i for i, w in enumerate(sim.vocabulary)}
    true_phi = sim.topic_word[:, [col[t] for t in terms]]
    rows, cols, sims = match_topics(true_phi, tm.components_)
    units = sim.units.assign(n_model_tokens=np.asarray(dtm.matrix.sum(axis=1)).ravel())
    dt = stat_document_topics(stat_unit_topics(tm, units), units)
    prev = stat_prevalence(dt, n_boot=50, random_state=0)
    est = prev.pivot(index="year", columns="topic", values="share")
    true = sim.realized_prevalence.pivot(index="year", columns="topic", values="share")
    cors = [np.corrcoef(true.iloc[:, r], est.iloc[:, c])[0, 1] for r, c in zip(rows, cols)]
    return sims, np.array(cors), prev


@pytest.mark.parametrize("method", ["lda", "nmf"])
def test_simulation_recovers_topics_and_drift(sim, sim_dtm, method):
    sims, cors, prev = _recovery(sim, sim_dtm, method)
    assert sims.min() >= 0.8, sims
    assert cors.min() >= 0.9, cors
    assert (prev["ci_low"] <= prev["share"] + 1e-12).all() and (prev["share"] <= prev["ci_high"] + 1e-12).all()


def test_topic_model_order_and_transform(sim_dtm):
    tm = TopicModel(method="lda", n_components=4, random_state=3, max_iter=8).fit(sim_dtm)
    assert np.all(np.diff(tm.prevalence_) <= 1e-12)
    np.testing.assert_allclose(tm.components_.sum(axis=1), 1.0)
    np.testing.assert_allclose(tm.doc_topic_.sum(axis=1), 1.0)
    theta = tm.transform(sim_dtm.matrix[:7])
    assert theta.shape == (7, 4)
    np.testing.assert_allclose(theta.sum(axis=1), 1.0)
    # refit with the same seed: identical; topics always reported in the same order
    tm2 = TopicModel(method="lda", n_components=4, random_state=3, max_iter=8).fit(sim_dtm)
    np.testing.assert_array_equal(tm.components_, tm2.components_)
    assert tm.get_params()["random_state"] == 3  # sklearn estimator protocol
    with pytest.raises(ValueError, match="'method' parameter of TopicModel must be a str among"):
        TopicModel(method="lsa").fit(sim_dtm)
    with pytest.raises(ValueError, match="smaller K"):
        TopicModel(n_components=10_000).fit(sim_dtm)
    assert np.isnan(TopicModel(method="nmf", n_components=3).fit(sim_dtm).perplexity(sim_dtm))


@parametrize_with_checks([TopicModel(method="nmf"), TopicModel(method="lda")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_vocabulary_travels_with_x(sim_dtm):
    """Terms come from a DTM or a DataFrame's columns (feature_names_in_), never from fit(terms=)."""
    M = sim_dtm.matrix
    terms = np.asarray(sim_dtm.terms).astype(str)
    a = TopicModel(method="nmf", n_components=4, random_state=0).fit(sim_dtm)
    assert a.feature_names_in_.tolist() == terms.tolist() and a.terms_.tolist() == terms.tolist()
    assert a.n_features_in_ == len(terms) and a.n_iter_ >= 1
    assert a.get_feature_names_out().tolist() == ["topic0", "topic1", "topic2", "topic3"]
    # the same data as a sparse DataFrame: the same model and the same names
    frame = pd.DataFrame.sparse.from_spmatrix(M.astype(np.float64), columns=terms)
    b = TopicModel(method="nmf", n_components=4, random_state=0).fit(frame)
    np.testing.assert_allclose(b.components_, a.components_, atol=1e-12)
    assert b.feature_names_in_.tolist() == terms.tolist()
    assert a.top_terms(3) == b.top_terms(3)
    # top terms are the most probable terms of each topic, by hand
    assert a.top_terms(3)[0] == terms[np.argsort(-a.components_[0], kind="stable")[:3]].tolist()
    # a bare matrix has no names: x0, x1, ... and no feature_names_in_
    c = TopicModel(method="nmf", n_components=4, random_state=0).fit(M)
    assert not hasattr(c, "feature_names_in_") and c.terms_[:2].tolist() == ["x0", "x1"]
    # transform with pandas output names the columns topic0..
    shares = TopicModel(method="nmf", n_components=4, random_state=0).set_output(transform="pandas") \
        .fit(frame.sparse.to_dense()).transform(frame.sparse.to_dense().iloc[:3])
    assert list(shares.columns) == ["topic0", "topic1", "topic2", "topic3"]
    # a DTM over another vocabulary is refused, naming the term
    other = DTM(M, np.array([*terms[1:], terms[0]]), sim_dtm.docvars)
    with pytest.raises(ValueError, match="vocabulary=model.terms_"):
        a.transform(other)
    with pytest.raises(ValueError, match="X has 3 features, but TopicModel is expecting"):
        a.transform(M[:, :3])
    # the old keyword still works, with a deprecation warning
    with pytest.warns(DeprecationWarning, match="terms=.*deprecated"):
        d = TopicModel(method="nmf", n_components=4, random_state=0).fit(M, terms=terms)
    np.testing.assert_array_equal(d.components_, a.components_)
    assert d.terms_.tolist() == terms.tolist()


def test_terms_labels_examples(sim_dtm, sim):
    tm = TopicModel(method="nmf", n_components=5, random_state=0).fit(sim_dtm)
    terms = stat_topic_terms(tm, n=7)
    assert list(terms.columns) == TABLE_COLUMNS["topic_terms"]
    assert len(terms) == 35 and terms.groupby("topic")["weight"].is_monotonic_decreasing.all()
    labels = stat_topic_labels(tm, sim_dtm)
    assert list(labels.columns) == TABLE_COLUMNS["topic_labels"]
    top1 = terms[terms["rank"] <= 3].groupby("topic")["term"].agg(", ".join)
    assert labels["label_prob"].tolist() == top1.tolist()
    ex = stat_representative_units(tm, sim.units, n=2)
    assert list(ex.columns) == TABLE_COLUMNS["topic_examples"]
    for k, g in ex.groupby("topic"):
        assert g["share"].iloc[0] >= g["share"].iloc[1]
        assert g["share"].iloc[0] == pytest.approx(tm.doc_topic_[:, k - 1].max())


def test_merge_short_units_keeps_document_map():
    units = pd.DataFrame({
        "unit_id": ["a#p1", "a#p2", "a#p3", "a#p4", "b#p1", "c#p1", "c#p2"],
        "doc_id": ["a", "a", "a", "a", "b", "c", "c"],
        "text": list("pqrstuv"),
    })
    # model tokens per unit: 2, 9, 1, 8, 3, 1, 1
    M = sp.csr_matrix(np.array([[2], [9], [1], [8], [3], [1], [1]]))
    out, merged = merge_short_units(units, M, min_tokens=5)
    assert out["merged_ids"].tolist() == ["a#p1;a#p2;a#p3", "a#p4", "b#p1", "c#p1;c#p2"]
    assert out["unit_id"].tolist() == ["a#p1", "a#p4", "b#p1", "c#p1"]
    assert out["doc_id"].tolist() == ["a", "a", "b", "c"]
    assert merged.toarray().ravel().tolist() == [12, 8, 3, 2]
    assert out["text"].tolist() == ["p q r", "s", "t", "u v"]
    assert int(merged.sum()) == int(M.sum())  # no token lost
    with pytest.raises(ValueError, match="rows"):
        merge_short_units(units.iloc[:3], M, 5)


def test_merge_short_units_joins_runs_as_a_groupby_would():
    """Random documents with many short units: the merged ids, texts and token counts equal a pandas
    groupby over the merged unit each row went to (the parts of a merged unit are consecutive)."""
    rng = np.random.default_rng(5)
    doc = np.repeat([f"d{i}" for i in range(60)], rng.integers(1, 12, 60))
    n = len(doc)
    units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(n)], "doc_id": doc,
                          "text": [f"t{i}" for i in range(n)], "n_tokens": rng.integers(0, 30, n)})
    M = sp.csr_matrix(rng.poisson(0.6, (n, 9)))
    out, merged = merge_short_units(units, M, min_tokens=6)
    member = {u: j for j, ids in enumerate(out["merged_ids"]) for u in ids.split(";")}
    group = units["unit_id"].map(member).to_numpy()
    assert (np.diff(group) >= 0).all() and set(group) == set(range(len(out)))
    ref = units.groupby(group, sort=True).agg(unit_id=("unit_id", "first"), text=("text", " ".join),
                                              n_tokens=("n_tokens", "sum"))
    assert out["unit_id"].tolist() == ref["unit_id"].tolist()
    assert out["text"].tolist() == ref["text"].tolist()
    assert out["n_tokens"].tolist() == ref["n_tokens"].tolist()
    assert (merged.toarray() == pd.DataFrame(M.toarray()).groupby(group).sum().to_numpy()).all()


def test_k_grid_and_rule():
    assert k_grid(1000, 5000) == [4, 8, 12, 16, 20]
    assert k_grid(1000, 5000, 4, 10, 4) == [4, 8, 10]
    assert k_grid(30, 300) == [4]          # at most n_units / 5 topics
    assert k_grid(15, 300) == [3]          # shrunk below k_min, still >= 2
    assert k_grid(8, 300) == []            # too small: the stage skips
    sel = pd.DataFrame({"model": ["lda"] * 4, "k": [4, 8, 12, 16],
                        "npmi": [0.10, 0.20, 0.25, 0.25], "stability": [0.9, 0.8, 0.6, 0.75]})
    assert choose_k(sel, "lda", min_stability=0.7) == 16   # best NPMI among stable K
    assert choose_k(sel, "lda", min_stability=0.7, tolerance=0.06) == 8  # parsimony within tolerance
    assert choose_k(sel, "lda", min_stability=0.95) == 12  # none stable: NPMI alone, ties -> smaller
    with pytest.raises(ValueError, match="nmf"):
        choose_k(sel, "nmf")


def test_k_selection_finds_planted_k(sim, sim_dtm):
    table = stat_k_selection(sim_dtm, ks=[3, 5, 8], methods=["nmf"], n_runs=3, random_state=0)
    assert list(table.columns[:7]) == TABLE_COLUMNS["topic_selection"][:7]
    assert choose_k(table, "nmf") == 5
    assert table["stability"].between(0, 1 + 1e-9).all()


def test_prevalence_bootstrap_planted():
    rng = np.random.default_rng(0)
    rows = []
    for y in range(2000, 2010):
        for d in range(12):
            s = np.clip(0.2 + 0.05 * (y - 2000) + rng.normal(0, 0.05), 0, 1)
            rows += [(f"d{y}{d}", y, f"{y}-01-01", 1, s, 100.0), (f"d{y}{d}", y, f"{y}-01-01", 2, 1 - s, 100.0)]
    dt = pd.DataFrame(rows, columns=["doc_id", "year", "date", "topic", "share", "n_tokens"])
    a = stat_prevalence(dt, n_boot=400, random_state=1)
    b = stat_prevalence(dt, n_boot=400, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    t1 = a[a["topic"] == 1].set_index("year")
    truth = 0.2 + 0.05 * (t1.index.to_numpy() - 2000)
    covered = ((t1["ci_low"] <= truth) & (truth <= t1["ci_high"])).mean()
    assert covered >= 0.7
    # bootstrap SE is close to the analytic SE of a mean (0.05 / sqrt(12))
    width = (t1["ci_high"] - t1["ci_low"]).mean()
    assert width == pytest.approx(2 * 1.96 * 0.05 / np.sqrt(12), rel=0.35)
    # shares of both topics sum to one in every year
    np.testing.assert_allclose(a.groupby("year")["share"].sum(), 1.0)


def _doc_topics(years, docs_per_year, seed, prefix="d"):
    rng = np.random.default_rng(seed)
    rows = []
    for y in years:
        for d in range(docs_per_year):
            s = rng.dirichlet([2.0, 3.0, 5.0])
            n = float(rng.integers(50, 300))
            rows += [(f"{prefix}{y}-{d}", y, f"{y}-01-01", k + 1, s[k], n) for k in range(3)]
    return pd.DataFrame(rows, columns=["doc_id", "year", "date", "topic", "share", "n_tokens"])


def test_prevalence_adding_a_year_moves_no_other_interval():
    base = _doc_topics([2002, 2003, 2004, 2005], 6, seed=1)
    a = stat_prevalence(base, n_boot=300, random_state=7)
    # one year before (visited first) and one after, with doc_ids sorting before the others
    more = pd.concat([_doc_topics([2001, 2006], 4, seed=2, prefix="a"), base], ignore_index=True)
    b = stat_prevalence(more, n_boot=300, random_state=7)
    assert sorted(b["year"].unique()) == [2001, 2002, 2003, 2004, 2005, 2006]
    kept = b[b["year"].between(2002, 2005)].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, a)  # ci_low / ci_high identical, to the bit
    # the intervals do depend on the seed (the check above could fail)
    c = stat_prevalence(base, n_boot=300, random_state=8)
    assert not np.array_equal(c["ci_low"], a["ci_low"])
    # float years (a column with NaN upstream) are the same groups
    d = stat_prevalence(base.assign(year=base["year"].astype(float)), n_boot=300, random_state=7)
    np.testing.assert_array_equal(d["ci_high"], a["ci_high"])


def test_prevalence_interval_is_the_percentile_bootstrap_by_hand():
    dt = _doc_topics([2010, 2011], 7, seed=3)
    n_boot, seed = 250, 5
    got = stat_prevalence(dt, n_boot=n_boot, level=0.9, random_state=seed)
    for year, g in dt.groupby("year"):
        wide = g.pivot(index="doc_id", columns="topic", values="share").sort_index()
        w = g.drop_duplicates("doc_id").set_index("doc_id")["n_tokens"].reindex(wide.index).to_numpy()
        S = wide.to_numpy()
        rng = group_rng(seed, "topic_prevalence", year)
        idx = rng.integers(0, len(w), size=(n_boot, len(w)))  # draws with replacement
        reps = np.array([(w[ix, None] * S[ix]).sum(0) / w[ix].sum() for ix in idx])
        lo, hi = np.percentile(reps, [5, 95], axis=0)
        row = got[got["year"] == year].sort_values("topic")
        np.testing.assert_allclose(row["ci_low"], lo, rtol=0, atol=1e-12)
        np.testing.assert_allclose(row["ci_high"], hi, rtol=0, atol=1e-12)
        np.testing.assert_allclose(row["share"], (w[:, None] * S).sum(0) / w.sum(), atol=1e-12)


def test_prevalence_interval_covers_at_nominal_rate():
    """200 'years' of 30 documents with Beta(2, 5) shares: the 95% intervals cover 2/7 ~95% of the time."""
    rng = np.random.default_rng(11)
    n_years, nd = 200, 30
    s = rng.beta(2, 5, size=(n_years, nd))
    w = rng.uniform(50, 150, size=(n_years, nd))  # independent of the share: estimand E[s] = 2/7
    year = np.repeat(np.arange(n_years), nd)
    doc = [f"d{i}" for i in range(n_years * nd)]
    dt = pd.concat([
        pd.DataFrame({"doc_id": doc, "year": year, "topic": 1, "share": s.ravel(), "n_tokens": w.ravel()}),
        pd.DataFrame({"doc_id": doc, "year": year, "topic": 2, "share": 1 - s.ravel(), "n_tokens": w.ravel()}),
    ])
    out = stat_prevalence(dt, n_boot=400, random_state=0)
    t1 = out[out["topic"] == 1]
    covered = ((t1["ci_low"] <= 2 / 7) & (2 / 7 <= t1["ci_high"])).mean()
    assert 0.89 <= covered <= 0.99, covered  # binomial sd at 0.95 and 200 years: 0.015


def test_topic_effects_recover_planted_trend_and_speaker():
    rng = np.random.default_rng(5)
    n_docs, per = 60, 5
    doc = np.repeat([f"d{i}" for i in range(n_docs)], per)
    year = np.repeat(rng.integers(2000, 2016, n_docs), per)
    speaker = np.repeat(np.where(rng.random(n_docs) < 0.5, "A", "B"), per)
    doc_effect = np.repeat(rng.normal(0, 0.03, n_docs), per)
    s1 = 0.2 + 0.01 * (year - 2000) + 0.1 * (speaker == "B") + doc_effect + rng.normal(0, 0.02, len(doc))
    shares = np.column_stack([s1, 1 - s1])
    units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(len(doc))], "doc_id": doc,
                          "year": year, "speaker": speaker})
    eff = stat_topic_effects(shares, units, covariate="speaker", spline_df=4, model="lda", k=2)
    assert list(eff.columns) == TABLE_COLUMNS["topic_effects"]
    coef = eff[(eff["kind"] == "coefficient") & (eff["topic"] == 1)].set_index("term")
    b = coef.loc["C(speaker)[T.B]"]
    assert b["ci_low"] <= 0.1 <= b["ci_high"] and b["estimate"] == pytest.approx(0.1, abs=0.03)
    assert coef["n_clusters"].iloc[0] == n_docs
    # clustered SEs exceed naive ones when units of a document share an effect
    import statsmodels.formula.api as smf

    d = units.assign(share=s1)
    naive = smf.ols("share ~ bs(year, df=4, degree=3) + C(speaker)", d).fit()
    assert b["std_err"] > naive.bse["C(speaker)[T.B]"]
    ex = eff[(eff["kind"] == "expected") & (eff["topic"] == 1)]
    truth = 0.2 + 0.01 * (ex["year"].to_numpy() - 2000)
    # expected values are at the most frequent speaker level
    lvl = pd.Series(speaker).value_counts().sort_index().idxmax()
    truth = truth + (0.1 if lvl == "B" else 0.0)
    assert np.abs(ex["estimate"].to_numpy() - truth).max() < 0.05
    # a single document: no regression possible, empty table with the right columns
    one = stat_topic_effects(shares[:5], units.iloc[:5], covariate="speaker")
    assert one.empty and list(one.columns) == TABLE_COLUMNS["topic_effects"]


def test_effects_tasks_get_the_arrays_they_read_and_give_the_tables_of_the_model(sim, sim_dtm):
    """The effects tasks get a model's shares or Gibbs state, not the model; the tables are equal."""
    import pickle

    from analysis.stages.topics import effect_inputs, effects
    from analysis.topicmod.composition import composition_effects_from_fit
    from analysis.topicmod.gibbs import GibbsLDA

    units = sim.units.drop(columns=["text"])
    docvars = units.drop_duplicates("doc_id")[["doc_id"]]
    lda = GibbsLDA(5, random_state=3, max_iter=60).fit(sim_dtm)
    nmf = TopicModel(method="nmf", n_components=5, random_state=0).fit(sim_dtm)
    labels = [f"t{i}" for i in range(5)]
    args = (units, docvars, "speaker", None, 3, labels)
    got_lda, notes = effects(effect_inputs(lda), *args, "lda", 5, 7, 100)
    want_lda = composition_effects_from_fit(lda, units, covariate="speaker", spline_df=3, labels=labels,
                                            model="lda", k=5, random_state=7)
    assert notes == [] and (got_lda["method"] == "composition").all()
    pd.testing.assert_frame_equal(got_lda, want_lda)
    got_nmf, _ = effects(effect_inputs(nmf), *args, "nmf", 5, 7, 100)
    want_nmf = stat_topic_effects(nmf.doc_topic_, units, covariate="speaker", spline_df=3, labels=labels,
                                  model="nmf", k=5)
    assert (got_nmf["method"] == "posthoc").all()
    pd.testing.assert_frame_equal(got_nmf, want_nmf)
    # what a task carries: the arrays, not the sampler's state of every token or the topic-term matrix
    for model in (lda, nmf):
        sent = pickle.dumps(effect_inputs(model))
        assert len(sent) < len(pickle.dumps(model)) / 2
        assert b"GibbsLDA" not in sent and b"TopicModel" not in sent


SMALL = {"topics": {"k_min": 3, "k_max": 6, "k_step": 3, "n_runs": 2, "n_boot": 100, "n_terms": 10}}


def _hash_tables(out):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "tables").glob("topic*.csv"))
            } | {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (out / "tables").glob("doc*_topics.csv")}


def test_stage_on_simulated_corpus_is_byte_reproducible(tmp_path):
    import json

    from analysis.run.runner import run_pipeline

    small = simulate_topic_corpus(n_topics=4, years=(2001, 2010), docs_per_year=2, paragraphs_per_doc=(3, 6),
                                  random_state=2)
    corpus = small.to_corpus()
    seeds = tmp_path / "seeds.yml"  # two keys seeded by planted topics' top words (optional tables on)
    top = [np.asarray(small.vocabulary)[np.argsort(-small.topic_word[k])[:4]] for k in (0, 1)]
    seeds.write_text("".join(f"key{k}: [{', '.join(t)}]\n" for k, t in enumerate(top)), encoding="utf-8")
    ov = {"topics": {**SMALL["topics"], "seeds": str(seeds)}}
    a = run_pipeline(corpus, out=tmp_path / "a", only=["topics"], overrides=ov, use_cache=False,
                     verbose=False, progress=False)
    assert a.errors == []
    for name, cols in TABLE_COLUMNS.items():
        df = pd.read_csv(tmp_path / "a" / "tables" / f"{name}.csv")
        assert list(df.columns) == cols, name
        assert len(df) > 0, name
    st = a.tables["topic_terms_seeded"]
    assert set(st["seeded_key"].dropna()) == {"key0", "key1"} and st["is_seed"].any()
    assert a.tables["topic_prevalence_seeded"]["seeded_key"].notna().any()
    assert a.tables["topic_terms_by_era"]["era"].nunique() == 3  # topics.dynamic_eras
    sel = a.tables["topic_selection"]
    assert sel["selected"].sum() == 1
    # topics.scan_models=reported (the default): only the reported model is scanned over K; LDA is
    # fitted once at the chosen K (its alignment with NMF, its composition effects, the by-era table)
    assert set(sel["model"]) == {"nmf"} and sel["perplexity"].isna().all()
    assert set(a.tables["topic_alignment"]["engine_b"]) >= {"sklearn-nmf", "sklearn-lda"}
    assert set(a.tables["topic_terms_by_era"]["k"]) == set(sel.loc[sel["selected"], "k"])
    facts = json.loads((tmp_path / "a" / "run.json").read_text())["facts"]["topics"]
    assert facts["scan_models"] == "reported" and facts["models_scanned"] == ["nmf"]
    assert sorted(facts["models_fitted"]) == ["lda", "nmf"]
    dt = a.tables["document_topics"]
    np.testing.assert_allclose(dt.groupby("doc_id")["share"].sum(), 1.0)
    assert set(dt["doc_id"]) == set(small.docvars["doc_id"])
    run_pipeline(corpus, out=tmp_path / "b", only=["topics"], overrides=ov, use_cache=False,
                 verbose=False, progress=False)
    ha, hb = _hash_tables(tmp_path / "a"), _hash_tables(tmp_path / "b")
    assert len(ha) == len(TABLE_COLUMNS) and ha == hb
    # K override
    c = run_pipeline(corpus, out=tmp_path / "c", only=["topics"],
                     overrides={"topics": {**SMALL["topics"], "k": 5, "models": "nmf"}}, use_cache=False,
                     verbose=False,
                     progress=False)
    assert c.tables["topic_terms"]["k"].unique().tolist() == [5]
    assert c.tables["topic_terms_seeded"].empty and c.tables["topic_prevalence_seeded"].empty  # seeds off
    # whole documents as units
    d = run_pipeline(corpus, out=tmp_path / "d", only=["topics"],
                     overrides={"topics": {**SMALL["topics"], "k": 3, "models": "nmf", "unit": "document",
                                           "covariate": "era", "era_breaks": [2006]}},
                     use_cache=False, verbose=False, progress=False)
    assert d.errors == []
    assert d.tables["doc_topics"]["unit_id"].str.endswith("#d").all()
    assert "C(era)[T.2006-]" in set(d.tables["topic_effects"]["term"])


def test_era_labels():
    from analysis.topicmod import era_labels

    assert era_labels([2005, 2010, 2018, 2017], [2017, 2007]).tolist() == ["-2006", "2007-2016", "2017-", "2017-"]
    assert era_labels([2005], "2007;2017").tolist() == ["-2006"]


def test_eras_of_the_by_era_table():
    from analysis.stages.topics import era_of_units

    years = [2001, 2002, 2003, 2004, 2005, 2006]
    assert era_of_units(years, [2003, 2005], 3) == (
        ["2001-2002", "2001-2002", "2003-2004", "2003-2004", "2005-2006", "2005-2006"],
        ["2001-2002", "2003-2004", "2005-2006"])
    assert era_of_units(years, None, 2)[1] == ["2001-2003", "2004-2006"]  # the median cuts
    assert era_of_units([2001, 2001], None, 3)[1] == ["2001"]             # one year: one era


def test_stage_seeds_from_the_r2p_frames_dictionary(tmp_path, small_corpus):
    from analysis.framing.frames import load_frames_dictionary
    from analysis.profiles import get_profile
    from analysis.run.runner import run_pipeline

    ov = {"topics": {**SMALL["topics"], "k": 3, "models": "nmf", "seeds": "frames", "seeds_free": 1,
                     "gibbs_iter": 50, "n_boot": 10}}
    ctx = run_pipeline(small_corpus, out=tmp_path / "s", only=["topics"], overrides=ov, use_cache=False,
                       verbose=False, progress=False)
    assert ctx.errors == []
    st = ctx.tables["topic_terms_seeded"]
    keys = set(st["seeded_key"].dropna())
    frames = load_frames_dictionary(get_profile().frames_dictionary_path)
    assert keys and keys <= set(frames.keys) and st["is_seed"].any()
    assert st["k"].iloc[0] == len(keys) + 1 and st["seeded_key"].isna().any()  # + one free topic
    prev = ctx.tables["topic_prevalence_seeded"]
    np.testing.assert_allclose(prev.groupby("year")["share"].sum(), 1.0)
    bad = run_pipeline(small_corpus, out=tmp_path / "x", only=["topics"],
                       overrides={"topics": {**ov["topics"], "seeds": "nowhere.yml"}}, use_cache=False,
                       verbose=False, progress=False)
    assert "UsageError: topics.seeds='nowhere.yml'" in bad.errors[0]["error"]  # recorded, names the fix


def test_stage_tiny_corpora_do_not_crash(tmp_path, sg_corpus):
    from analysis.corpus import Corpus
    from analysis.run.runner import run_pipeline

    ctx = run_pipeline(sg_corpus, out=tmp_path / "sg", only=["topics"], overrides=SMALL, use_cache=False,
                       verbose=False, progress=False)
    assert ctx.errors == []
    assert list(ctx.tables["topic_selection"].columns) == TABLE_COLUMNS["topic_selection"]
    tiny = Corpus("tiny", pd.DataFrame({"doc_id": ["x"], "date": ["2020-01-01"], "year": [2020],
                                        "speaker": ["S"], "available": [True]}),
                  {"x": "Peace matters.\n\nSecurity matters too."})
    ctx = run_pipeline(tiny, out=tmp_path / "tiny", only=["topics"], use_cache=False, verbose=False,
                       progress=False)
    assert ctx.errors == []
    for name, cols in TABLE_COLUMNS.items():
        df = pd.read_csv(tmp_path / "tiny" / "tables" / f"{name}.csv")
        assert df.empty and list(df.columns) == cols
    assert any("skipped" in m for m in ctx.messages)


def test_cli_topics_command(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    small = simulate_topic_corpus(n_topics=3, years=(2001, 2008), docs_per_year=2, paragraphs_per_doc=(3, 5),
                                  random_state=4)
    table = small.docvars.assign(text=small.docvars["doc_id"].map(small.texts))
    path = tmp_path / "speeches.csv"
    table.to_csv(path, index=False)
    res = CliRunner().invoke(app, ["topics", "--corpus", str(path), "--out", str(tmp_path / "o"), "--k", "3",
                                   "--models", "nmf", "--set", "topics.n_runs=2", "--set", "topics.n_boot=50"])
    assert res.exit_code == 0, res.output
    assert "topic labels" in res.output
    terms = pd.read_csv(tmp_path / "o" / "tables" / "topic_terms.csv")
    assert terms["k"].unique().tolist() == [3]
    bad = CliRunner().invoke(app, ["topics", "--corpus", str(path), "--out", str(tmp_path / "o"),
                                   "--set", "topics.nope=1"])
    assert bad.exit_code == 2 and "nope" in bad.output  # a usage error


def test_heldout_perplexity_document_completion(sim, sim_dtm):
    from analysis.topicmod.kselect import _split

    M = sim_dtm.matrix.tocsr()
    tr, te = _split(M.shape[0], 0.8, 0)
    perp = {}
    for k in (2, 5):
        tm = TopicModel(method="lda", n_components=k, random_state=0, max_iter=10).fit(M[tr])
        perp[k] = tm.perplexity(M[te], random_state=3)
    assert perp[5] < perp[2]  # the planted K predicts held-out words better
    # independent loop over units and tokens with the same thinning
    X = M[te].tocsr().astype(np.float64)
    X.sort_indices()
    rng = np.random.default_rng(3)
    half = rng.binomial(X.data.astype(np.int64), 0.5)
    ll, n = 0.0, 0
    obs = X.copy()
    obs.data = half.astype(np.float64)
    theta = tm.transform(obs)
    for i in range(X.shape[0]):
        for j in range(X.indptr[i], X.indptr[i + 1]):
            c = X.data[j] - half[j]
            if c > 0:
                ll += c * np.log(theta[i] @ tm.components_[:, X.indices[j]])
                n += c
    assert perp[5] == pytest.approx(np.exp(-ll / n), rel=1e-9)


def test_stage_warm_cache_computes_nothing_and_matches_cold(tmp_path, monkeypatch):
    """A second run reads every step from OUT/.cache: same bytes, no fits, no misses."""
    import json

    import analysis.stages.topics as topics
    from analysis.run.runner import run_pipeline

    small = simulate_topic_corpus(n_topics=3, years=(2001, 2008), docs_per_year=2, paragraphs_per_doc=(3, 5),
                                  random_state=5)
    corpus = small.to_corpus()
    over = {"topics": {**SMALL["topics"], "k_max": 3, "n_runs": 2, "covariate": "era", "era_breaks": [2004]}}

    def run(out, overrides=over, **kw):
        ctx = run_pipeline(corpus, out=out, only=["topics"], overrides=overrides, verbose=False, progress=False,
                           **kw)
        assert ctx.errors == []
        return ctx, json.loads((out / "run.json").read_text())["cache"]

    _, cold = run(tmp_path / "a")
    assert cold["hits"] == 0 and cold["misses"] >= 10
    cold_hashes = _hash_tables(tmp_path / "a")
    assert len(cold_hashes) == len(TABLE_COLUMNS)
    run(tmp_path / "nocache", use_cache=False)
    assert _hash_tables(tmp_path / "nocache") == cold_hashes

    def boom(*a, **k):
        raise AssertionError("recomputed on a warm run")

    # cache keys are derived from the functions themselves, so they are not patched here: the cache
    # log shows every step read back (misses == 0), and a refit of the model would raise
    monkeypatch.setattr(topics.TopicModel, "fit", boom)
    for f in (tmp_path / "a" / "tables").glob("*.csv"):
        f.unlink()
    ctx, warm = run(tmp_path / "a")
    assert warm["misses"] == 0 and warm["hits"] == cold["misses"]  # the fitted model is read back, not refitted
    assert _hash_tables(tmp_path / "a") == cold_hashes
    assert any("era" in str(t) for t in ctx.tables["topic_effects"]["term"])

    # a changed downstream parameter recomputes that step only, and the key sees it
    later = {"topics": {**over["topics"], "era_breaks": [2006]}}
    ctx, part = run(tmp_path / "a", overrides=later)
    assert part["misses"] == 2  # the effects and topic_terms_by_era (its eras), nothing upstream
    eras = list(dict.fromkeys(ctx.tables["topic_terms_by_era"]["era"]))
    assert len(eras) == 2 and eras[0].endswith("-2005") and eras[1].startswith("2006-")
    eff = ctx.tables["topic_effects"]
    assert "C(era)[T.2006-]" in set(eff["term"]) and "C(era)[T.2004-]" not in set(eff["term"])
