"""Each plot_* draws exactly the data it returns: checked against the artists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import matplotlib.pyplot as plt

from analysis import plots as P
from analysis.plots.save import new_figure
from tests import _plot_tables as T


def by_gid(fig, gid):
    return [a for a in fig.findobj(lambda a: a.get_gid() == gid)]


def one(fig, gid):
    found = by_gid(fig, gid)
    assert len(found) == 1, f"{gid}: {len(found)} artists"
    return found[0]


@pytest.fixture(scope="module")
def dv():
    return T.docvars()


def test_statements_per_year_bars_match_counts(dv):
    fig, d = P.plot_statements_per_year(dv, by="venue")
    # independent count: documents per (year, venue)
    expected = dv.groupby(["year", "venue"]).size()
    got = d.set_index(["year", "group"])["n"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index().astype(float), check_names=False)
    for g, part in d.groupby("group"):
        rects = [r for r in by_gid(fig, f"bars:{g}") if r.get_height() > 0]
        assert sorted(r.get_height() for r in rects) == sorted(part["n"])
        assert sorted(r.get_y() for r in rects) == sorted(part["bottom"])
    assert d["n"].sum() == len(dv)


def test_statements_per_year_pools_decades_and_groups():
    dv = pd.DataFrame({"doc_id": [f"d{i}" for i in range(60)], "year": np.arange(1900, 2020, 2),
                       "speaker": [f"s{i % 12}" for i in range(60)]})
    _fig, d = P.plot_statements_per_year(dv, by="speaker", max_groups=5)
    assert (d["bin_years"] == 10).all()
    assert set(d["year"]) == set(range(1900, 2020, 10))
    assert d["group"].nunique() == 5 and "other" in set(d["group"])
    assert d["n"].sum() == 60


def test_statement_lengths_points(dv):
    fig, d = P.plot_statement_lengths(dv)
    for g, part in d.groupby("group"):
        line = one(fig, f"points:{g}")
        np.testing.assert_allclose(line.get_ydata(), part["length"])
        np.testing.assert_allclose(line.get_xdata(), part["x"])
    assert sorted(d["length"]) == sorted(dv["n_tokens"].astype(float))


def test_corpus_overview_has_panels(dv):
    fig, d = P.plot_corpus_overview(dv)
    assert list(dict.fromkeys(d["panel"])) == ["per_year_by_venue", "per_year_by_speaker", "lengths"]
    assert len([a for a in fig.axes if a.get_visible()]) == 3


def test_decimal_year():
    x = P.decimal_year(pd.Series(["2017-09-06", None, "2000-01-01"]), pd.Series([2017, 2005, 2000]))
    assert x[0] == pytest.approx(2017 + 248 / 365)
    assert x[1] == 2005.5 and x[2] == 2000.0


def test_similarity_to_anchor_points_and_intervals(dv):
    sim = T.similarity_to_anchor(dv, "d010")
    fig, d = P.plot_similarity_to_anchor(sim, anchor="d010", docvars=dv)
    assert d.loc[d["group"] == "anchor", "doc_id"].tolist() == ["d010"]
    for g, part in d.groupby("group"):
        line = one(fig, f"points:{g}")
        np.testing.assert_allclose(line.get_ydata(), part["cosine"])
        np.testing.assert_allclose(line.get_xdata(), part["x"])
        if g != "anchor":
            segs = one(fig, f"intervals:{g}").get_segments()
            np.testing.assert_allclose([s[0][1] for s in segs], part["ci_low"])
            np.testing.assert_allclose([s[1][1] for s in segs], part["ci_high"])
    # time axis is the decimal year of each document's date
    merged = d.merge(dv[["doc_id", "date"]], on="doc_id")
    np.testing.assert_allclose(merged["x"], P.decimal_year(merged["date"]))
    assert len(d) == len(sim)


def test_similarity_heatmap_grid_is_symmetric_and_matches_image(dv):
    sy = T.similarity_years(dv["year"])
    fig, d = P.plot_similarity_heatmap(sy)
    img = one(fig, "heatmap").get_array()
    n = int(np.sqrt(len(d)))
    np.testing.assert_allclose(np.asarray(img, dtype=float), d["cosine"].to_numpy().reshape(n, n))
    grid = d.pivot(index="year_a", columns="year_b", values="cosine")
    np.testing.assert_allclose(grid.to_numpy(), grid.to_numpy().T)
    for _, r in sy.iterrows():
        assert grid.loc[r["year_a"], r["year_b"]] == pytest.approx(r["cosine"])


def test_keyness_bars():
    k = T.keyness()
    comp = "speaker=António Guterres vs speaker=Ban Ki-moon"
    fig, d = P.plot_keyness(k, comparison=comp, n=5)
    sub = k[k["comparison"] == comp]
    top = sub.nlargest(5, "g2")["term"].tolist()
    bottom = sub.nsmallest(5, "g2")["term"].tolist()
    assert d.loc[d["side"] == "António Guterres", "term"].tolist() == top
    assert set(d.loc[d["side"] == "Ban Ki-moon", "term"]) == set(bottom)
    for side, part in d.groupby("side"):
        rects = by_gid(fig, f"bars:{side}")
        np.testing.assert_allclose([r.get_width() for r in rects], part["score"])
        np.testing.assert_allclose([r.get_y() + r.get_height() / 2 for r in rects], part["y"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == d["term"].tolist()


def test_keyness_unknown_comparison_is_clear():
    with pytest.raises(ValueError, match="available"):
        P.plot_keyness(T.keyness(), comparison="nope")


def test_fightin_words_points_and_sides():
    fw = T.fightin_words()
    fig, d = P.plot_fightin_words(fw, n_labels=3)
    for side, part in d.groupby("side"):
        line = one(fig, f"points:{side}")
        np.testing.assert_allclose(line.get_xdata(), part["frequency"])
        np.testing.assert_allclose(line.get_ydata(), part["delta"])
    assert (d.loc[d["side"] == "anchor", "z"] >= 1.96).all()
    assert (d.loc[d["side"] == "rest", "z"] <= -1.96).all()
    labelled = d[d["labelled"]]
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert set(labelled["term"]) == texts
    assert len(d) == int(((fw["count_a"] + fw["count_b"]) > 0).sum())


def test_topic_selection_lines_and_selected():
    sel = T.topic_selection()
    fig, d = P.plot_topic_selection(sel)
    assert set(d["metric"]) == {"npmi", "umass", "exclusivity", "perplexity", "stability", "frontier"}
    for (m, model), part in d.groupby(["metric", "model"]):
        line = one(fig, f"line:{m}:{model}")
        np.testing.assert_allclose(line.get_xdata(), part["x"])
        np.testing.assert_allclose(line.get_ydata(), part["value"])
    chosen = d[d["selected"] & (d["metric"] != "frontier")]
    assert set(chosen["k"]) == {8} and set(chosen["model"]) == {"lda"}
    assert len(by_gid(fig, "selected:npmi:lda")) == 1 and not by_gid(fig, "edge:npmi:lda")
    # the frontier: no K off it has both higher NPMI and higher exclusivity than a K on it
    for model, part in d[d["metric"] == "frontier"].groupby("model"):
        s = sel[sel["model"] == model]
        for x, y in zip(part["x"], part["value"]):
            assert not ((s["npmi"] > x) & (s["exclusivity"] > y)).any()
        off = s[~s["k"].isin(part["k"])]
        for x, y in zip(off["npmi"], off["exclusivity"]):
            assert ((s["npmi"] > x) & (s["exclusivity"] > y)).any()


def test_topic_selection_marks_edge_of_grid():
    sel = T.topic_selection()
    sel["selected"] = (sel["model"] == "nmf") & (sel["k"] == 12)
    sel["at_edge"] = sel["k"].isin([4, 12])
    sel["heldout_error"] = np.where(sel["model"] == "nmf", 1.5 - 0.01 * sel["k"], np.nan)
    fig, d = P.plot_topic_selection(sel)
    assert "heldout_error" in set(d["metric"])
    assert len(by_gid(fig, "edge:heldout_error:nmf")) == 1
    assert "edge of the grid" in fig._suptitle.get_text()


def test_topic_prevalence_small_multiples():
    prev = T.topic_prevalence(k=5)
    fig, d = P.plot_topic_prevalence(prev, ncols=3)
    assert len([a for a in fig.axes if a.get_visible()]) == 5
    for t, part in d.groupby("topic"):
        line = one(fig, f"line:{t}")
        np.testing.assert_allclose(line.get_ydata(), part["share"])
        band = one(fig, f"band:{t}")
        ys = band.get_paths()[0].vertices[:, 1]
        assert np.isclose(ys.min(), part["ci_low"].min()) and np.isclose(ys.max(), part["ci_high"].max())
    assert len(d) == len(prev)


def topic_effects_table(years=range(2010, 2015)) -> pd.DataFrame:
    """Two models (post-hoc NMF with narrow bands, composition LDA with wide ones), 3 topics, 5 years."""
    rows = []
    for model, method, half in (("nmf", "posthoc", 0.01), ("lda", "composition", 0.04)):
        for t in (1, 2, 3):
            label = f"{model}{t}a, {model}{t}b, {model}{t}c"
            common = {"model": model, "k": 3, "topic": t, "label": label, "n_units": 50, "n_clusters": 10,
                      "method": method}
            for y in years:
                e = 0.1 * t + 0.01 * (y - 2010) + (0.05 if model == "nmf" else 0.0)
                rows.append({**common, "kind": "expected", "term": "year", "year": y, "estimate": e,
                             "std_err": half / 2, "p_value": np.nan, "ci_low": e - half, "ci_high": e + half})
            for term, b in (("Intercept", 0.1), ("bs(year, df=4, degree=3)[0]", 0.02),
                            ("C(un_region)[T.WEOG]", 0.03 * t), ("C(un_region)[T.Asia]", -0.02)):
                rows.append({**common, "kind": "coefficient", "term": term, "year": pd.NA, "estimate": b,
                             "std_err": 0.01, "p_value": 0.01, "ci_low": b - 0.02, "ci_high": b + 0.02})
    return pd.DataFrame(rows)


def test_topic_effects_small_multiples_of_the_composition_model():
    eff = topic_effects_table()
    fig, d = P.plot_topic_effects(eff)
    assert len([a for a in fig.axes if a.get_visible()]) == 3 + 1  # 3 topics + the coefficient panel
    exp = d[d["kind"] == "expected"]
    assert set(exp["model"]) == {"lda"} and set(exp["method"]) == {"composition"}  # honest intervals by default
    title = fig._suptitle.get_text()
    assert "method of composition" in title and "lda" in title and "K = 3" in title
    src = eff[(eff["model"] == "lda") & (eff["kind"] == "expected")]
    assert len(exp) == len(src) == 15
    for t, part in exp.groupby("topic"):
        line = one(fig, f"line:{t}")
        np.testing.assert_allclose(line.get_ydata(), part["estimate"])
        band = one(fig, f"band:{t}")
        ys = band.get_paths()[0].vertices[:, 1]
        assert np.isclose(ys.min(), part["ci_low"].min()) and np.isclose(ys.max(), part["ci_high"].max())
        lo, hi = line.axes.get_ylim()
        assert lo <= part["ci_low"].min() and hi >= part["ci_high"].max()
        assert line.axes.get_title(loc="left").startswith(f"{t}: lda{t}a")
        assert line.axes.yaxis.get_major_formatter()(0.025, 0) == "2.5%"  # shares on a percentage axis
    coef = d[d["kind"] == "coefficient"]  # covariate terms only: no intercept, no spline
    assert set(coef["term"]) == {"C(un_region)[T.WEOG]", "C(un_region)[T.Asia]"} and len(coef) == 6
    np.testing.assert_allclose(np.sort(one(fig, "coef:C(un_region)[T.WEOG]").get_xdata()), [0.03, 0.06, 0.09])


def test_topic_effects_other_model_topics_and_determinism(tmp_path):
    eff = topic_effects_table()
    fig, d = P.plot_topic_effects(eff, model="nmf", topics=[3, 1], coefficients=False)
    assert len(fig.axes) == 2 and list(dict.fromkeys(d["topic"])) == [3, 1]
    assert set(d["kind"]) == {"expected"} and set(d["model"]) == {"nmf"}
    assert "post-hoc regression" in fig._suptitle.get_text() and "2 of 3 topics" in fig._suptitle.get_text()
    fig, d = P.plot_topic_effects(eff, max_topics=2)
    assert sorted(d.loc[d["kind"] == "expected", "topic"].unique()) == [1, 2]
    with pytest.raises(ValueError, match="available"):
        P.plot_topic_effects(eff, model="stm")
    svgs = []
    for run in ("a", "b"):
        f, data = P.plot_topic_effects(topic_effects_table())
        svgs.append(P.save_figure(f, data, "topic_effects", tmp_path / run, formats=("svg",))["svg"].read_bytes())
    assert svgs[0] == svgs[1]


def test_topic_effects_empty_input_raises_like_the_other_topic_plots():
    empty = topic_effects_table().iloc[0:0]
    with pytest.raises(ValueError, match="nothing to plot"):
        P.plot_topic_effects(empty)
    coefficients_only = topic_effects_table().query("kind == 'coefficient'")
    with pytest.raises(ValueError, match="nothing to plot"):
        P.plot_topic_effects(coefficients_only)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['kind'\]"):
        P.plot_topic_effects(pd.DataFrame({"topic": [], "year": [], "estimate": []}))


def test_frame_trajectories_with_changepoints():
    fy = T.frames_years()
    fig, d = P.plot_frame_trajectories(fy, T.frame_changepoints())
    rates = d[d["layer"] == "rate"]
    for f, part in rates.groupby("frame"):
        np.testing.assert_allclose(one(fig, f"line:{f}").get_ydata(), part["rate"])
    cps = d[d["layer"] == "changepoint"]
    assert dict(zip(cps["frame"], cps["year"])) == {"prevention": 2015.0, "sovereignty": 2011.0}
    assert one(fig, "changepoint:prevention").get_xdata()[0] == 2015


def test_frame_trajectories_top_level_and_changepoint_year_column():
    fy = T.frames_years()
    fy["level"] = 1
    extra = fy[fy["frame"] == "prevention"].assign(frame="prevention.early", level=2)
    cp = pd.DataFrame({"frame": ["prevention"], "changepoint_year": [2015]})
    _fig, d = P.plot_frame_trajectories(pd.concat([fy, extra]), cp)
    assert "prevention.early" not in set(d["frame"])
    assert (d["layer"] == "changepoint").sum() == 1


def test_pillar_shares_stack_to_one():
    fy = T.frames_years()
    shares = P.pillar_shares_from_frames(fy)
    assert list(dict.fromkeys(shares["pillar"])) == ["pillar_one", "pillar_two", "pillar_three"]
    np.testing.assert_allclose(shares.groupby("year")["share"].sum(), 1.0)
    # independent: share = rate / sum of the three pillar rates
    y = fy[(fy["year"] == 2010) & fy["frame"].str.startswith("pillar")]
    exp = (y["rate"] / y["rate"].sum()).to_numpy()
    np.testing.assert_allclose(shares[shares["year"] == 2010]["share"], exp)
    fig, d = P.plot_pillar_shares(shares)
    for p, part in d.groupby("pillar", sort=False):
        rects = by_gid(fig, f"bars:{p}")
        part = part[part["share"].notna()]
        np.testing.assert_allclose([r.get_height() for r in rects], part["share"])
        np.testing.assert_allclose([r.get_y() for r in rects], part["bottom"])
        np.testing.assert_allclose([r.get_x() + r.get_width() / 2 for r in rects], part["year"])


def test_pillar_shares_from_indices():
    idx = pd.DataFrame({"level": "year", "year": [2010, 2010, 2010, 2011], "doc_id": "",
                        "index": ["pillar_one_share", "pillar_two_share", "prevention_response_balance",
                                  "pillar_one_share"], "value": [0.25, 0.75, 0.1, 1.0]})
    s = P.pillar_shares_from_indices(idx)
    assert s.to_dict("list") == {"year": [2010, 2010, 2011], "pillar": ["pillar_one", "pillar_two", "pillar_one"],
                                 "share": [0.25, 0.75, 1.0]}


def test_anchor_profile_image_matches_data():
    fu = pd.concat([T.frames_units("anchor"), T.frames_units("other", n_par=3)])
    fig, d = P.plot_anchor_profile(fu, doc_id="anchor")
    img = np.asarray(one(fig, "profile").get_array(), dtype=float)
    n_units, n_frames = d["unit_id"].nunique(), d["frame"].nunique()
    np.testing.assert_allclose(img, d["value"].to_numpy().reshape(n_units, n_frames))
    assert d["position"].tolist()[::n_frames] == list(range(1, 13))
    src = fu[(fu["doc_id"] == "anchor") & (fu["unit_id"] == "anchor#p3") & (fu["frame"] == "sovereignty")]
    got = d[(d["unit_id"] == "anchor#p3") & (d["frame"] == "sovereignty")]["value"].item()
    assert got == pytest.approx(src["rate_per_1000"].item())
    with pytest.raises(ValueError, match="doc_id"):
        P.plot_anchor_profile(fu)


def test_novelty_lines_skip_missing_and_infinite(dv):
    nov = T.novelty(dv)
    nov.loc[5, "transience"] = np.inf
    fig, d = P.plot_novelty(nov)
    for m in ("novelty", "transience", "resonance"):
        part = d[d["measure"] == m]
        np.testing.assert_allclose(one(fig, f"line:{m}").get_ydata(), part["value"])
        assert np.isfinite(part["value"]).all()
    assert (d["measure"] == "novelty").sum() == len(dv) - 2
    assert (d["measure"] == "transience").sum() == len(dv) - 3


def test_style_trends_points_and_yearly_means(dv):
    st = T.style(dv)
    fig, d = P.plot_style_trends(st, measures=["mattr", "fk_grade"])
    for m in ("mattr", "fk_grade"):
        pts = d[(d["measure"] == m) & (d["layer"] == "document")]
        np.testing.assert_allclose(one(fig, f"points:{m}").get_ydata(), pts["value"])
        mean = d[(d["measure"] == m) & (d["layer"] == "yearly_mean")]
        np.testing.assert_allclose(one(fig, f"line:{m}").get_ydata(), mean["value"])
        np.testing.assert_allclose(mean["value"].to_numpy(), st.groupby("year")[m].mean().to_numpy())


def test_plots_draw_into_given_axes(dv):
    fig, ax = new_figure("double")
    fig2, _ = P.plot_similarity_heatmap(T.similarity_years(dv["year"]), ax=ax)
    assert fig2 is fig
    fig, axes = new_figure("double", nrows=2, ncols=3)
    fig3, _d = P.plot_style_trends(T.style(dv), axes=axes)
    assert fig3 is fig


def test_missing_columns_raise_clear_errors():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['cosine'\]"):
        P.plot_similarity_to_anchor(pd.DataFrame({"doc_id": ["a"], "year": [2000]}))
    with pytest.raises(ValueError, match="nothing to plot"):
        P.plot_topic_prevalence(pd.DataFrame({"topic": [], "year": [], "share": []}))


def test_dispersion_within_a_document_and_over_time(dv):
    disp = T.dispersion(dv)
    fig, d = P.plot_dispersion(disp, doc_id="d003", label="Speaker, date")
    src = disp[disp["doc_id"] == "d003"]
    assert len(d) == len(src) and (d["doc_id"] == "d003").all()
    for pat, part in d.groupby("pattern"):
        line = one(fig, f"hits:{pat}")
        np.testing.assert_allclose(line.get_xdata(), part["x"])
        np.testing.assert_allclose(line.get_ydata(), part["y"])
        np.testing.assert_allclose(sorted(part["x"]), sorted(src.loc[src["pattern"] == pat, "relative_position"]))
    assert fig.axes[0].get_title(loc="left").endswith("Speaker, date")
    fig, d = P.plot_dispersion(disp)
    assert len(d) == len(disp)
    merged = d.merge(dv[["doc_id", "date"]], on="doc_id")
    np.testing.assert_allclose(merged["x"], P.decimal_year(merged["date"]))
    # first pattern on the top row
    assert d.loc[d["pattern"] == disp["pattern"].iloc[0], "y"].iloc[0] == d["y"].max()


# ------------------------------------------------------------ labels without overlap
def _label_texts(fig):
    ax = fig.axes[0]
    return [t for t in ax.texts if str(t.get_gid() or "").startswith("label:")]


def test_fightin_words_labels_do_not_overlap_on_a_dense_table(tmp_path):
    """Forty strong words of near-equal frequency and delta: drawn at their points the
    labels would pile up; placed, no two label boxes intersect, and the saved files are
    byte-identical from one drawing to the next."""
    from analysis.plots.base import label_overlaps
    from analysis.plots.save import save_figure

    fw = T.dense_fightin_words()
    fig, d = P.plot_fightin_words(fw, n_labels=12)
    texts = _label_texts(fig)
    assert len(texts) == int(d["labelled"].sum()) == 24
    assert sorted(t.get_text() for t in texts) == sorted(d.loc[d["labelled"], "term"])
    assert label_overlaps(texts) == []
    # the same labels at their points (the old drawing) do overlap: the check can fail
    naive, ax = plt.subplots(figsize=fig.get_size_inches())
    ax.set_xscale("log")
    lab = d[d["labelled"]]
    ax.set_xlim(d["frequency"].min() * 0.8, d["frequency"].max() * 1.2)
    ax.set_ylim(d["delta"].min() - 0.1, d["delta"].max() + 0.1)
    raw = [ax.text(r.frequency, r.delta, r.term, fontsize=6.5, va="center") for r in lab.itertuples()]
    assert label_overlaps(raw)
    plt.close(naive)
    a = save_figure(fig, d, "fw", tmp_path / "a", meta={"seed": 0}, close=True)
    fig2, d2 = P.plot_fightin_words(fw, n_labels=12)
    b = save_figure(fig2, d2, "fw", tmp_path / "b", meta={"seed": 0}, close=True)
    for fmt in ("pdf", "svg", "png"):
        assert a[fmt].read_bytes() == b[fmt].read_bytes(), fmt


def test_keyness_term_labels_do_not_overlap_on_a_dense_table():
    """Keyness labels its bars on the y axis; with many terms the figure grows so that
    no two tick labels intersect."""
    from analysis.plots.base import label_overlaps

    k = T.keyness(n_terms=120)
    fig, d = P.plot_keyness(k, comparison="anchor vs rest", n=40)
    ticks = [t for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert len(ticks) == len(d) == 80
    assert label_overlaps(ticks) == []
    plt.close(fig)
