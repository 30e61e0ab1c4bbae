"""Framing metrics: anchor frames, planted change point, bootstrap, indices, VADER, validation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import analysis.framing as framing
from analysis.framing import (
    sample_kwic,
    stat_anchor_profile,
    stat_changepoints,
    stat_frames,
    stat_indices,
    stat_rates,
    stat_sentiment,
    stat_sentiment_years,
    validate_coding,
    wilson_interval,
)
from analysis.framing import validation
from analysis.framing.dictionary import Dictionary
from analysis.stats import changepoint
from analysis.profiles import get_profile
from analysis.units import make_units

ANCHOR = "2017-09-06_antonio-guterres_ga-informal-dialogue"
#: the R2P study's dictionary and indices (the module under test names none)
FRAMES = get_profile().frames_dictionary_path
STANCE = get_profile().stance_dictionary_path
INDICES = dict(get_profile().indices)


@pytest.fixture(scope="module")
def anchor_units(sg_corpus):
    return make_units(sg_corpus.available())


@pytest.fixture(scope="module")
def anchor_frames(anchor_units):
    return stat_frames(anchor_units, FRAMES)


def _frame_units(frames, frame):
    g = frames[(frames["frame"] == frame) & (frames["matches"] > 0)]
    return set(g["unit_id"])


def _units_with(units, *phrases):
    ids = set()
    for ph in phrases:
        hit = units[units["text"].str.contains(ph, regex=False)]
        assert len(hit) == 1, ph
        ids.add(hit["unit_id"].iloc[0])
    return ids


# ------------------------------------------------------------ anchor checks
def test_anchor_sovereignty_paragraphs_carry_sovereignty_frame(anchor_units, anchor_frames):
    sov = _units_with(anchor_units, "in ways that may harm national sovereignty",
                      "I have deep respect for national sovereignty")
    assert sov <= _frame_units(anchor_frames, "sovereignty")
    assert sov <= _frame_units(anchor_frames, "sovereignty.non_interference")
    # and no other paragraph of the speech carries the sovereignty frame
    assert _frame_units(anchor_frames, "sovereignty") == sov
    # 'sovereign responsibilities' is sovereignty-as-responsibility language
    resp = _units_with(anchor_units, "deliver on their sovereign responsibilities")
    assert resp <= _frame_units(anchor_frames, "sovereignty.as_responsibility")


def test_anchor_prevention_paragraphs_carry_prevention_frame(anchor_units, anchor_frames):
    prev = _units_with(
        anchor_units,
        "Prioritizing prevention means setting an agenda",
        "addressing problems before they escalate",
        "for early warning and prevention",
        "strengthened efforts to prevent genocide",
        "an agenda for prevention",
    )
    got = _frame_units(anchor_frames, "prevention_response.prevention")
    assert prev <= got
    # paragraphs with no prevention content do not carry it
    none = _units_with(anchor_units, "These crimes are not on the retreat",
                       "Civilians, including women and children",
                       "I have deep respect for national sovereignty")
    assert not (none & got)
    # the speech leans to prevention: balance > 0 in the indices
    idx = stat_indices(anchor_frames, INDICES, n_boot=200, seed=1)
    bal = idx[(idx["level"] == "doc") & (idx["index"] == "prevention_response_balance")]
    assert bal["value"].iloc[0] > 0.5


def test_anchor_hand_counted_frames(anchor_units, anchor_frames):
    # the paragraph on the 2005 commitment, counted by hand:
    # pillar one: 'primary responsibility', 'protect their populations';
    # pillar two: 'assist other States', 'capacity to prevent'; R2P: 'responsibility to protect'
    u = _units_with(anchor_units, "states have the primary responsibility")
    g = anchor_frames[anchor_frames["unit_id"].isin(u)].set_index("frame")["matches"]
    assert g["pillars.pillar_one"] == 2
    assert g["pillars.pillar_two"] == 2
    assert g["pillars.pillar_three"] == 0
    assert g["r2p_principle"] == 1
    assert g["pillars"] == 4
    row = anchor_frames[anchor_frames["unit_id"].isin(u)].iloc[0]
    n_words = len(anchor_units.loc[anchor_units["unit_id"].isin(u), "text"].iloc[0].split())
    assert row["tokens"] == anchor_units.loc[anchor_units["unit_id"].isin(u), "n_tokens"].iloc[0]
    assert abs(row["tokens"] - n_words) <= 2   # '2005' is not a word
    rate = anchor_frames.loc[(anchor_frames["unit_id"].isin(u))
                             & (anchor_frames["frame"] == "pillars.pillar_one"), "rate_per_1000"]
    assert rate.iloc[0] == pytest.approx(1000 * 2 / row["tokens"])


def test_anchor_profile_columns(anchor_units, anchor_frames):
    prof = stat_anchor_profile(anchor_frames, anchor_units, ANCHOR)
    assert list(prof.columns) == ["unit_id", "doc_id", "position", "frame", "level", "family",
                                  "matches", "tokens", "rate_per_1000", "excerpt"]
    assert prof["unit_id"].nunique() == len(anchor_units)
    assert prof["position"].is_monotonic_increasing
    assert prof["excerpt"].str.len().max() <= 84


# --------------------------------------------------------- planted signal
def _planted_corpus(change_year=2013, years=range(2001, 2021), seed=7):
    """Paragraphs of neutral filler; prevention words from ``change_year`` on."""
    rng = np.random.default_rng(seed)
    filler = ["assembly", "member", "session", "report", "agenda", "council", "world",
              "today", "people", "peace", "development", "meeting", "text", "work"]
    # 'council' is not an entry; make sure no filler word is in the frames dictionary
    rows = []
    for y in years:
        p = 0.02 if y >= change_year else 0.003
        for d in range(2):
            for k in range(12):
                words = rng.choice(filler, size=60).tolist()
                for i in range(len(words)):
                    if rng.random() < p:
                        words[i] = str(rng.choice(["prevention", "prevent", "early warning"]))
                    elif rng.random() < 0.005:
                        words[i] = "response"
                rows.append({"unit_id": f"{y}_{d}#p{k + 1}", "doc_id": f"{y}_{d}",
                             "year": y, "text": " ".join(words) + "."})
    return pd.DataFrame(rows)


def test_planted_change_point_is_recovered_within_one_year():
    units = _planted_corpus(change_year=2013)
    fu = stat_frames(units, FRAMES)
    years = stat_rates(fu, by="year", n_boot=200, seed=3)
    assert list(years.columns[:9]) == framing.YEAR_COLUMNS
    cp = stat_changepoints(years)
    prev = cp[cp["frame"] == "prevention_response.prevention"]
    assert len(prev) >= 1
    assert (prev["changepoint_year"] - 2013).abs().min() <= 1
    best = prev.loc[prev["shift"].abs().idxmax()]
    assert abs(best["changepoint_year"] - 2013) <= 1 and best["shift"] > 0
    # the unplanted response frame has no change point
    assert cp[cp["frame"] == "prevention_response.response"].empty
    # fixed-number alternative (binary segmentation) finds the same year
    cp1 = stat_changepoints(years[years["frame"] == "prevention_response.prevention"],
                            method="binseg", n_bkps=1)
    assert abs(int(cp1["changepoint_year"].iloc[0]) - 2013) <= 1


def test_changepoints_short_series_empty_with_columns():
    years = pd.DataFrame({"frame": ["a"] * 3, "year": [2001, 2002, 2003], "rate": [1.0, 5.0, 1.0]})
    cp = stat_changepoints(years)
    assert cp.empty and list(cp.columns) == framing.CHANGEPOINT_COLUMNS
    with pytest.raises(ValueError, match="penalty"):
        stat_changepoints(pd.DataFrame({"frame": ["a"] * 6, "year": range(6),
                                        "rate": [0, 0, 0, 5, 5, 5.0]}), penalty="aic")


def _null_rates(rng, n_years, mean_count, tokens):
    """Yearly rates per 1,000 words with Poisson counts and no change."""
    tokens = np.broadcast_to(np.asarray(tokens), (n_years,))
    return 1000.0 * rng.poisson(mean_count * tokens / tokens.mean()) / tokens


def _n_changes(x, **kw):
    years = pd.DataFrame({"frame": "f", "year": np.arange(2000, 2000 + len(x)), "rate": x})
    return len(stat_changepoints(years, **kw))


def test_null_series_get_no_change_point_in_95_percent():
    """No change, same noise as the planted corpus (n = 20 years of 2,880 words,
    p = 0.003 per word) and a sparse, uneven series like a rare frame: the
    default penalty leaves at least 95% of seeded replicates without a change."""
    rng = np.random.default_rng(20170906)
    planted_like = [_n_changes(_null_rates(rng, 20, 0.003 * 2880, 2880), seed=i)
                    for i in range(300)]
    assert np.mean(np.array(planted_like) == 0) >= 0.95
    sparse = [_n_changes(_null_rates(rng, 60, 0.3, rng.integers(2000, 9000, 60)), seed=i)
              for i in range(150)]
    assert np.mean(np.array(sparse) == 0) >= 0.95


def test_planted_change_found_by_default_in_sparse_long_series():
    rng = np.random.default_rng(3)
    x = np.concatenate([_null_rates(rng, 40, 0.5, 5000), _null_rates(rng, 40, 4.0, 5000)])
    years = pd.DataFrame({"frame": "f", "year": np.arange(1901, 1981), "rate": x})
    cp = stat_changepoints(years)
    assert len(cp) == 1 and abs(int(cp["changepoint_year"].iloc[0]) - 1941) <= 1
    assert cp["shift"].iloc[0] > 0 and cp["n_years"].iloc[0] == 80


def test_exact_pelt_matches_ruptures():
    import ruptures as rpt

    rng = np.random.default_rng(1)
    for _ in range(12):
        n = int(rng.integers(20, 90))
        x = rng.normal(size=n)
        for c in rng.integers(1, n, 3):
            x[c:] += rng.normal(0, 2)
        m, pen = int(rng.integers(1, 6)), float(rng.uniform(1, 15))
        ref = rpt.Pelt(model="l2", min_size=m, jump=1).fit(x.reshape(-1, 1)).predict(pen=pen)
        assert changepoint._pelt_l2(x, pen, m) == ref


def test_zero_change_penalty_against_ruptures_dynp():
    """max_k (C_0 - C_k) / k from the segment-neighbourhood recursion equals the
    same quantity from ruptures' exhaustive Dynp, and is the exact threshold."""
    import ruptures as rpt

    rng = np.random.default_rng(2)
    for _ in range(4):
        x = rng.normal(size=24)
        x[12:] += rng.normal(0, 1)
        algo = rpt.Dynp(model="l2", min_size=4, jump=1).fit(x.reshape(-1, 1))
        c0 = ((x - x.mean()) ** 2).sum()
        ref = max((c0 - algo.cost.sum_of_costs(algo.predict(n_bkps=k))) / k for k in range(1, 6))
        b = changepoint._zero_change_penalty(x[None, :], 4)[0]
        assert b == pytest.approx(ref, rel=1e-9)
        assert changepoint._pelt_l2(x, b * (1 + 1e-7), 4) == [24]
        assert len(changepoint._pelt_l2(x, b * (1 - 1e-7), 4)) > 1


def test_changepoint_penalty_options():
    years = _planted_corpus_years()
    cp = stat_changepoints(years, penalty="mbic", min_size=2)
    assert (cp["changepoint_year"] - 2013).abs().min() <= 1
    with pytest.raises(ValueError, match="l2"):
        stat_changepoints(years, model="l1")
    l1 = stat_changepoints(years, model="l1", penalty=20.0)
    assert (l1["changepoint_year"] - 2013).abs().min() <= 1 and (l1["model"] == "l1").all()
    with pytest.raises(ValueError, match="min_size"):
        stat_changepoints(years, min_size=0)


def _planted_corpus_years():
    fu = stat_frames(_planted_corpus(change_year=2013), FRAMES)
    years = stat_rates(fu, by="year", n_boot=0)
    return years[years["frame"] == "prevention_response.prevention"]


# ---------------------------------------------------------------- bootstrap
def _two_units():
    units = pd.DataFrame({
        "unit_id": ["d#p1", "d#p2"], "doc_id": ["d", "d"], "year": [2010, 2010],
        "text": ["prevent prevent prevent prevent x x x x x x",          # 4 / 10 words
                 "prevent y y y y y y y y y y y y y y y y y y y"],     # 1 / 20 words
    })
    return units


def test_rate_is_ratio_of_sums_and_percentile_interval_exact():
    fu = stat_frames(_two_units(), FRAMES)
    yr = stat_rates(fu, by="year", n_boot=4000, seed=11)
    row = yr[yr["frame"] == "prevention_response.prevention"].iloc[0]
    assert row["rate"] == pytest.approx(1000 * 5 / 30)
    assert (row["matches"], row["tokens"], row["n_units"], row["n_docs"]) == (5, 30, 2, 1)
    # resampling two units: {p1,p1} rate 400 (p=1/4), {p2,p2} rate 50 (1/4), mixed 166.7 (1/2)
    # so the 2.5% and 97.5% percentiles are exactly 50 and 400
    assert row["ci_low"] == pytest.approx(50.0)
    assert row["ci_high"] == pytest.approx(400.0)


def test_cluster_bootstrap_resamples_documents():
    units = pd.DataFrame({
        "unit_id": ["a#p1", "a#p2", "b#p1"], "doc_id": ["a", "a", "b"], "year": [2010] * 3,
        "text": ["prevent prevent prevent prevent x x x x x x",      # doc a: 4 / 20 words
                 "z z z z z z z z z z",
                 "prevent y y y y y y y y y y y y y y y y y y y"],  # doc b: 1 / 20 words
    })
    fu = stat_frames(units, FRAMES)
    row = stat_rates(fu, by="year", n_boot=4000, seed=2, cluster="doc_id")
    row = row[row["frame"] == "prevention_response.prevention"].iloc[0]
    # resampling the two documents: rates 200 (a,a), 125 (a,b), 50 (b,b)
    assert row["rate"] == pytest.approx(125.0)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((50.0, 200.0))
    unit = stat_rates(fu, by="year", n_boot=4000, seed=2)
    unit = unit[unit["frame"] == "prevention_response.prevention"].iloc[0]
    assert unit["ci_high"] > 200.0   # resampling paragraphs, a#p1 alone reaches 400
    with pytest.raises(KeyError, match="cluster"):
        stat_rates(fu, cluster="speech")


def test_bootstrap_is_seeded_and_per_group_stable():
    units = _planted_corpus(years=range(2001, 2007))
    fu = stat_frames(units, FRAMES)
    a = stat_rates(fu, by="year", n_boot=300, seed=5)
    b = stat_rates(fu, by="year", n_boot=300, seed=5)
    pd.testing.assert_frame_equal(a, b)
    c = stat_rates(fu, by="year", n_boot=300, seed=6)
    assert not np.allclose(a["ci_low"].fillna(0), c["ci_low"].fillna(0))
    # dropping other years does not change a year's interval
    sub = stat_rates(fu[fu["year"] == 2003], by="year", n_boot=300, seed=5)
    pd.testing.assert_frame_equal(sub.reset_index(drop=True),
                                  a[a["year"] == 2003].reset_index(drop=True))
    ok = a[a["matches"] > 0]
    assert ((ok["ci_low"] <= ok["rate"]) & (ok["rate"] <= ok["ci_high"])).all()
    docs = stat_rates(fu, by="doc_id", n_boot=100, seed=5)
    assert list(docs.columns[:8]) == framing.DOC_COLUMNS
    assert docs["doc_id"].nunique() == units["doc_id"].nunique()


def test_rates_and_indices_follow_the_one_resampling_rule():
    """Adding a year or a document leaves every other group's interval byte-identical,
    and each group's interval is the percentile interval of its own group_rng stream."""
    from analysis.stats.bootstrap import group_rng, percentile_interval, resample_counts

    units = _planted_corpus(years=range(2001, 2006))
    fu = stat_frames(units, FRAMES)
    more = stat_frames(_planted_corpus(years=range(2001, 2008)), FRAMES)
    for by in ("year", "doc_id"):
        a = stat_rates(fu, by=by, n_boot=200, seed=5)
        b = stat_rates(more, by=by, n_boot=200, seed=5)
        b = b[b[by].isin(a[by])].reset_index(drop=True)
        # _planted_corpus draws its words from one rng in year order: the first years agree
        pd.testing.assert_frame_equal(a, b)
    ia = stat_indices(fu, INDICES, n_boot=200, seed=5)
    ib = stat_indices(more, INDICES, n_boot=200, seed=5)
    ib = ib[ib["year"].isin(ia["year"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(ia, ib)
    # independent check: the 2003 prevention rate's interval recomputed by hand
    g = fu[(fu["year"] == 2003) & (fu["frame"] == "prevention_response.prevention")]
    W = resample_counts(len(g), 200, group_rng(5, 2003))
    reps = 1000 * (W @ g["matches"].to_numpy(float)) / (W @ g["tokens"].to_numpy(float))
    lo, hi = percentile_interval(reps, 0.95)
    row = stat_rates(fu, by="year", n_boot=200, seed=5)
    row = row[(row["year"] == 2003) & (row["frame"] == "prevention_response.prevention")].iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-12)
    # and the 2003 prevention-response balance from the same resamples
    r = fu[(fu["year"] == 2003) & (fu["frame"] == "prevention_response.response")]
    pa, pb = W @ g["matches"].to_numpy(float), W @ r["matches"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        lo, hi = percentile_interval((pa - pb) / (pa + pb), 0.95)
    row = ia[(ia["level"] == "year") & (ia["year"] == 2003)
             & (ia["index"] == "prevention_response_balance")].iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-12)


def test_sentiment_years_follow_the_one_resampling_rule():
    from analysis.stats.bootstrap import group_rng, percentile_interval, resample_counts

    rng = np.random.default_rng(0)
    sent = pd.DataFrame({"unit_id": [f"u{i}" for i in range(60)],
                         "doc_id": [f"d{i // 6}" for i in range(60)],
                         "year": np.repeat(np.arange(2001, 2011), 6),
                         "compound": rng.uniform(-1, 1, 60)})
    a = stat_sentiment_years(sent[sent["year"] <= 2005], n_boot=300, seed=4)
    b = stat_sentiment_years(sent, n_boot=300, seed=4)
    pd.testing.assert_frame_equal(a, b[b["year"] <= 2005].reset_index(drop=True))
    x = sent.loc[sent["year"] == 2004, "compound"].to_numpy()
    W = resample_counts(len(x), 300, group_rng(4, 2004))
    lo, hi = percentile_interval(W @ x / len(x), 0.95)
    row = b[b["year"] == 2004].iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-12)


def test_indices_hand_worked():
    units = pd.DataFrame({
        "unit_id": ["a#p1", "a#p2", "b#p1"], "doc_id": ["a", "a", "b"], "year": [2010, 2010, 2011],
        "text": ["prevention prevention early warning intervention",      # 3 prevention, 1 response
                 "primary responsibility and capacity-building",          # pillar one, pillar two
                 "collective action under Chapter VII"],                  # pillar three x2; response
    })
    fu = stat_frames(units, FRAMES)
    idx = stat_indices(fu, INDICES, n_boot=0)
    get = lambda lvl, key, name: idx[(idx["level"] == lvl) & (idx[key] == (2010 if key == "year" else "a"))
                                     & (idx["index"] == name)]["value"].iloc[0]
    assert get("year", "year", "prevention_response_balance") == pytest.approx((3 - 1) / 4)
    assert get("doc", "doc_id", "pillar_one_share") == pytest.approx(0.5)
    assert get("doc", "doc_id", "pillar_three_share") == pytest.approx(0.0)
    y11 = idx[(idx["level"] == "year") & (idx["year"] == 2011)].set_index("index")
    assert y11.loc["pillar_three_share", "value"] == pytest.approx(1.0)
    assert y11.loc["prevention_response_balance", "value"] == pytest.approx(-1.0)
    # no sovereignty words at all: undefined share, not zero
    assert math.isnan(y11.loc["sovereignty_as_responsibility_share", "value"])
    assert list(idx.columns) == framing.INDEX_COLUMNS


# ----------------------------------------------------------------- sentiment
def test_vader_matches_direct_nltk(anchor_units):
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    s = stat_sentiment(anchor_units)
    assert list(s.columns[:6]) == framing.SENTIMENT_COLUMNS
    for text, row in zip(anchor_units["text"], s.itertuples()):
        ref = sia.polarity_scores(text)
        assert (row.neg, row.neu, row.pos, row.compound) == (
            ref["neg"], ref["neu"], ref["pos"], ref["compound"])
    yrs = stat_sentiment_years(s, n_boot=200, seed=2)
    assert yrs["compound"].iloc[0] == pytest.approx(s["compound"].mean())
    assert yrs["ci_low"].iloc[0] <= yrs["compound"].iloc[0] <= yrs["ci_high"].iloc[0]
    assert yrs["n_units"].iloc[0] == len(s)


def test_vader_scores_equal_nltks_own_analyzer():
    """The analyzer that looks punctuated words up (instead of building NLTK's table of every
    word joined to every mark) gives NLTK's scores exactly: on every paragraph of NLTK's State
    of the Union corpus and on texts made to reach the lookup's edges (marks before, after and
    around words, runs of marks, contractions, emoticons, capitals, one-letter words)."""
    import random

    from nltk.corpus import state_union
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    stock, fast = SentimentIntensityAnalyzer(), framing.vader_analyzer()
    assert type(fast) is not SentimentIntensityAnalyzer  # the lookup is in use with this NLTK
    texts = [p.strip() for f in state_union.fileids()
             for p in state_union.raw(f).splitlines() if p.strip()]
    rng = random.Random(7)
    pieces = ["peace", "war", "good", "bad", "not", "never", "kind", "of", "but", "very", "GREAT",
              "no", "a", "I", "don't", "isn't", ":)", ":(", "<3", "at", "least", "without", "doubt"]
    marks = [".", "!", "?", ",", ";", ":", "-", "'", '"', "!!", "!!!", "??", "???", "?!?", "!?!",
             "?!?!", "!?!?", "!?", "?!", "...", "(", ")", "--", ".,", "'s"]
    for _ in range(3000):
        words = []
        for _ in range(rng.randint(1, 14)):
            w = rng.choice(pieces)
            r = rng.random()
            words.append(rng.choice(marks) + w if r < 0.2 else w + rng.choice(marks) if r < 0.5
                         else rng.choice(marks) + w + rng.choice(marks) if r < 0.6 else w)
        texts.append(" ".join(words))
    texts += ["", "!!!", "good!!! bad??? good?!?! ,good, 'good' \"good\"", "-good- --good-- good.,"]
    assert len(texts) > 9000
    for t in texts:
        assert fast.polarity_scores(t) == stock.polarity_scores(t), t


def test_vader_missing_lexicon_error(monkeypatch):
    import nltk.sentiment.vader as v

    class Missing:
        def __init__(self, *a, **k):
            raise LookupError("Resource vader_lexicon not found")

    framing.vader_analyzer.cache_clear()
    monkeypatch.setattr(v, "SentimentIntensityAnalyzer", Missing)
    try:
        with pytest.raises(LookupError, match=r"nltk.download\('vader_lexicon'\)"):
            framing.vader_analyzer()
    finally:
        framing.vader_analyzer.cache_clear()


# ---------------------------------------------------------------- validation
def _wilson_by_hand(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.mark.parametrize("k, n", [(8, 10), (0, 5), (5, 5), (13, 40)])
def test_wilson_interval_against_hand_computation(k, n):
    lo, hi = wilson_interval(k, n)
    elo, ehi = _wilson_by_hand(k, n)
    assert lo == pytest.approx(elo, abs=1e-12) and hi == pytest.approx(ehi, abs=1e-12)


def test_validate_coding(tmp_path):
    df = pd.DataFrame({
        "sample_id": [f"s{i}" for i in range(9)],
        "frame": ["a"] * 5 + ["b"] * 4,
        "relevant": ["1", "yes", "0", "1", "", "0", "n", "TRUE", "1"],
    })
    p = tmp_path / "coded.csv"
    df.to_csv(p, index=False)
    res = validate_coding(p).set_index("frame")
    assert list(res.reset_index().columns) == framing.PRECISION_COLUMNS
    assert (res.loc["a", "n_coded"], res.loc["a", "n_relevant"], res.loc["a", "n_uncoded"]) == (4, 3, 1)
    assert res.loc["a", "precision"] == pytest.approx(0.75)
    assert (res.loc["a", "ci_low"], res.loc["a", "ci_high"]) == pytest.approx(_wilson_by_hand(3, 4))
    assert res.loc["b", "precision"] == pytest.approx(0.5)
    assert (res.loc["ALL", "n_coded"], res.loc["ALL", "n_relevant"]) == (8, 5)
    df.loc[3, "relevant"] = "maybe"
    df.to_csv(p, index=False)
    with pytest.raises(ValueError, match=r"line 5 \(sample_id s3\).*'maybe'"):
        validate_coding(p)
    with pytest.raises(ValueError, match="missing column"):
        validate_coding(df.drop(columns="relevant"))


def test_sample_kwic_stratified_and_reproducible():
    units = _planted_corpus(years=range(2001, 2011), change_year=2006)
    d = Dictionary({"prev": ["prevent*", "early warning"], "resp": ["response"]})
    s = sample_kwic(units, d, n_per_frame=30, seed=4, window=20)
    assert list(s.columns) == framing.KWIC_COLUMNS
    prev = s[s["frame"] == "prev"]
    assert len(prev) == 30
    # proportional allocation: later years (5x more matches) get most of the sample
    assert (prev["year"] >= 2006).sum() > (prev["year"] < 2006).sum() * 2
    assert prev["keyword"].str.lower().str.match(r"prevent|early warning").all()
    assert (s["relevant"] == "").all()
    pd.testing.assert_frame_equal(s, sample_kwic(units, d, n_per_frame=30, seed=4, window=20))
    # every match is taken when there are fewer than n
    small = sample_kwic(units.head(3), d, n_per_frame=1000, strata=None)
    allm = stat_frames(units.head(3), d)
    assert len(small[small["frame"] == "prev"]) == allm.loc[allm["frame"] == "prev", "matches"].sum()
    with pytest.raises(KeyError, match="unknown frame"):
        sample_kwic(units, d, frames=["nope"])
    with pytest.raises(KeyError, match="stratify"):
        sample_kwic(units, d, strata="speaker")
    by_doc = sample_kwic(units.assign(speaker=units["doc_id"].str[-1]), d, n_per_frame=10,
                         strata="speaker", seed=4)
    assert len(by_doc[by_doc["frame"] == "prev"]) == 10


def test_allocation_largest_remainders():
    alloc = validation._allocate(np.array([10, 30, 60]), 7)
    assert alloc.sum() == 7 and alloc.tolist() == [1, 2, 4]
    assert validation._allocate(np.array([2, 3]), 10).tolist() == [2, 3]


# --------------------------------------------------------------------- stage
def test_stage_on_offline_corpus_writes_tables(tmp_path):
    from analysis.run.runner import run_pipeline

    ctx = run_pipeline("sg-r2p", tmp_path, only=["frames"], verbose=False, progress=False,
                       overrides={"frames": {"n_boot": 100}})
    assert not getattr(ctx, "errors", [])
    t = tmp_path / "tables"
    for name in ("frames_units", "frames_docs", "frames_years", "frame_indices",
                 "frame_changepoints", "anchor_frame_profile", "stance_units", "stance_docs",
                 "stance_years", "sentiment_units", "sentiment_years"):
        assert (t / f"{name}.csv").exists(), name
    fu = pd.read_csv(t / "frames_units.csv")
    assert list(fu.columns[:6]) == framing.UNIT_FRAME_COLUMNS
    yrs = pd.read_csv(t / "frames_years.csv")
    assert list(yrs.columns[:5]) == ["frame", "year", "rate", "ci_low", "ci_high"]
    cp = pd.read_csv(t / "frame_changepoints.csv")
    assert cp.empty and list(cp.columns) == framing.CHANGEPOINT_COLUMNS
    assert any("change points need" in m for m in ctx.messages)
    prof = pd.read_csv(t / "anchor_frame_profile.csv")
    assert prof["doc_id"].eq(ANCHOR).all() and len(prof) > 0
    st = pd.read_csv(t / "stance_years.csv")
    assert {"deontic", "first_person.plural"} <= set(st["frame"])
    # same inputs, same bytes
    out2 = tmp_path / "again"
    run_pipeline("sg-r2p", out2, only=["frames"], verbose=False, progress=False,
                 overrides={"frames": {"n_boot": 100, "units_zeros": False}}, use_cache=False)
    for name in ("frames_years", "frame_indices", "sentiment_years"):
        assert (t / f"{name}.csv").read_bytes() == (out2 / "tables" / f"{name}.csv").read_bytes()
    sparse = pd.read_csv(out2 / "tables" / "frames_units.csv")
    assert (sparse["matches"] > 0).all() and len(sparse) == (fu["matches"] > 0).sum()


def test_stage_rejects_unknown_parameters(tmp_path):
    from analysis.run.runner import run_pipeline

    from analysis.errors import UsageError

    with pytest.raises(UsageError, match="unknown setting frames.n_bootstrap .did you mean n_boot"):
        run_pipeline("sg-r2p", tmp_path, only=["frames"], verbose=False, progress=False,
                     overrides={"frames": {"n_bootstrap": 10}})


def test_cli_sample_and_validate(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    runner = CliRunner()
    out = tmp_path / "s.csv"
    r = runner.invoke(app, ["frames", "sample", "--out", str(out), "--n", "3", "--seed", "1"])
    assert r.exit_code == 0, r.output
    s = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(s.columns) == set(framing.KWIC_COLUMNS) and len(s) > 0
    r = runner.invoke(app, ["frames", "sample", "--out", str(out)])
    assert r.exit_code == 1                        # refuses to overwrite codes
    s["relevant"] = ["1" if i % 3 else "0" for i in range(len(s))]
    s.to_csv(out, index=False)
    prec = tmp_path / "p.csv"
    r = runner.invoke(app, ["frames", "validate", str(out), "--out", str(prec)])
    assert r.exit_code == 0, r.output
    p = pd.read_csv(prec)
    assert p["frame"].iloc[-1] == "ALL" and p["n_coded"].iloc[-1] == len(s)
    r = runner.invoke(app, ["frames", "validate", str(tmp_path / "missing.csv")])
    assert r.exit_code == 1
    r = runner.invoke(app, ["frames", "list"])
    assert r.exit_code == 0 and "pillar_one" in r.output


# ----------------------------------------------------------------- caching
def _toy_corpus():
    """Twelve yearly speeches of planted-corpus paragraphs, the first the anchor."""
    from analysis.corpus import Corpus

    units = _planted_corpus(change_year=2008, years=range(2001, 2013), seed=11)
    units = units[units["doc_id"].str.endswith("_0")]
    texts = {f"speech-{y}": "\n\n".join(g["text"]) for y, g in units.groupby("year")}
    dv = pd.DataFrame({"doc_id": list(texts), "date": [f"{d[-4:]}-01-15" for d in texts],
                       "speaker": "S"})
    return Corpus(name="toy", docvars=dv, texts=texts, anchor="speech-2001")


EXPENSIVE = ("stat_frames", "stat_rates", "stat_indices", "stat_changepoints",
             "stat_anchor_profile", "stat_sentiment", "stat_sentiment_years")


def test_warm_run_is_byte_identical_and_recomputes_nothing(tmp_path, monkeypatch):
    from analysis.run.runner import run_pipeline

    corpus = _toy_corpus()
    kw = {"only": ["frames"], "verbose": False, "progress": False,
          "overrides": {"frames": {"n_boot": 50}}}
    cold = run_pipeline(corpus, tmp_path / "cold", **kw)
    assert not cold.errors and cold.cache.misses > 0
    assert len(cold.tables["frame_changepoints"]) >= 1        # the stage reached change points
    snapshot = {p.name: p.read_bytes() for p in (tmp_path / "cold" / "tables").glob("*.csv")}
    assert {"frames_units.csv", "frame_changepoints.csv", "sentiment_years.csv"} <= set(snapshot)

    def boom(*a, **k):
        raise AssertionError("a warm run recomputed an expensive step")

    with monkeypatch.context() as m:
        for name in EXPENSIVE:
            m.setattr(framing, name, boom)
        warm = run_pipeline(corpus, tmp_path / "cold", **kw)
    assert not warm.errors and warm.cache.misses == 0 and warm.cache.hits > 0
    for name, data in snapshot.items():
        assert (tmp_path / "cold" / "tables" / name).read_bytes() == data, name
    assert warm.tables["frames_units"].equals(cold.tables["frames_units"])

    # the cached CSV bytes are what write_csv writes; no cache at all gives the same bytes
    fresh = run_pipeline(corpus, tmp_path / "fresh", use_cache=False, **kw)
    assert not fresh.errors and fresh.cache.hits == 0
    for name, data in snapshot.items():
        assert (tmp_path / "fresh" / "tables" / name).read_bytes() == data, name

    # a changed setting misses the cache only where it matters, and the result follows it
    kw["overrides"] = {"frames": {"n_boot": 50, "changepoint_min_size": 3}}
    with monkeypatch.context() as m:
        for name in EXPENSIVE:
            if name != "stat_changepoints":
                m.setattr(framing, name, boom)
        again = run_pipeline(corpus, tmp_path / "cold", **kw)
    assert not again.errors and again.cache.misses == 1
    expected = stat_changepoints(cold.tables["frames_years"], min_size=3, seed=again.seed)
    pd.testing.assert_frame_equal(again.tables["frame_changepoints"], expected)


def test_indices_from_only_their_frames_rows_equal_those_from_every_row():
    """What the frames stage passes (index_frames' rows of frames and stance) gives the same indices."""
    from analysis.framing import load_stance_dictionary
    from analysis.framing.indices import index_frames

    units = _planted_corpus(years=range(2001, 2006))
    fu, su = stat_frames(units, FRAMES), stat_frames(units, load_stance_dictionary(STANCE))
    every = pd.concat([fu, su], ignore_index=True)
    used = index_frames(INDICES)
    assert used and used < set(every["frame"])          # some rows really are dropped
    rows = every[every["frame"].isin(used)]
    want = stat_indices(every, INDICES, n_boot=100, seed=3)
    pd.testing.assert_frame_equal(stat_indices(rows, INDICES, n_boot=100, seed=3), want)
    # and with only the columns the stage keeps for them
    from analysis.stages.frames import INDEX_INPUT_COLUMNS

    assert set(INDEX_INPUT_COLUMNS) < set(rows.columns)
    pd.testing.assert_frame_equal(stat_indices(rows[list(INDEX_INPUT_COLUMNS)], INDICES, n_boot=100, seed=3),
                                  want)


def _long_as_strings(units, fu):
    """The frames table as it was built before its labels became categoricals: every label a string, per row."""
    from analysis.framing.dictionary import KEY_SEP

    frames = list(dict.fromkeys(fu["frame"].astype(str)))
    F, n = len(frames), len(units)
    out = pd.DataFrame({
        "unit_id": np.repeat(units["unit_id"].astype(str).to_numpy(), F),
        "doc_id": np.repeat(units["doc_id"].astype(str).to_numpy(), F),
        "frame": np.tile(np.array(frames, dtype=object), n),
        "matches": fu["matches"].to_numpy(), "tokens": fu["tokens"].to_numpy(),
        "rate_per_1000": fu["rate_per_1000"].to_numpy(), "level": fu["level"].to_numpy(),
        "family": np.tile(np.array([f.split(KEY_SEP)[0] for f in frames], dtype=object), n),
    })
    for c in ("unit_id", "doc_id", "frame", "family"):
        out[c] = out[c].astype("str")
    for c in ("date", "year", "speaker"):
        if c in units.columns:
            out[c] = np.repeat(units[c].to_numpy(), F)
            if c == "year":
                out[c] = out[c].astype("Int64")
    return out


def test_frames_labels_are_sorted_categoricals_that_give_the_string_tables(tmp_path):
    """The categorical labels hold the strings once; every table from them is the one strings give."""
    from analysis.framing.frames import plain_strings
    from analysis.framing import load_stance_dictionary
    from analysis.run.tables import write_csv, write_parquet
    import analysis.run.tables as tables_mod

    units = _planted_corpus(years=range(2001, 2007))
    # ids out of sorted order, a missing speaker, a non-ASCII one: categories must sort like strings
    units = units.iloc[::-1].reset_index(drop=True)
    units["speaker"] = np.where(units["year"] % 3 == 0, "Ban Ki-moon", "António Guterres")
    units.loc[units.index[:5], "speaker"] = None
    units["date"] = units["year"].astype(str) + "-09-06"
    fu = stat_frames(units, FRAMES)
    for c in ("unit_id", "doc_id", "frame", "family", "speaker", "date"):
        assert isinstance(fu[c].dtype, pd.CategoricalDtype), c
        cats = fu[c].cat.categories.tolist()
        assert cats == sorted(cats), c
    assert fu["speaker"].isna().sum() == 5 * fu["frame"].nunique()
    strings = _long_as_strings(units, fu)
    pd.testing.assert_frame_equal(plain_strings(fu), strings)
    # what the stage computes from it: the same tables, dtypes included
    anchor = units["doc_id"].iloc[0]
    su = stat_frames(units, load_stance_dictionary(STANCE))
    su_strings = _long_as_strings(units, su)
    for by, cluster in (("year", None), ("doc_id", None), ("year", "doc_id")):
        pd.testing.assert_frame_equal(stat_rates(fu, by=by, n_boot=50, cluster=cluster, seed=1),
                                      stat_rates(strings, by=by, n_boot=50, cluster=cluster, seed=1))
    from analysis.framing.frames import concat_frames

    both, both_strings = concat_frames([fu, su]), pd.concat([strings, su_strings], ignore_index=True)
    assert isinstance(both["frame"].dtype, pd.CategoricalDtype)          # codes, not a string per row
    pd.testing.assert_frame_equal(plain_strings(both), both_strings)
    pd.testing.assert_frame_equal(stat_indices(both, INDICES, n_boot=50, seed=2),
                                  stat_indices(both_strings, INDICES, n_boot=50, seed=2))
    pd.testing.assert_frame_equal(stat_anchor_profile(fu, units, anchor), stat_anchor_profile(strings, units, anchor))
    # written: the bytes of the string table, also when the Parquet file has several row groups
    for rows in (tables_mod.ROW_GROUP_SIZE, 1000):
        tables_mod.ROW_GROUP_SIZE, keep = rows, tables_mod.ROW_GROUP_SIZE
        try:
            a = write_parquet(fu, tmp_path / f"c{rows}.parquet").read_bytes()
            b = write_parquet(strings, tmp_path / f"s{rows}.parquet").read_bytes()
        finally:
            tables_mod.ROW_GROUP_SIZE = keep
        assert a == b, rows
    assert len(fu) > 1000
    assert write_csv(fu, tmp_path / "c.csv").read_bytes() == write_csv(strings, tmp_path / "s.csv").read_bytes()


def test_passages_and_indices_in_blocks_equal_one_pass(anchor_units, anchor_frames, monkeypatch):
    """Cut into blocks (as on the run's workers), the passages and the indices are the rows of one pass."""
    from analysis.framing import indices, passages
    from analysis.stats.parallel import use_workers

    one_p = passages.stat_frame_passages(anchor_units, FRAMES, per_year=2, anchor=ANCHOR)
    one_i = stat_indices(anchor_frames, INDICES, n_boot=50, seed=4)
    assert len(one_p) > 20 and one_p["anchor"].any() and len(one_i) > 10
    monkeypatch.setattr(passages, "PASSAGE_CHUNK", 7)
    monkeypatch.setattr(indices, "INDEX_CHUNK", 3)
    for workers in (1, 2):
        with use_workers(workers):
            pd.testing.assert_frame_equal(
                passages.stat_frame_passages(anchor_units, FRAMES, per_year=2, anchor=ANCHOR), one_p)
            pd.testing.assert_frame_equal(stat_indices(anchor_frames, INDICES, n_boot=50, seed=4), one_i)
