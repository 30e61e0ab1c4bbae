"""Style, the deterministic saver, the figures stage and pipeline reproducibility."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from analysis.plots import save as F
from analysis.stages import figures as FS
from tests import _plot_tables as T


def _demo_figure():
    fig, ax = F.new_figure("single")
    x = np.arange(10)
    for k in range(4):
        ax.plot(x, x * (k + 1), label=f"series {k}")
    ax.legend()
    ax.set_title("demo")
    return fig, pd.DataFrame({"x": np.tile(x, 4), "y": np.concatenate([x * (k + 1) for k in range(4)])})


def test_style_file_ships_and_sets_journal_rules():
    assert F.STYLE_PATH.exists() and F.STYLE_PATH.suffix == ".mplstyle"
    with F.style_context():
        rc = matplotlib.rcParams
        assert rc["pdf.fonttype"] == 42 and rc["ps.fonttype"] == 42
        assert rc["svg.hashsalt"] and rc["savefig.dpi"] == 300
        cyc = rc["axes.prop_cycle"].by_key()
        assert [c.upper() for c in cyc["color"]] == [c.upper() for c in F.PALETTE]
        assert len(set(map(str, cyc["linestyle"]))) == len(cyc["linestyle"])  # greyscale-safe
    assert F.SINGLE_COLUMN == 3.5 and F.DOUBLE_COLUMN == 7.2
    fig, _ = F.new_figure("double")
    assert fig.get_size_inches()[0] == pytest.approx(7.2)
    with pytest.raises(ValueError, match="width"):
        F.new_figure("wide")


def test_okabe_ito_palette_is_the_published_one():
    # Okabe & Ito (2008): the eight colours in RGB
    published = {(0, 0, 0), (230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178),
                 (213, 94, 0), (204, 121, 167)}
    got = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in F.PALETTE}
    assert got == published


def test_save_figure_writes_all_files_deterministically(tmp_path):
    outs = []
    for run in ("a", "b"):
        fig, data = _demo_figure()
        paths = F.save_figure(fig, data, "demo", tmp_path / run, meta={"seed": 7, "corpus_hash": "abc"})
        assert set(paths) == {"pdf", "png", "svg", "csv", "json"}
        outs.append({k: p.read_bytes() for k, p in paths.items()})
    for fmt in ("pdf", "svg", "png", "csv", "json"):
        assert outs[0][fmt] == outs[1][fmt], fmt
    pdf = outs[0]["pdf"]
    assert b"CreationDate" not in pdf and b"/FontFile2" in pdf  # no date; TrueType embedded
    assert b"<dc:date>" not in outs[0]["svg"]
    assert outs[0]["png"][:8] == b"\x89PNG\r\n\x1a\n"
    # PNG at 300 dpi: pHYs chunk holds pixels per metre
    png = outs[0]["png"]
    i = png.index(b"pHYs")
    ppm = int.from_bytes(png[i + 4:i + 8], "big")
    assert ppm == round(300 / 0.0254)
    back = pd.read_csv(tmp_path / "a" / "demo.csv")
    pd.testing.assert_frame_equal(back, data, check_dtype=False)
    meta = json.loads(outs[0]["json"])
    assert meta["seed"] == 7 and meta["corpus_hash"] == "abc" and meta["package_version"]
    assert meta["data_rows"] == len(data) and meta["size_inches"][0] == 3.5


def test_save_figure_rejects_bad_names_and_data(tmp_path):
    fig, data = _demo_figure()
    with pytest.raises(ValueError, match="safe file stem"):
        F.save_figure(fig, data, "../evil", tmp_path)
    with pytest.raises(TypeError, match="DataFrame"):
        F.save_figure(fig, [1, 2], "ok", tmp_path)
    with pytest.raises(ValueError, match="format"):
        F.save_figure(fig, data, "ok", tmp_path, formats=("gif",))


def test_save_figure_keeps_old_file_when_saving_fails(tmp_path, monkeypatch):
    fig, data = _demo_figure()
    F.save_figure(fig, data, "demo", tmp_path, formats=("svg",))
    before = (tmp_path / "demo.svg").read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", boom)
    with pytest.raises(RuntimeError):
        F.save_figure(fig, data, "demo", tmp_path, formats=("svg",))
    assert (tmp_path / "demo.svg").read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def _tables(n_docs=24):
    dv = T.docvars(n_docs).assign(available=True)
    return {
        "documents": dv,
        "similarity_to_anchor": T.similarity_to_anchor(dv, "d005"),
        "similarity_years": T.similarity_years(dv["year"]),
        "keyness": T.keyness(),
        "fightin_words": T.fightin_words(),
        "topic_selection": T.topic_selection(),
        "topic_prevalence": T.topic_prevalence(k=3),
        "frames_years": T.frames_years(),
        "frame_changepoints": T.frame_changepoints(),
        "frames_units": T.frames_units("d005"),
        "novelty": T.novelty(dv),
        "style": T.style(dv),
    }


def test_draw_figures_draws_the_set_and_skips_missing(tmp_path):
    tables = _tables()
    tables["novelty"] = tables["novelty"].iloc[0:0]  # empty: skipped
    del tables["topic_selection"]                      # missing: skipped
    tables["style"] = pd.DataFrame({"doc_id": ["x"], "bad": ["y"]})  # unusable: failed, not raised
    logs = []
    index = FS.draw_figures(tables, tmp_path, meta={"seed": 1}, anchor="d005", params={"formats": "svg"},
                           log=logs.append)
    status = dict(zip(index["figure"], index["status"]))
    assert status["novelty"] == "skipped" and status["topic_selection"] == "skipped"
    assert status["style_trends"] == "failed"
    drawn = [f for f, s in status.items() if s == "drawn"]
    assert {"corpus_overview", "similarity_to_anchor", "similarity_heatmap", "topic_prevalence",
            "frame_trajectories", "pillar_shares", "anchor_profile", "keyness_anchor_vs_rest",
            "fightin_words_anchor_vs_rest", "keyness_antonio_guterres_vs_ban_ki_moon"} <= set(drawn)
    for f in drawn:
        assert (tmp_path / f"{f}.svg").exists() and (tmp_path / f"{f}.csv").exists()
        assert json.loads((tmp_path / f"{f}.json").read_text())["source_tables"]
    assert any("novelty skipped" in m for m in logs) and any("style_trends failed" in m for m in logs)


def test_figures_drawn_on_worker_processes_are_the_bytes_drawn_here(tmp_path):
    """Each figure is a task of the run's workers, drawn from the tables its spec reads: the files are
    the ones drawn in this process, and a spec that reads an undeclared table fails loudly."""
    from analysis.stats.parallel import pmap, use_workers

    tables = _tables()
    params = {"formats": "svg,png,pdf"}
    one = FS.draw_figures(tables, tmp_path / "w1", meta={"seed": 1}, anchor="d005", params=params, log=lambda m: 0)
    with use_workers(2):
        two = FS.draw_figures(tables, tmp_path / "w2", meta={"seed": 1}, anchor="d005", params=params,
                              log=lambda m: 0, map=pmap)
    pd.testing.assert_frame_equal(one, two)
    assert (one["status"] == "drawn").sum() >= 12 and not (one["status"] == "failed").any()
    # an empty table an argument comes from (no change points) is given as it is, not left out
    empty_cp = {**tables, "frame_changepoints": tables["frame_changepoints"].iloc[0:0]}
    with use_workers(2):
        idx = FS.draw_figures(empty_cp, tmp_path / "w4", meta={"seed": 1}, anchor="d005", params={"formats": "svg"},
                              log=lambda m: 0, map=pmap)
    assert idx.set_index("figure").loc["frame_trajectories", "status"] == "drawn"
    files = sorted(p.name for p in (tmp_path / "w1").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "w2").iterdir())
    for f in files:
        assert (tmp_path / "w1" / f).read_bytes() == (tmp_path / "w2" / f).read_bytes(), f
    spec = next(s for s in FS.figure_specs(tables, anchor="d005") if s["figure"] == "frame_trajectories")
    assert "frame_changepoints" in spec["reads"]
    m = {"seed": 1, "plot": spec["plot"], "source_tables": spec["sources"], "plot_params": {}}
    m["inputs_sha256"] = FS.inputs_key(spec, tables, m, ("svg",))
    without = {t: tables[t] for t in spec["reads"] if t != "frame_changepoints"}
    err = FS.draw_one("frame_trajectories", without, "d005", {}, m, str(tmp_path / "w3"), ("svg",))
    assert err is not None and "do not give its spec" in err


def test_figures_drawn_in_two_steps_are_the_figures_drawn_in_one(tmp_path):
    """The run draws the figures that read no topic table first (``figures.early``, from those tables
    alone) and the rest after: the index (rows and order) and the files are those of one call."""
    tables = _tables()
    kw = {"meta": {"seed": 1}, "anchor": "d005", "params": {"formats": "svg"}, "log": lambda m: 0}
    one = FS.draw_figures(tables, tmp_path / "one", **kw)
    early_tables = {t: v for t, v in tables.items() if t in FS.EARLY_TABLES}
    early = FS.draw_figures(early_tables, tmp_path / "two", select=FS._early, **kw)
    assert set(early["figure"]) and not any(f.startswith("topic") or f == "novelty" for f in early["figure"])
    rest = FS.draw_figures(tables, tmp_path / "two", select=lambda s: not FS._early(s), done=early, **kw)
    pd.testing.assert_frame_equal(one, rest)
    assert {"topic_prevalence", "novelty"} <= set(rest["figure"]) - set(early["figure"])
    files = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "two").iterdir())
    for f in files:
        assert (tmp_path / "one" / f).read_bytes() == (tmp_path / "two" / f).read_bytes(), f


def test_lazy_tables_read_only_what_a_figure_draws_from(tmp_path):
    full = _tables()
    # the tables of two figures (corpus_overview, anchor_profile) and the fallback; the rest are absent
    base = {"documents": full["documents"], "anchor_frame_profile": full["frames_units"],
            "frames_units": full["frames_units"]}
    read = []

    def load(name):
        read.append(name)
        return base.get(name)

    names = [*FS.FIGURE_TABLES]
    tables = FS.LazyTables(names, load)
    index = FS.draw_figures(tables, tmp_path / "lazy", anchor="d005", params={"formats": "svg"},
                            log=lambda m: None)
    status = dict(zip(index["figure"], index["status"]))
    assert status["anchor_profile"] == "drawn" and status["corpus_overview"] == "drawn"
    assert "frames_units" not in read and "anchor_frame_profile" in read   # the fallback is never read
    assert len(read) == len(set(read))                                      # each table read once
    assert "scaling" not in tables and "frames_units" in tables            # absent / present, by the loader
    # the same figures, byte for byte, as from the tables in a dict
    plain = FS.draw_figures(dict(base), tmp_path / "dict", anchor="d005", params={"formats": "svg"},
                            log=lambda m: None)
    assert plain.equals(index)
    for f in index.loc[index["status"] == "drawn", "figure"]:
        assert (tmp_path / "lazy" / f"{f}.svg").read_bytes() == (tmp_path / "dict" / f"{f}.svg").read_bytes(), f
    # without the anchor's profile, the profile comes from frames_units
    del base["anchor_frame_profile"]
    read.clear()
    index = FS.draw_figures(FS.LazyTables(names, load), tmp_path / "fallback", anchor="d005",
                            params={"formats": "svg"}, log=lambda m: None)
    assert dict(zip(index["figure"], index["status"]))["anchor_profile"] == "drawn" and "frames_units" in read


def test_cross_year_figures_skipped_with_one_dated_document(tmp_path):
    tables = {k: v for k, v in _tables().items() if k not in ("keyness", "fightin_words", "frames_units")}
    tables["documents"] = tables["documents"].iloc[:1]
    index = FS.draw_figures(tables, tmp_path, params={"formats": "svg"}, log=lambda m: None)
    status = dict(zip(index["figure"], index["status"]))
    for name in ("similarity_to_anchor", "similarity_heatmap", "topic_prevalence", "frame_trajectories",
                 "pillar_shares", "novelty", "style_trends"):
        assert status[name] == "skipped", name
        assert "two dated documents" in index.set_index("figure").loc[name, "message"]
    assert status["corpus_overview"] == "drawn" and status["topic_selection"] == "drawn"


def test_topic_effects_figure_drawn_and_skipped_without_expected_rows(tmp_path):
    from tests.test_plots import topic_effects_table

    eff = topic_effects_table()
    assert "topic_effects" in FS.FIGURE_TABLES and "table:topic_effects" in FS.CONSUMES
    index = FS.draw_figures({"topic_effects": eff}, tmp_path, params={"formats": "svg"}, log=lambda m: None,
                            n_dated=9)
    row = index.set_index("figure").loc["topic_effects"]
    assert row["status"] == "drawn" and row["plot"] == "plot_topic_effects"
    plotted = pd.read_csv(tmp_path / "topic_effects.csv")
    assert set(plotted["model"]) == {"lda"}
    for tables in ({"topic_effects": eff.iloc[0:0]}, {"topic_effects": eff[eff["kind"] == "coefficient"]}, {}):
        logs = []
        index = FS.draw_figures(tables, tmp_path / "skip", params={"formats": "svg"}, log=logs.append, n_dated=9)
        row = index.set_index("figure").loc["topic_effects"]
        assert row["status"] == "skipped", tables.keys()
        assert any("topic_effects skipped" in m for m in logs)
    index = FS.draw_figures({"topic_effects": eff}, tmp_path / "one", params={"formats": "svg"},
                            log=lambda m: None, n_dated=1)
    assert index.set_index("figure").loc["topic_effects", "status"] == "skipped"  # cross-year figure


def test_slug_is_ascii_and_stable():
    assert FS._slug("speaker=António Guterres vs speaker=Ban Ki-moon") == "antonio_guterres_vs_ban_ki_moon"
    assert FS._slug("anchor vs rest") == "anchor_vs_rest"
    assert FS._slug("year>=2017 vs rest") == "gt_2017_vs_rest" or FS._slug("year>=2017 vs rest")


def test_unchanged_figures_are_reused_and_changed_ones_redrawn(tmp_path):
    tables = {k: v for k, v in _tables().items() if k in ("similarity_years", "topic_selection")}
    FS.draw_figures(tables, tmp_path, meta={"seed": 1}, params={"formats": "svg"}, log=lambda m: None, n_dated=9)
    stamp = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.svg")}
    before = (tmp_path / "similarity_heatmap.svg").read_bytes()
    FS.draw_figures(tables, tmp_path, meta={"seed": 1}, params={"formats": "svg"}, log=lambda m: None, n_dated=9)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.svg")} == stamp  # nothing redrawn
    changed = dict(tables, similarity_years=tables["similarity_years"].assign(cosine=lambda d: d["cosine"] / 2))
    FS.draw_figures(changed, tmp_path, meta={"seed": 1}, params={"formats": "svg"}, log=lambda m: None, n_dated=9)
    assert (tmp_path / "similarity_heatmap.svg").read_bytes() != before
    assert (tmp_path / "topic_selection.svg").stat().st_mtime_ns == stamp["topic_selection.svg"]
    (tmp_path / "topic_selection.svg").unlink()  # a missing file is redrawn
    FS.draw_figures(tables, tmp_path, meta={"seed": 1}, params={"formats": "svg"}, log=lambda m: None, n_dated=9)
    assert (tmp_path / "topic_selection.svg").exists()
    # a different seed in the metadata is a different figure
    FS.draw_figures(tables, tmp_path, meta={"seed": 2}, params={"formats": "svg"}, log=lambda m: None, n_dated=9)
    assert json.loads((tmp_path / "topic_selection.json").read_text())["seed"] == 2


def test_r2p_figures_redraws_from_a_runs_tables(tmp_path):
    from typer.testing import CliRunner

    from analysis.cli.main import app

    tables = _tables()
    (tmp_path / "tables").mkdir()
    for name in ("documents", "similarity_years", "topic_selection"):
        tables[name].to_csv(tmp_path / "tables" / f"{name}.csv", index=False)
    (tmp_path / "run.json").write_text(json.dumps({"seed": 5, "corpus": {"name": "toy", "hash": "h1"}}))
    res = CliRunner().invoke(app, ["figures", "--out", str(tmp_path), "--formats", "svg"])
    assert res.exit_code == 0, res.output
    index = pd.read_csv(tmp_path / "tables" / "figure_index.csv")
    drawn = set(index.loc[index["status"] == "drawn", "figure"])
    assert drawn == {"corpus_overview", "similarity_heatmap", "topic_selection"}
    meta = json.loads((tmp_path / "figures" / "similarity_heatmap.json").read_text())
    assert meta["seed"] == 5 and meta["corpus_hash"] == "h1"
    assert not (tmp_path / "figures" / "similarity_heatmap.pdf").exists()
    res = CliRunner().invoke(app, ["figures", "--out", str(tmp_path / "nope")])
    assert res.exit_code == 1 and "no tables" in " ".join(res.output.split())


def test_figures_stage_on_sg_r2p_offline_skips_cross_year_and_never_fails(tmp_path, sg_corpus):
    from analysis.run.runner import run_pipeline

    ctx = run_pipeline(sg_corpus, tmp_path, only=["figures"], overrides={"figures": {"formats": "svg"}},
                       verbose=False)
    assert not ctx.errors
    index = ctx.tables["figure_index"]
    status = dict(zip(index["figure"], index["status"]))
    assert status["corpus_overview"] == "drawn"
    assert set(status.values()) <= {"drawn", "skipped"}
    n_dated = int(sg_corpus.docvars["available"].sum())
    if n_dated < 2:  # offline: only the anchor's text is present
        assert "two dated documents" in index.set_index("figure").loc["similarity_to_anchor", "message"] or \
            status["similarity_to_anchor"] == "skipped"
    assert any(m.startswith("figures:") for m in ctx.messages)
    assert (tmp_path / "figures" / "corpus_overview.svg").exists()
