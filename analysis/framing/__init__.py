"""Framing: dictionaries (quanteda-style YAML), frame rates with bootstrap intervals,
indices, change points, sentiment and the hand-coding validation workflow."""

from analysis.framing.frames import *  # noqa: F401,F403
from analysis.framing.frames import __all__ as __all__  # noqa: F401
