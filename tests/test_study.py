"""The study is data handed to the run (issue "graph", point 3).

The R2P profile (anchor, comparisons, dictionaries, patterns, indices, seed) reaches the
stages as ``ctx.study``; the method modules take its choices as arguments, so a run with
another study gives other tables under other cache keys (and warm equals cold).
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pandas as pd
import pytest

from analysis.errors import UsageError
from analysis.profiles import DEFAULT_SEED, R2P, get_profile
from analysis.textstats.keyness import parse_comparison
from analysis.textstats.similarity import default_comparisons

PKG = Path(__file__).resolve().parent.parent / "analysis"


# ------------------------------------------------------------------ the seed
def test_one_seed_default_everywhere():
    from analysis.cli.main import frames_sample
    from analysis.cli.options import seed_option
    from analysis.cli.run import run_command
    from analysis.notebook import Run
    from analysis.run.context import RunContext
    from analysis.run.runner import run_pipeline

    assert DEFAULT_SEED == R2P.seed == get_profile().seed == 20170906
    defaults = {
        "run_pipeline": inspect.signature(run_pipeline).parameters["seed"].default,
        "run_command": inspect.signature(run_command).parameters["seed"].default,
        "notebook.Run": inspect.signature(Run.__init__).parameters["seed"].default,
        "RunContext.seed": {f.name: f for f in dataclasses.fields(RunContext)}["seed"].default,
        "--seed": seed_option().default,
        "frames sample --seed": inspect.signature(frames_sample).parameters["seed"].default.default,
    }
    assert defaults == dict.fromkeys(defaults, DEFAULT_SEED)


def test_the_seed_is_typed_only_in_the_profile():
    seed = str(R2P.seed)
    found = sorted(str(p.relative_to(PKG.parent)) for p in PKG.rglob("*.py")
                   if seed in p.read_text(encoding="utf-8"))
    assert found and all(f.startswith("analysis/profiles/") for f in found), found


# ----------------------------------------------------------- comparisons
def test_the_study_keys_its_comparisons_by_corpus():
    assert R2P.comparisons_for("sg-r2p") == ("anchor", "speaker=António Guterres vs Ban Ki-moon")
    assert R2P.comparisons_for("sotu") is None
    assert R2P.comparisons_for("sg-r2p+ungdc") is None  # a combined corpus is another corpus
    p = dataclasses.replace(R2P, comparisons={"sotu": "anchor"})
    assert p.comparisons_for("sotu") == ("anchor",)
    with pytest.raises(TypeError):
        p.comparisons["x"] = ("anchor",)  # type: ignore[index]
    with pytest.raises(UsageError, match="must map corpus names"):
        dataclasses.replace(R2P, comparisons=("anchor",))
    with pytest.raises(UsageError, match="must be non-empty specs"):
        dataclasses.replace(R2P, comparisons={"sotu": ()})


def test_default_comparisons_are_generic(small_corpus):
    generic = default_comparisons(small_corpus)
    assert generic[0] == "anchor" and len(generic) == 2 and generic[1].startswith("speaker=")
    # the study's, when it names some for the corpus, as given
    assert default_comparisons(small_corpus, ("year>=1993",)) == ["year>=1993"]
    assert default_comparisons(small_corpus, "anchor") == ["anchor"]
    # the module gives the R2P corpus's name no special treatment: only the study's data does
    assert default_comparisons(dataclasses.replace(small_corpus, name="sg-r2p")) == generic


def test_the_profile_may_name_dictionaries_outside_the_package(tmp_path):
    f = tmp_path / "mine.yml"
    p = dataclasses.replace(R2P, frames_dictionary=str(f))
    assert p.frames_dictionary_path == f and p.stance_dictionary_path == R2P.stance_dictionary_path
    with pytest.raises(UsageError, match="relative to corpus/"):
        dataclasses.replace(R2P, frames_dictionary="../x.yml").frames_dictionary_path


def test_the_frames_module_needs_a_dictionary():
    from analysis.framing import stat_frames
    from analysis.framing.dictionary import DictionaryError
    from analysis.framing.frames import load_frames_dictionary

    units = pd.DataFrame({"unit_id": ["a#1"], "doc_id": ["a"], "text": ["We must prevent genocide."]})
    with pytest.raises(DictionaryError, match="no frames dictionary given"):
        load_frames_dictionary(None)
    with pytest.raises(TypeError):
        stat_frames(units)  # type: ignore[call-arg]
    # a path or a loaded dictionary give the same table
    path = R2P.frames_dictionary_path
    pd.testing.assert_frame_equal(stat_frames(units, path), stat_frames(units, load_frames_dictionary(path)))


# ------------------------------------------------------------- the run
DICTIONARY = """\
liberty:
  terms:
    - freedom
    - liberty
    - free
duty:
  terms:
    - duty
    - duties
    - responsib*
"""

RUN = {"compare": {"n_boot": 10, "evidence_paragraphs": 0, "evidence_terms": 0, "collocation_top": 50},
       "frames": {"n_boot": 10, "sentiment": False, "changepoint_penalty": "mbic", "passages_per_year": 1}}
#: tables the study changes, and tables it leaves alone
STUDY_TABLES = ("kwic", "dispersion", "collocates", "keyness", "fightin_words", "frames_units",
                "frames_years", "frame_indices", "frame_passages")
OTHER_TABLES = ("similarity_to_anchor", "similarity_years", "style", "stance_units", "stance_years")


def _other_study(tmp_path, corpus_name):
    d = tmp_path / "liberty.yml"
    d.write_text(DICTIONARY, encoding="utf-8")
    return dataclasses.replace(
        R2P, name="liberty", kwic_patterns=("freedom",), frames_dictionary=str(d),
        comparisons={corpus_name: ("anchor", "year>=1993")},
        indices={"liberty_duty_balance": ("balance", "liberty", "duty")})


def _run(corpus, out, monkeypatch, study=None, cache_dir=None):
    from analysis.run import runner

    monkeypatch.setattr(runner, "get_profile", lambda *a, **k: study or R2P)
    ctx = runner.run_pipeline(corpus, out=out, only=["compare", "frames"], overrides=RUN, verbose=False,
                              progress=False, cache_dir=cache_dir, use_cache=cache_dir is not None)
    assert ctx.errors == [] and ctx.study is (study or R2P)
    return ctx


def _tables(ctx, names):
    return {n: ctx.tables[n].reset_index(drop=True) for n in names}


def _same(a, b):
    assert a.keys() == b.keys()
    for n in a:
        pd.testing.assert_frame_equal(a[n], b[n], obj=n)


def test_another_study_gives_other_tables_under_other_keys(small_corpus, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    other = _other_study(tmp_path, small_corpus.name)
    r2p = _run(small_corpus, tmp_path / "r2p", monkeypatch, cache_dir=cache)
    warm = _run(small_corpus, tmp_path / "other", monkeypatch, other, cache_dir=cache)
    assert warm.cache.misses > 0  # the study's choices are part of the keys: R2P's results are not reused

    t_r2p, t_other = _tables(r2p, STUDY_TABLES), _tables(warm, STUDY_TABLES)
    assert set(t_r2p["kwic"]["pattern"]) <= set(R2P.kwic_patterns)
    assert set(t_other["kwic"]["pattern"]) == {"freedom"}
    assert set(t_other["collocates"]["node"]) == {"freedom"}
    assert set(t_other["keyness"]["comparison"]) == {"anchor vs rest", "year>=1993 vs rest"}
    generic = {parse_comparison(c).label for c in default_comparisons(small_corpus)}
    assert set(t_r2p["keyness"]["comparison"]) == generic
    assert set(t_other["frames_units"]["frame"]) == {"liberty", "duty"}
    assert set(t_r2p["frames_units"]["frame"]) > {"pillars", "prevention_response"}
    assert set(t_other["frame_indices"]["index"]) == {"liberty_duty_balance"}
    assert set(t_r2p["frame_indices"]["index"]) <= set(R2P.indices) and len(t_r2p["frame_indices"])
    assert warm.facts["kwic_patterns"] == ["freedom"]
    assert warm.facts["comparisons"] == ["anchor", "year>=1993"]
    # what the study does not touch is the same
    _same(_tables(r2p, OTHER_TABLES), _tables(warm, OTHER_TABLES))

    # warm equals cold, for both studies, and a second warm run computes nothing
    _same(_tables(_run(small_corpus, tmp_path / "cold", monkeypatch, other), STUDY_TABLES), t_other)
    again = _run(small_corpus, tmp_path / "again", monkeypatch, cache_dir=cache)
    assert again.cache.misses == 0
    _same(_tables(again, STUDY_TABLES), t_r2p)
