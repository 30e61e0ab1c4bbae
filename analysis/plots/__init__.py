"""Figures: ``plot_*(data, ax=None)`` functions returning ``(fig, data)``, the figure style and saver.

The drawing functions live in one module per area (:mod:`~analysis.plots.corpus`,
:mod:`~analysis.plots.similarity`, :mod:`~analysis.plots.keyness`,
:mod:`~analysis.plots.topics`, :mod:`~analysis.plots.framing`,
:mod:`~analysis.plots.novelty`) on top of :mod:`analysis.plots.base` (shared
helpers) and :mod:`analysis.plots.save` (the style ``r2p.mplstyle``, journal
sizes and the deterministic saver); every public name is re-exported here.
"""

from analysis.plots.base import decimal_year
from analysis.plots.corpus import *  # noqa: F401,F403
from analysis.plots.corpus import __all__ as _corpus_all
from analysis.plots.framing import *  # noqa: F401,F403
from analysis.plots.framing import __all__ as _framing_all
from analysis.plots.keyness import *  # noqa: F401,F403
from analysis.plots.keyness import __all__ as _keyness_all
from analysis.plots.novelty import *  # noqa: F401,F403
from analysis.plots.novelty import __all__ as _novelty_all
from analysis.plots.save import *  # noqa: F401,F403
from analysis.plots.save import __all__ as _save_all
from analysis.plots.similarity import *  # noqa: F401,F403
from analysis.plots.similarity import __all__ as _similarity_all
from analysis.plots.topics import *  # noqa: F401,F403
from analysis.plots.topics import __all__ as _topics_all

__all__ = ["decimal_year", *_corpus_all, *_similarity_all, *_keyness_all, *_topics_all, *_framing_all,
           *_novelty_all, *_save_all]
