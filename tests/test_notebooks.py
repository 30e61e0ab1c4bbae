"""The notebooks execute top to bottom on a small corpus; two pipeline runs give identical bytes."""

from __future__ import annotations

import json

import nbformat
import pandas as pd
import pytest

from analysis import load_corpus
from analysis.notebooks import NOTEBOOK_DIR, inject_parameters, list_notebooks, run_notebooks
from analysis.run.runner import run_pipeline

# small and fast settings: the point is that everything runs, not the statistics
FAST = {"topics": {"models": "nmf", "k_min": 2, "k_max": 4, "k_step": 2, "n_runs": 2, "n_boot": 50},
        "compare": {"n_boot": 50}, "frames": {"n_boot": 100}, "figures": {"formats": "pdf,svg"}}
EXPECTED = ["01_corpus.ipynb", "02_anchor_in_context.ipynb", "03_topics_over_time.ipynb",
            "04_framing.ipynb", "05_other_corpus_sotu.ipynb", "06_states_and_the_sg.ipynb"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, inaugural):
    """Six inaugural addresses (2001-2021) as a CSV corpus, and one cached pipeline run on it."""
    root = tmp_path_factory.mktemp("nbrun")
    dv = inaugural.docvars
    sub = inaugural.subset((dv["year"] >= 2001).to_numpy())
    table = sub.docvars[["doc_id", "date", "year", "speaker"]].copy()
    table["text"] = table["doc_id"].map(sub.texts)
    csv = root / "tiny.csv"
    table.to_csv(csv, index=False)
    ctx = run_pipeline(load_corpus(csv), root / "tiny", overrides=FAST, verbose=False)
    assert not ctx.errors, ctx.errors
    return root, csv


def test_notebooks_are_committed_without_outputs():
    books = list_notebooks()
    assert [b.name for b in books] == EXPECTED
    for b in books:
        nb = nbformat.read(b, as_version=4)
        nbformat.validate(nb)
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1 and "CORPUS =" in params[0].source, b.name
        for c in nb.cells:
            if c.cell_type == "code":
                assert c.outputs == [] and c.execution_count is None, f"{b.name} has outputs"
        assert "import analysis" in "".join(c.source for c in nb.cells) or \
            "from analysis" in "".join(c.source for c in nb.cells)


def test_inject_parameters_goes_after_the_parameters_cell():
    nb = nbformat.read(NOTEBOOK_DIR / EXPECTED[0], as_version=4)
    inject_parameters(nb, {"CORPUS": "sotu", "OVERRIDES": {"topics": {"k": 3}}})
    inject_parameters(nb, {"CORPUS": "inaugural"})  # replaces the earlier injection
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    i = next(i for i, t in enumerate(tags) if "parameters" in t)
    assert "injected-parameters" in tags[i + 1]
    assert sum("injected-parameters" in t for t in tags) == 1
    assert nb.cells[i + 1].source.endswith("CORPUS = 'inaugural'")
    with pytest.raises(ValueError, match="identifier"):
        inject_parameters(nb, {"not valid": 1})


def test_every_notebook_executes_on_a_small_corpus(tiny):
    root, csv = tiny
    res = run_notebooks(root / "notebooks", corpus=str(csv), log=lambda m: None,
                        parameters={"OVERRIDES": FAST, "CACHE_ROOT": str(root)}, save_ipynb=True)
    assert res["status"].tolist() == ["ok"] * len(EXPECTED), res.loc[res["status"] != "ok", "error"].tolist()
    for name in EXPECTED:
        html = (root / "notebooks" / name).with_suffix(".html")
        assert html.exists() and "<html" in html.read_text(encoding="utf-8")[:2000].lower()
        nb = nbformat.read(root / "notebooks" / name, as_version=4)
        outs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outs if o.output_type == "error"]
        images = [o for o in outs if "image/png" in o.get("data", {})]
        assert images, f"{name} shows no figure"


def test_two_pipeline_runs_give_identical_tables_and_figure_bytes(tiny, tmp_path):
    root, csv = tiny
    first = root / "tiny"
    ctx = run_pipeline(load_corpus(csv), tmp_path / "again", overrides=FAST, verbose=False, use_cache=False)
    assert not ctx.errors, ctx.errors
    second = tmp_path / "again"
    index = pd.read_csv(first / "tables" / "figure_index.csv")
    assert (index["status"] == "drawn").sum() >= 12, index

    def files(d):
        return sorted(p.relative_to(d).as_posix() for p in d.rglob("*")
                      if p.is_file() and ".cache" not in p.parts and p.name != "run.json")

    assert files(first) == files(second)
    assert sum(f.endswith(".pdf") for f in files(first)) >= 12
    assert sum(f.endswith(".svg") for f in files(first)) >= 12
    differ = [f for f in files(first) if (first / f).read_bytes() != (second / f).read_bytes()]
    assert differ == []
    meta = json.loads((first / "figures" / "corpus_overview.json").read_text())
    assert meta["corpus_hash"] == ctx.fingerprint and meta["seed"] == ctx.seed


def test_show_saves_the_displayed_figure_at_a_journal_preset(tiny, tmp_path):
    """One call from a notebook: PDF at the double-column preset, the plotted data, the sidecar."""
    from matplotlib.figure import Figure

    from analysis import plots
    from analysis.errors import UsageError
    from analysis.notebook import Run, show
    from analysis.plots.presets import PRESETS

    root, csv = tiny
    run = Run(str(csv), out=root / "tiny")
    drawn = {}

    def spy(*a, **k):  # the figure show() draws is the one it saves
        fig, data = plots.plot_similarity_to_anchor(*a, **k)
        drawn["fig"] = fig
        return fig, data

    spy.__name__ = "plot_similarity_to_anchor"
    data = run.show(spy, "similarity_to_anchor", display=False, save_as="fig1_similarity",
                    preset="double", save_dir=tmp_path / "paper", formats=("pdf", "svg"))
    out = tmp_path / "paper"
    assert sorted(p.name for p in out.iterdir()) == [
        "fig1_similarity.csv", "fig1_similarity.json", "fig1_similarity.pdf", "fig1_similarity.svg"]
    pdf = (out / "fig1_similarity.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"CreationDate" not in pdf
    # the PDF page is the double-column width (7.2 in = 518.4 pt)
    import re

    box = [float(v) for v in re.search(rb"/MediaBox\s*\[\s*([\d.\s]+)\]", pdf).group(1).split()]
    assert abs(box[2] - box[0] - PRESETS["double"].width * 72) < 0.5, box
    assert isinstance(drawn["fig"], Figure)
    assert abs(drawn["fig"].get_size_inches()[0] - 7.2) < 1e-9
    # the data file is exactly the frame plotted
    written = pd.read_csv(out / "fig1_similarity.csv")
    assert len(written) == len(data) and list(written.columns) == [str(c) for c in data.columns]
    meta = json.loads((out / "fig1_similarity.json").read_text())
    assert meta["preset"]["name"] == "double" and meta["preset"]["font_size"] == 8
    assert meta["size_inches"][0] == 7.2 and meta["source_table"] == "similarity_to_anchor"
    assert meta["corpus_hash"] and meta["plot"] == "plot_similarity_to_anchor"
    assert data.attrs["figure_files"]["pdf"].endswith("fig1_similarity.pdf")
    # the preset's font sizes were in force while drawing
    ticks = drawn["fig"].axes[0].get_xticklabels()
    assert ticks and {t.get_fontsize() for t in ticks} == {PRESETS["double"].tick_size}
    # the same call again gives the same bytes (the saver is deterministic)
    show(plots.plot_similarity_to_anchor, run.tables["similarity_to_anchor"], display=False,
         save_as="again", preset="double", save_dir=out, formats=("pdf",))
    assert (out / "again.pdf").read_bytes() == pdf
    with pytest.raises(UsageError, match="did you mean double"):
        show(plots.plot_similarity_to_anchor, data, display=False, save_as="x", preset="doubel")
