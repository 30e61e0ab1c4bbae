"""The run layer cannot lie: declared settings, derived cache keys, one anchor.

The central test changes every declared setting of every group, one at a time,
and checks that a warm run (cache filled by earlier runs) writes byte-identical
tables to a cold run (no cache) with the same value.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis.errors import UsageError
from analysis.run.runner import run_pipeline
from analysis.run.registry import STAGE_NAMES, settings_groups

#: settings that make the small runs fast (the base of every run below)
FAST = {
    "compare": {"n_boot": 20, "collocation_top": 50},
    "topics": {"k_min": 2, "k_max": 4, "k_step": 2, "n_runs": 2, "n_boot": 20, "auto_lda_max_units": 0,
               "gibbs_iter": 50},
    "frames": {"n_boot": 30, "changepoint_min_size": 2},
    "figures": {"formats": "png"},
    "scaling": {"n_boot": 10},
}
#: values to try where the declared/derived alternative is not informative on this corpus
ALT = {
    ("text", "language"): "french",
    ("compare", "comparisons"): "anchor; year>=1990",
    ("topics", "lda_engine"): "sklearn",       # FAST's auto_lda_max_units=0 makes auto the Gibbs engine
    ("topics", "k"): 3,
    ("topics", "k_min"): 3,
    ("topics", "k_max"): 3,
    ("topics", "k_step"): 1,
    ("topics", "covariate"): "year",
    ("frames", "changepoint_min_size"): 3,
    ("frames", "changepoint_n_bkps"): 1,
    ("frames", "changepoint_method"): "binseg",
    ("scaling", "direction"): "year",          # a docvar: later documents get the higher positions
    ("scaling", "reference"): "a=1, b=-1",     # read only by wordscores (see TOGETHER)
}


def _cases():
    for group, cls in settings_groups().items():
        for spec in cls.specs():
            yield pytest.param(group, spec.name, id=f"{group}.{spec.name}")


def _value(group, spec):
    if (group, spec.name) in ALT:
        return ALT[(group, spec.name)]
    if group == "frames" and spec.name in ("dictionary", "stance_dictionary"):
        from analysis.profiles import get_profile

        p = get_profile()  # the other one of the study's two dictionaries
        return str(p.stance_dictionary_path if spec.name == "dictionary" else p.frames_dictionary_path)
    return spec.alternative()


#: settings that only mean something together with another one: (group, key) -> {other key: value}
TOGETHER = {("scaling", "model"): lambda small: {"reference": f"{small.doc_ids[0]}=1, {small.doc_ids[-1]}=-1"}}


def _stages_of(group):
    if group in ("text", "corpus", "run"):
        return [s for s in STAGE_NAMES if s != "figures"]
    return [group]


def _overrides(extra_group=None, key=None, value=None):
    ov = {g: dict(v) for g, v in FAST.items()}
    if extra_group is not None:
        ov.setdefault(extra_group, {})[key] = value
    return ov


@pytest.fixture(scope="module")
def small(inaugural):
    ids = [d for d in inaugural.doc_ids if int(d[:4]) >= 1977][:10]
    return inaugural.subset(ids)


@pytest.fixture(scope="module")
def base_run(small, tmp_path_factory):
    out = tmp_path_factory.mktemp("base")
    ctx = run_pipeline(small, out, overrides=_overrides(), verbose=False, progress=False)
    assert ctx.errors == []
    return out


def _tables(out: Path, figures: bool = False) -> dict[str, bytes]:
    """The bytes of every table (and with ``figures``, of every figure file and its data)."""
    files = [*(out / "tables").glob("*.csv"), *(out / "tables").glob("*.parquet")]
    if figures:
        files += [p for p in (out / "figures").rglob("*") if p.is_file()]
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(files)}


@pytest.mark.parametrize("group,key", list(_cases()))
def test_warm_run_after_a_change_equals_a_cold_run(group, key, small, base_run, tmp_path):
    spec = settings_groups()[group].spec(key)
    value = _value(group, spec)
    assert value != spec.default or key in ("dictionary", "stance_dictionary"), "the test must change the value"
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    shutil.copytree(base_run, warm)                     # tables of every stage and a warm cache
    shutil.copytree(base_run, cold, ignore=shutil.ignore_patterns(".cache"))
    only = _stages_of(group)
    ov = _overrides(group, key, value)
    if (group, key) in TOGETHER:
        ov[group].update(TOGETHER[(group, key)](small))
    # figures are drawn (and compared, file by file) for the figures group; an optional stage
    # (scaling, semantic) would draw them with it, which none of its tables depends on
    skip = [] if group == "figures" else ["figures"]
    w = run_pipeline(small, warm, overrides=ov, only=only, skip=skip, verbose=False, progress=False)
    c = run_pipeline(small, cold, overrides=ov, only=only, skip=skip, use_cache=False, verbose=False,
                     progress=False)
    assert w.errors == c.errors == []
    tw, tc = _tables(warm, figures=group == "figures"), _tables(cold, figures=group == "figures")
    assert tw.keys() == tc.keys()
    differ = [name for name in tw if tw[name] != tc[name]]
    assert differ == [], f"{group}.{key}={value!r}: warm tables differ from cold: {differ}"


# ----------------------------------------------------------------- the six behaviours of issue 10
def test_min_df_change_is_not_served_from_a_stale_cache(small, tmp_path):
    """compare.min_df=1 then 8 in the same OUT gives the tables of a cold min_df=8 run."""
    ov1, ov8 = _overrides("compare", "min_df", 1), _overrides("compare", "min_df", 8)
    run_pipeline(small, tmp_path / "w", overrides=ov1, only=["compare"], verbose=False, progress=False)
    run_pipeline(small, tmp_path / "w", overrides=ov8, only=["compare"], verbose=False, progress=False)
    run_pipeline(small, tmp_path / "c", overrides=ov8, only=["compare"], use_cache=False, verbose=False,
                 progress=False)
    for name in ("keyness", "similarity_years", "centroid_distance", "fightin_words", "similarity_to_anchor"):
        assert (tmp_path / "w" / "tables" / f"{name}.csv").read_bytes() == \
            (tmp_path / "c" / "tables" / f"{name}.csv").read_bytes(), name


@pytest.mark.parametrize("item,hint", [("text.stemm=true", "stem"), ("novelty.windw=5", "window"),
                                       ("topics.kk=3", "k"), ("frames.n_bot=5", "n_boot"),
                                       ("topicz.k=3", "topics")])
def test_a_typo_is_a_usage_error_everywhere(item, hint, small, tmp_path):
    from analysis.settings import parse_assignments

    with pytest.raises(UsageError, match=f"did you mean {hint}"):
        run_pipeline(small, tmp_path, overrides=parse_assignments([item]), verbose=False, progress=False)
    assert not (tmp_path / "run.json").exists()  # nothing ran, nothing was recorded


@pytest.mark.parametrize("args", [["run", "--set", "text.stemm=true"], ["run", "--set", "novelty.windw=5"],
                                  ["topics", "--set", "topicz.k=3"], ["topics", "--set", "topics.kk=3"],
                                  ["run", "--set", "compare.n_boot=-1"], ["run", "--only", "comprae"],
                                  ["run", "--anchor", "no-such-doc"]])
def test_cli_usage_errors_exit_2_without_traceback(args, tmp_path):
    from analysis.cli import app

    res = CliRunner().invoke(app, [*args, "--corpus", "inaugural", "--out", str(tmp_path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output


def test_one_anchor_for_every_stage_and_figure(small, tmp_path):
    """--anchor moves similarity, the frame profile and the anchor figure together."""
    other = small.doc_ids[2]
    assert other != small.anchor
    ctx = run_pipeline(small, tmp_path, overrides=_overrides(), anchor=other, only=["compare", "frames", "figures"],
                       verbose=False, progress=False)
    assert ctx.errors == []
    sim = ctx.tables["similarity_to_anchor"].set_index("doc_id")["cosine"]
    assert sim[other] == pytest.approx(1.0)
    prof = ctx.tables["anchor_frame_profile"]
    assert len(prof) and set(prof["doc_id"]) == {other}
    idx = ctx.tables["figure_index"].set_index("figure")
    assert idx.loc["anchor_profile", "status"] == "drawn"
    import json

    run = json.loads((tmp_path / "run.json").read_text())
    assert run["facts"]["anchor"] == {"doc_id": other, "source": "--anchor"}
    # a later partial run keeps the recorded anchor
    ctx2 = run_pipeline(small, tmp_path, overrides=_overrides(), only=["figures"], verbose=False, progress=False)
    assert ctx2.anchor == other
    docs = ctx.tables["documents"] if "documents" in ctx.tables else None
    assert docs is not None and docs.loc[docs["is_anchor"], "doc_id"].tolist() == [other]


def test_deprecated_compare_anchor_sets_the_run_anchor(small, tmp_path):
    other = small.doc_ids[1]
    ctx = run_pipeline(small, tmp_path, overrides={**_overrides(), "compare": {"anchor": other, "n_boot": 0}},
                       only=["compare"], verbose=False, progress=False)
    assert ctx.anchor == other
    assert any("deprecated" in m for m in ctx.messages)


def test_topics_command_flags_override_only_when_given(tmp_path, monkeypatch):
    """`r2p topics --set topics.model=lda` runs LDA (the --model flag defaults to unset)."""
    import analysis.cli.run as R

    seen = {}

    def fake_run_pipeline(corpus, out, **kw):
        seen.update(kw["overrides"])
        raise UsageError("stop here")

    monkeypatch.setattr("analysis.run.runner.run_pipeline", fake_run_pipeline)
    from analysis.cli import app

    res = CliRunner().invoke(app, ["topics", "--corpus", "inaugural", "--out", str(tmp_path), "--set",
                                   "topics.model=lda"])
    assert res.exit_code == 2
    assert seen["topics"] == {"model": "lda"}
    CliRunner().invoke(app, ["topics", "--corpus", "inaugural", "--out", str(tmp_path), "--set",
                             "topics.model=lda", "--model", "nmf", "--k", "3"])
    assert seen["topics"] == {"model": "nmf", "k": 3}
    assert R  # the module under test


def test_call_refuses_closures_and_lambdas(tmp_path, small):
    from analysis.run.context import RunContext

    ctx = RunContext(corpus=small, full_corpus=small, out=tmp_path)
    x = 3
    with pytest.raises(TypeError, match="module-level"):
        ctx.call(lambda: x)

    def inner():
        return x

    with pytest.raises(TypeError, match="module-level"):
        ctx.call(inner)


def test_a_stage_cannot_write_or_read_an_undeclared_table(tmp_path, small):
    import pandas as pd

    from analysis.run.context import RunContext, StageInfo

    ctx = RunContext(corpus=small, full_corpus=small, out=tmp_path)
    ctx.stage = StageInfo("compare", "1", produces=("keyness",), consumes=())
    with pytest.raises(RuntimeError, match="does not declare"):
        ctx.write_table("topic_terms", pd.DataFrame({"a": [1]}))
    with pytest.raises(RuntimeError, match="does not declare"):
        ctx.table("document_topics")


def test_settings_command_lists_every_declaration():
    from analysis.cli import app

    res = CliRunner().invoke(app, ["settings", "--markdown"])
    assert res.exit_code == 0
    for group, cls in settings_groups().items():
        for spec in cls.specs():
            assert f"`{group}.{spec.name}`" in res.output
    res = CliRunner().invoke(app, ["settings", "comprae"])
    assert res.exit_code == 2 and "did you mean compare" in res.output


# The settings table moved from the README to the docs, generated at build time from the same
# declarations: tests/test_docs.py::test_settings_page_is_generated_from_the_declarations.
