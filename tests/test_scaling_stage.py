"""The scaling and semantic stages on a stand-in context, and the two scaling figures.

The stages are not registered in the stage list yet; this runs their ``run``
with a minimal object that offers the parts of the run context they use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.dtm import build_dtm
from analysis.errors import UsageError
from analysis.plots.scaling import plot_scaling_positions, plot_scaling_words
from analysis.stages import scaling as scaling_stage
from analysis.stages import semantic as semantic_stage


class Ctx:
    def __init__(self, units, docvars, out: Path, anchor=None):
        self.units, self.anchor, self.seed, self.out = units, anchor, 5, out
        self.tables_dir = out / "tables"
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        self.docvars, self.tables, self.facts, self.logs = docvars, {}, {}, []

    def dtm(self, level="unit", min_df=1, max_df=1.0, ngram_range=(1, 1)):
        d = build_dtm(self.units, id_col="unit_id", min_df=min_df)
        if level == "document":
            d = d.group("doc_id")
            d.docvars = d.docvars.merge(self.docvars, on="doc_id", how="left")
        return d

    def call(self, fn, *a, **k):
        return fn(*a, **k)

    def write_table(self, name, df):
        self.tables[name] = df

    def log(self, msg):
        self.logs.append(msg)


@pytest.fixture(scope="module")
def ctx(small_corpus, tmp_path_factory):
    from analysis.units import make_units

    units = make_units(small_corpus)
    return Ctx(units, small_corpus.docvars.reset_index(drop=True), tmp_path_factory.mktemp("stage"),
               anchor=small_corpus.docvars["doc_id"].iloc[-1])


def test_wordfish_stage_by_speaker_and_figures(ctx):
    cfg = scaling_stage.Settings(by="speaker", direction="year")
    scaling_stage.run(ctx, cfg)
    pos, words = ctx.tables["scaling"], ctx.tables["scaling_words"]
    assert list(pos.columns[:7]) == scaling_stage.SCALING_COLUMNS
    assert pos["unit"].nunique() == len(pos) == ctx.docvars["speaker"].nunique()
    assert (pos.ci_low < pos.theta).all() and (pos.theta < pos.ci_high).all()
    assert pos["theta"].std(ddof=1) == pytest.approx(1)
    assert list(words.columns) == ["term", "beta", "psi"] and len(words) > 100
    assert ctx.facts["scaling"]["convergence"]["converged"]
    fig, data = plot_scaling_positions(pos)
    assert data["theta"].is_monotonic_increasing and len(fig.axes[0].get_yticklabels()) == len(pos)
    fig, data = plot_scaling_words(words)
    assert len(data) == len(words)


def test_wordscores_stage_needs_reference(ctx):
    years = sorted(ctx.docvars["year"].astype(str))
    with pytest.raises(UsageError, match="reference"):
        scaling_stage.run(ctx, scaling_stage.Settings(model="wordscores", by="year"))
    scaling_stage.run(ctx, scaling_stage.Settings(model="wordscores", by="year",
                                                  reference=f"{years[0]}=-1, {years[-1]}=1", rescaling="mv"))
    pos = ctx.tables["scaling"].set_index("unit")
    assert pos.loc[years[0], "theta"] == pytest.approx(-1) and pos.loc[years[-1], "theta"] == pytest.approx(1)
    with pytest.raises(UsageError, match="not unit=score"):
        scaling_stage.parse_reference("1961")


def test_semantic_stage(ctx):
    pytest.importorskip("wordllama")
    semantic_stage.run(ctx, semantic_stage.Settings(n_boot=20))
    sim = ctx.tables["semantic_similarity"]
    assert set(sim.level) >= {"doc_id", "year"}
    assert sim.loc[sim.is_anchor & (sim.level == "doc_id"), "similarity"].item() == pytest.approx(1, abs=1e-5)
    assert (ctx.tables_dir / "semantic_embeddings.parquet").is_file()
    assert len(ctx.tables["semantic_nearest"]) == int((ctx.units.doc_id != ctx.anchor).sum())
