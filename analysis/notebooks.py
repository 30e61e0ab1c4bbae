"""Execute the project's notebooks with parameters and export them to HTML.

The notebooks in ``notebooks/`` are thin: a cell tagged ``parameters`` holds
``CORPUS``, ``OUT``, ``SEED`` and ``OVERRIDES``; everything else calls the
``analysis`` package. :func:`execute_notebook` injects new values after that
cell (as papermill does, in a cell tagged ``injected-parameters``), runs the
notebook top to bottom on a fresh kernel with nbclient, and
:func:`export_html` writes the executed notebook as HTML with nbconvert.

Command line (used by ``make figures``)::

    python -m analysis.notebooks --out figures/notebooks
    python -m analysis.notebooks --corpus inaugural --only 01 --only 04 --out /tmp/nb
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "NOTEBOOK_DIR",
    "execute_notebook",
    "export_html",
    "inject_parameters",
    "list_notebooks",
    "main",
    "run_notebooks",
]

#: The notebooks shipped with the project (``<repo>/notebooks``).
NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"

RESULT_COLUMNS = ["notebook", "status", "seconds", "html", "error"]


def list_notebooks(folder: str | Path | None = None, only: Sequence[str] | None = None) -> list[Path]:
    """The ``NN_*.ipynb`` notebooks of ``folder`` in order, optionally those whose name starts with ``only``."""
    folder = Path(folder) if folder is not None else NOTEBOOK_DIR
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no notebooks folder (expected the project's notebooks/)")
    books = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = [str(o) for o in only]
        books = [b for b in books if any(b.name.startswith(w) or b.stem == w for w in wanted)]
        if not books:
            raise ValueError(f"--only {wanted}: no notebook in {folder} matches")
    return books


def inject_parameters(nb, parameters: Mapping[str, Any]):
    """Insert a cell assigning ``parameters`` right after the cell tagged ``parameters``.

    Values are written with ``repr`` so strings, numbers, lists and dicts
    round-trip. Without a tagged cell the new cell goes first. An earlier
    injected cell is replaced.
    """
    import nbformat

    if not parameters:
        return nb
    for k in parameters:
        if not str(k).isidentifier():
            raise ValueError(f"notebook parameter {k!r} is not a Python identifier")
    src = "# Injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["tags"] = ["injected-parameters"]
    cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    at = next((i + 1 for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    cell["id"] = "injected-parameters"
    cells.insert(at, cell)
    nb.cells = cells
    return nb


def execute_notebook(path: str | Path, parameters: Mapping[str, Any] | None = None, timeout: int = 3600,
                     kernel_name: str | None = None, cwd: str | Path | None = None):
    """Execute a notebook on a fresh kernel with injected parameters; return the executed notebook.

    Parameters
    ----------
    path : path
        The ``.ipynb`` file (not modified).
    parameters : mapping
        Values for the notebook's parameters cell (e.g. ``{"CORPUS": "sotu"}``).
    timeout : int
        Seconds allowed per cell.
    kernel_name : str, optional
        Jupyter kernel (default: the notebook's, usually ``python3``).
    cwd : path, optional
        Working directory of the kernel (default: the notebook's folder, so the
        notebook's relative paths work as in JupyterLab).

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell fails; the message names the cell and the error.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    inject_parameters(nb, dict(parameters or {}))
    kw: dict[str, Any] = {"timeout": timeout, "allow_errors": False,
                          "resources": {"metadata": {"path": str(Path(cwd) if cwd else path.parent)}}}
    if kernel_name:
        kw["kernel_name"] = kernel_name
    NotebookClient(nb, **kw).execute()
    return nb


def export_html(nb, path: str | Path) -> Path:
    """Write an executed notebook as a standalone HTML file (figures embedded)."""
    from nbconvert import HTMLExporter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body, _ = HTMLExporter().from_notebook_node(nb)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)
    return path


def run_notebooks(out: str | Path = "figures/notebooks", corpus: str | None = None,
                  parameters: Mapping[str, Any] | None = None, only: Sequence[str] | None = None,
                  folder: str | Path | None = None, timeout: int = 3600, save_ipynb: bool = False,
                  log=print) -> pd.DataFrame:
    """Execute every notebook and export ``<out>/<name>.html``; a failing notebook does not stop the rest.

    Parameters
    ----------
    out : path
        Folder for the HTML files; pipeline tables go under ``<out>/runs`` and the
        cache is shared with ``r2p run --out <out>/../<corpus>`` (so after
        ``make figures`` has run the corpora, the notebooks mostly read the cache),
        unless ``parameters`` sets ``OUT`` or ``CACHE_ROOT``.
    corpus : str, optional
        Overrides ``CORPUS`` in every notebook (default: each notebook's own, sg-r2p
        for 01-04 and sotu for 05).
    parameters : mapping, optional
        Further parameter values (``SEED``, ``OVERRIDES``...).
    only : sequence of str, optional
        Notebook name prefixes, e.g. ``["01", "04"]``.
    save_ipynb : bool
        Also write the executed ``.ipynb`` next to the HTML.

    Returns
    -------
    DataFrame(notebook, status, seconds, html, error)
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    # tables under <out>/runs; reuse the caches of the main job's `r2p run --out <out>/../<corpus>`
    params: dict[str, Any] = {"OUT": str(out / "runs"), "CACHE_ROOT": str(out.parent)}
    if corpus is not None:
        params["CORPUS"] = str(corpus)
    params.update(dict(parameters or {}))
    rows = []
    for book in list_notebooks(folder, only):
        t0 = time.perf_counter()
        html = out / f"{book.stem}.html"
        try:
            nb = execute_notebook(book, params, timeout=timeout)
            export_html(nb, html)
            if save_ipynb:
                import nbformat

                nbformat.write(nb, out / book.name)
            status, error = "ok", ""
        except Exception as e:  # report and go on with the next notebook  # noqa: BLE001
            status, error = "failed", f"{type(e).__name__}: {str(e)[-2000:]}"
            html = None
        secs = round(time.perf_counter() - t0, 1)
        log(f"notebook {book.name}: {status} in {secs} s" + (f" -> {html}" if html else f"\n{error}"))
        rows.append({"notebook": book.name, "status": status, "seconds": secs,
                     "html": str(html) if html else "", "error": error})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m analysis.notebooks``: execute the notebooks and export HTML. Exit 1 if any failed."""
    ap = argparse.ArgumentParser(prog="python -m analysis.notebooks",
                                 description="Execute the notebooks in notebooks/ on a fresh kernel and "
                                             "export them to HTML.")
    ap.add_argument("--out", default="figures/notebooks", help="folder for the HTML files (default %(default)s)")
    ap.add_argument("--corpus", default=None,
                    help="corpus name or path for every notebook (default: each notebook's own)")
    ap.add_argument("--only", action="append", default=None, metavar="NN",
                    help="run only notebooks whose name starts with NN (repeatable)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=JSON",
                    help='extra parameter, value as JSON, e.g. --param SEED=1 --param \'OVERRIDES={"topics": {"k": 8}}\'')
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell (default %(default)s)")
    ap.add_argument("--save-ipynb", action="store_true", help="also write the executed notebooks")
    args = ap.parse_args(argv)
    params: dict[str, Any] = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--param expects NAME=JSON, got {item!r}")
        try:
            params[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            params[name.strip()] = value  # a bare string
    res = run_notebooks(args.out, corpus=args.corpus, parameters=params, only=args.only,
                        timeout=args.timeout, save_ipynb=args.save_ipynb,
                        log=lambda m: print(m, file=sys.stderr))
    failed = res[res["status"] != "ok"]
    print(f"{len(res) - len(failed)}/{len(res)} notebooks executed; HTML in {Path(args.out)}", file=sys.stderr)
    return 1 if len(failed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
