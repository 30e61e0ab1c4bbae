"""The ``r2p`` command line (also ``python -m analysis``).

Exit codes: 0 ok, 1 problems found (validation errors, failed fetches, failed
stages), 2 usage errors (see :func:`analysis.cli.options.cli_errors`). The run
commands (``run``, ``settings``, ``topics``, ``kwic``, ``keyness``) are in
:mod:`analysis.cli.run`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from analysis._version import __version__
from analysis.cli.options import (CORPUS_HELP, DATA_DIR_HELP, PASSAGES_HELP, WHERE_HELP, cli_errors, console,
                                  load_corpus_or_exit, out_console, use_data_dir as _use_data_dir)
from analysis.corpus import BUILTIN_CORPORA, corpus_dir
from analysis.profiles import DEFAULT_SEED, get_profile


app = typer.Typer(
    name="r2p",
    help="Comparative speech-corpus analytics for UN Secretary-General discourse on the "
    "Responsibility to Protect. Exit codes: 0 ok, 1 problems found, 2 usage error.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
corpus_app = typer.Typer(help="Inspect, validate and build corpora.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

from analysis.cli import run as _run_commands  # noqa: E402

_run_commands.register(app)

def _load(corpus: str):
    return load_corpus_or_exit(corpus)


@app.command("version")
def version() -> None:
    """Print the package version."""
    out_console.print(f"r2p (analysis) {__version__}")


@corpus_app.command("info")
def corpus_info(
    corpus: str = typer.Option("sg-r2p", "--corpus", "-c", help=CORPUS_HELP),
    show_missing: bool = typer.Option(True, "--missing/--no-missing", help="List documents without text, with their URLs."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP),
    passages: Optional[str] = typer.Option(None, "--passages", help=PASSAGES_HELP),
    units: bool = typer.Option(True, "--units/--no-units", help="Also make the paragraph units and report their "
                               "number, length, share ending mid-sentence and the layout artefacts removed."),
    sets: Optional[List[str]] = typer.Option(None, "--set", help="A text setting of the unit rule, e.g. "
                                             "text.unwrap=never, text.sentences_per_unit=4 (repeatable)."),
) -> None:
    """Summarise a corpus: documents, years, speakers, anchor, countries and regions, what is missing or skipped.

    With `--corpus A+B`, `--where` or `--passages`, the reshaped corpus is summarised
    (documents per source when there are several). With `--units` (the default) the
    paragraph units are made as a run makes them (transcript annotations removed, then
    the unit rule of the `text` settings) and reported: their number, their length in
    running words (median, 90th percentile, maximum), the share that ends mid-sentence
    (analysis.units.ends_mid_sentence) and the layout artefacts removed or joined
    (page numbers, UN job numbers, running heads, line breaks joined, sentence groups).
    """
    _use_data_dir(data_dir)
    with cli_errors():
        from analysis.settings import parse_assignments
        from analysis.text import TextSettings

        overrides = parse_assignments(sets)
        unknown = sorted(set(overrides) - {"text"})
        if unknown:
            from analysis.errors import UsageError

            raise UsageError(f"corpus info --set takes text settings only (text.KEY=VALUE), not {unknown[0]}.*")
        text_settings = TextSettings.from_mapping(overrides.get("text", {}))
    c = load_corpus_or_exit(corpus, where=where, passages=passages)
    s = c.summary()
    if units:
        from analysis.units import units_report

        s["units"] = units_report(c, text_settings)
    if "source" in c.docvars.columns and c.docvars["source"].nunique() > 1:
        s["sources"] = {str(k): int(v) for k, v in c.docvars["source"].value_counts(sort=False).items()}
    if "passages" in c.settings:
        s["passages"] = c.settings["passages"]
    if as_json:
        s["missing_documents"] = c.missing()[["doc_id"] + [x for x in ("url",) if x in c.docvars]].to_dict("records")
        out_console.print_json(json.dumps(s, default=str))
        return
    t = Table(title=f"corpus {s['name']}", show_header=False)
    years = f"{s['first_year']}-{s['last_year']}" if s["first_year"] is not None else "none"
    rows = [
        ("documents", s["documents"]), ("with text", s["available"]), ("missing", s["missing"]),
        ("years (with text)", years), ("speakers", s["speakers"]), ("anchor", s["anchor"]),
        *((("sources", ", ".join(f"{k}: {v}" for k, v in s["sources"].items())),) if "sources" in s else ()),
        *((("passages", f"{s['passages']['passages']} from {s['passages']['documents_with_passages']} of "
            f"{s['passages']['documents']} documents ({s['passages']['unit']})"),) if "passages" in s else ()),
    ]
    dv = c.docvars
    if "post" in dv.columns:
        rows.append(("with speaker's post", int(dv["post"].notna().sum())))
    if "countries" in s:
        rows.append(("countries", s["countries"]))
    rows.append(("skipped files", s["skipped_files"]))
    if s["issues"]:
        rows.append(("issues", ", ".join(f"{n} {k}(s)" for k, n in sorted(s["issues"].items()))
                     + " (r2p corpus validate lists them)"))
    if units:
        u = s["units"]
        share = u["mid_sentence_share"]
        rows += [
            ("units (paragraphs)", f"{u['units']} (text.unwrap={u['rule']['unwrap']}, sentences_per_unit="
                                   f"{u['rule']['sentences_per_unit']}, max_unit_words={u['rule']['max_unit_words']})"),
            ("unit words: median / p90 / max", f"{u['words_median']:g} / {u['words_p90']:g} / {u['words_max']}"),
            ("units ending mid-sentence", f"{u['mid_sentence']} ({share:.2%})" if share == share else "0"),
            ("annotations removed", str(u["annotations_removed"])),
        ]
        for item, (n, docs) in u["layout"].items():
            rows.append((f"layout: {item.replace('_', ' ')}", f"{n} in {docs} document(s)"))
    for k, v in rows:
        t.add_row(k, str(v))
    out_console.print(t)
    if "regions" in s:
        rt = Table(title="documents by UN regional group")
        rt.add_column("group")
        rt.add_column("documents", justify="right")
        for k, v in s["regions"].items():
            rt.add_row(k, str(v))
        out_console.print(rt)
    if c.anchor:
        status = "available" if bool(dv.loc[dv["doc_id"] == c.anchor, "available"].iloc[0]) else "MISSING"
        out_console.print(f"anchor {c.anchor}: {status}")
    if show_missing and s["missing"]:
        mt = Table(title="missing texts (run `r2p corpus fetch`)")
        mt.add_column("doc_id")
        mt.add_column("url", overflow="fold")
        for _, r in c.missing().iterrows():
            url = r.get("url_override") if isinstance(r.get("url_override"), str) else r.get("url")
            mt.add_row(str(r["doc_id"]), str(url))
        out_console.print(mt)


@corpus_app.command("validate")
def corpus_validate(
    corpus: str = typer.Option("sg-r2p", "--corpus", "-c", help=CORPUS_HELP),
    notes: bool = typer.Option(False, "--notes", help="Also list notes (e.g. texts not fetched yet)."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
) -> None:
    """Check a corpus: the files its loader skipped or read partly, and for a manifest folder its schema and lock file.

    Never modifies anything. Lists every problem with its file (and row, column) and
    what to do: a speech file that breaks the naming rule, an empty or non-UTF-8
    file, a manifest row against the schema or the lock, a text file (manifest path or
    symbolic link) that resolves outside the corpus folder (refused, never read). Exit code 1 when any error
    or warning is found; notes (e.g. a code outside ISO 3166 kept, texts not fetched
    yet) are listed with --notes.
    """
    from analysis.acquire.lock import validate_corpus_folder

    _use_data_dir(data_dir)
    folder = corpus_dir() if corpus in ("sg-r2p", "sg_r2p", "r2p") else Path(corpus)
    manifest = corpus not in BUILTIN_CORPORA[1:] and folder.is_dir() and (folder / "manifest.csv").exists()
    if manifest:
        from analysis.corpus import CorpusError, load_manifest_folder
        from analysis.manifest import ManifestError

        problems = validate_corpus_folder(folder)
        try:  # the texts' own problems (empty, not UTF-8); a manifest that does not load is reported above
            issues = load_manifest_folder(folder).issues
            # a text_file outside the folder is already a manifest problem above (with its line): once
            issues = issues[issues["action"] != "refused"]
        except (CorpusError, ManifestError):
            issues = None
    else:
        problems = []
        c = _load(corpus)
        issues = c.issues
    bad = issues[issues["severity"] != "note"] if issues is not None else []
    n_issue_notes = (len(issues) - len(bad)) if issues is not None else 0
    if issues is not None:
        for _, r in (issues if notes else bad).iterrows():
            console.print(f"{r['severity']}: {r['file']}: {r['problem']} ({r['action']})", markup=False,
                          highlight=False)
    if not manifest:
        empty = [d for d in c.doc_ids if not c.texts.get(d)]
        for d in empty:
            console.print(f"error: {corpus}: document {d} has no text", markup=False, highlight=False)
        out_console.print(f"{corpus}: {len(c)} documents loaded, {len(empty)} without text, "
                          f"{int((issues['action'] == 'skipped').sum())} file(s) skipped; {len(bad)} problem(s), "
                          f"{n_issue_notes} note(s)" + ("" if notes or not n_issue_notes else " (--notes to list)"))
        if empty or len(bad):
            raise typer.Exit(1)
        return
    errors = [p for p in problems if p.severity == "error"]
    for p in (problems if notes else errors):
        console.print(str(p), markup=False, highlight=False)
    n_notes = len(problems) - len(errors) + n_issue_notes
    out_console.print(f"{folder}: {len(errors) + len(bad)} error(s), {n_notes} note(s)"
                      + ("" if notes or not n_notes else " (--notes to list)"))
    if errors or len(bad):
        raise typer.Exit(1)


@corpus_app.command("fetch")
def corpus_fetch(
    corpus: str = typer.Option("sg-r2p", "--corpus", "-c", help="A folder with manifest.csv, or sg-r2p (the project's corpus/); or a Dataverse dataset downloaded as released: ungdc (UN General Debate Corpus), unsc-debates, unsc-meetings, or a DOI (doi:10.7910/DVN/...)."),
    only: Optional[List[str]] = typer.Option(None, "--only", help="Fetch only this doc_id (repeatable); for a Dataverse dataset, this file name or pattern."),
    force: bool = typer.Option(False, "--force", help="Re-fetch texts already present; a different text goes beside the old one as <doc_id>.new.txt, never over it. For a Dataverse dataset: list again, re-verify every file, unpack again (never over a changed file)."),
    plan: bool = typer.Option(False, "--plan", help="List what would be fetched and from which URLs; download and write nothing."),
    config: Optional[Path] = typer.Option(None, "--config", help="A sources.yml overriding corpus/sources.yml (user agent, rate limit, URL templates)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write the per-row summary to this CSV file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar; summary only."),
    accept: bool = typer.Option(False, "--accept", help="Download nothing; accept the re-fetched texts awaiting review (<doc_id>.new.txt) of the --only rows, or of all."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP + " Dataverse datasets go to its <name>/ subfolder (e.g. ungdc/)."),
    version: Optional[str] = typer.Option(None, "--version", help="Dataverse datasets: the published version to fetch (ungdc: 13.0; e.g. 12.0, or :latest-published)."),
    server: Optional[str] = typer.Option(None, "--server", help="Dataverse datasets: the installation (default https://dataverse.harvard.edu)."),
    unpack: bool = typer.Option(True, "--unpack/--no-unpack", help="Dataverse datasets: unpack the downloaded archives (never over an existing different file)."),
) -> None:
    """Download the manifest's missing texts, extract them, and record them in corpus.lock.

    Tries url_override, then (reports) the UN Official Document System by
    doc_symbol, then url. Raw downloads go to corpus/raw/, cleaned texts to
    corpus/texts/, hashes to corpus/corpus.lock. Polite (user agent, rate limit,
    robots.txt, retries); an interrupted run resumes. Exit code 1 if any row failed.

    With --corpus ungdc (or unsc-debates, unsc-meetings, a DOI) the dataset is
    downloaded as released through the Dataverse API by DOI and --version into
    the user data folder (<data dir>/ungdc): file listing, downloads verified
    against the published checksums and resumed when cut off (.part files),
    archives unpacked without overwriting anything, dataverse.lock written last.
    A second run is a no-op.
    """
    from analysis.cli.fetch import fetch_command

    _use_data_dir(data_dir)

    code = fetch_command(corpus, only=only, force=force, plan=plan, config=config, report_csv=report,
                         quiet=quiet, console=console, out_console=out_console, accept=accept,
                         version=version, server=server, unpack=unpack)
    if code:
        raise typer.Exit(code)


# ------------------------------------------------------------------ frames
frames_app = typer.Typer(
    help="Framing dictionaries: list frames, draw a KWIC sample to hand-code, report precision.",
    no_args_is_help=True,
)
app.add_typer(frames_app, name="frames")


@frames_app.command("list")
def frames_list(
    dictionary: Optional[Path] = typer.Option(None, "--dictionary", "-d", help="A .yml or LIWC .dic dictionary (default corpus/dictionaries/r2p_frames.yml)."),
) -> None:
    """List the frames of a dictionary with their number of entries and sources."""
    from analysis.framing.frames import load_frames_dictionary

    with cli_errors():
        d = load_frames_dictionary(dictionary or get_profile().frames_dictionary_path)
    t = Table(title=str(d.name))
    for c in ("frame", "entries", "exclusions", "source"):
        t.add_column(c, overflow="fold")
    for k in d.keys:
        t.add_row(k, str(len(d.entries(k))), str(len(d.exclusions(k))), "; ".join(d.sources(k)))
    out_console.print(t)


@frames_app.command("sample")
def frames_sample(
    corpus: str = typer.Option("sg-r2p", "--corpus", "-c", help=CORPUS_HELP),
    out: Path = typer.Option(Path("frames_sample.csv"), "--out", "-o", help="CSV to write (then fill its 'relevant' column with 1/0)."),
    n: int = typer.Option(20, "--n", "-n", min=1, help="Matches to draw per frame."),
    window: int = typer.Option(60, "--window", min=0, help="Characters of context either side."),
    strata: str = typer.Option("year", "--strata", help="Column to stratify by (year, doc_id, speaker; 'none' for none)."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Seed of the random draw."),
    dictionary: Optional[Path] = typer.Option(None, "--dictionary", "-d", help="Dictionary (default corpus/dictionaries/r2p_frames.yml)."),
    frame: Optional[List[str]] = typer.Option(None, "--frame", "-f", help="Only these frames (repeatable), e.g. pillars.pillar_two."),
    force: bool = typer.Option(False, "--force", help="Overwrite OUT if it exists (it may hold your codes)."),
) -> None:
    """Draw a stratified keyword-in-context sample of each frame's matches for hand coding.

    Code each row's 'relevant' column as 1 (the passage expresses the frame) or
    0 (false positive), then run `r2p frames validate OUT`.
    """
    from analysis.framing import load_frames_dictionary, sample_kwic
    from analysis.run.runner import write_csv
    from analysis.units import make_units

    if out.exists() and not force:
        console.print(f"[red]error:[/] {out} exists and may hold hand codes; choose another --out or pass --force", markup=False)
        raise typer.Exit(1)
    with cli_errors(also=((KeyError, 1),)):  # sample_kwic: an unknown frame or strata column
        d = load_frames_dictionary(dictionary or get_profile().frames_dictionary_path)
        units = make_units(_load(corpus).available())
        s = sample_kwic(units, d, n_per_frame=n, window=window,
                        strata=None if strata.lower() == "none" else strata, seed=seed, frames=frame)
    write_csv(s, out)
    t = Table(title=f"KWIC sample: {len(s)} matches from {units['doc_id'].nunique()} documents")
    t.add_column("frame")
    t.add_column("sampled", justify="right")
    for f, k in s.groupby("frame", sort=False).size().items():
        t.add_row(str(f), str(k))
    out_console.print(t)
    out_console.print(f"wrote {out}; fill 'relevant' with 1/0, then: r2p frames validate {out}")


@frames_app.command("validate")
def frames_validate(
    coded: Path = typer.Argument(..., help="The CSV from `r2p frames sample` with 'relevant' coded 1/0."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also write the precision table to this CSV."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="1 - coverage of the Wilson intervals."),
) -> None:
    """Precision per frame from a hand-coded sample, with Wilson score intervals."""
    from analysis.framing import validate_coding
    from analysis.run.runner import write_csv

    with cli_errors(also=((ValueError, 1),)):  # a coded file without its columns
        res = validate_coding(coded, alpha=alpha)
    t = Table(title=f"precision per frame ({100 * (1 - alpha):g}% Wilson intervals)")
    for c in ("frame", "coded", "relevant", "precision", "interval", "uncoded"):
        t.add_column(c, justify="left" if c == "frame" else "right")
    for r in res.itertuples(index=False):
        prec = "-" if r.n_coded == 0 else f"{r.precision:.2f}"
        ci = "-" if r.n_coded == 0 else f"[{r.ci_low:.2f}, {r.ci_high:.2f}]"
        t.add_row(r.frame, str(r.n_coded), str(r.n_relevant), prec, ci, str(r.n_uncoded))
    out_console.print(t)
    if out is not None:
        write_csv(res, out)
        out_console.print(f"wrote {out}")


# ------------------------------------------------------------------ exports
from analysis.cli.export import register as _register_export  # noqa: E402

_register_export(app, console, out_console)

from analysis.cli.report import register as _register_report  # noqa: E402

_register_report(app, console, out_console)

from analysis.cli.cache import register as _register_cache  # noqa: E402

_register_cache(app)


# ------------------------------------------------------------------ figures and notebooks
@app.command("figures")
def figures_cmd(
    out: Path = typer.Option(Path("out"), "--out", "-o", help="Folder of a finished `r2p run` (reads OUT/tables, writes OUT/figures)."),
    formats: str = typer.Option("pdf,png,svg", "--formats", help="Comma-separated image formats: pdf, png, svg."),
    force: bool = typer.Option(False, "--force", help="Redraw every figure, even those whose inputs are unchanged."),
) -> None:
    """Draw the figures again from OUT/tables without recomputing any stage."""
    from analysis.stages.figures import redraw

    with cli_errors(also=((ValueError, 1),)):  # a bad --formats
        index = redraw(out, formats=formats, reuse=not force, log=lambda m: console.print(m))
    drawn = int((index["status"] == "drawn").sum())
    out_console.print(f"{drawn} figures in {out / 'figures'}; {len(index) - drawn} skipped (see tables/figure_index.csv)")
    if (index["status"] == "failed").any():
        raise typer.Exit(1)


@app.command("notebooks")
def notebooks_cmd(
    out: Path = typer.Option(Path("figures/notebooks"), "--out", "-o", help="Folder for the HTML files."),
    corpus: Optional[str] = typer.Option(None, "--corpus", "-c", help="Corpus for every notebook (default: each notebook's own; " + CORPUS_HELP + ")"),
    only: Optional[List[str]] = typer.Option(None, "--only", help="Notebooks whose name starts with this, e.g. 01 (repeatable)."),
) -> None:
    """Execute the notebooks in notebooks/ on a fresh kernel and export them to HTML."""
    from analysis.notebooks import run_notebooks

    res = run_notebooks(out, corpus=corpus, only=only, log=lambda m: console.print(m))
    bad = res[res["status"] != "ok"]
    out_console.print(f"{len(res) - len(bad)}/{len(res)} notebooks executed; HTML in {out}")
    if len(bad):
        raise typer.Exit(1)


def main() -> None:  # console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
