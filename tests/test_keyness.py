"""Keyness (G2, chi2, log ratio, BH) and Fightin' Words against independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2 as chi2_dist
from scipy.stats import chi2_contingency
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


def _table(i):
    return np.array([[A[i], B[i]], [A.sum() - A[i], B.sum() - B[i]]])


@pytest.mark.parametrize("i", range(len(A)))
def test_g2_and_chi2_match_scipy(i):
    t = _table(i)
    none = keyness_stats(A, B, correction="none")
    yates = keyness_stats(A, B, correction="yates")
    default = keyness_stats(A, B, correction="default")
    g_plain = chi2_contingency(t, correction=False, lambda_="log-likelihood")[0]
    g_yates = chi2_contingency(t, correction=True, lambda_="log-likelihood")[0]
    x_plain = chi2_contingency(t, correction=False)[0]
    x_yates = chi2_contingency(t, correction=True)[0]
    assert abs(none.g2[i]) == pytest.approx(g_plain, rel=1e-10)
    assert abs(none.chi2[i]) == pytest.approx(x_plain, rel=1e-10)
    assert abs(yates.g2[i]) == pytest.approx(g_yates, rel=1e-10)
    assert abs(yates.chi2[i]) == pytest.approx(x_yates, rel=1e-10)
    # quanteda's default: Yates for chi2, Williams for G2
    assert abs(default.chi2[i]) == pytest.approx(x_yates, rel=1e-10)
    n = t.sum()
    r, c = t.sum(axis=1), t.sum(axis=0)
    q = 1 + (n / r[0] + n / r[1] - 1) * (n / c[0] + n / c[1] - 1) / (6 * n)
    assert abs(default.g2[i]) == pytest.approx(g_plain / q, rel=1e-10)
    # p-value from the (default) G2 measure
    assert default.p_value[i] == pytest.approx(chi2_dist.sf(g_plain / q, 1), rel=1e-9)


def test_quanteda_williams_chi2_value():
    # quanteda's own test: d1 = "b b b b b b b a a a", d2 = "a a a a a a a b b",
    # chi2 with the Williams correction = 4.017626 for feature "b" (target d1)
    res = keyness_stats([3, 7], [7, 2], correction="williams", measure="chi2")
    assert res.chi2[1] == pytest.approx(4.017626, abs=1e-6)
    assert res.chi2[0] == pytest.approx(-4.017626, abs=1e-6)


def test_sign_log_ratio_and_bh():
    res = keyness_stats(A, B, correction="none")
    expected_sign = np.sign(A / A.sum() - B / B.sum())
    assert np.array_equal(np.sign(res.g2), expected_sign)
    assert np.array_equal(np.sign(res.chi2), expected_sign)
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
