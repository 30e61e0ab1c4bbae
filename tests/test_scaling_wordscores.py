"""Wordscores against the published LBG (2003) example and a direct computation.

The LBG example matrix (quanteda's ``data_dfm_lbgexample``, austin's ``lbg``) is
built here from its published definition: 37 words A..ZK; each reference text
R1..R5 (positions -1.5, -0.75, 0, 0.75, 1.5) has 1,000 tokens spread over 17
consecutive words with counts 2 3 10 22 45 78 115 146 158 146 115 78 45 22 10 3 2,
R1 starting at A and each next text five words further; the virgin text V1 has
the same counts starting at H (LBG 2003, Fig. 1).

Expected values and where they are published:
- austin's tests (tests/testthat/test_wordscores.R, conjugateprior/austin):
  V1 raw score -0.4480591, standard error 0.01189767 (the LBG paper prints 0.018,
  "a typo" per that test); word scores F = -1.48125, Z = 1.0369898.
- quanteda.textmodels' tests (tests/testthat/test-textmodel_wordscores.R),
  predicting all six texts: LBG-rescaled V1 = -0.53 (tolerance 0.01),
  MV-rescaled V1 = -0.51; MV sends R1 and R5 to -1.5 and 1.5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dtm import DTM
from analysis.errors import UsageError
from analysis.scaling.wordscores import Wordscores, stat_wordscores

PROFILE = [2, 3, 10, 22, 45, 78, 115, 146, 158, 146, 115, 78, 45, 22, 10, 3, 2]
WORDS = [chr(c) for c in range(ord("A"), ord("Z") + 1)] + ["Z" + chr(c) for c in range(ord("A"), ord("K") + 1)]


def lbg_matrix() -> np.ndarray:
    X = np.zeros((6, 37))
    for r, start in enumerate([0, 5, 10, 15, 20, 7]):
        X[r, start:start + 17] = PROFILE
    return X


Y = np.array([-1.5, -0.75, 0.0, 0.75, 1.5, np.nan])


def test_lbg_matrix_definition():
    X = lbg_matrix()
    assert len(WORDS) == 37
    assert (X.sum(axis=1) == 1000).all()
    assert X[5, WORDS.index("P")] == 158  # V1 peaks at P


def test_lbg_word_scores_and_virgin_score():
    ws = Wordscores().fit(lbg_matrix(), Y, WORDS)
    scores = dict(zip(ws.terms_, ws.wordscores_))
    assert scores["A"] == pytest.approx(-1.5)
    assert scores["F"] == pytest.approx(-1.48125)
    assert scores["Z"] == pytest.approx(1.0369898, abs=1e-7)
    assert scores["S"] == pytest.approx(0.0, abs=1e-12)
    pred = ws.predict(lbg_matrix()[5:6])
    assert pred["raw"].iloc[0] == pytest.approx(-0.4480591, abs=1e-6)
    assert pred["raw_se"].iloc[0] == pytest.approx(0.01189767, abs=1e-7)


def test_lbg_and_mv_rescaling_as_quanteda():
    ws = Wordscores().fit(lbg_matrix(), Y, WORDS)
    lbg = ws.predict(lbg_matrix(), rescaling="lbg")
    assert lbg["fit"].iloc[5] == pytest.approx(-0.53, abs=0.01)
    mv = ws.predict(lbg_matrix(), rescaling="mv")
    assert mv["fit"].iloc[5] == pytest.approx(-0.51, abs=0.005)
    assert mv["fit"].iloc[[0, 4]].tolist() == pytest.approx([-1.5, 1.5])
    # intervals are the raw interval under the same map
    raw = ws.predict(lbg_matrix())
    slope = (1.5 - -1.5) / (raw["raw"].iloc[4] - raw["raw"].iloc[0])
    assert mv["se"].to_numpy() == pytest.approx(raw["raw_se"].to_numpy() * slope)
    assert (mv["ci_low"] < mv["fit"]).all() and (mv["fit"] < mv["ci_high"]).all()


def test_direct_computation_on_random_matrix():
    rng = np.random.default_rng(11)
    X = rng.poisson(rng.gamma(0.5, 2.0, size=40), size=(9, 40)).astype(float)
    X[:, 0] = 0  # a word in no text: not scorable
    y = np.array([-1.0, 0.2, 1.0, 0.5] + [np.nan] * 5)
    ws = Wordscores().fit(X, y)
    # the textbook formulas, written out with loops
    refs = [0, 1, 2, 3]
    expected_S = {}
    for w in range(40):
        F = [X[r, w] / X[r].sum() for r in refs]
        if sum(F) == 0:
            continue
        expected_S[w] = sum(y[r] * F[i] / sum(F) for i, r in enumerate(refs))
    assert np.flatnonzero(ws.scorable_).tolist() == sorted(expected_S)
    assert ws.wordscores_ == pytest.approx([expected_S[w] for w in sorted(expected_S)])
    pred = ws.predict(X)
    for v in range(9):
        words = sorted(expected_S)
        n = sum(X[v, w] for w in words)
        Fv = {w: X[v, w] / n for w in words}
        s = sum(Fv[w] * expected_S[w] for w in words)
        se = np.sqrt(sum(Fv[w] * (expected_S[w] - s) ** 2 for w in words)) / np.sqrt(n)
        assert pred["raw"].iloc[v] == pytest.approx(s)
        assert pred["raw_se"].iloc[v] == pytest.approx(se)
    # LBG rescaling gives the virgin texts the reference texts' spread
    virgin = ws.predict(X[4:], rescaling="lbg")
    assert np.std(virgin["fit"], ddof=1) == pytest.approx(np.std(y[:4], ddof=1))
    assert virgin["fit"].mean() == pytest.approx(virgin["raw"].mean())


def test_logit_scale_two_references():
    X = lbg_matrix()
    y = np.array([-1.0, np.nan, np.nan, np.nan, 1.0, np.nan])
    ws = Wordscores(scale="logit", smooth=1).fit(X, y, WORDS)
    Xs = X[[0, 4]] + 1
    P = (Xs / Xs.sum(1, keepdims=True))
    P = P / P.sum(0)
    assert ws.wordscores_ == pytest.approx(np.log(P[1]) - np.log(P[0]))


def test_stat_wordscores_on_dtm_and_errors():
    X = lbg_matrix()
    dv = pd.DataFrame({"doc_id": ["R1", "R2", "R3", "R4", "R5", "V1"], "year": [2000 + i for i in range(6)]})
    dtm = DTM(X.astype(np.int64), np.array(WORDS), dv)
    ref = {"R1": -1.5, "R2": -0.75, "R3": 0, "R4": 0.75, "R5": 1.5}
    out = stat_wordscores(dtm, ref, rescaling="none", virgin_only=True)
    assert out["doc_id"].tolist() == ["V1"]
    assert out["theta"].iloc[0] == pytest.approx(-0.4480591, abs=1e-6)
    assert {"se", "ci_low", "ci_high", "model", "year"} <= set(out.columns)
    dv["pos"] = list(ref.values()) + [np.nan]
    out2 = stat_wordscores(DTM(X.astype(np.int64), np.array(WORDS), dv), "pos", rescaling="mv")
    assert out2["theta"].iloc[5] == pytest.approx(-0.51, abs=0.005)
    with pytest.raises(UsageError, match="R9"):
        stat_wordscores(dtm, {"R1": -1, "R9": 1})
    with pytest.raises(UsageError, match="at least two"):
        stat_wordscores(dtm, {"R1": -1})
    with pytest.raises(UsageError, match="rescaling"):
        stat_wordscores(dtm, ref, rescaling="zscore")
