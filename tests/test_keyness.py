"""Keyness (chi2, G2, PMI, log ratio, BH) and Fightin' Words against independent computations.

quanteda.textstats' rules (see ``keyness_stats``): Yates' continuity correction only for a
2x2 table with an expected cell below 5 (and |a - E| >= 0.5), applied to chi2 and G2 by
``correction="default"``; Williams' q divides; quanteda's epsilon 1e-9 inside the logs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2 as chi2_dist
from scipy.stats import chi2_contingency
from scipy.stats.contingency import expected_freq
from statsmodels.stats.multitest import multipletests

from analysis.dtm import build_dtm
from analysis.textstats.keyness import (
    FIGHTIN_WORDS_COLUMNS,
    KEYNESS_COLUMNS,
    fightin_words_stats,
    keyness_stats,
    parse_comparison,
    resolve_comparison,
    stat_fightin_words,
    stat_keyness,
)
from analysis.topicmod.simulate import pseudo_words

A = np.array([7, 3, 0, 12, 40, 1])
B = np.array([2, 7, 5, 1, 38, 30])


def _table(i, a=A, b=B):
    return np.array([[a[i], b[i]], [a.sum() - a[i], b.sum() - b[i]]])


def _williams_q(t):
    """Williams (1976) q for an r x c table: 1 + (N sum 1/R_i - 1)(N sum 1/C_j - 1) / (6N (r-1)(c-1))."""
    n = t.sum()
    r, c = t.sum(axis=1), t.sum(axis=0)
    return 1 + (n * (1 / r).sum() - 1) * (n * (1 / c).sum() - 1) / (6 * n * (t.shape[0] - 1) * (t.shape[1] - 1))


@pytest.mark.parametrize("i", range(len(A)))
def test_uncorrected_g2_and_chi2_match_scipy(i):
    t = _table(i)
    none = keyness_stats(A, B, correction="none", epsilon=0)
    assert abs(none.g2[i]) == pytest.approx(chi2_contingency(t, correction=False, lambda_="log-likelihood")[0],
                                            rel=1e-10)
    assert abs(none.chi2[i]) == pytest.approx(chi2_contingency(t, correction=False)[0], rel=1e-10)
    assert none.p_value[i] == pytest.approx(chi2_dist.sf(abs(none.g2[i]), 1), rel=1e-12)
    # quanteda's epsilon (1e-9 inside each log) raises |G2| by 2e-9 * (sum of E over cells with O > 0),
    # to first order; at most 2e-9 * N
    eps = keyness_stats(A, B, correction="none")
    e = expected_freq(t)
    assert abs(eps.g2[i]) - abs(none.g2[i]) == pytest.approx(2e-9 * e[t > 0].sum(), rel=1e-5)


@pytest.mark.parametrize("i", range(len(A)))
def test_default_yates_only_when_an_expected_cell_is_below_5(i):
    # the rule from quanteda.textstats src/keyness.cpp, checked with scipy's two fixed corrections
    t = _table(i)
    e = expected_freq(t)
    small = e.min() < 5 and abs(t[0, 0] - e[0, 0]) >= 0.5
    for corr in ("default", "yates"):
        res = keyness_stats(A, B, correction=corr, epsilon=0)
        x = chi2_contingency(t, correction=small)[0]
        g = chi2_contingency(t, correction=small, lambda_="log-likelihood")[0]
        assert abs(res.chi2[i]) == pytest.approx(x, rel=1e-10)
        assert abs(res.g2[i]) == pytest.approx(g, rel=1e-10)
    assert keyness_stats(A, B, correction="default").p_value[i] == pytest.approx(
        chi2_dist.sf(abs(keyness_stats(A, B, correction="default").g2[i]), 1), rel=1e-12)


def test_yates_applied_for_small_expected_cell():
    # quanteda's toy table (tests/testthat/test-textstat_keyness.R): d1 = 7 b + 3 a, d2 = 2 b + 7 a;
    # expected count of "b" in d2 is 9 * 9 / 19 = 4.26 < 5, so Yates applies
    a, b = np.array([3, 7]), np.array([7, 2])
    t = np.array([[7, 2], [3, 7]])
    assert expected_freq(t).min() < 5
    res = keyness_stats(a, b, correction="default", epsilon=0)
    assert res.chi2[1] == pytest.approx(chi2_contingency(t, correction=True)[0], rel=1e-12)
    assert res.chi2[1] != pytest.approx(chi2_contingency(t, correction=False)[0], rel=1e-3)
    assert res.g2[1] == pytest.approx(chi2_contingency(t, correction=True, lambda_="log-likelihood")[0], rel=1e-12)
    # hand Yates: N (|ad - bc| - N/2)^2 / (R1 R2 C1 C2)
    n = 19
    assert res.chi2[1] == pytest.approx(n * (abs(7 * 7 - 2 * 3) - n / 2) ** 2 / (9 * 10 * 10 * 9), rel=1e-12)
    assert res.chi2[0] == pytest.approx(-res.chi2[1])


def test_no_yates_when_all_expected_cells_reach_5():
    a, b = np.array([300, 4700]), np.array([200, 5800])
    t = np.array([[300, 200], [4700, 5800]])
    assert expected_freq(t).min() >= 5
    res = keyness_stats(a, b, correction="default", epsilon=0)
    none = keyness_stats(a, b, correction="none", epsilon=0)
    assert res.chi2[0] == pytest.approx(chi2_contingency(t, correction=False)[0], rel=1e-12)
    assert res.chi2[0] != pytest.approx(chi2_contingency(t, correction=True)[0], rel=1e-6)
    assert res.g2[0] == pytest.approx(chi2_contingency(t, correction=False, lambda_="log-likelihood")[0], rel=1e-12)
    np.testing.assert_array_equal(res.chi2, none.chi2)
    np.testing.assert_array_equal(res.g2, none.g2)


def test_no_yates_when_observed_within_half_of_expected():
    # an expected cell below 5, but |a - E| < 0.5 (|ad - bc| < N/2): quanteda leaves the table
    # uncorrected, where R's chisq.test and scipy move the cell by |a - E| and return 0
    a, b = np.array([3, 7]), np.array([3, 8])
    t = np.array([[3, 3], [7, 8]])
    e = expected_freq(t)
    assert e.min() < 5 and abs(3 - e[0, 0]) < 0.5
    res = keyness_stats(a, b, correction="default", epsilon=0)
    hand = ((t - e) ** 2 / e).sum()
    assert abs(res.chi2[0]) == pytest.approx(hand, rel=1e-12)
    assert chi2_contingency(t, correction=True)[0] == pytest.approx(0, abs=1e-12)


def test_williams_divides_by_q():
    t = _table(4)
    q = _williams_q(t)
    res = keyness_stats(A, B, correction="williams", epsilon=0)
    assert abs(res.g2[4]) == pytest.approx(chi2_contingency(t, correction=False, lambda_="log-likelihood")[0] / q,
                                           rel=1e-10)
    assert abs(res.chi2[4]) == pytest.approx(chi2_contingency(t, correction=False)[0] / q, rel=1e-10)
    # a table with a zero cell keeps Williams' q (quanteda would use q = 1 there)
    t2 = _table(2)
    res2 = keyness_stats(A, B, correction="williams", epsilon=0)
    assert abs(res2.g2[2]) == pytest.approx(
        chi2_contingency(t2, correction=False, lambda_="log-likelihood")[0] / _williams_q(t2), rel=1e-10)


def test_quanteda_williams_chi2_value():
    # quanteda's (commented-out) test: d1 = "b b b b b b b a a a", d2 = "a a a a a a a b b",
    # chi2 with the Williams correction = 4.017626 for feature "b" (target d1): chi2 / q
    res = keyness_stats([3, 7], [7, 2], correction="williams", measure="chi2")
    assert res.chi2[1] == pytest.approx(4.017626, abs=1e-6)
    assert res.chi2[0] == pytest.approx(-4.017626, abs=1e-6)


def test_williams_g2_matches_deducer_likelihood_test():
    # quanteda's lr test compares with Deducer's likelihood.test(conservative = TRUE): 2 sum O ln(O/E) / q
    t = np.array([[3.0, 7.0], [7.0, 2.0]])
    e = expected_freq(t)
    g = 2 * (t * np.log(t / e)).sum() / _williams_q(t)
    res = keyness_stats([3, 7], [7, 2], correction="williams", measure="g2", epsilon=0)
    assert abs(res.g2[0]) == pytest.approx(g, rel=1e-12)
    assert res.p_value[0] == pytest.approx(chi2_dist.sf(g, 1), rel=1e-10)


def test_pmi_and_sign():
    res = keyness_stats(A, B)
    n = A.sum() + B.sum()
    with np.errstate(divide="ignore"):
        hand = np.log(A * n / ((A + B) * A.sum()) + 1e-9)
    np.testing.assert_allclose(res.pmi, hand, rtol=1e-12)
    assert res.pmi[2] == pytest.approx(np.log(1e-9))   # absent from the target
    expected_sign = np.sign(A / A.sum() - B / B.sum())
    for col in ("g2", "chi2", "pmi"):
        assert np.array_equal(np.sign(res[col]), expected_sign)


def test_sign_at_expectation_and_absent_terms():
    # a term exactly at its expectation gets quanteda's negative sign (-0); an absent term 0, p 1
    res = keyness_stats([2, 0, 8], [2, 0, 8], correction="none")
    assert res.chi2[0] == 0 and np.signbit(res.chi2[0])
    assert res.g2[1] == 0 and res.chi2[1] == 0 and res.p_value[1] == 1 and np.isnan(res.pmi[1])


def test_log_ratio_and_bh():
    res = keyness_stats(A, B, correction="none")
    lr = np.log2((np.maximum(A, 0.5) / A.sum()) / (np.maximum(B, 0.5) / B.sum()))
    np.testing.assert_allclose(res.log_ratio, lr)
    assert res.log_ratio[2] == pytest.approx(np.log2((0.5 / A.sum()) / (5 / B.sum())))
    np.testing.assert_allclose(res.p_adjusted, multipletests(res.p_value, method="fdr_bh")[1])
    assert (res.correction == "none").all()


def test_bad_input_messages():
    with pytest.raises(ValueError, match="correction"):
        keyness_stats(A, B, correction="bonferroni")
    with pytest.raises(ValueError, match="differ in length"):
        keyness_stats([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="exceeds its group total"):
        keyness_stats([5], [1], total_target=3, total_reference=10)
    with pytest.raises(ValueError, match="epsilon"):
        keyness_stats([5], [1], epsilon=-1)
    with pytest.raises(ValueError, match="alpha_0"):
        fightin_words_stats([1, 2], [2, 1], alpha_0=0)


def test_fightin_words_hand_worked():
    # two groups, three words; prior: pooled shares, alpha_0 = 10
    ya, yb = np.array([10, 5, 5]), np.array([2, 8, 10])
    res = fightin_words_stats(ya, yb, prior="pooled", alpha_0=10)
    # pooled counts 12, 13, 15 of 40 -> alpha = 3.0, 3.25, 3.75; n^a = n^b = 20
    # word 1: delta = ln(13 / (20 + 10 - 10 - 3)) - ln(5 / (20 + 10 - 2 - 3)) = ln(13/17) - ln(5/25)
    d1 = np.log(13 / 17) - np.log(5 / 25)
    v1 = 1 / 13 + 1 / 5
    assert res.delta[0] == pytest.approx(d1)
    assert res.variance[0] == pytest.approx(v1)
    assert res.z[0] == pytest.approx(d1 / np.sqrt(v1))
    # word 3: ln(8.75 / (30 - 5 - 3.75)) - ln(13.75 / (30 - 10 - 3.75))
    d3 = np.log(8.75 / 21.25) - np.log(13.75 / 16.25)
    assert res.delta[2] == pytest.approx(d3)
    assert res.z[2] == pytest.approx(d3 / np.sqrt(1 / 8.75 + 1 / 13.75))
    # uniform prior: alpha_w = 10/3 each
    u = fightin_words_stats(ya, yb, prior="uniform", alpha_0=10)
    al = 10 / 3
    du = np.log((5 + al) / (30 - 5 - al)) - np.log((8 + al) / (30 - 8 - al))
    assert u.delta[1] == pytest.approx(du)


def _planted_frame(seed=3, n_docs=40, doc_len=300):
    rng = np.random.default_rng(seed)
    vocab = pseudo_words(60, random_state=seed)
    boosted, shared = vocab[0], vocab[1]
    rows = []
    for i in range(n_docs):
        group = "a" if i < n_docs // 2 else "b"
        p = np.ones(len(vocab))
        p[1] = 8.0                     # evenly shared, frequent word
        if group == "a":
            p[0] = 8.0                 # planted: frequent only in group a
        else:
            p[2] = 8.0                 # planted for b, so that the shared word's share is equal
        words = rng.choice(vocab, size=doc_len, p=p / p.sum())
        rows.append({"doc_id": f"d{i:02d}", "group": group, "year": 2000 + i,
                     "text": " ".join(words)})
    return pd.DataFrame(rows), boosted, shared


def frame_vocab_b(frame):
    return pseudo_words(60, random_state=3)[2]


def test_planted_vocabulary_recovered():
    frame, boosted, shared = _planted_frame()
    dtm = build_dtm(frame)
    key = stat_keyness(dtm, "group=a vs b")
    assert list(key.columns) == KEYNESS_COLUMNS
    assert key.term.iloc[0] == boosted
    assert key.loc[key.term == boosted, "p_adjusted"].item() < 1e-6
    assert key.loc[key.term == shared, "p_adjusted"].item() > 0.05
    fw = stat_fightin_words(dtm, "group=a vs b")
    assert list(fw.columns) == FIGHTIN_WORDS_COLUMNS
    assert fw.term.iloc[0] == boosted
    assert fw.z.iloc[0] > 5
    assert abs(fw.loc[fw.term == shared, "z"].item()) < 1.96
    # reversed comparison: the planted word becomes the most negative
    rev = stat_keyness(dtm, "group=b vs a")
    assert rev.term.iloc[-1] == boosted
    assert rev.term.iloc[0] == frame_vocab_b(frame)


def test_comparison_specs():
    dv = pd.DataFrame({"doc_id": ["x", "y", "z", "w"], "speaker": ["A", "B", "A", "C"],
                       "year": [2001, 2005, 2010, 2012]})
    t, r = resolve_comparison("speaker=A vs B", dv)
    assert t.tolist() == [True, False, True, False] and r.tolist() == [False, True, False, False]
    t, r = resolve_comparison("speaker=A", dv)
    assert r.tolist() == [False, True, False, True]
    t, r = resolve_comparison("year>=2010", dv)
    assert t.tolist() == [False, False, True, True]
    t, r = resolve_comparison("anchor", dv, anchor="y")
    assert t.tolist() == [False, True, False, False] and r.sum() == 3
    assert parse_comparison("speaker=A vs B").label == "speaker=A vs speaker=B"
    with pytest.raises(ValueError, match="no docvar column 'party'"):
        resolve_comparison("party=D", dv)
    with pytest.raises(ValueError, match="neither 'anchor'"):
        parse_comparison("Guterres")
    with pytest.raises(ValueError, match="needs a corpus anchor"):
        resolve_comparison("anchor", dv)


def test_exact_matches_scipy_fisher_and_conditional_odds_ratio():
    from scipy.stats import fisher_exact
    from scipy.stats.contingency import odds_ratio

    from analysis.textstats.keyness import keyness_exact

    res = keyness_exact(A, B)
    for i in range(len(A)):
        t = _table(i)
        assert res.p_value[i] == pytest.approx(fisher_exact(t).pvalue, rel=1e-9)
        want = odds_ratio(t, kind="conditional").statistic
        if np.isfinite(want) and want > 0:
            assert res.odds_ratio[i] == pytest.approx(want, rel=1e-6)
        else:
            assert res.odds_ratio[i] == want
    assert res.odds_ratio[2] == 0                                  # absent from the target
    assert np.array_equal(res.odds_ratio > 1, A / A.sum() > B / B.sum())
    # quanteda's toy table (the "b" column: 7 of 10 in d1, 2 of 9 in d2)
    toy = keyness_exact([7], [2], 10, 9)
    assert toy.p_value[0] == pytest.approx(fisher_exact([[7, 2], [3, 7]]).pvalue, rel=1e-9)
    assert toy.odds_ratio[0] == pytest.approx(odds_ratio([[7, 2], [3, 7]], kind="conditional").statistic, rel=1e-6)
    with pytest.raises(ValueError, match="integer"):
        keyness_exact([1.5], [2])
