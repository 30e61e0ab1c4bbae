"""Old module names (before the layered layout) keep working, with a deprecation note.

``import analysis.pipeline`` or ``from analysis import topics`` load the module's new
home (table below) and warn once; new code should import the new names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: old module (under ``analysis.``) -> new module
MOVED = {
    "pipeline": "analysis.run",
    "cache": "analysis.run.cache",
    "compare": "analysis.textstats.similarity",
    "keyness": "analysis.textstats.keyness",
    "kwic": "analysis.textstats.kwic",
    "style": "analysis.textstats.style",
    "novelty": "analysis.textstats.novelty",
    "topics": "analysis.topicmod",
    "coherence": "analysis.topicmod.coherence",
    "topic_sim": "analysis.topicmod.alignment",
    "simulate": "analysis.topicmod.simulate",
    "dictionary": "analysis.framing.dictionary",
    "fetch": "analysis.acquire.fetch",
    "extract": "analysis.acquire.extract",
    "figures": "analysis.plots.save",
    "compare_cli": "analysis.cli.run",
}


def _warn(old: str, new: str) -> None:
    warnings.warn(f"analysis.{old} moved to {new}; import it from there (the old name will be removed)",
                  DeprecationWarning, stacklevel=3)


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def create_module(self, spec):
        _warn(self.old, self.new)
        return importlib.import_module(self.new)

    def exec_module(self, module):  # the new module is already executed
        sys.modules[f"analysis.{self.old}"] = module


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        prefix, _, old = fullname.partition(".")
        if prefix != "analysis" or old not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(old, MOVED[old]))


def install() -> None:
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())


def module_getattr(name: str):
    """``from analysis import pipeline``: the package's ``__getattr__``."""
    if name in MOVED:
        return importlib.import_module(f"analysis.{name}")
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
