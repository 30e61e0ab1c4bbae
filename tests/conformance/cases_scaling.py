"""Scaling: Wordscores and Wordfish against quanteda.textmodels' printed examples.

Data (``data/scaling/``, provenance in its README): quanteda's ``data_dfm_lbgexample``
(Laver, Benoit & Garry 2003, Fig. 1) and quanteda.textmodels' ``data_corpus_irishbudget2010``
as the counts of ``dfm(tokens(x, remove_punct = TRUE))``.

Wordscores reproduces every printed number but one on purpose (the LBG-rescaled standard
error). Wordfish maximises quanteda's own penalised log-likelihood ``lp``; quanteda's
iteration stops early (at the first sweep whose ``lp`` falls, see
:mod:`analysis.scaling.wordfish`), so its printed positions are not at that maximum. The
Wordfish cases therefore check two things: ours is within a stated distance of the printed
positions, and our ``lp`` is at least quanteda's (at its printed parameters where all are
printed; otherwise at the best parameters any method could pair with its printed positions).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.scaling.wordfish import Wordfish, _profile_se, penalised_loglik
from analysis.scaling.wordscores import Wordscores

from .registry import DATA, case

D = DATA / "scaling"
TM = "quanteda/quanteda.textmodels"
TM_COMMIT = "77a137ade914962aaa2a4ac773f8438eda5951f3"
WS_DOCS = (f"{TM} docs/reference/textmodel_wordscores.html and predict.textmodel_wordscores.html "
           f"@ {TM_COMMIT} (pkgdown 0.9.8 example output)")
WF_DOCS = (f"{TM} docs/reference/textmodel_wordfish.html @ {TM_COMMIT} "
           "(pkgdown 0.9.8 example output: summary(), coef())")
TUTORIAL = ("quanteda tutorials, https://tutorials.quanteda.io/machine-learning/wordfish/ "
            "(summary(tmod_wf), 'Estimated Document Positions'; "
            "page version with quanteda.textmodels/quanteda.textplots)")
LBG_DATA = "quanteda::data_dfm_lbgexample (6 texts x 37 words; LBG 2003 Fig. 1), data/scaling/lbg_example.csv"
IRISH_DATA = ("data_corpus_irishbudget2010 (14 speeches), dfm(tokens(x, remove_punct = TRUE)): 14 x 5,128, "
              "data/scaling/irishbudget2010_counts.csv")
Y_REF = np.array([-1.5, -0.75, 0.0, 0.75, 1.5, np.nan])
DOCS = ["R1", "R2", "R3", "R4", "R5", "V1"]
Z975 = 1.959963984540054


def _lbg():
    X = pd.read_csv(D / "lbg_example.csv", index_col="doc")
    return X.to_numpy(dtype=float), list(X.columns)


def _wordscores():
    X, words = _lbg()
    return Wordscores().fit(X, Y_REF, words), X


def _irish():
    d = pd.read_csv(D / "irishbudget2010_counts.csv", keep_default_na=False)
    d = d[d.punct == 0]
    m = d.pivot_table(index="doc", columns="term", values="count", aggfunc="sum", fill_value=0)
    return m.to_numpy(dtype=float)


def _irish_names():
    return pd.read_csv(D / "irishbudget2010_docs.csv")["name"].tolist()


# --- Wordscores --------------------------------------------------------------------------

@case(id="wordscores-lbg-word-scores", family="wordscores", method="Wordscores word scores",
      reference="quanteda.textmodels textmodel_wordscores() coef()", source=WS_DOCS, data=LBG_DATA,
      published={"A": -1.5, "B": -1.5, "C": -1.5, "D": -1.5, "E": -1.5, "F": -1.48125, "G": -1.4809322,
                 "H": -1.4519231, "I": -1.4083333, "J": -1.3232984, "K": -1.1846154, "L": -1.0369898,
                 "M": -0.880597, "N": -0.75, "O": -0.619403, "P": -0.4507576, "Q": -0.2992424,
                 "R": -0.130597, "S": 0.0, "T": 0.130597, "U": 0.2992424, "V": 0.4507576, "W": 0.619403,
                 "X": 0.75, "Y": 0.880597, "Z": 1.0369898, "ZA": 1.1846154, "ZB": 1.3232984,
                 "ZC": 1.4083333, "ZD": 1.4519231, "ZE": 1.4809322, "ZF": 1.48125, "ZG": 1.5, "ZH": 1.5,
                 "ZI": 1.5, "ZJ": 1.5, "ZK": 1.5},
      atol=5e-8)
def _():
    ws, _ = _wordscores()
    return dict(zip(ws.terms_, ws.wordscores_))


@case(id="wordscores-lbg-raw", family="wordscores", method="Wordscores raw text scores",
      reference="quanteda.textmodels predict.textmodel_wordscores()", source=WS_DOCS, data=LBG_DATA,
      published={"R1": -1.317931, "R2": -0.7395598, "R3": -8.673617e-18, "R4": 0.7395598,
                 "R5": 1.317931, "V1": -0.4480591},
      rtol=5e-7, atol=1e-12)
def _():
    ws, X = _wordscores()
    return dict(zip(DOCS, ws.predict(X)["raw"]))


@case(id="wordscores-lbg-raw-se", family="wordscores", method="Wordscores raw standard errors",
      reference="quanteda.textmodels predict(se.fit = TRUE)", source=WS_DOCS, data=LBG_DATA,
      published={"R1": 0.006699613, "R2": 0.011433605, "R3": 0.01200525, "R4": 0.011433605,
                 "R5": 0.006699613, "V1": 0.011897667},
      rtol=5e-8)
def _():
    ws, X = _wordscores()
    return dict(zip(DOCS, ws.predict(X)["raw_se"]))


@case(id="wordscores-lbg-rescaled-lbg", family="wordscores",
      method="Wordscores LBG rescaling (fit, 95% interval)",
      reference="quanteda.textmodels predict(rescaling = 'lbg', interval = 'confidence')", source=WS_DOCS,
      data=LBG_DATA,
      published={"fit R1": -1.58967683, "fit R2": -0.88488724, "fit R3": 0.01632248, "fit R4": 0.9175322,
                 "fit R5": 1.62232179, "fit V1": -0.52967149,
                 "lwr R1": -1.60567795, "lwr R2": -0.91219485, "lwr R3": -0.01235043, "lwr R4": 0.89022458,
                 "lwr R5": 1.60632067, "lwr V1": -0.55808746,
                 "upr R1": -1.5736757, "upr R2": -0.8575796, "upr R3": 0.0449954, "upr R4": 0.9448398,
                 "upr R5": 1.6383229, "upr V1": -0.5012555},
      atol=5e-7)
def _():
    ws, X = _wordscores()
    p = ws.predict(X, rescaling="lbg", level=0.95)
    out = {f"fit {d}": v for d, v in zip(DOCS, p["fit"])}
    out.update({f"lwr {d}": v for d, v in zip(DOCS, p["ci_low"])})
    out.update({f"upr {d}": v for d, v in zip(DOCS, p["ci_high"])})
    return out


def _se_from_interval(ours, published):
    """Ours must equal the SE implied by quanteda's own printed LBG interval, and differ from
    its printed se.fit (which is shifted by the mean score)."""
    half = {"R1": (-1.5736757 - -1.60567795) / (2 * Z975), "R2": (-0.8575796 - -0.91219485) / (2 * Z975),
            "R3": (0.0449954 - -0.01235043) / (2 * Z975), "R4": (0.9448398 - 0.89022458) / (2 * Z975),
            "R5": (1.6383229 - 1.60632067) / (2 * Z975), "V1": (-0.5012555 - -0.55808746) / (2 * Z975)}
    ok, msgs = True, []
    for d in DOCS:
        agree = abs(ours[d] - half[d]) < 2e-7
        differs = abs(ours[d] - published[d]) > 1e-3
        ok = ok and agree and differs
        msgs.append(f"{d}: ours {ours[d]:.7f}, interval-implied {half[d]:.7f}, "
                    f"printed se.fit {published[d]:.7f}")
    return ok, "; ".join(msgs)


@case(id="wordscores-lbg-rescaled-se", family="wordscores", method="Wordscores LBG-rescaled standard errors",
      reference="quanteda.textmodels predict(rescaling = 'lbg', se.fit = TRUE)", source=WS_DOCS,
      data=LBG_DATA,
      published={"R1": 0.02448647, "R2": 0.0302552, "R3": 0.03095179, "R4": 0.0302552, "R5": 0.02448647,
                 "V1": 0.03082069},
      check=_se_from_interval,
      reason=("LBG rescaling is the linear map (s - mean) * mult + mean; a standard error takes only the "
              "multiplier. quanteda applies the whole map to se.fit as well (adding the mean score), "
              "so its printed se.fit disagrees with its own printed interval; ours equals the "
              "half-width of quanteda's printed 95% interval / 1.96 (to 2e-7) and so differs from se.fit."))
def _():
    ws, X = _wordscores()
    return dict(zip(DOCS, ws.predict(X, rescaling="lbg")["se"]))


@case(id="wordscores-lbg-rescaled-mv", family="wordscores",
      method="Wordscores Martin-Vanberg rescaling (fit, se)",
      reference="quanteda.textmodels predict(rescaling = 'mv', se.fit = TRUE)", source=WS_DOCS, data=LBG_DATA,
      published={"fit R1": -1.5, "fit R2": -0.841728, "fit R3": 0.0, "fit R4": 0.841728, "fit R5": 1.5,
                 "fit V1": -0.5099572, "se R1": 0.007625147, "se R2": 0.013013126, "se R3": 0.013663743,
                 "se R4": 0.013013126, "se R5": 0.007625147, "se V1": 0.013541297},
      atol=5e-8)
def _():
    ws, X = _wordscores()
    p = ws.predict(X, rescaling="mv")
    out = {f"fit {d}": v for d, v in zip(DOCS, p["fit"])}
    out.update({f"se {d}": v for d, v in zip(DOCS, p["se"])})
    return out


# --- Wordfish ----------------------------------------------------------------------------

def _lbg_quanteda_params():
    docs = pd.read_csv(D / "lbg_wordfish_quanteda_documents.csv")
    feats = pd.read_csv(D / "lbg_wordfish_quanteda_features.csv")
    return (docs["alpha"].to_numpy(), docs["theta"].to_numpy(), feats["psi"].to_numpy(),
            feats["beta"].to_numpy(), docs["se"].to_numpy())


def _profile_lp(Y, theta, beta_sd=3.0, tol=1e-7):
    """max over alpha, psi, beta of quanteda's lp with theta held at the given values.

    With theta fixed, lp is concave in (alpha, psi, beta): block ascent (alpha in closed form,
    then a 2 x 2 Newton step per word) reaches the global maximum, which bounds lp at ANY
    parameters having these positions, whatever produced them. Returns the maximum and the
    largest gradient component left.
    """
    n, k = Y.shape
    prec = 1.0 / beta_sd**2
    tot = Y.sum(axis=1)
    psi, beta = np.log(Y.sum(axis=0) / tot.sum()), np.zeros(k)
    for _ in range(10000):
        alpha = np.log(tot / np.exp(psi[None, :] + np.outer(theta, beta)).sum(axis=1))
        mu = np.exp(alpha[:, None] + psi[None, :] + np.outer(theta, beta))
        R = Y - mu
        g_p, g_b = R.sum(axis=0), theta @ R - prec * beta
        h_pp, h_pb, h_bb = mu.sum(axis=0), theta @ mu, (theta**2) @ mu + prec
        det = h_pp * h_bb - h_pb**2
        d_p, d_b = (h_bb * g_p - h_pb * g_b) / det, (h_pp * g_b - h_pb * g_p) / det
        step = 1.0 / np.maximum(1.0, np.maximum(np.abs(d_p), np.abs(d_b)))  # at most a unit move
        psi, beta = psi + step * d_p, beta + step * d_b
        grad = max(float(np.abs(g_p).max()), float(np.abs(g_b).max()))
        if grad < tol:
            break
    eta = alpha[:, None] + psi[None, :] + np.outer(theta, beta)
    lp = float((Y * eta - np.exp(eta)).sum() - prec * beta @ beta / 2 - theta @ theta / 2)
    return lp, grad


def _lbg_check(ours, published):
    theta = [ours[d] for d in DOCS]
    lp_ours, lp_q, lp_q_profile = ours["lp ours"], ours["lp printed"], ours["lp best with printed theta"]
    diff = float(np.max(np.abs(np.asarray(theta) - np.asarray(published))))
    ok = diff <= 0.07 and lp_ours >= lp_q and lp_ours >= lp_q_profile
    return ok, (f"max |ours - printed| = {diff:.4f} (tolerance 0.07); lp ours {lp_ours:.4f} >= "
                f"lp at quanteda's printed parameters {lp_q:.4f} "
                f"(best with its positions {lp_q_profile:.4f})")


@case(id="wordfish-lbg-theta", family="wordfish", method="Wordfish document positions",
      reference="quanteda.textmodels textmodel_wordfish(data_dfm_lbgexample, dir = c(1, 5))",
      source=WF_DOCS, data=LBG_DATA,
      published=[-1.29056981, -0.61643907, 0.03350982, 0.70961244, 1.52333687, -0.35945025],
      check=_lbg_check,
      reason=("quanteda stops at the first sweep whose log-posterior lp falls (sweep 22 here; it "
              "re-standardises theta and centres alpha without psi and beta absorbing it, which can "
              "lower lp), so its printed answer is an early stop: lp at its printed parameters is "
              "21170.47, ours (the maximum, confirmed by L-BFGS from several starts in "
              "tests/test_scaling_wordfish.py) 21180.70. Positions agree within 0.07."))
def _():
    X, _ = _lbg()
    m = Wordfish(dir=(0, 4)).fit(X)
    qa, qt, qp, qb, _ = _lbg_quanteda_params()
    return {**dict(zip(DOCS, m.theta_)), "lp ours": m.objective_,
            "lp printed": penalised_loglik(X, qa, qt, qp, qb),
            "lp best with printed theta": _profile_lp(X, qt)[0]}


@case(id="wordfish-lbg-se-formula", family="wordfish", method="Wordfish standard errors (formula)",
      reference="quanteda.textmodels textmodel_wordfish(data_dfm_lbgexample) se.theta",
      source=WF_DOCS, data=LBG_DATA + "; at quanteda's printed alpha, theta, psi, beta",
      published=[0.01448422, 0.01059613, 0.01085375, 0.01214106, 0.01744178, 0.01070073],
      rtol=2e-4,
      reason=("Evaluated at quanteda's printed parameters (its optimum differs from ours, see "
              "wordfish-lbg-theta) with quanteda's theta prior precision 1 in the information; the "
              "tolerance covers the 7-8 printed digits of the parameters."))
def _():
    X, _ = _lbg()
    qa, qt, qp, qb, _ = _lbg_quanteda_params()
    mu = np.exp(qa[:, None] + qp[None, :] + np.outer(qt, qb))
    return _profile_se(mu, qb, theta_prec=1.0).tolist()


def _irish_check(ours, published):
    theta = np.asarray([ours[n] for n in _irish_names()])
    lp_ours, lp_q_profile, grad = ours["lp ours"], ours["lp best with printed theta"], ours["gradient left"]
    pub = np.asarray(published)
    r = float(np.corrcoef(theta, pub)[0, 1])
    diff = float(np.max(np.abs(theta - pub)))
    ok = r >= 0.97 and diff <= 0.42 and lp_ours > lp_q_profile and grad < 1e-3
    return ok, (f"r = {r:.4f} (>= 0.97), max |ours - printed| = {diff:.3f} (<= 0.42); "
                f"lp ours {lp_ours:.2f} > "
                f"{lp_q_profile:.2f}, the most any parameters with the printed positions reach")


@case(id="wordfish-irishbudget2010-theta", family="wordfish", method="Wordfish document positions",
      reference=("quanteda.textmodels textmodel_wordfish(dfm(tokens(data_corpus_irishbudget2010, "
                 "remove_punct = TRUE)), dir = c(6, 5))"),
      source=TUTORIAL, data=IRISH_DATA,
      published=[1.79395, -0.62137, -1.13501, -0.07840, 1.77839, -0.75343, -0.47615, -0.58474, -1.00390,
                 -0.92648, 1.18354, 0.14816, 0.71537, -0.03993],
      check=_irish_check,
      reason=("quanteda's iteration stops at its first falling sweep (31 on this matrix), before the "
              "maximum of its own lp; re-running that iteration on our matrix reproduced the tutorial's "
              "positions to 0.0008 during development, so the tokenisation is not the cause. "
              "At the maximum the government speakers (Lenihan, Cowen) move out (2.05, 1.95) and the "
              "Greens in (Gormley 0.79 vs 1.18): r = 0.977, largest difference 0.39 (Gormley), and our lp "
              "exceeds the best lp any parameters with the printed positions can reach by about 50."))
def _():
    Y = _irish()
    m = Wordfish(dir=(5, 4)).fit(Y)
    pub = pd.read_csv(D / "irishbudget2010_wordfish_tutorial.csv")["theta"].to_numpy()
    lp_q, grad = _profile_lp(Y, pub)
    return {**dict(zip(_irish_names(), m.theta_)), "lp ours": m.objective_,
            "lp best with printed theta": lp_q, "gradient left": grad}
