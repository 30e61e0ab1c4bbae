"""Keyness (chi2, G2, PMI, p-values) against quanteda.textstats' ``textstat_keyness``, and
Fightin' Words against a published Python implementation's README.

The printed quanteda rows give, per feature, the statistic and its two counts
(``n_target``, ``n_reference``); a 2x2 table also needs the two groups' token totals. Those
come from quanteda's own printed ``summary(data_corpus_inaugural)`` (tokens per address,
``data/keyness/inaugural_tokens.csv``): its sums for 1945-2021 and before 1945 (43,002 and
108,539) are the totals of ``dfm_group(dfm(tokens(data_corpus_inaugural)), period)``, since
the dfm keeps every token. See ``data/keyness/README.md`` for provenance and licences.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from analysis.textstats.keyness import fightin_words_stats, keyness_stats

from .registry import DATA, case

D = DATA / "keyness"
TEXTSTATS = "quanteda/quanteda.textstats @ 9fc27080decb093d45aeb018255c1528da9780a4"
KEYNESS_HTML = (f"{TEXTSTATS} docs/reference/textstat_keyness.html (built for 0.97, commit 3efa18f1; "
                "same examples in man/textstat_keyness.Rd)")
KEYNESS_TESTS = f"{TEXTSTATS} tests/testthat/test-textstat_keyness.R"
SUMMARY = ("quanteda/quanteda @ 38142361f36ba6339a1f4c13ca3e224f216254a0 "
           "docs/reference/data_corpus_inaugural.md (summary(data_corpus_inaugural), Tokens)")
FIGHTIN = "Wigder/fightin_words @ 57a192fffc8dff0c3617977513b2abb24a6e7e72 README.md"


def _printed() -> pd.DataFrame:
    return pd.read_csv(D / "textstat_keyness_printed.csv", keep_default_na=False,
                       dtype={"feature": str, "stat": float, "p": float})


def _rows(example: str) -> pd.DataFrame:
    df = _printed()
    return df[df["example"] == example].reset_index(drop=True)


def _tokens() -> pd.DataFrame:
    return pd.read_csv(D / "inaugural_tokens.csv", dtype={"doc_id": str})


def _totals_postwar() -> tuple[int, int]:
    t = _tokens()
    post = t["year"] >= 1945
    return int(t.loc[post, "tokens"].sum()), int(t.loc[~post, "tokens"].sum())


def _totals_trump() -> tuple[int, int]:
    t = _tokens()
    post = t[t["year"] >= 1945]
    trump = post["doc_id"] == "2017-Trump"
    return int(post.loc[trump, "tokens"].sum()), int(post.loc[~trump, "tokens"].sum())


def _ours(rows: pd.DataFrame, totals: tuple[int, int], column: str, **kw) -> dict:
    res = keyness_stats(rows["n_target"].to_numpy(), rows["n_reference"].to_numpy(), *totals, **kw)
    return dict(zip(rows["feature"], res[column].to_numpy()))


# The one number the printed G2 example needs beyond its rows: the number of features V of
# dfm(tokens(corpus_subset(data_corpus_inaugural, Year >= 1945))). dfm_smooth() adds 1 to
# each of its 20 x V cells, so the smoothed totals are 1,660 + V (2017-Trump) and
# 41,342 + 19 V (the other 19 addresses). V is not printed anywhere we could find; it is the
# only integer for which the ten printed G2 values hold (all ten to 4e-8 relative at
# V = 4522; V = 4521 or 4523 already misses by 2.6e-5), so this case checks nine values
# beyond the one that fixes V, and the correction rule: with Williams' correction (what the
# help page says "default" does) or none, no V reproduces the ten values within 7 %.
SMOOTH_V = 4522
_POST = _rows("postwar_chi2")
_TRUMP = _rows("trump_chi2")
_SMOOTH = _rows("trump_smoothed_G2")


@case(id="keyness-chi2-inaugural-postwar", family="keyness", method="chi2 keyness (correction='default')",
      reference="quanteda.textstats textstat_keyness(dfmat1) (measure = 'chi2')",
      source=f"{KEYNESS_HTML}: head(tstat1, 10) and tail(tstat1, 10), post-war vs pre-war",
      data="data_corpus_inaugural (59 addresses to 2021), dfm_group by Year >= 1945; per-feature counts "
           f"as printed (data/keyness/textstat_keyness_printed.csv); group totals 43,002 / 108,539 tokens "
           f"from {SUMMARY} (data/keyness/inaugural_tokens.csv)",
      published=dict(zip(_POST["feature"], _POST["stat"])), rtol=1e-4,
      reason="No table here has an expected cell below 5, so quanteda applies no Yates correction "
             "(the rule of its code, not of its help page); an always-on Yates correction missed "
             "these values by 0.13-8 %.")
def _():
    return _ours(_POST, _totals_postwar(), "chi2", correction="default")


@case(id="keyness-chi2-inaugural-trump", family="keyness", method="chi2 keyness (correction='default')",
      reference="quanteda.textstats textstat_keyness(dfmat3, target = '2017-Trump')",
      source=f"{KEYNESS_HTML}: head(textstat_keyness(dfmat3, target = '2017-Trump'), 10)",
      data="data_corpus_inaugural addresses 1945-2021, 2017-Trump vs the other 19; counts as printed; "
           f"totals 1,660 / 41,342 tokens from {SUMMARY}",
      published=dict(zip(_TRUMP["feature"], _TRUMP["stat"])), rtol=1e-4,
      reason="Eight of these ten tables have an expected cell below 5 and get Yates' correction; "
             "'will' and 'america' do not.")
def _():
    return _ours(_TRUMP, _totals_trump(), "chi2", correction="default")


@case(id="keyness-g2-inaugural-trump-smoothed", family="keyness", method="G2 keyness (correction='default')",
      reference="quanteda.textstats textstat_keyness(dfm_smooth(dfmat3), measure = 'lr', target = '2017-Trump')",
      source=f"{KEYNESS_HTML}: 'using the likelihood ratio method', head(..., 10)",
      data="as keyness-chi2-inaugural-trump after dfm_smooth() (+1 in every cell); smoothed counts as printed; "
           f"totals 1,660 + V and 41,342 + 19 V with V = {SMOOTH_V} features, a value derived from the printed "
           "G2 values themselves (the only integer that fits them; see SMOOTH_V in cases_keyness.py)",
      published=dict(zip(_SMOOTH["feature"], _SMOOTH["stat"])), rtol=1e-6,
      reason="quanteda's code applies the conditional Yates step to G2 under 'default' (its help page says "
             "Williams); eight of the ten tables have an expected cell below 5. quanteda's 1e-9 inside the "
             "logarithms shifts these values by up to 5e-5 relative (N = 133,442), so it is kept.")
def _():
    v = SMOOTH_V
    nt, nr = _totals_trump()
    return _ours(_SMOOTH, (nt + v, nr + 19 * v), "g2", correction="default")


def _all_p():
    pub, ours = {}, {}
    for ex, totals_fn, col in (("postwar_chi2", _totals_postwar, "chi2"), ("trump_chi2", _totals_trump, "chi2"),
                               ("trump_smoothed_G2", None, "g2")):
        rows = _rows(ex)
        if totals_fn is None:
            nt, nr = _totals_trump()
            totals = (nt + SMOOTH_V, nr + 19 * SMOOTH_V)
        else:
            totals = totals_fn()
        res = keyness_stats(rows["n_target"].to_numpy(), rows["n_reference"].to_numpy(), *totals,
                            correction="default", measure="g2" if col == "g2" else "chi2")
        for f, p_pub, p_ours in zip(rows["feature"], rows["p"], res["p_value"]):
            pub[f"{ex}:{f}"] = p_pub
            ours[f"{ex}:{f}"] = p_ours
    return pub, ours


@case(id="keyness-p-inaugural", family="keyness", method="keyness p-values (chi-square, 1 df)",
      reference="quanteda.textstats textstat_keyness() column p",
      source=f"{KEYNESS_HTML}: the p columns of the three examples above",
      data="as keyness-chi2-inaugural-postwar, keyness-chi2-inaugural-trump, keyness-g2-inaugural-trump-smoothed",
      published=_all_p()[0], rtol=1e-4, atol=1e-15,
      reason="quanteda computes 1 - pchisq(|stat|, 1), which is 0 below about 1e-16 and loses digits "
             "near it (printed 0 where ours, scipy's chi2.sf, gives e.g. 1.5e-19); hence the absolute "
             "tolerance 1e-15.")
def _():
    return _all_p()[1]


# quanteda's test data: d1 = "a a a b b c c c c c c d e f g h h", d2 = "a a b c c d d d d e f h"
_TOY_FEATURES = list("abcdefgh")
_TOY_D1 = [3, 2, 6, 1, 1, 1, 1, 2]
_TOY_D2 = [2, 1, 2, 4, 1, 1, 0, 1]


@case(id="keyness-pmi-toy", family="keyness", method="PMI keyness",
      reference="quanteda.textstats textstat_keyness(dfmt, measure = 'pmi')",
      source=f"{KEYNESS_TESTS}, test 'textstat_keyness returns correct pmi' (its hand computation my_cal)",
      data="the test's two-document dfm (counts of a..h: d1 3 2 6 1 1 1 1 2, d2 2 1 2 4 1 1 0 1); "
           "feature 'a', target d1",
      published=float(np.log(3 * 29 / ((3 + 2) * 17))), rtol=1e-4,
      reason="The test prints no number: it checks quanteda's PMI of 'a' against its own expression "
             "log(dfm[1,1] * sum(dfm) / ((dfm[1,1] + dfm[2,1]) * sum(dfm[1,]))) with tolerance 1e-4; "
             "the published value here is that expression on the test's counts (ln(87/85)).")
def _():
    res = keyness_stats(_TOY_D1, _TOY_D2)
    return float(res["pmi"][0])


def _order(target: int, column: str, correction: str) -> list[str]:
    a, b = (_TOY_D1, _TOY_D2) if target == 1 else (_TOY_D2, _TOY_D1)
    res = keyness_stats(a, b, correction=correction, measure="g2" if column == "g2" else "chi2")
    res.insert(0, "feature", _TOY_FEATURES)
    # quanteda: order(stat, feature, decreasing = c(TRUE, FALSE), method = "radix")
    res = res.sort_values([column, "feature"], ascending=[False, True], kind="mergesort")
    return res["feature"].tolist()


def _same_order(ours, published):
    ok = ours == published
    return ok, "identical order" if ok else f"ours {ours}"


_ORDERS = {
    "chi2 default, target d1": (1, "chi2", "default", list("gcbhaefd")),
    "lr none, target d1": (1, "g2", "none", list("cgbhaefd")),
    "lr none, target d2": (2, "g2", "none", list("defabhgc")),
}


@case(id="keyness-order-toy", family="keyness", method="keyness sign and ranking (chi2, G2)",
      reference="quanteda.textstats textstat_keyness() feature order",
      source=f"{KEYNESS_TESTS}, tests 'basic textstat_keyness works on two rows' and "
             "'basic textstat_keyness lr works on two rows'",
      data="the test's two-document dfm (see keyness-pmi-toy)",
      published={k: "".join(v[3]) for k, v in _ORDERS.items()},
      check=lambda ours, pub: _same_order(ours, pub),
      reason="Feature orders are compared as strings (sorted by the signed statistic, ties by feature); "
             "they exercise the sign rule (a > E) and Yates on small tables (the first order) on all eight tables.")
def _():
    return {k: "".join(_order(t, col, corr)) for k, (t, col, corr, _) in _ORDERS.items()}


# Fightin' Words: the two examples of the fightin_words package README (a Python 3 packaging of
# Jack Hessel's implementation of Monroe, Colaresi & Quinn 2008, eqs. 16-22). Counts of the README's
# toy sentences under sklearn's CountVectorizer, as in data/keyness/fightin_words_readme.csv.
def _fw(example: str) -> pd.DataFrame:
    with open(D / "fightin_words_readme.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["example"] == example]
    df = pd.DataFrame(rows)
    for col in ("count_a", "count_b"):
        df[col] = df[col].astype(int)
    for col in ("alpha_w", "z"):
        df[col] = df[col].astype(float)
    return df


def _fw_ours(example: str) -> dict:
    df = _fw(example)
    alpha = df["alpha_w"].to_numpy()
    # the package's prior: alpha_w per word, alpha_0 = sum alpha_w; ours: alpha_0 * p_w with
    # p_w = alpha_w / alpha_0 from a background vector (uniform when all alpha_w are equal)
    res = fightin_words_stats(df["count_a"], df["count_b"], prior="background", background=alpha,
                              alpha_0=float(alpha.sum()))
    return dict(zip(df["term"], res["z"].to_numpy()))


def _fw_case(example: str, title: str, reason: str):
    df = _fw(example)

    @case(id=f"fightin-words-readme-{example}", family="fightin words",
          method="Fightin' Words z (log-odds ratio, informative Dirichlet prior)",
          reference="fightin_words (PyPI) weighted_log_odds_dirichlet()",
          source=f"{FIGHTIN}, {title}",
          data="the README's two toy documents as term counts (data/keyness/fightin_words_readme.csv); "
               "prior pseudo-counts alpha_w as in the README",
          published=dict(zip(df["term"], df["z"])), rtol=1e-12, reason=reason)
    def _():
        return _fw_ours(example)


_fw_case("uninformed", "'Uninformed example' (expected_out)",
         "A reference implementation's own printed output, not the paper's table (the paper's data, "
         "Senate speeches on abortion, are not public in countable form).")
_fw_case("uninformed_very", "'Informed example' (expected_uninformed_out)",
         "Same package, second document with 1000 'very'; uniform prior alpha_w = 0.05.")
_fw_case("informed_very", "'Informed example' (expected_informed_out)",
         "Same package; prior alpha_w = 0.001 for 'very' and 0.05 for the other words (a non-uniform prior).")
