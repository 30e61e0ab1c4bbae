"""Every exception the package defines derives from :class:`analysis.errors.R2PError`.

The command line maps errors in one place (:func:`analysis.cli.options.cli_errors`)
keyed on that base: a :class:`~analysis.errors.UsageError` exits 2, any other
``R2PError`` exits 1 (:func:`analysis.errors.exit_code`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import analysis
from analysis.errors import EXIT_PROBLEM, EXIT_USAGE, R2PError, UsageError, exit_code


def _exception_classes() -> dict[str, type]:
    found = {}
    for info in pkgutil.walk_packages(analysis.__path__, prefix="analysis."):
        if info.name.endswith("__main__"):  # importing it runs the command line
            continue
        try:
            mod = importlib.import_module(info.name)
        except ImportError as e:  # an optional extra that is not installed
            if getattr(e, "name", None) and not str(e.name).startswith("analysis"):
                continue
            raise
        for name, obj in inspect.getmembers(mod, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == mod.__name__:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_the_walk_finds_the_known_exceptions():
    names = set(_exception_classes())
    for known in ("analysis.errors.UsageError", "analysis.loaders.base.CorpusError",
                  "analysis.manifest.ManifestError", "analysis.framing.dictionary.DictionaryError",
                  "analysis.run.publish.RunWriteError", "analysis.acquire.http.FetchError"):
        assert known in names


def test_every_exception_class_derives_from_r2perror():
    bad = sorted(n for n, cls in _exception_classes().items() if not issubclass(cls, R2PError))
    assert bad == [], f"derive these from analysis.errors.R2PError: {bad}"


@pytest.mark.parametrize("path,other", [
    ("analysis.errors.UsageError", ValueError),
    ("analysis.errors.MissingColumnsError", KeyError),
    ("analysis.acquire.extract.ExtractionError", ValueError),
    ("analysis.framing.dictionary.DictionaryError", ValueError),
    ("analysis.stats.parallel.SchedulerError", RuntimeError),
    ("analysis.run.publish.RunWriteError", RuntimeError),
])
def test_the_other_bases_are_kept(path, other):
    mod, name = path.rsplit(".", 1)
    cls = getattr(importlib.import_module(mod), name)
    assert issubclass(cls, R2PError) and issubclass(cls, other)


def test_exit_codes():
    from analysis.loaders.base import CorpusError
    from analysis.run.publish import Busy

    assert (EXIT_USAGE, EXIT_PROBLEM) == (2, 1)
    assert exit_code(UsageError("x")) == 2
    assert exit_code(Busy("x")) == 2
    assert exit_code(CorpusError("x")) == 1
    assert exit_code(R2PError("x")) == 1


# ----------------------------------------------------------------- the command line maps errors in one place
def _exit_of(block, **kw):
    import typer

    from analysis.cli.options import cli_errors

    with pytest.raises(typer.Exit) as e:
        with cli_errors(**kw):
            block()
    return e.value.exit_code


def _raise(exc):
    def block():
        raise exc
    return block


def test_cli_errors_is_keyed_on_the_base(capsys):
    class NewProblem(R2PError):  # a class the mapping has never heard of
        pass

    class NewUsage(UsageError):
        pass

    assert _exit_of(_raise(NewProblem("the file x.csv is damaged"))) == 1
    assert "error: the file x.csv is damaged" in capsys.readouterr().err
    assert _exit_of(_raise(NewUsage("unknown key 'k'"))) == 2
    assert "usage: unknown key 'k'" in capsys.readouterr().err
    # a command's ``also`` maps exceptions from outside the package, never the package's own
    assert _exit_of(_raise(KeyError("k")), also=((KeyError, 1),)) == 1
    assert _exit_of(_raise(NewUsage("u")), also=((ValueError, 1),)) == 2
    assert _exit_of(_raise(FileNotFoundError("f"))) == 1


def test_cli_errors_lets_bugs_through():
    from analysis.cli.options import cli_errors

    with pytest.raises(ZeroDivisionError):
        with cli_errors():
            1 / 0  # noqa: B018
    with pytest.raises(ValueError, match="plain"):
        with cli_errors():
            raise ValueError("plain")


def test_no_cli_module_maps_errors_itself():
    """An ``except`` in analysis/cli/ that prints and exits, or returns an exit code, goes through
    :func:`analysis.cli.options.report_error` (or a ``with cli_errors():`` block)."""
    import ast
    from pathlib import Path

    cli = Path(analysis.__file__).parent / "cli"
    bad = []
    for path in sorted(cli.glob("*.py")):
        if path.name == "options.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ExceptHandler):
                continue
            body = "\n".join(ast.unparse(b) for b in node.body)
            exits = "typer.Exit(" in body or any(isinstance(b, ast.Return) and isinstance(b.value, ast.Constant)
                                                 for b in node.body)
            if exits and "report_error(" not in body:
                bad.append(f"{path.name}:{node.lineno}")
    assert bad == [], f"map these through analysis.cli.options.cli_errors/report_error: {bad}"
