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
