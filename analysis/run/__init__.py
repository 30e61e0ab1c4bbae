"""The run layer: declared settings, derived cache keys, run-level facts and the runner."""

from analysis.run.runner import *  # noqa: F401,F403
from analysis.run.runner import __all__ as __all__  # noqa: F401
