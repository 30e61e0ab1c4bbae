"""Keyness statistics and Fightin' Words between a target and a reference group.

Two families of term-level comparison between two groups of documents:

* :func:`keyness_stats` / :func:`stat_keyness`: Pearson's chi2, Dunning's
  log-likelihood G2 and pointwise mutual information computed as quanteda.textstats'
  ``textstat_keyness`` computes them (its C++ code, not its help page: see the Notes of
  :func:`keyness_stats`), Hardie's log ratio, p-values and a Benjamini-Hochberg
  adjustment. Statistics are *signed toward the target*: positive when the term is
  relatively more frequent in the target group.
* :func:`fightin_words_stats` / :func:`stat_fightin_words`: the log-odds ratio
  with an informative Dirichlet prior of Monroe, Colaresi & Quinn (2008).

Both work on raw count vectors (numpy) and on :class:`analysis.dtm.DTM` objects
with a boolean mask (or docvar selection) for each group; results are tidy
DataFrames, one row per term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.dtm import require_dtm
from analysis.errors import MissingColumnsError, require_columns

__all__ = [
    "CORRECTIONS",
    "FIGHTIN_WORDS_COLUMNS",
    "KEYNESS_COLUMNS",
    "QUANTEDA_EPSILON",
    "Comparison",
    "bh_adjust",
    "fightin_words_stats",
    "keyness_exact",
    "keyness_stats",
    "parse_comparison",
    "resolve_comparison",
    "stat_fightin_words",
    "stat_keyness",
]

CORRECTIONS = ("default", "yates", "williams", "none")
KEYNESS_COLUMNS = [
    "comparison", "term", "count_target", "count_reference", "total_target",
    "total_reference", "g2", "chi2", "log_ratio", "pmi", "p_value", "p_adjusted", "correction",
]
FIGHTIN_WORDS_COLUMNS = ["comparison", "term", "count_a", "count_b", "delta", "variance", "z"]


# ---------------------------------------------------------------------------
# 2x2 tables
# ---------------------------------------------------------------------------
#: The constant quanteda.textstats adds inside each logarithm of G2 and PMI
#: (``epsilon`` in its ``src/keyness.cpp``).
QUANTEDA_EPSILON = 1e-9


def _tables(a, b, total_a, total_b):
    """Observed and expected 2x2 cells for each term (arrays of shape (4, V)).

    Cell order: [term in target, term in reference, other in target, other in reference].
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    c = float(total_a) - a
    d = float(total_b) - b
    if np.any(c < 0) or np.any(d < 0):
        raise ValueError("a term count exceeds its group total; pass the group totals "
                         "(sum of all term counts in each group), not the vocabulary size")
    n = a + b + c + d
    row1, row2 = a + b, c + d          # term vs other
    col1, col2 = a + c, b + d          # target vs reference
    with np.errstate(divide="ignore", invalid="ignore"):
        obs = np.vstack([a, b, c, d])
        exp = np.vstack([row1 * col1 / n, row1 * col2 / n, row2 * col1 / n, row2 * col2 / n])
    return obs, exp, n, (row1, row2, col1, col2)


def _williams_q(n, margins):
    """Williams' (1976) correction factor q for a 2x2 table (from its margins only)."""
    row1, row2, col1, col2 = margins
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 + (n / row1 + n / row2 - 1.0) * (n / col1 + n / col2 - 1.0) / (6.0 * n)


def _yates_delta(obs, exp, n):
    """quanteda's Yates step: 0.5 where some expected cell is below 5 and |ad - bc| >= N/2.

    Returns an array (one value per term) of 0.5 or 0.0.
    """
    a, b, c, d = obs
    with np.errstate(invalid="ignore"):
        small = np.nanmin(np.where(np.isnan(exp), np.inf, exp), axis=0) < 5.0
        big_enough = np.abs(a * d - b * c) >= n / 2.0
    return np.where(small & big_enough, 0.5, 0.0)


def _g2(obs, exp):
    """Dunning's G2 = 2 sum O ln(O/E) (cells with O = 0 contribute 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(obs > 0, obs * np.log(obs / exp), 0.0)
    return 2.0 * terms.sum(axis=0)


def _g2_quanteda(obs, exp, epsilon):
    """G2 as quanteda sums it: 2 sum O ln(O/E + epsilon) (0 * ln(epsilon) = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(obs > 0, obs * np.log(obs / exp + epsilon), 0.0)
    return 2.0 * terms.sum(axis=0)


def _chi2(obs, exp):
    """Pearson's chi2 = sum (O - E)^2 / E."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return ((obs - exp) ** 2 / exp).sum(axis=0)


def _chi2_2x2(obs, n, margins, delta):
    """Pearson's chi2 of a 2x2 table in closed form, N (|ad - bc| - N delta)^2 / (R1 R2 C1 C2).

    With ``delta = 0.5`` this is Yates' (1934) continuity-corrected statistic; quanteda
    evaluates exactly this expression.
    """
    a, b, c, d = obs
    row1, row2, col1, col2 = margins
    with np.errstate(divide="ignore", invalid="ignore"):
        return n * (np.abs(a * d - b * c) - n * delta) ** 2 / (row1 * row2 * col1 * col2)


def _yates_cells(obs, delta):
    """Each cell moved ``delta`` toward its expectation (a, d one way, b, c the other)."""
    a, b, c, d = obs
    s = np.where(a * d - b * c > 0, 1.0, -1.0)
    return np.vstack([a - s * delta, b + s * delta, c + s * delta, d - s * delta])


def bh_adjust(p_values) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaN entries are left as NaN).

    References
    ----------
    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: a
    practical and powerful approach to multiple testing. *Journal of the Royal
    Statistical Society B*, 57(1), 289-300.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method="bh")
    return out


def keyness_stats(count_target, count_reference, total_target=None, total_reference=None,
                  correction: str = "default", measure: str = "g2",
                  log_ratio_floor: float = 0.5, epsilon: float = QUANTEDA_EPSILON) -> pd.DataFrame:
    """Signed chi2, G2, PMI and log ratio for each term of a target vs a reference group.

    Parameters
    ----------
    count_target, count_reference : array-like of int
        Term counts in the target and the reference group (same vocabulary order).
    total_target, total_reference : int, optional
        Total tokens in each group; default: the sum of the counts.
    correction : {"default", "yates", "williams", "none"}
        As quanteda.textstats' ``textstat_keyness`` computes it (see Notes):
        ``"default"`` and ``"yates"`` (identical) apply Yates' continuity correction to
        chi2 *and* G2, but only for a table with an expected cell below 5;
        ``"williams"`` divides chi2 and G2 by Williams' q; ``"none"`` applies none.
        PMI and the log ratio are never corrected.
    measure : {"g2", "chi2"}
        The statistic whose chi-square(1) tail probability is reported as ``p_value``.
    log_ratio_floor : float
        Zero counts are replaced by this value in the log ratio (Hardie 2014 uses 0.5).
    epsilon : float
        Added inside each logarithm of G2 and PMI, as quanteda does (1e-9). It raises
        ``|G2|`` by at most about ``2 * epsilon * N`` (N = both totals; 3e-4 for N = 150,000,
        which shows in quanteda's printed values) and gives a term absent from the target
        the PMI ln(1e-9) = -20.72 instead of minus infinity. Pass 0 for Dunning's G2
        exactly.

    Returns
    -------
    DataFrame
        Columns count_target, count_reference, total_target, total_reference, g2, chi2,
        log_ratio, pmi, p_value, p_adjusted (Benjamini-Hochberg over all terms),
        correction. ``g2``, ``chi2`` and ``pmi`` are signed: positive when the term's
        target count exceeds its expectation under independence (quanteda's rule
        ``a > E``; a term exactly at its expectation gets the negative sign, i.e. -0).

    Notes
    -----
    For each term the 2x2 table is a (term in target), b (term in reference),
    c = n_target - a, d = n_reference - b, N = a + b + c + d, with row totals
    R1 = a + b, R2 = c + d, column totals C1 = a + c, C2 = b + d and expected cells
    E_ij = R_i C_j / N.

    * chi2 = ``N (|ad - bc| - N delta)^2 / (R1 R2 C1 C2)``, Pearson's statistic, with Yates'
      (1934) continuity correction when delta = 0.5.
    * G2 = 2 sum_ij O_ij ln(O_ij / E_ij + epsilon) (Dunning 1993; cells with O_ij = 0
      add 0). Under Yates a, d move delta toward their expectations and b, c the other
      way (the margins stay), then G2 is computed on the moved cells.
    * pmi = ln(a / E_11 + epsilon), natural logarithm, never corrected.
    * Williams (1976): q = 1 + (N/R1 + N/R2 - 1)(N/C1 + N/C2 - 1) / (6N);
      corrected statistic = statistic / q.
    * delta (quanteda's conditional Yates) = 0.5 if ``|ad - bc| >= N/2`` and at least one
      E_ij < 5, else 0. With ``correction="default"`` or ``"yates"`` this applies to both
      chi2 and G2.
    * p_value = upper chi-square(1) tail of ``|G2|`` or ``|chi2|`` (``measure``).
      quanteda computes ``1 - pchisq(|stat|, 1)``, which is 0 below about 1e-16;
      ours (``scipy.stats.chi2.sf``) keeps the small values. quanteda also gives PMI a
      p-value the same way; it has no such meaning and we report none for it.

    Where quanteda's documentation and its code differ (quanteda.textstats 0.97.x,
    ``R/textstat_keyness.R`` and ``src/keyness.cpp`` at commit 9fc27080, July 2025), this
    function follows the code, which produced the values printed on its help page:

    * the help page says ``"default"`` applies Yates to chi2 and Williams to G2 ("lr");
      the code applies the conditional Yates step to both and Williams to neither, and
      only when some expected cell is below 5 (the classic rule of thumb), where the help
      page implies always. Williams is used only with ``correction="williams"``. (The
      printed G2 example fits the code to 4e-8 and fits no Williams reading.)

    Where we differ from quanteda's code on purpose:

    * ``"williams"`` on chi2: quanteda's code multiplies chi2 by q (it divides the
      denominator by q), so its value is larger than the uncorrected one; we divide, as
      Williams (1976) does (its own test expecting 4.017626 on a toy table, which is the
      division, is commented out).
    * quanteda sets q = 1 when any cell is 0; we use Williams' q, which depends on the
      margins only.
    * terms with no occurrences in either group (and tables with an empty margin) get
      G2 = chi2 = 0, PMI NaN and p = 1 where quanteda returns NaN (0/0).
    * quanteda's ``measure="exact"`` (Fisher's exact test: R's conditional
      maximum-likelihood odds ratio and its two-sided p) is :func:`keyness_exact`, not a
      column here (it costs a pass over each term's support).

    log_ratio = log2((y_t / n_t) / (y_r / n_r)) with zero counts floored at 0.5 (Hardie
    2014); quanteda has no log ratio.

    References
    ----------
    Dunning, T. (1993). Accurate methods for the statistics of surprise and
    coincidence. *Computational Linguistics*, 19(1), 61-74.

    Yates, F. (1934). Contingency tables involving small numbers and the chi2 test.
    *Supplement to the Journal of the Royal Statistical Society*, 1(2), 217-235.

    Williams, D. A. (1976). Improved likelihood ratio tests for complete
    contingency tables. *Biometrika*, 63(1), 33-37.

    Hardie, A. (2014). Log Ratio: an informal introduction. ESRC Centre for
    Corpus Approaches to Social Science (CASS), Lancaster University.

    Benoit, K. et al. (2018). quanteda: An R package for the quantitative analysis
    of textual data. *Journal of Open Source Software*, 3(30), 774
    (``textstat_keyness`` in quanteda.textstats).
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {correction!r}")
    if measure not in ("g2", "chi2"):
        raise ValueError(f"measure must be 'g2' or 'chi2', got {measure!r}")
    epsilon = float(epsilon)
    if not np.isfinite(epsilon) or epsilon < 0:
        raise ValueError(f"epsilon must be a non-negative number, got {epsilon!r}")
    a = np.asarray(count_target, dtype=float).ravel()
    b = np.asarray(count_reference, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"count vectors differ in length: {a.shape[0]} vs {b.shape[0]}")
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError("counts must be non-negative")
    nt = float(a.sum() if total_target is None else total_target)
    nr = float(b.sum() if total_reference is None else total_reference)
    if nt <= 0 or nr <= 0:
        raise ValueError(f"both groups need tokens (target total {nt:g}, reference total {nr:g})")
    obs, exp, n, margins = _tables(a, b, nt, nr)

    delta = _yates_delta(obs, exp, n) if correction in ("default", "yates") else np.zeros_like(a)
    chi2 = _chi2_2x2(obs, n, margins, delta)
    g2 = _g2_quanteda(_yates_cells(obs, delta), exp, epsilon)
    if correction == "williams":
        q = _williams_q(n, margins)
        chi2 = chi2 / q
        g2 = g2 / q
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(a / exp[0] + epsilon)

    # terms absent from both groups (or a table with an empty margin) carry no information
    degenerate = (np.asarray(margins) == 0).any(axis=0)
    g2 = np.where(degenerate, 0.0, g2)
    chi2 = np.where(degenerate, 0.0, chi2)
    pmi = np.where(degenerate, np.nan, pmi)
    sign = np.where(a > exp[0], 1.0, -1.0)
    stat = g2 if measure == "g2" else chi2
    p = stats.chi2.sf(np.abs(stat), df=1)
    p = np.where(degenerate, 1.0, p)
    floor = float(log_ratio_floor)
    log_ratio = np.log2((np.maximum(a, floor) / nt) / (np.maximum(b, floor) / nr))
    return pd.DataFrame({
        "count_target": a.astype(np.int64) if np.all(a == np.round(a)) else a,
        "count_reference": b.astype(np.int64) if np.all(b == np.round(b)) else b,
        "total_target": np.full(a.shape, round(nt), dtype=np.int64),
        "total_reference": np.full(a.shape, round(nr), dtype=np.int64),
        "g2": sign * np.abs(g2),
        "chi2": sign * np.abs(chi2),
        "log_ratio": log_ratio,
        "pmi": pmi,
        "p_value": p,
        "p_adjusted": bh_adjust(p),
        "correction": correction,
    })


def keyness_exact(count_target, count_reference, total_target=None, total_reference=None) -> pd.DataFrame:
    """Fisher's exact test for each term, as quanteda's ``textstat_keyness(measure = "exact")``.

    Parameters
    ----------
    count_target, count_reference : array-like of int
        Term counts in the target and the reference group (same vocabulary order).
    total_target, total_reference : int, optional
        Total tokens in each group; default: the sum of the counts.

    Returns
    -------
    DataFrame
        Columns count_target, count_reference, odds_ratio, p_value. ``odds_ratio`` is
        the conditional maximum-likelihood estimate of R's ``fisher.test`` (the value
        quanteda reports; above 1 when the term is relatively more frequent in the
        target, 0 or infinity at the ends of the support); ``p_value`` is the two-sided
        p: the total probability, under the hypergeometric null, of the tables no more
        probable than the observed one.

    Notes
    -----
    quanteda calls ``stats::fisher.test`` on each term's 2x2 table. R counts a table as
    "no more probable" with a relative tolerance of 1e-7, as here (scipy's
    ``fisher_exact`` uses 1e-14); R finds the odds ratio with ``uniroot`` at its default
    tolerance (about 1e-4), where this function solves to machine precision, so the two
    agree to about 1e-4. ``scipy.stats.fisher_exact`` reports the sample odds ratio
    ad / bc instead. The computation costs one pass over each term's support, O(N) in all.

    References
    ----------
    Fisher, R. A. (1935). The logic of inductive inference. *Journal of the Royal
    Statistical Society*, 98(1), 39-82.

    Agresti, A. (2002). *Categorical Data Analysis* (2nd ed.), section 3.5. Wiley.
    """
    a = np.asarray(count_target, dtype=float).ravel()
    b = np.asarray(count_reference, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"count vectors differ in length: {a.shape[0]} vs {b.shape[0]}")
    if np.any(a < 0) or np.any(b < 0) or np.any(a != np.round(a)) or np.any(b != np.round(b)):
        raise ValueError("Fisher's exact test needs non-negative integer counts")
    nt = float(a.sum() if total_target is None else total_target)
    nr = float(b.sum() if total_reference is None else total_reference)
    _tables(a, b, nt, nr)  # checks the totals
    odds = np.full(a.shape, np.nan)
    pval = np.ones(a.shape)
    for i in range(a.size):
        x, m = int(a[i]), int(a[i] + b[i])          # term in target; term total
        n, k = int(nt + nr) - m, int(nt)            # other tokens; target total
        lo, hi = max(0, k - n), min(k, m)
        if m == 0 or lo == hi:
            continue
        support = np.arange(lo, hi + 1)
        logdc = stats.hypergeom.logpmf(support, m + n, m, k)
        d = np.exp(logdc - logdc.max())
        d /= d.sum()
        pval[i] = min(1.0, d[d <= d[x - lo] * (1 + 1e-7)].sum())
        if x == lo:
            odds[i] = 0.0
        elif x == hi:
            odds[i] = np.inf
        else:
            def mean_minus_x(theta):
                w = logdc + theta * support
                w = np.exp(w - w.max())
                return float((support * w).sum() / w.sum()) - x
            lo_t, hi_t = -1.0, 1.0
            while mean_minus_x(lo_t) > 0:
                lo_t *= 2
            while mean_minus_x(hi_t) < 0:
                hi_t *= 2
            odds[i] = float(np.exp(optimize.brentq(mean_minus_x, lo_t, hi_t, xtol=1e-14, rtol=1e-14)))
    return pd.DataFrame({
        "count_target": a.astype(np.int64),
        "count_reference": b.astype(np.int64),
        "odds_ratio": odds,
        "p_value": pval,
    })


def fightin_words_stats(count_a, count_b, prior="pooled", alpha_0: float = 1000.0,
                        background=None) -> pd.DataFrame:
    """Log-odds ratios with an informative Dirichlet prior (Fightin' Words).

    Parameters
    ----------
    count_a, count_b : array-like
        Term counts for group a and group b (same vocabulary order).
    prior : {"pooled", "uniform", "background"}
        Where the prior term shares p_w come from: the pooled counts of both groups
        (default, as in Monroe et al. 2008 section 3.5), a uniform distribution over
        the vocabulary, or ``background`` (a count vector of a background corpus).
    alpha_0 : float
        Prior scale (total pseudo-count); alpha_w = alpha_0 * p_w.
    background : array-like, optional
        Background counts, required when ``prior="background"``.

    Returns
    -------
    DataFrame
        Columns count_a, count_b, delta, variance, z. Positive ``delta``/``z``: the term
        is more typical of group a.

    Notes
    -----
    With y_w^a, y_w^b, totals n^a, n^b (eqs. 16-22 of the paper)::

        delta_w = log((y_w^a + alpha_w) / (n^a + alpha_0 - y_w^a - alpha_w))
                - log((y_w^b + alpha_w) / (n^b + alpha_0 - y_w^b - alpha_w))
        var(delta_w) ~= 1 / (y_w^a + alpha_w) + 1 / (y_w^b + alpha_w)
        z_w = delta_w / sqrt(var(delta_w))

    References
    ----------
    Monroe, B. L., Colaresi, M. P., & Quinn, K. M. (2008). Fightin' words: Lexical
    feature selection and evaluation for identifying the content of political
    conflict. *Political Analysis*, 16(4), 372-403.
    """
    ya = np.asarray(count_a, dtype=float).ravel()
    yb = np.asarray(count_b, dtype=float).ravel()
    if ya.shape != yb.shape:
        raise ValueError(f"count vectors differ in length: {ya.shape[0]} vs {yb.shape[0]}")
    if alpha_0 is None or not np.isfinite(alpha_0) or alpha_0 <= 0:
        raise ValueError(f"alpha_0 (prior scale) must be a positive number, got {alpha_0!r}")
    if prior == "pooled":
        base = ya + yb
    elif prior == "uniform":
        base = np.ones_like(ya)
    elif prior == "background":
        if background is None:
            raise ValueError("prior='background' needs a background count vector")
        base = np.asarray(background, dtype=float).ravel()
        if base.shape != ya.shape:
            raise ValueError("background counts must match the vocabulary length")
    else:
        raise ValueError(f"prior must be 'pooled', 'uniform' or 'background', got {prior!r}")
    if base.sum() <= 0:
        raise ValueError("the prior distribution is empty (no counts)")
    p_w = base / base.sum()
    alpha_w = alpha_0 * p_w
    na, nb = ya.sum(), yb.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = (np.log((ya + alpha_w) / (na + alpha_0 - ya - alpha_w))
                 - np.log((yb + alpha_w) / (nb + alpha_0 - yb - alpha_w)))
        variance = 1.0 / (ya + alpha_w) + 1.0 / (yb + alpha_w)
        z = delta / np.sqrt(variance)
    return pd.DataFrame({
        "count_a": ya.astype(np.int64) if np.all(ya == np.round(ya)) else ya,
        "count_b": yb.astype(np.int64) if np.all(yb == np.round(yb)) else yb,
        "delta": delta, "variance": variance, "z": z,
    })


# ---------------------------------------------------------------------------
# Group selection on docvars
# ---------------------------------------------------------------------------
_OPS = {"=": "==", "==": "==", "!=": "!=", ">=": ">=", "<=": "<=", ">": ">", "<": "<"}
_COND = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|>=|<=|=|>|<)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Comparison:
    """A target/reference split of the documents, parsed from a spec string.

    Spec grammar (used by ``--set compare.comparisons=...``; several specs are
    separated by ``;``):

    * ``anchor``: the corpus anchor document vs all other documents;
    * ``COL=VALUE``: documents whose docvar COL equals VALUE vs all others;
    * ``COL=VALUE vs VALUE2`` (or ``vs COL2=VALUE2``): VALUE vs VALUE2 only;
    * ``COL>=N`` (also ``>``, ``<``, ``<=``, ``!=``) for numeric docvars such as year.
    """

    spec: str
    target: str
    reference: str | None  # None: all other documents

    @property
    def label(self) -> str:
        return f"{self.target} vs {self.reference or 'rest'}"


def parse_comparison(spec: str) -> Comparison:
    """Parse one comparison spec string (see :class:`Comparison`)."""
    s = str(spec).strip()
    if not s:
        raise ValueError("empty comparison spec; use e.g. 'anchor' or 'speaker=A vs B'")
    parts = re.split(r"\s+vs\.?\s+", s, maxsplit=1)
    target = parts[0].strip()
    ref = parts[1].strip() if len(parts) > 1 else None
    if target != "anchor" and not _COND.match(target):
        raise ValueError(f"comparison {s!r}: target {target!r} is neither 'anchor' nor "
                         "'COLUMN=VALUE' (e.g. 'speaker=Ban Ki-moon' or 'year>=2017')")
    if ref is not None and ref not in ("rest", "all", "others"):
        if not _COND.match(ref):
            m = _COND.match(target)
            if m is None:
                raise ValueError(f"comparison {s!r}: reference {ref!r} must be 'COLUMN=VALUE'")
            ref = f"{m.group(1)}={ref}"
    else:
        ref = None
    return Comparison(spec=s, target=target, reference=ref)


def _select(cond: str, docvars: pd.DataFrame, anchor) -> np.ndarray:
    if cond == "anchor":
        if anchor is None:
            raise ValueError("comparison 'anchor' needs a corpus anchor document")
        require_columns(docvars, ["doc_id"], what="comparison 'anchor': docvars")
        return (docvars["doc_id"].astype(str) == str(anchor)).to_numpy()
    m = _COND.match(cond)
    col, op, value = m.group(1), _OPS[m.group(2)], m.group(3).strip().strip("'\"")
    if col not in docvars.columns:
        raise MissingColumnsError(f"comparison {cond!r}: no docvar column {col!r}; "
                                  f"available: {', '.join(map(str, docvars.columns))}")
    series = docvars[col]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        try:
            val = float(value)
        except ValueError:
            raise ValueError(f"comparison {cond!r}: column {col!r} is numeric, "
                             f"{value!r} is not a number") from None
        x = series.astype(float)
    else:
        if op not in ("==", "!="):
            if col in ("date",):
                x, val = series.astype(str), value
            else:
                raise ValueError(f"comparison {cond!r}: operator {m.group(2)!r} needs a numeric column")
        else:
            x, val = series.astype(str), value
    res = {"==": x == val, "!=": x != val, ">=": x >= val, "<=": x <= val,
           ">": x > val, "<": x < val}[op]
    return res.fillna(False).to_numpy(dtype=bool)


def resolve_comparison(comparison, docvars: pd.DataFrame, anchor=None):
    """Boolean masks (target, reference) over the rows of ``docvars``.

    The reference is every row outside the target unless the comparison names one.
    """
    comp = comparison if isinstance(comparison, Comparison) else parse_comparison(comparison)
    target = _select(comp.target, docvars, anchor)
    if comp.reference is None:
        reference = ~target
    else:
        reference = _select(comp.reference, docvars, anchor) & ~target
    return target, reference


def _group_counts(dtm, target, reference):
    m = dtm.matrix
    t = np.asarray(m[np.flatnonzero(target)].sum(axis=0)).ravel()
    r = np.asarray(m[np.flatnonzero(reference)].sum(axis=0)).ravel()
    return t, r


def _check_groups(comp, target, reference):
    if not target.any():
        raise ValueError(f"comparison {comp.label!r}: no documents in the target group")
    if not reference.any():
        raise ValueError(f"comparison {comp.label!r}: no documents in the reference group")


def stat_keyness(dtm, comparison="anchor", anchor=None, correction: str = "default",
                 measure: str = "g2", min_count: int = 1, sort: bool = True) -> pd.DataFrame:
    """Keyness table for one comparison on a count :class:`~analysis.dtm.DTM`.

    Parameters
    ----------
    dtm : DTM
        Document-term matrix of *counts* with ``doc_id`` and docvars.
    comparison : str or Comparison
        Spec such as ``"anchor"``, ``"speaker=António Guterres vs Ban Ki-moon"``,
        ``"year>=2017"`` (see :class:`Comparison`).
    anchor : str, optional
        doc_id of the anchor (for the ``anchor`` spec).
    correction, measure
        See :func:`keyness_stats`. ``correction="default"`` gives the chi2 and G2 values
        that quanteda.textstats' ``textstat_keyness`` prints (Yates' correction only for
        a table with an expected cell below 5).
    min_count : int
        Keep terms with at least this many occurrences in both groups together.
    sort : bool
        Sort by signed ``g2`` (or ``chi2``) descending, i.e. target-key terms first.

    Returns
    -------
    DataFrame
        Columns as in :data:`KEYNESS_COLUMNS`. The BH adjustment runs over the kept terms.

    References
    ----------
    Dunning, T. (1993). Accurate methods for the statistics of surprise and
    coincidence. *Computational Linguistics*, 19(1), 61-74.

    Yates, F. (1934). Contingency tables involving small numbers and the chi2 test.
    *Supplement to the Journal of the Royal Statistical Society*, 1(2), 217-235.

    Williams, D. A. (1976). Improved likelihood ratio tests for complete
    contingency tables. *Biometrika*, 63(1), 33-37.

    Hardie, A. (2014). Log Ratio: an informal introduction. CASS, Lancaster University.
    """
    require_dtm(dtm, "stat_keyness")
    comp = comparison if isinstance(comparison, Comparison) else parse_comparison(comparison)
    target, reference = resolve_comparison(comp, dtm.docvars, anchor)
    _check_groups(comp, target, reference)
    t, r = _group_counts(dtm, target, reference)
    nt, nr = t.sum(), r.sum()
    keep = (t + r) >= max(int(min_count), 1)
    res = keyness_stats(t[keep], r[keep], nt, nr, correction=correction, measure=measure)
    res.insert(0, "term", np.asarray(dtm.terms)[keep].astype(str))
    res.insert(0, "comparison", comp.label)
    if sort:
        res = res.sort_values([measure, "term"], ascending=[False, True], kind="mergesort")
    return res.reset_index(drop=True)[KEYNESS_COLUMNS]


def stat_fightin_words(dtm, comparison="anchor", anchor=None, prior: str = "pooled",
                       alpha_0: float = 1000.0, background=None, min_count: int = 1,
                       sort: bool = True) -> pd.DataFrame:
    """Fightin' Words table (group a = comparison target, b = reference).

    See :func:`fightin_words_stats` for the formulas; ``background`` may be a count
    vector aligned with ``dtm.terms``. Sorted by ``z`` descending (terms typical of
    group a first) when ``sort``.

    References
    ----------
    Monroe, B. L., Colaresi, M. P., & Quinn, K. M. (2008). Fightin' words: Lexical
    feature selection and evaluation for identifying the content of political
    conflict. *Political Analysis*, 16(4), 372-403.
    """
    require_dtm(dtm, "stat_fightin_words")
    comp = comparison if isinstance(comparison, Comparison) else parse_comparison(comparison)
    target, reference = resolve_comparison(comp, dtm.docvars, anchor)
    _check_groups(comp, target, reference)
    a, b = _group_counts(dtm, target, reference)
    res = fightin_words_stats(a, b, prior=prior, alpha_0=alpha_0, background=background)
    res.insert(0, "term", np.asarray(dtm.terms).astype(str))
    res.insert(0, "comparison", comp.label)
    res = res[(a + b) >= max(int(min_count), 1)]
    if sort:
        res = res.sort_values(["z", "term"], ascending=[False, True], kind="mergesort")
    return res.reset_index(drop=True)[FIGHTIN_WORDS_COLUMNS]
