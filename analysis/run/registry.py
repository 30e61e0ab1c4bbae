"""The registry of pipeline stages (the modules of :mod:`analysis.stages`), in the order they run.

Each module declares ``NAME``, ``VERSION`` (bump it when a result's definition
changes), a ``Settings`` dataclass (:class:`analysis.settings.StageSettings`),
``PRODUCES`` (the tables it writes), ``CONSUMES`` (``"table:NAME"`` for upstream
tables it reads) and ``run(ctx, cfg)``. The registry below is the only list of
stages; ``r2p settings`` and the run layer read every declaration from it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from analysis.errors import UsageError, closest

__all__ = ["STAGE_NAMES", "OPTIONAL_STAGES", "stage_module", "settings_groups", "settings_class"]

#: the stages of ``r2p run``, in order (``corpus`` always runs)
STAGE_NAMES: tuple[str, ...] = ("corpus", "compare", "topics", "novelty", "frames", "figures")
#: stages that run only when named with ``--only`` (``semantic`` needs the ``semantic`` extra,
#: ``report`` the ``report`` extra; ``report`` runs last and reads the other stages' tables)
OPTIONAL_STAGES: tuple[str, ...] = ("scaling", "semantic", "report")


def stage_module(name: str) -> ModuleType:
    """The module of stage ``name`` (a UsageError naming the stages if unknown)."""
    known = (*STAGE_NAMES, *OPTIONAL_STAGES)
    if name not in known:
        hint = closest(name, known)
        raise UsageError(f"unknown stage {name!r}" + (f" (did you mean {hint}?)" if hint else "")
                         + f"; stages are {', '.join(known)}")
    return importlib.import_module(f"analysis.stages.{name}")


def settings_class(group: str):
    """The settings class of a group: a stage name, ``text`` or ``run``."""
    if group == "text":
        from analysis.text import TextSettings

        return TextSettings
    if group == "run":
        from analysis.run.settings import RunSettings

        return RunSettings
    return stage_module(group).Settings


def settings_groups() -> dict[str, type]:
    """Every declared settings group: ``text``, ``run`` and each stage, in run order."""
    return {"text": settings_class("text"), "run": settings_class("run"), **{n: settings_class(n) for n in (*STAGE_NAMES, *OPTIONAL_STAGES)}}
