"""The SG corpus beside the real UN General Debate sessions 60-79 (``../shared/ungdc``), offline.

Skipped with a reason where the shared sessions are absent. Loading the 3,857
speeches takes about 15 s, once for the module (marked slow).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "ungdc"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/ungdc")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/ungdc (UNGDC sessions 60-79) is absent")]


@pytest.fixture(scope="module")
def both():
    from analysis.corpus import load_corpus
    from analysis.reshape import corpus_combine

    return corpus_combine(load_corpus("sg-r2p"), load_corpus(str(SHARED)))


def test_combine_and_subset_the_general_debate(both):
    from analysis.reshape import corpus_subset

    assert both.name == "sg-r2p+ungdc" and set(both.docvars["source"]) == {"sg-r2p", "ungdc"}
    assert int((both.docvars["source"] == "ungdc").sum()) >= 3843
    weog = corpus_subset(both, 'source == "ungdc" and un_region == "Western European and other States"')
    assert len(weog) > 400 and set(weog.docvars["un_region"]) == {"Western European and other States"}
    two = corpus_subset(both, 'country_code in ("FRA", "USA")')
    assert 38 <= len(two) <= 40 and set(two.docvars["year"]) <= set(range(2005, 2025))


def test_r2p_passages_of_the_general_debate(both):
    from analysis.reshape import corpus_passages
    from analysis.textstats.passages import stat_passage_rates

    p = corpus_passages(both, "r2p")
    s = p.settings["passages"]
    assert s["documents_with_passages"] > 500 and s["passages"] > 800
    assert p.anchor == both.anchor
    rates = stat_passage_rates(both, "r2p", by=["un_region", "year"])
    assert {"Western European and other States", "Latin American and Caribbean States"} <= set(rates["un_region"])
    share = rates["with_passages"].sum() / rates["documents"].sum()
    assert 0.15 < share < 0.30, share   # about one speech in five (0.21 measured on sessions 60-79)


def test_combined_run_on_recent_sessions(both, tmp_path):
    from analysis.reshape import corpus_passages, corpus_subset
    from analysis.run.runner import run_pipeline

    recent = corpus_passages(corpus_subset(both, 'year >= 2023 or source == "sg-r2p"'), "r2p")
    ctx = run_pipeline(recent, tmp_path, only=["compare", "frames"], use_cache=False, verbose=False,
                       progress=False, overrides={"compare": {"n_boot": 20, "kwic_patterns": ()},
                                                   "frames": {"n_boot": 20, "sentiment": False}})
    assert not ctx.errors, ctx.errors
    ss = ctx.tables["similarity_source_years"]
    assert set(ss["year"]) == {2023, 2024} and set(ss["source"]) == {"ungdc"}
    assert set(ctx.tables["frames_source_years"]["source"]) == {"sg-r2p", "ungdc"}
    assert "source=sg-r2p vs source=ungdc" in set(ctx.tables["keyness"]["comparison"])
