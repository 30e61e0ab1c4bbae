"""Framing: dictionaries (quanteda-style YAML), frame rates with bootstrap intervals,
indices, change points, sentiment and the hand-coding validation workflow.

The wing's modules: :mod:`~analysis.framing.dictionary` (the YAML dictionaries and
matching), :mod:`~analysis.framing.frames` (loading the R2P dictionaries,
counting, the anchor profile), :mod:`~analysis.framing.rates`,
:mod:`~analysis.framing.indices`, :mod:`~analysis.framing.sentiment` (VADER) and
:mod:`~analysis.framing.validation` (KWIC samples, precision),
:mod:`~analysis.framing.passages` (matched passages per year, the anchor's spans); change points are
in :mod:`analysis.stats.changepoint`.  Every public name is re-exported here.
"""

from analysis.framing.frames import *  # noqa: F401,F403
from analysis.framing.frames import __all__ as _frames_all
from analysis.framing.indices import *  # noqa: F401,F403
from analysis.framing.indices import __all__ as _indices_all
from analysis.framing.passages import *  # noqa: F401,F403
from analysis.framing.passages import __all__ as _passages_all
from analysis.framing.rates import *  # noqa: F401,F403
from analysis.framing.rates import __all__ as _rates_all
from analysis.framing.sentiment import *  # noqa: F401,F403
from analysis.framing.sentiment import __all__ as _sentiment_all
from analysis.framing.validation import *  # noqa: F401,F403
from analysis.framing.validation import __all__ as _validation_all
from analysis.stats.changepoint import *  # noqa: F401,F403
from analysis.stats.changepoint import __all__ as _changepoint_all

__all__ = [*_frames_all, *_rates_all, *_indices_all, *_changepoint_all, *_sentiment_all,
           *_validation_all, *_passages_all]
