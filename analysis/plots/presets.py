"""Journal presets: the width, height and font sizes a figure is drawn at for a paper.

A preset is applied while a ``plot_*`` function draws (so every label takes the
preset's font sizes) and the figure is then sized to the preset's width; the
files are written by :func:`analysis.plots.save.save_figure` (deterministic PDF
and SVG bytes, the CSV of the plotted data and the JSON sidecar).

The column widths follow the common two-column journal layouts: a single column
of 3.5 in (89 mm) and a full page width of 7.2 in (183 mm), as in the author
guidelines of Nature (89 and 183 mm) and close to Elsevier's (90 and 190 mm);
text in figures of 7-9 pt at final size. Check your journal's guide and make a
:class:`FigurePreset` of your own where it differs.

>>> from analysis.plots.presets import PRESETS, get_preset
>>> get_preset("double").width
7.2
>>> sorted(PRESETS)  # doctest: +NORMALIZE_WHITESPACE
['double', 'double-large', 'single', 'single-large', 'slide']
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

from analysis.errors import UsageError, closest
from analysis.plots.save import DOUBLE_COLUMN, SINGLE_COLUMN

__all__ = ["PRESETS", "FigurePreset", "get_preset", "preset_context"]


@dataclasses.dataclass(frozen=True)
class FigurePreset:
    """The size and type sizes of a figure for one journal layout.

    Parameters
    ----------
    name : str
        The preset's name (``single``, ``double``...).
    width : float
        Figure width in inches.
    font_size : float
        Base text size in points (axis labels, titles).
    tick_size : float
        Tick-label and legend text size in points.
    aspect : float
        Height over width when the plot does not fix its own height.
    formats : tuple of str
        The image formats written by default (a subset of pdf, png, svg).
    """

    name: str
    width: float
    font_size: float
    tick_size: float
    aspect: float = 0.62
    formats: tuple[str, ...] = ("pdf", "png", "svg")

    def rc(self) -> dict[str, Any]:
        """The matplotlib rcParams this preset sets on top of the package style."""
        return {
            "font.size": self.font_size,
            "axes.titlesize": self.font_size,
            "axes.labelsize": self.font_size,
            "figure.titlesize": self.font_size + 1,
            "xtick.labelsize": self.tick_size,
            "ytick.labelsize": self.tick_size,
            "legend.fontsize": self.tick_size,
            "legend.title_fontsize": self.tick_size,
            "figure.figsize": (self.width, round(self.width * self.aspect, 3)),
        }

    def size_for(self, current: tuple[float, float]) -> tuple[float, float]:
        """The preset's (width, height) for a figure drawn at ``current`` size.

        The width is the preset's; the height keeps the drawn figure's aspect ratio
        (a tall small-multiples figure stays tall), capped at 1.4 times the width.
        """
        w, h = float(current[0]), float(current[1])
        ratio = h / w if w > 0 else self.aspect
        return self.width, round(min(self.width * ratio, self.width * 1.4), 4)

    def describe(self) -> dict[str, Any]:
        """The preset as a plain dict (written into the figure's JSON sidecar)."""
        return dataclasses.asdict(self) | {"formats": list(self.formats)}


#: The presets by name. ``single``/``double`` are journal column widths at 8/7 pt text;
#: the ``-large`` variants use 9/8 pt for journals that ask for larger type; ``slide``
#: is 10 in wide at 14 pt for presentations.
PRESETS: dict[str, FigurePreset] = {
    p.name: p
    for p in (
        FigurePreset("single", SINGLE_COLUMN, 8, 7, aspect=0.72),
        FigurePreset("double", DOUBLE_COLUMN, 8, 7, aspect=0.45),
        FigurePreset("single-large", SINGLE_COLUMN, 9, 8, aspect=0.75),
        FigurePreset("double-large", DOUBLE_COLUMN, 9, 8, aspect=0.48),
        FigurePreset("slide", 10.0, 14, 12, aspect=0.5625, formats=("png", "svg", "pdf")),
    )
}


def get_preset(preset: str | FigurePreset) -> FigurePreset:
    """A preset by name (or the preset given); an unknown name is a UsageError naming the presets."""
    if isinstance(preset, FigurePreset):
        return preset
    if preset in PRESETS:
        return PRESETS[preset]
    hint = closest(str(preset), list(PRESETS))
    raise UsageError(f"unknown figure preset {preset!r}" + (f" (did you mean {hint}?)" if hint else "")
                     + f"; presets are {', '.join(PRESETS)}")


@contextlib.contextmanager
def preset_context(preset: str | FigurePreset) -> Iterator[FigurePreset]:
    """Draw inside the package style with the preset's sizes (``with preset_context("double"): ...``)."""
    import matplotlib

    from analysis.plots.save import style_context

    p = get_preset(preset)
    with style_context(), matplotlib.rc_context(p.rc()):
        yield p
