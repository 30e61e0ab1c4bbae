"""Sphinx extension: the pages generated from the code at build time, so they cannot go stale.

Written under ``docs/_generated/`` when the builder starts (``builder-inited``):

* ``settings.md``: every declared setting (:func:`analysis.cli.run.settings_markdown`, the text of
  ``r2p settings --markdown``), one section per group;
* ``tables.md``: every table of ``r2p run``, the stage that writes it (each stage module's
  ``PRODUCES``) and its columns with their types as a run on the docs corpus wrote them;
* ``conformance.md`` and ``conformance/<family>.md``: the conformance registry rendered by
  ``python -m tests.conformance.report --out FILE`` (all cases, and each method family's rows for
  its method page);
* ``notebooks/NN_*.ipynb``: the tutorials with their outputs (see :func:`tutorials`).

Environment:

``R2P_DOCS_NOTEBOOKS``
    ``auto`` (default): a notebook executed by ``make figures`` (``figures/notebooks/NN.ipynb``,
    newer than its source) is rendered as stored; otherwise the notebook is executed once on
    ``R2P_DOCS_CORPUS`` (default ``inaugural``, 59 addresses shipped with NLTK's data) with small,
    fast settings, and the executed copy is kept until the notebook's source changes.
    ``execute``: the docs corpus even where ``make figures`` left executed copies (what CI does;
    a copy executed by an earlier build of the same notebook source is reused). ``stored``: only
    the ``make figures`` copies (fails when one is missing). ``off``: a stub page per notebook
    (quick drafts).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent   # docs/
ROOT = HERE.parent
GEN = HERE / "_generated"

#: settings for executing the notebooks on the docs corpus: small and fast, the point is the
#: outputs a reader sees, not the statistics (the notebooks run the real defaults elsewhere)
DOCS_OVERRIDES = {
    "topics": {"models": "nmf", "k_min": 4, "k_max": 12, "k_step": 4, "n_runs": 2, "n_boot": 100,
               "dynamic": False},
    "compare": {"n_boot": 100},
    "frames": {"n_boot": 200},
    "figures": {"formats": "png"},
}


def _write(path: Path, text: str) -> None:
    """Write only when the text changed (Sphinx then rebuilds only what changed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------- settings
def settings_page() -> str:
    from analysis.cli.run import settings_markdown
    from analysis.run.registry import settings_groups

    parts = ["# Every setting\n",
             ("Generated from the declarations (`analysis.run.registry.settings_groups`, the same text "
              "as `r2p settings --markdown`) when this site was built. Set one with "
              "`r2p run --set GROUP.KEY=VALUE`, in a notebook with `Run(..., overrides={GROUP: {KEY: VALUE}})`; "
              "an unknown key or a value out of range is a usage error naming the closest key.\n")]
    for group, cls in settings_groups().items():
        doc = (cls.__doc__ or "").strip().splitlines()
        parts.append(f"## `{group}`\n")
        if doc and not doc[0].startswith(cls.__name__ + "("):
            parts.append(doc[0] + "\n")
        parts.append(settings_markdown(group))
    return "\n".join(parts)


# ------------------------------------------------------------------------------------ tables
def tables_page(run_dir: Path | None = None) -> str:
    """The table reference, from the catalog (:mod:`analysis.run.catalog`): no run is needed.

    Each stage module declares its tables (``TABLES``: name, grain, typed columns with
    descriptions); this page lists them by stage. ``run_dir`` (the docs run) is not read.
    """
    from analysis.run.catalog import catalog, tables_of
    from analysis.run.registry import OPTIONAL_STAGES, STAGE_NAMES

    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    tables = catalog()
    lines = ["# Every table\n",
             (f"Generated from the declarations when this site was built: {len(tables)} tables. Each stage "
              "module of `analysis/stages/` declares the tables it writes under `OUT/tables/` (`TABLES`, with "
              "`analysis.run.catalog.Table` and `Column`); the run checks every table against its declaration "
              "before writing it, and a table a run cannot fill (say, `similarity_source_years` with one source) "
              "is written with its columns and no rows. Types: `str` (text), `int`, `float`, `bool`, `date` (ISO "
              "8601 text); `?` marks a column that may have empty values (NaN, an empty CSV field); *optional* "
              "columns are absent where they do not apply.\n"),
             "| table | stage | one row per |", "|---|---|---|"]
    for name, t in tables.items():
        grain = cell(t.grain.removeprefix("one row per ")).replace("`", "").replace("<", "\\<")
        lines.append(f"| `{name}` | `{t.stage}` | {{ref}}`{grain} <table-{name}>` |")
    lines.append("")
    for stage in (*STAGE_NAMES, *OPTIONAL_STAGES):
        stage_tables = tables_of(stage)
        if not stage_tables:
            continue
        where = "optional stage, run with `--only`" if stage in OPTIONAL_STAGES else "stage"
        lines += [f"## `{stage}` ({where})\n"]
        for t in stage_tables:
            lines += [f"(table-{t.name})=", f"### `{t.name}`\n",
                      f"Stage `{t.stage}`; {t.grain}. {t.description}\n"]
            if t.dynamic:
                lines.append(f"Besides the columns below: {t.dynamic}.\n")
            lines += ["| column | type | description |", "|---|---|---|"]
            for c in t.columns:
                typ = f"`{c.type_label}`" + (" *optional*" if c.optional else "")
                lines.append(f"| `{c.name}` | {typ} | {cell(c.description)} |")
            lines.append("")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- conformance
def conformance_pages() -> None:
    """``python -m tests.conformance.report --out FILE``, then one file per method family."""
    out = GEN / "conformance.part.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    res = subprocess.run([sys.executable, "-m", "tests.conformance.report", "--out", str(out)],
                         check=False, cwd=ROOT, env=env, capture_output=True, text=True)
    if not out.exists():
        raise RuntimeError(f"tests.conformance.report wrote nothing (exit {res.returncode}):\n{res.stderr}")
    table = out.read_text(encoding="utf-8")
    out.unlink()
    rows = [ln for ln in table.splitlines() if ln.startswith("| ") and not ln.startswith("| family ")]
    head = table.splitlines()[:2]
    disagree = sum("| **no** |" in r for r in rows)
    intro = (f"{len(rows)} cases, generated from `tests/conformance/registry.py` when this site was built "
             "(`python -m tests.conformance.report`); `tests/conformance/test_conformance.py` runs the same "
             "cases in CI. Each row: the method, the reference implementation or paper, where the published "
             "value was printed, the data, the published value, ours, the tolerance, and the note that says "
             "why where we differ on purpose.")
    if disagree:
        intro += f" **{disagree} case(s) disagree in this build** (marked **no**)."
    _write(GEN / "conformance.md", "```{raw} html\n<div class=\"r2p-conformance\">\n```\n\n" + intro + "\n\n"
           + table + "\n```{raw} html\n</div>\n```\n")
    fams: dict[str, list[str]] = {}
    for r in rows:
        fam = r.split("|")[1].strip()
        fams.setdefault(fam, []).append(r)
    from tests.conformance.registry import FAMILIES

    for fam in {*FAMILIES, *fams}:
        slug = re.sub(r"[^a-z0-9]+", "-", fam.lower()).strip("-")
        body = ("\n".join([*head, *fams[fam]]) + "\n") if fam in fams else \
            f"No conformance case of the *{fam}* family is registered yet.\n"
        _write(GEN / "conformance" / f"{slug}.md", body)


# --------------------------------------------------------------------------------- tutorials
def _source_hash(nb: Path, corpus: str) -> str:
    h = hashlib.sha256(nb.read_bytes())
    h.update(corpus.encode())
    h.update(json.dumps(DOCS_OVERRIDES, sort_keys=True).encode())
    return h.hexdigest()


def tutorials(mode: str | None = None, corpus: str | None = None) -> Path | None:
    """Put the executed notebooks under ``_generated/notebooks``; return the docs run folder."""
    import nbformat

    from analysis.notebooks import list_notebooks, run_notebooks

    mode = mode or os.environ.get("R2P_DOCS_NOTEBOOKS", "auto")
    corpus = corpus or os.environ.get("R2P_DOCS_CORPUS", "inaugural")
    if mode not in {"auto", "execute", "stored", "off"}:
        raise ValueError(f"R2P_DOCS_NOTEBOOKS={mode!r}: use auto, execute, stored or off")
    dest = GEN / "notebooks"
    dest.mkdir(parents=True, exist_ok=True)
    stamps_path = dest / "stamps.json"
    stamps = json.loads(stamps_path.read_text()) if stamps_path.exists() else {}
    stored_dir = ROOT / "figures" / "notebooks"
    todo = []
    for book in list_notebooks():
        target = dest / book.name
        stored = stored_dir / book.name
        if mode == "off":
            nb = nbformat.read(book, as_version=4)
            nb.cells.insert(1, nbformat.v4.new_markdown_cell(
                "*This build did not render the notebook's outputs (`R2P_DOCS_NOTEBOOKS=off`).*"))
            nbformat.write(nb, target)
            stamps.pop(book.name, None)
            continue
        if mode in {"auto", "stored"} and stored.exists() and stored.stat().st_mtime >= book.stat().st_mtime:
            shutil.copyfile(stored, target)
            stamps[book.name] = "stored"
            continue
        if mode == "stored":
            raise RuntimeError(f"{stored} is missing or older than {book}: run `make figures` "
                               "(or build with R2P_DOCS_NOTEBOOKS=execute)")
        if stamps.get(book.name) == _source_hash(book, corpus) and target.exists():
            continue
        todo.append(book)
    runs = dest / "runs"
    if todo:
        print(f"r2p_docs: executing {len(todo)} notebook(s) on {corpus} ...", file=sys.stderr)
        res = run_notebooks(dest / "html", corpus=corpus, only=[b.stem for b in todo],
                            parameters={"OVERRIDES": DOCS_OVERRIDES, "OUT": str(runs),
                                        "CACHE_ROOT": str(runs / "_cache")},
                            save_ipynb=True, timeout=900, log=lambda m: print(m, file=sys.stderr))
        failed = res[res["status"] != "ok"]
        if len(failed):
            raise RuntimeError("notebooks failed while building the docs:\n"
                               + "\n".join(f"{r.notebook}: {r.error}" for r in failed.itertuples()))
        for book in todo:
            nb = nbformat.read(dest / "html" / book.name, as_version=4)
            nb.cells.insert(1, nbformat.v4.new_markdown_cell(
                f"*Rendered for this site on the `{corpus}` corpus with small settings "
                "(`R2P_DOCS_NOTEBOOKS`, see the Tutorials page); open the notebook in JupyterLab to run "
                "it on the SG corpus.*"))
            nbformat.write(nb, dest / book.name)
            stamps[book.name] = _source_hash(book, corpus)
    _write(stamps_path, json.dumps(stamps, indent=1, sort_keys=True) + "\n")
    run_dir = runs / corpus
    return run_dir if (run_dir / "tables").is_dir() else None


# --------------------------------------------------------------------------------- cli, api
def cli_page() -> str:
    """Typer's own Markdown of every command and option (``typer analysis.cli.main utils docs``)."""
    res = subprocess.run([sys.executable, "-m", "typer", "analysis.cli.main", "utils", "docs", "--name", "r2p"],
                         check=False, cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, COLUMNS="100"))
    if res.returncode != 0 or not res.stdout.strip():
        raise RuntimeError(f"typer utils docs failed (exit {res.returncode}):\n{res.stderr}")
    return res.stdout


def api_modules() -> list[str]:
    """Every public module of ``analysis`` (not ``__main__``, which runs the command line)."""
    import pkgutil

    import analysis

    names = ["analysis"]
    for info in pkgutil.walk_packages(analysis.__path__, "analysis."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]):
            continue
        names.append(info.name)
    return sorted(names)


API_INTRO = """# The Python API

Every public module of `analysis`, from its numpydoc docstrings (this page is generated when the
site is built, so a new module appears here by itself). The naming grammar tells you what comes
back: `load_*`/`corpus_*` give a `Corpus`, `stat_*` a tidy DataFrame keyed by `doc_id`, `term`,
`topic`, `plot_*` a `(figure, data)` pair; estimators follow scikit-learn (`fit`, learned
attributes ending in `_`, `random_state`).

"""


def api_page() -> str:
    mods = "\n".join(f"   {m}" for m in api_modules())
    return API_INTRO + "```{eval-rst}\n.. autosummary::\n   :toctree: api/generated\n\n" + mods + "\n```\n"


# ------------------------------------------------------------------------------------- hooks
class _DocstringWarnings:
    """List docutils' complaints about docstrings of ``analysis`` (they fail the -W build too).

    Pages and docstrings are equally strict: a reStructuredText slip inside a docstring (an
    unbalanced literal, ``|x|``) fails the build like one in a page, and is also written to
    ``_build/docstring-warnings.txt`` with its module and line, for the module's owner.
    """

    def __init__(self):
        self.seen: list[str] = []

    def filter(self, record) -> bool:
        import logging

        if record.levelno < logging.WARNING:
            return True
        loc = getattr(record, "location", None)
        if isinstance(loc, tuple):
            loc = str(loc[0])
        elif loc is not None and hasattr(loc, "source"):
            from sphinx.util.nodes import get_node_location

            loc = str(get_node_location(loc) or loc.source or "")
        loc = str(loc or "")
        if ("docstring of" in loc and "/analysis/" in loc.replace("\\", "/")) or "<autosummary>" in loc:
            self.seen.append(f"{loc}: {record.getMessage()}")
            return True
        # scikit-learn's own metadata-routing helpers, inherited by the estimators, are not ours
        return "docstring of sklearn." not in loc


DOCSTRING_WARNINGS = _DocstringWarnings()


def _skip_member(app, what, name, obj, skip, options):
    if re.fullmatch(r"set_\w+_request", name):
        return True  # scikit-learn's generated metadata-routing setters
    return None


def _report(app, exc):
    if exc is None and DOCSTRING_WARNINGS.seen:
        out = Path(app.outdir).parent / "docstring-warnings.txt"
        out.write_text("\n".join(DOCSTRING_WARNINGS.seen) + "\n", encoding="utf-8")
        print(f"r2p_docs: {len(DOCSTRING_WARNINGS.seen)} reStructuredText warning(s) in docstrings listed in {out}",
              file=sys.stderr)


def generate(app=None) -> None:
    GEN.mkdir(parents=True, exist_ok=True)
    _write(GEN / "settings.md", settings_page())
    _write(GEN / "cli.md", cli_page())
    _write(HERE / "reference" / "api.md", api_page())  # before autosummary scans the pages
    run_dir = tutorials()
    _write(GEN / "tables_generated.md", tables_page(run_dir))
    conformance_pages()


def setup(app):
    import logging

    for h in logging.getLogger("sphinx").handlers:
        h.filters.insert(0, DOCSTRING_WARNINGS)  # before Sphinx counts the warning
    app.connect("builder-inited", generate, priority=100)  # before autosummary's stub generation
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("build-finished", _report)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
