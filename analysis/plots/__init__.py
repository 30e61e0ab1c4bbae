"""Figures: ``plot_*(data, ax=None)`` functions returning ``(fig, data)``, the figure style and saver.

``analysis.plots.save`` holds the style (``r2p.mplstyle``), journal sizes and the
deterministic saver; the drawing functions are re-exported here.
"""

from analysis.plots.charts import *  # noqa: F401,F403
from analysis.plots.charts import __all__ as _charts_all
from analysis.plots.save import *  # noqa: F401,F403
from analysis.plots.save import __all__ as _save_all

__all__ = [*_charts_all, *_save_all]
