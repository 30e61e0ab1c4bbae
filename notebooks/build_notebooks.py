"""Write the project's notebooks (without outputs) with nbformat.

The notebooks are thin: a parameters cell (``CORPUS`` etc., papermill-style,
tagged ``parameters``), then calls into the ``analysis`` package. Edit the cell
sources here and run ``python notebooks/build_notebooks.py`` to regenerate them;
``python -m analysis.notebooks`` executes them and exports HTML.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def params_cell(corpus: str, extra: str = "") -> nbformat.NotebookNode:
    src = f'''# Parameters: override by injecting a cell after this one (papermill-style),
# e.g. `python -m analysis.notebooks --corpus sotu`.
CORPUS = "{corpus}"   # a corpus name (sg-r2p, sotu, inaugural, state_union) or a path
OUT = "../figures/notebooks/runs"   # tables go under OUT/<corpus>
CACHE_ROOT = "../figures"   # reuse the results cached by `make figures` (CACHE_ROOT/<corpus>/.cache)
SEED = 20170906
OVERRIDES = {{}}   # stage parameters, e.g. {{"topics": {{"k": 8}}}} (as `r2p run --set topics.k=8`)
{extra}'''.rstrip() + "\n"
    cell = new_code_cell(src.rstrip())
    cell.metadata["tags"] = ["parameters"]
    return cell


SETUP = '''%matplotlib inline
from pathlib import Path

import pandas as pd
from IPython.display import display

from analysis import load_corpus, plots
from analysis.notebook import Run, show

pd.set_option("display.max_colwidth", 90)
pd.set_option("display.width", 140)
name = Path(str(CORPUS)).stem
run = Run(CORPUS, out=Path(OUT) / name, seed=SEED, overrides=OVERRIDES,
          cache_dir=Path(CACHE_ROOT) / name / ".cache" if CACHE_ROOT else None)'''


def nb(cells) -> nbformat.NotebookNode:
    book = new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.metadata["language_info"] = {"name": "python"}
    return book


def corpus_nb():
    return nb([
        new_markdown_cell("# 01 The corpus\n\nWhat is in the corpus, what is missing and why, how long the "
                          "statements are, and how their style changes. Tables come from `r2p run` "
                          "(`documents.csv`, `style.csv`); figures from `analysis.plots`."),
        params_cell("sg-r2p"),
        new_code_cell(SETUP),
        new_code_cell('corpus = load_corpus(CORPUS)\nprint(corpus.name, "-", len(corpus), "documents,",\n'
                      '      int(corpus.docvars["available"].sum()), "with text; anchor:", corpus.anchor)\n'
                      'print("fingerprint", corpus.fingerprint())'),
        new_markdown_cell("## Documents and availability\n\nTexts that are not yet on this machine are listed "
                          "with their source; `r2p corpus fetch` downloads them (online), caches them and "
                          "records their SHA-256 in the lock file."),
        new_code_cell('ctx = run.stages("corpus")\ndocs = ctx.tables["documents"]\n'
                      'cols = [c for c in ["doc_id", "date", "speaker", "venue", "genre", "n_tokens", "available"] '
                      'if c in docs.columns]\ndocs[cols].head(20)'),
        new_code_cell('missing = docs[~docs["available"].astype(bool)]\n'
                      'print(len(missing), "documents without text")\n'
                      'missing[[c for c in ["doc_id", "date", "title", "url"] if c in missing.columns]].head(20)'),
        new_code_cell('by = [c for c in ["speaker", "venue", "genre"] if c in docs.columns]\n'
                      'for col in by:\n    display(docs.groupby(col, dropna=False)["doc_id"].count()'
                      '.rename("documents").sort_values(ascending=False).head(10).to_frame())'),
        new_markdown_cell("## Overview figure\n\nStatements per year by venue and by speaker, and statement "
                          "lengths (tokens after text preparation)."),
        new_code_cell('available = docs[docs["available"].astype(bool)]\n'
                      'overview = show(plots.plot_corpus_overview, available)'),
        new_markdown_cell("## Units\n\nParagraphs are the unit of analysis for topics and frames; very "
                          "short paragraphs are merged by the topic stage."),
        new_code_cell('units = ctx.units\nprint(len(units), "paragraph units;", "median tokens",\n'
                      '      units["n_tokens"].median())\nunits[["unit_id", "n_tokens", "text"]].head(5)'),
        new_markdown_cell("## Style over time\n\nLexical diversity (MATTR, MTLD; McCarthy & Jarvis 2010), "
                          "sentence length, readability (Flesch) and first-person pronouns."),
        new_code_cell('ctx = run.stages("compare")\nstyle = ctx.tables.get("style")\n'
                      'if style is not None and len(style):\n    display(style.describe().T.round(2))\n'
                      '    trends = show(plots.plot_style_trends, style, docvars=docs)'),
    ])


def anchor_nb():
    return nb([
        new_markdown_cell("# 02 The anchor in context\n\nHow the anchor statement (for sg-r2p the Secretary-"
                          "General's remarks of 6 September 2017) relates to the rest of the corpus: TF-IDF "
                          "similarity with bootstrap intervals, year-by-year similarity, keyness (G2, Dunning "
                          "1993), Fightin' Words (Monroe, Colaresi & Quinn 2008), a concordance, and novelty, "
                          "transience and resonance (Barron et al. 2018)."),
        params_cell("sg-r2p", 'KWIC_PATTERNS = ["responsib* to protect", "prevent*", "sovereign*"]'),
        new_code_cell(SETUP),
        new_code_cell('ctx = run.stages("compare", "novelty")\nt = ctx.tables\ndocs = t["documents"]\n'
                      'anchor = ctx.anchor  # the one anchor of the run (run.json: facts.anchor)\n'
                      'print("anchor:", anchor)'),
        new_markdown_cell("## Similarity to the anchor"),
        new_code_cell('sim = t["similarity_to_anchor"]\nif len(sim):\n    display(sim.sort_values("cosine", ascending=False).head(10))'),
        new_code_cell('d = show(plots.plot_similarity_to_anchor, sim, docvars=docs, anchor=anchor)'),
        new_markdown_cell("### Saving a figure for a paper\n\nThe same call with `save_as=` also writes the "
                          "figure shown as PDF, PNG and SVG, the CSV of exactly the data plotted and a JSON "
                          "sidecar (parameters, preset, seed, corpus hash), at a journal preset: `single` "
                          "(3.5 in) or `double` (7.2 in) column width with 8/7 pt text, `single-large`/"
                          "`double-large` (9/8 pt) or `slide` (`analysis.plots.presets.PRESETS`). The PDF and "
                          "SVG bytes are the same on every machine."),
        new_code_cell('d = run.show(plots.plot_similarity_to_anchor, "similarity_to_anchor", docvars=docs, anchor=anchor,\n'
                      '             save_as="fig1_similarity_to_anchor", preset="double",\n'
                      '             save_dir=Path(OUT) / "paper")\n'
                      'sorted(p.name for p in (Path(OUT) / "paper").glob("fig1_similarity_to_anchor.*"))'),
        new_code_cell('d = show(plots.plot_similarity_heatmap, t["similarity_years"])'),
        new_code_cell('t.get("centroid_distance", pd.DataFrame()).head(10)'),
        new_markdown_cell("## Keyness and Fightin' Words\n\nScores are signed toward the first group of each "
                          "comparison. Other comparisons: `r2p run --set \"compare.comparisons=speaker=A vs B\"`."),
        new_code_cell('for comp in t["keyness"].get("comparison", pd.Series(dtype=str)).drop_duplicates():\n'
                      '    show(plots.plot_keyness, t["keyness"], comparison=comp)'),
        new_code_cell('for comp in t["fightin_words"].get("comparison", pd.Series(dtype=str)).drop_duplicates():\n'
                      '    show(plots.plot_fightin_words, t["fightin_words"], comparison=comp)'),
        new_markdown_cell("## Concordance (KWIC)"),
        new_code_cell('from analysis.textstats.kwic import stat_kwic\nkw = stat_kwic(ctx.corpus, KWIC_PATTERNS, window=6)\n'
                      'print(len(kw), "matches")\nkw.head(15)'),
        new_markdown_cell("## Novelty, transience, resonance"),
        new_code_cell('nov = t.get("novelty")\nif nov is not None and len(nov):\n'
                      '    show(plots.plot_novelty, nov, docvars=docs)'),
    ])


def topics_nb():
    return nb([
        new_markdown_cell("# 03 Topics over time\n\nTopic models on paragraphs (NMF by default, LDA with "
                          "`topics.model=lda`), topic labels by FREX, and prevalence per year with bootstrap "
                          "intervals.\n\n**Choosing K.** The stage scans a grid of K that grows with the "
                          "corpus and picks the K with the best *held-out criterion*: document completion on "
                          "20% of the units left out of each fit (LDA: held-out log-likelihood; NMF: held-out "
                          "reconstruction error), averaged over fits on random 80% subsets with different "
                          "seeds. The scan of the ascending grid stops early once the criterion has been worse "
                          "than its best at `topics.scan_patience` (2) larger K in a row "
                          "(`analysis.topicmod.kselect.choose_k_heldout`, `analysis.topicmod.kselect.scan_stop`). "
                          "NPMI and UMass coherence, exclusivity (FREX) and stability across seeds (Greene et "
                          "al. 2014) are reported beside it for the plot below; `at_edge` flags a K at the "
                          "grid's end (widen the grid), `scan_stopped` the K where the scan ended. A fixed K: "
                          "`OVERRIDES = {\"topics\": {\"k\": 12}}`."),
        params_cell("sg-r2p"),
        new_code_cell(SETUP),
        new_code_cell('ctx = run.stages("topics")\nt = ctx.tables\nsel = t["topic_selection"]\nsel'),
        new_code_cell('d = show(plots.plot_topic_selection, sel)'),
        new_code_cell('labels = t["topic_labels"]\nlabels'),
        new_code_cell('terms = t["topic_terms"]\nif len(terms):\n    display(terms[terms["rank"] <= 10]\n'
                      '            .groupby("topic")["term"].apply(", ".join).to_frame("top terms"))'),
        new_markdown_cell("## Prevalence over time"),
        new_code_cell('prev = t["topic_prevalence"]\nd = show(plots.plot_topic_prevalence, prev)'),
        new_markdown_cell("## Regression of topic shares on time and speaker (standard errors clustered by "
                          "document)"),
        new_code_cell('eff = t.get("topic_effects", pd.DataFrame())\neff.head(20)'),
        new_markdown_cell("## Most representative paragraphs"),
        new_code_cell('t.get("topic_examples", pd.DataFrame()).head(10)'),
    ])


def framing_nb():
    return nb([
        new_markdown_cell("# 04 Framing\n\nDictionary frames (the three pillars, prevention and response, "
                          "sovereignty, accountability, atrocity crimes, civilians, ...; see "
                          "`corpus/dictionaries/r2p_frames.yml` for each category's source), rates per 1,000 "
                          "tokens with bootstrap intervals, change points, the anchor's paragraph profile, "
                          "stance and sentiment, and the validation workflow."),
        params_cell("sg-r2p", 'CODED = ""   # path of a hand-coded KWIC sample (see the last section)'),
        new_code_cell(SETUP),
        new_code_cell('ctx = run.stages("compare", "frames")\nt = ctx.tables\ndocs = t["documents"]\n'
                      'fy = t["frames_years"]\nfy.head(10)'),
        new_code_cell('d = show(plots.plot_frame_trajectories, fy, changepoints=t.get("frame_changepoints"))'),
        new_code_cell('t.get("frame_changepoints", pd.DataFrame()).head(20)'),
        new_markdown_cell("## Pillar shares"),
        new_code_cell('idx = t.get("frame_indices")\nshares = (plots.pillar_shares_from_indices(idx) if idx is not None\n'
                      '          else plots.pillar_shares_from_frames(fy))\nd = show(plots.plot_pillar_shares, shares)'),
        new_markdown_cell("## The anchor, paragraph by paragraph"),
        new_code_cell('anchor = ctx.anchor\n'
                      'prof = t.get("anchor_frame_profile")\n'
                      'if prof is None or prof.empty:\n    prof = t["frames_units"]\n'
                      'd = show(plots.plot_anchor_profile, prof, doc_id=anchor)'),
        new_markdown_cell("## Stance and sentiment"),
        new_code_cell('t.get("stance_years", pd.DataFrame()).head(10)'),
        new_code_cell('t.get("sentiment_years", pd.DataFrame()).head(10)'),
        new_markdown_cell("## Validating the dictionary\n\n1. Draw a stratified KWIC sample per frame: "
                          "`r2p frames sample --corpus CORPUS --out sample.csv` (or `sample_kwic` below).\n"
                          "2. Open the CSV, fill `relevant` with 1 (the passage expresses the frame) or 0.\n"
                          "3. `r2p frames validate sample.csv` reports precision per frame with Wilson "
                          "intervals; set `CODED` above to see it here."),
        new_code_cell('from analysis.framing import sample_kwic, validate_coding\n'
                      'sample = sample_kwic(ctx.units, ctx.study.frames_dictionary_path, n_per_frame=3, seed=SEED)\n'
                      'sample.head(10)'),
        new_code_cell('if CODED and Path(CODED).exists():\n    display(validate_coding(CODED))\nelse:\n'
                      '    print("No coded sample yet: code the CSV from `r2p frames sample`, then set CODED.")'),
    ])


def other_nb():
    return nb([
        new_markdown_cell("# 05 The same analyses on another corpus\n\nEvery stage runs on any dated speech "
                          "corpus. Here: the US State of the Union addresses (`sotu`, 1790 to today). The "
                          "anchor defaults to the most recent address. `r2p run --corpus sotu --out figures/sotu` "
                          "writes the same tables and every figure (PDF, PNG, SVG, data CSV, JSON sidecar)."),
        params_cell("sotu"),
        new_code_cell(SETUP),
        new_code_cell('ctx = run.stages("compare", "topics", "novelty", "frames")\nt = ctx.tables\n'
                      'docs = t["documents"]\nprint(len(docs), "documents;", len(ctx.units), "units;",\n'
                      '      len(t), "tables:", ", ".join(sorted(t)))'),
        new_code_cell('d = show(plots.plot_corpus_overview, docs[docs["available"].astype(bool)])'),
        new_code_cell('anchor = ctx.anchor\n'
                      'd = show(plots.plot_similarity_to_anchor, t["similarity_to_anchor"], docvars=docs, '
                      'anchor=anchor)'),
        new_code_cell('d = show(plots.plot_topic_prevalence, t["topic_prevalence"])'),
        new_code_cell('d = show(plots.plot_frame_trajectories, t["frames_years"], '
                      'changepoints=t.get("frame_changepoints"))'),
        new_code_cell('d = show(plots.plot_style_trends, t["style"], docvars=docs)'),
        new_code_cell('d = show(plots.plot_novelty, t["novelty"], docvars=docs)'),
    ])


STATES_SETUP = '''%matplotlib inline
from pathlib import Path

import pandas as pd
from IPython.display import display

from analysis import load_corpus, plots
from analysis.corpus import CorpusError
from analysis.errors import UsageError
from analysis.notebook import Run, show
from analysis.reshape import corpus_passages, load_reshaped
from analysis.textstats.passages import stat_passage_rates

pd.set_option("display.max_colwidth", 90)
pd.set_option("display.width", 140)
# the states go beside the Secretary-General: a single corpus given as CORPUS is put after sg-r2p
SPEC = CORPUS if "+" in str(CORPUS) or str(CORPUS) == "sg-r2p" else f"sg-r2p+{CORPUS}"
try:
    corpus = load_reshaped(SPEC, load_corpus, where=WHERE or None)
except CorpusError as e:  # the UNGDC is not on this machine: the loader says how to get it
    print(f"{e}\\n-> until then this notebook shows sg-r2p+inaugural")
    SPEC = "sg-r2p+inaugural"
    corpus = load_reshaped(SPEC, load_corpus, where=WHERE or None)
docs = corpus.available().docvars
print(corpus)
docs.groupby("source")["doc_id"].count().rename("documents with text").to_frame()'''


def states_nb():
    return nb([
        new_markdown_cell("# 06 States and the Secretary-General\n\nR2P scholars compare what the Secretary-"
                          "General says with what states say. This notebook puts the SG corpus beside the UN "
                          "General Debate Corpus (Jankin, Baturo & Dasandi 2017; `--corpus sg-r2p+ungdc`, a "
                          "`source` docvar telling them apart), cuts every speech into the paragraphs that speak "
                          "of the responsibility to protect or the four atrocity crimes (`--passages r2p`), and "
                          "asks how often states speak of R2P per year and region, which frames they use, and "
                          "how close their R2P passages come to the 2017 anchor. The same run on the command "
                          "line: `r2p run --corpus sg-r2p+ungdc --passages r2p --only compare --only frames`."),
        params_cell("sg-r2p+ungdc",
                    'PASSAGES = "r2p"   # the pattern set (a profile name) or comma-separated patterns\n'
                    'WHERE = ""   # a --where expression over the docvars, e.g. "year >= 2005"'),
        new_code_cell(STATES_SETUP),
        new_markdown_cell("## How often states speak of R2P\n\nThe share of speeches with at least one "
                          "matching paragraph, per year and source, then per UN regional group (the UNGDC "
                          "loader's `un_region`)."),
        new_code_cell('rates = stat_passage_rates(corpus, PASSAGES, by=["source", "year"])\n'
                      'display(rates.pivot(index="year", columns="source", values="share").round(3).tail(20))\n'
                      'd = show(plots.plot_passage_shares, rates, by="source")'),
        new_code_cell('REGION = "un_region" if "un_region" in docs.columns else "source"\n'
                      'if REGION == "source":\n'
                      '    print("no un_region docvar in this corpus (the UNGDC loader adds it): by source only")\n'
                      'by_region = stat_passage_rates(corpus, PASSAGES, by=[REGION, "year"])\n'
                      'totals = by_region.groupby(REGION)[["documents", "with_passages", "passages", "matches"]].sum()\n'
                      'display(totals.assign(share=(totals["with_passages"] / totals["documents"]).round(3)))\n'
                      'd = show(plots.plot_passage_shares, by_region, by=REGION)'),
        new_markdown_cell("## The passages\n\nEvery matching paragraph becomes a document (`{doc_id}#p{n}`) "
                          "with its speech's docvars and the patterns it matched; the anchor stays whole."),
        new_code_cell('try:\n    passages = corpus_passages(corpus, PASSAGES)\nexcept UsageError as e:\n'
                      '    print(f"{e}; the analyses below use whole documents")\n    passages = corpus\n'
                      'print(passages, passages.settings.get("passages", {}))\n'
                      'pv = passages.docvars\n'
                      'if "matched" in pv.columns:\n'
                      '    found = pv[pv["passage_n"] > 0].assign(pattern=pv["matched"].str.split("; ")).explode("pattern")\n'
                      '    display(found.groupby(["pattern", "source"]).size().unstack(fill_value=0))'),
        new_markdown_cell("## Which frames they use\n\nFrame rates per 1,000 tokens of the passages, by year "
                          "and source (`frames_source_years`), with bootstrap intervals."),
        new_code_cell('run = Run(passages, out=Path(OUT) / Path(SPEC).name, seed=SEED, overrides=OVERRIDES)\n'
                      'ctx = run.stages("compare", "frames")\nt = ctx.tables\n'
                      'fs = t["frames_source_years"]\n'
                      'd = show(plots.plot_frame_source_trajectories, fs)'),
        new_code_cell('if len(fs):\n'
                      '    top = fs[fs["level"] == 1].groupby(["frame", "source"])[["matches", "tokens"]].sum()\n'
                      '    display((1000 * top["matches"] / top["tokens"]).unstack().round(2))'),
        new_markdown_cell("## How close their R2P passages come to the 2017 anchor\n\nMean TF-IDF cosine of "
                          "the passages to the anchor per year and source (`similarity_source_years`), and the "
                          "closest passages."),
        new_code_cell('ss = t["similarity_source_years"]\ndisplay(ss.tail(10))\n'
                      'd = show(plots.plot_similarity_source_years, ss)'),
        new_code_cell('sim = t["similarity_to_anchor"].merge(pv.drop(columns=["year", "speaker"]), on="doc_id")\n'
                      'closest = sim[sim["doc_id"] != ctx.anchor].sort_values("cosine", ascending=False)\n'
                      'cols = [c for c in ["doc_id", "source", "year", "country", "un_region", "speaker", "cosine", '
                      '"matched"] if c in closest.columns]\n'
                      'closest[cols].head(10)'),
        new_markdown_cell("## What sets the sources apart\n\nKeyness of the first source against the others "
                          "(`source=sg-r2p vs ungdc`, the comparison stage's grammar)."),
        new_code_cell('key = t["keyness"]\n'
                      'comps = [c for c in dict.fromkeys(key["comparison"].astype(str)) if c.startswith("source=")]\n'
                      'd = show(plots.plot_keyness, key, comparison=comps[0]) if comps else print("one source only")'),
    ])


NOTEBOOKS = {
    "01_corpus.ipynb": corpus_nb,
    "02_anchor_in_context.ipynb": anchor_nb,
    "03_topics_over_time.ipynb": topics_nb,
    "04_framing.ipynb": framing_nb,
    "05_other_corpus_sotu.ipynb": other_nb,
    "06_states_and_the_sg.ipynb": states_nb,
}


def main() -> None:
    for name, make in NOTEBOOKS.items():
        book = make()
        for i, cell in enumerate(book.cells):  # stable ids: clean diffs
            cell["id"] = f"{Path(name).stem[:2]}-{i:02d}"
        nbformat.validate(book)
        nbformat.write(book, HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
