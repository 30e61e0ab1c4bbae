"""Member states beside the SG in a run: source comparisons, year-by-source tables and figures, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.corpus import Corpus
from analysis.reshape import corpus_combine, source_groups
from analysis.textstats.keyness import parse_comparison, resolve_comparison
from analysis.textstats.similarity import SIMILARITY_COLUMNS, default_comparisons, stat_similarity_by

SG_PARAS = [
    "The responsibility to protect is a commitment to prevent genocide and war crimes.",
    "States bear the primary responsibility to protect their populations from atrocity crimes.",
    "Prevention is the first and most important response; early warning saves civilians.",
]
STATE_PARAS = [
    "Our nation supports development, trade and the sovereignty of every state.",
    "We call for reform of the Security Council and respect for non-interference.",
    "Climate change threatens our islands; we ask for financing and solidarity.",
    "The responsibility to protect must not be abused to justify intervention.",
]


def _two_sources() -> Corpus:
    sg = Corpus("sg-r2p", pd.DataFrame({
        "doc_id": ["sg2015", "sg2016", "sg2017"], "date": ["2015-09-08", "2016-09-06", "2017-09-06"],
        "speaker": ["Ban Ki-moon", "Ban Ki-moon", "António Guterres"]}),
        {f"sg{y}": "\n\n".join(SG_PARAS[i:] + SG_PARAS[:i]) for i, y in enumerate((2015, 2016, 2017))},
        anchor="sg2017")
    rows, texts = [], {}
    for y in (2015, 2016, 2017):
        for j, c in enumerate(("FRA", "BRA", "FJI")):
            d = f"{c}_{y - 1945}_{y}"
            rows.append({"doc_id": d, "year": y, "speaker": c, "country_code": c,
                         "un_region": {"FRA": "WEOG", "BRA": "GRULAC", "FJI": "Asia-Pacific"}[c]})
            texts[d] = "\n\n".join(STATE_PARAS[(j + y) % 4:] + STATE_PARAS[:(j + y) % 4][:1])
    states = Corpus("ungdc", pd.DataFrame(rows), texts)
    return corpus_combine(sg, states)


# ------------------------------------------------------------ comparisons
def test_source_comparison_grammar():
    comp = parse_comparison("source=sg-r2p vs ungdc")
    assert (comp.target, comp.reference, comp.label) == ("source=sg-r2p", "source=ungdc",
                                                          "source=sg-r2p vs source=ungdc")
    dv = pd.DataFrame({"doc_id": list("abcd"), "source": ["sg-r2p", "ungdc", "ungdc", "other"]})
    t, r = resolve_comparison(comp, dv)
    assert t.tolist() == [True, False, False, False] and r.tolist() == [False, True, True, False]
    t, r = resolve_comparison("source=ungdc", dv)  # the rest as the reference
    assert r.tolist() == [True, False, False, True]


def test_default_comparisons_of_a_combined_corpus():
    c = _two_sources()
    assert default_comparisons(c) == ["anchor", "source=sg-r2p vs ungdc"]
    three = corpus_combine(c, Corpus("x", pd.DataFrame({"doc_id": ["x1"], "year": [2016]}), {"x1": "words"}),
                           source=["sg-r2p", "extra"])
    # a corpus's own source docvar is kept only when no labels are given: here the first part is relabelled
    assert default_comparisons(three)[0] == "anchor"


def test_source_groups():
    c = _two_sources()
    g = source_groups(c)
    assert list(dict.fromkeys(g)) == ["sg-r2p", "ungdc"] and g["sg2017"] == "sg-r2p" and len(g) == 12
    assert source_groups(c.subset(c.docvars["source"].eq("ungdc").to_numpy())) is None


# ---------------------------------------------------------- similarity by
def test_similarity_by_hand_worked():
    sim = pd.DataFrame({"doc_id": ["A", "s1", "s2", "s3", "u1", "u2", "u3"],
                        "year": [2017, 2016, 2016, 2017, 2016, 2016, 2016],
                        "cosine": [1.0, 0.2, 0.4, 0.9, 0.1, 0.3, 0.8]}).reindex(columns=SIMILARITY_COLUMNS)
    groups = pd.Series({"A": "sg", "s1": "sg", "s2": "sg", "s3": "sg", "u1": "states", "u2": "states",
                        "u3": "states"})
    out = stat_similarity_by(sim, groups, anchor="A", n_boot=0)
    assert out[["source", "year", "n_docs"]].values.tolist() == [["sg", 2016, 2], ["sg", 2017, 1],
                                                                  ["states", 2016, 3]]
    assert np.allclose(out["cosine"], [0.3, 0.9, 0.4]) and np.allclose(out["median"], [0.3, 0.9, 0.3])
    assert out["ci_low"].isna().all()
    b = stat_similarity_by(sim, groups, anchor="A", n_boot=500, random_state=1)
    # a mean of resampled values lies between their extremes; one document has no interval
    eps = 1e-12
    assert 0.1 - eps <= b.loc[2, "ci_low"] < 0.4 < b.loc[2, "ci_high"] <= 0.8 + eps
    assert 0.2 - eps <= b.loc[0, "ci_low"] <= b.loc[0, "ci_high"] <= 0.4 + eps and np.isnan(b.loc[1, "ci_low"])
    again = stat_similarity_by(sim.iloc[::-1], groups, anchor="A", n_boot=500, random_state=1)
    pd.testing.assert_frame_equal(b, again)  # row order does not matter
    with pytest.raises(KeyError, match="lacks 'cosine'"):
        stat_similarity_by(sim.drop(columns="cosine"), groups)


def test_rates_by_source_equal_rates_of_each_source_alone():
    from analysis.framing import load_frames_dictionary, stat_frames, stat_rates, stat_rates_by
    from analysis.profiles import get_profile
    from analysis.units import make_units

    c = _two_sources()
    fu = stat_frames(make_units(c), load_frames_dictionary(get_profile().frames_dictionary_path), True, "key")
    g = source_groups(c)
    by = stat_rates_by(fu, g, by="year", n_boot=50, seed=3)
    assert by.columns.tolist()[:4] == ["source", "frame", "year", "rate"]
    for src in ("sg-r2p", "ungdc"):
        alone = stat_rates(fu[fu["doc_id"].map(g).eq(src)], by="year", n_boot=50, seed=3)
        got = by[by["source"] == src].drop(columns="source").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, alone)


# ------------------------------------------------------------------- a run
@pytest.fixture(scope="module")
def combined_run(tmp_path_factory):
    from analysis.run.runner import run_pipeline

    out = tmp_path_factory.mktemp("combined")
    ctx = run_pipeline(_two_sources(), out, only=["compare", "frames"], use_cache=False,
                       verbose=False, progress=False,
                       overrides={"compare": {"n_boot": 20}, "frames": {"n_boot": 20, "sentiment": False}})
    return ctx, out


def test_combined_run_tables_figures_and_record(combined_run):
    ctx, out = combined_run
    assert not ctx.errors, ctx.errors
    fs = ctx.tables["frames_source_years"]
    assert set(fs["source"]) == {"sg-r2p", "ungdc"} and set(fs["year"]) == {2015, 2016, 2017}
    assert fs.columns.tolist()[:3] == ["source", "frame", "year"]
    ss = ctx.tables["similarity_source_years"]
    assert ss.columns.tolist() == ["source", "year", "n_docs", "cosine", "median", "ci_low", "ci_high"]
    assert ss[["source", "year", "n_docs"]].values.tolist() == [
        ["sg-r2p", 2015, 1], ["sg-r2p", 2016, 1], ["ungdc", 2015, 3], ["ungdc", 2016, 3], ["ungdc", 2017, 3]]
    # the SG statements (same paragraphs as the anchor) are closer to it than the states'
    assert ss.loc[ss["source"] == "sg-r2p", "cosine"].min() > ss.loc[ss["source"] == "ungdc", "cosine"].max()
    key = ctx.tables["keyness"]
    assert "source=sg-r2p vs source=ungdc" in set(key["comparison"])
    from analysis.stages.figures import draw_figures

    tables = {n: ctx.tables[n] for n in ("documents", "frames_source_years", "similarity_source_years")}
    idx = draw_figures(tables, out / "figures", params={"formats": "png"}, log=lambda m: None)
    idx = idx.set_index("figure")["status"]
    assert idx["frame_source_trajectories"] == "drawn" and idx["similarity_source_years"] == "drawn"
    plotted = pd.read_csv(out / "figures" / "similarity_source_years.csv")
    assert plotted[["source", "year"]].values.tolist() == ss[["source", "year"]].values.tolist()
    rec = json.loads((out / "run.json").read_text())
    assert rec["facts"]["corpus"]["sources"] == ["sg-r2p", "ungdc"]
    assert rec["corpus"]["name"] == "sg-r2p+ungdc" and rec["corpus"]["loader"]["loader"] == "combine"


def test_one_source_keeps_the_tables_as_they_were(tmp_path, small_corpus):
    from analysis.run.runner import run_pipeline

    ctx = run_pipeline(small_corpus, tmp_path, only=["compare", "frames"], use_cache=False, verbose=False,
                       progress=False, overrides={"compare": {"n_boot": 0, "kwic_patterns": ()},
                                                   "frames": {"n_boot": 0, "sentiment": False}})
    assert len(ctx.tables["frames_source_years"]) == 0 and len(ctx.tables["similarity_source_years"]) == 0
    assert "source" not in ctx.tables["frames_years"].columns
    assert ctx.tables["similarity_to_anchor"].columns.tolist() == SIMILARITY_COLUMNS
    assert "corpus" not in json.loads((tmp_path / "run.json").read_text())["facts"]


# -------------------------------------------------------------------- CLI
def _manifest_folder(path: Path, corpus: Corpus) -> Path:
    path.mkdir()
    dv = corpus.docvars.drop(columns=["available"]).copy()
    dv["text"] = dv["doc_id"].map(corpus.texts)
    if corpus.anchor:
        dv["anchor"] = dv["doc_id"] == corpus.anchor
    dv.to_csv(path / "manifest.csv", index=False)
    return path


def test_cli_combine_where_passages(tmp_path):
    from analysis.cli.main import app

    c = _two_sources()
    parts = {s: c.subset(c.docvars["source"].eq(s).to_numpy()) for s in ("sg-r2p", "ungdc")}
    a = _manifest_folder(tmp_path / "sg", Corpus("sg", parts["sg-r2p"].docvars.drop(columns="source"),
                                                 parts["sg-r2p"].texts, "sg2017"))
    b = _manifest_folder(tmp_path / "states", Corpus("st", parts["ungdc"].docvars.drop(columns="source"),
                                                     parts["ungdc"].texts))
    runner = CliRunner()
    spec = f"{a}+{b}"
    r = runner.invoke(app, ["corpus", "info", "--corpus", spec, "--json", "--where", "year >= 2016",
                            "--passages", "r2p"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    # 2016-2017: sg2016 (2 of its 3 paragraphs match), the anchor kept whole, and each state's R2P paragraph
    assert s["sources"] == {"sg": 3, "states": 6} and s["passages"]["documents_with_passages"] == 7
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", "--corpus", spec, "--where", 'un_region == "WEOG" or source == "sg"',
                            "--out", str(out), "--only", "compare", "-q", "--set", "compare.n_boot=0",
                            "--set", "compare.kwic_patterns=genocide"])
    assert r.exit_code == 0, r.output
    rec = json.loads((out / "run.json").read_text())
    assert rec["facts"]["corpus"]["where"] == 'un_region == "WEOG" or source == "sg"'
    assert rec["corpus"]["documents"] == 6 and rec["facts"]["comparisons"] == ["anchor", "source=sg vs states"]
    bad = runner.invoke(app, ["run", "--corpus", spec, "--where", "speaker_role == 'SG'", "--out", str(out)])
    assert bad.exit_code == 2 and "no docvar 'speaker_role'" in bad.stderr and "un_region" in bad.stderr
    bad = runner.invoke(app, ["run", "--corpus", spec, "--set", "compare.nope=1", "--out", str(out)])
    assert bad.exit_code == 2


# ------------------------------------------------------- passage counts
def test_passage_rates_hand_worked():
    from analysis.textstats.passages import stat_passage_rates

    dv = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "year": [2010, 2010, 2011, 2011],
                       "un_region": ["WEOG", "WEOG", "GRULAC", None]})
    texts = {"a": "We oppose genocide.\n\nAnd war crimes, and genocide again.",   # 2 passages, 3 matches, 9 words
             "b": "Trade and growth.",                                           # 0, 0, 3
             "c": "The responsibility to protect.",                               # 1, 1, 4
             "d": "Genocide."}                                                    # no region: left out
    c = Corpus("t", dv, texts)
    r = stat_passage_rates(c, "r2p", by=["un_region", "year"])
    assert r.columns.tolist() == ["un_region", "year", "documents", "with_passages", "share", "passages",
                                  "matches", "words", "per_10k_words"]
    assert r[["un_region", "year", "documents", "with_passages", "passages", "matches", "words"]].values.tolist() \
        == [["GRULAC", 2011, 1, 1, 1, 1, 4], ["WEOG", 2010, 2, 1, 2, 3, 12]]
    assert np.allclose(r["share"], [1.0, 0.5]) and np.allclose(r["per_10k_words"], [2500.0, 2500.0])
    from analysis.errors import MissingColumnsError

    with pytest.raises(MissingColumnsError, match="no docvar 'source'.*doc_id, date, year"):
        stat_passage_rates(c, "r2p")


def test_plot_passage_shares_draws_what_it_returns():
    from analysis.plots import plot_passage_shares

    data = pd.DataFrame({"un_region": ["WEOG", "WEOG", "GRULAC"], "year": [2010, 2011, 2010],
                         "documents": [4, 2, 1], "with_passages": [1, 2, 0]})
    fig, plotted = plot_passage_shares(data, by="un_region")
    assert plotted.values.tolist() == [["WEOG", 2010, 0.25, 4], ["WEOG", 2011, 1.0, 2], ["GRULAC", 2010, 0.0, 1]]
    line = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "line:WEOG"][0]
    assert line.get_ydata().tolist() == [0.25, 1.0]
