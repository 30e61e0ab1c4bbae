"""Non-overlapping text labels for points of a chart of known pixel size.

The chart library draws labels where it is told; :func:`place_labels` decides
where, in pixel space, before the specification is written: a greedy placement
in the spirit of Imhof's rules (try positions around the point, nearest first;
keep the first one that stays inside the plot and clear of the labels already
placed; drop the label when none is free), the most important label first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["text_box", "place_labels", "boxes_overlap"]

#: a character's width as a share of the font size (bold sans-serif, generous)
CHAR_WIDTH = 0.64


def text_box(label: str, font_px: float) -> tuple[float, float]:
    """Width and height (px) allowed for ``label`` at ``font_px`` (over-estimated on purpose)."""
    return CHAR_WIDTH * font_px * max(len(label), 1) + 2.0, 1.3 * font_px


def boxes_overlap(a, b) -> bool:
    """Whether boxes ``(x0, y0, x1, y1)`` intersect (touching edges do not)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(px: Sequence[float], py: Sequence[float], labels: Sequence[str], width: float,
                 height: float, font_px: float = 11.0, gap: float = 4.0) -> list[tuple[float, float] | None]:
    """Centres (px) of non-overlapping labels, or None for a label that found no free place.

    Parameters
    ----------
    px, py : sequences of float
        Pixel positions of the labelled points (origin top left), most important first.
    labels : sequence of str
    width, height : float
        The plot area; every box stays inside it.
    font_px : float
        Font size in pixels.
    gap : float
        Distance between a point and its label's nearest edge.

    References
    ----------
    Imhof, E. (1975). Positioning names on maps. *The American Cartographer* 2(2), 128-144.

    Christensen, J., Marks, J., & Shieber, S. (1995). An empirical study of
    algorithms for point-feature label placement. *ACM Transactions on Graphics*
    14(3), 203-232 (greedy placement as the baseline).
    """
    placed: list[tuple[float, float, float, float]] = []
    out: list[tuple[float, float] | None] = []
    for x, y, lab in zip(px, py, labels):
        w, h = text_box(str(lab), font_px)
        cands = []
        for ring in (1.0, 2.0, 3.5):
            dx, dy = w / 2 + gap * ring, h / 2 + gap * (ring - 1)
            for cx, cy in ((dx, 0), (-dx, 0), (0, -h / 2 - gap * ring), (0, h / 2 + gap * ring),
                           (dx, -dy), (-dx, -dy), (dx, dy), (-dx, dy)):
                cands.append((x + cx, y + cy))
        spot = None
        for cx, cy in cands:
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                continue
            if any(boxes_overlap(box, b) for b in placed):
                continue
            spot = (float(cx), float(cy))
            placed.append(box)
            break
        out.append(spot)
    return out


def to_pixels(values, domain: tuple[float, float], length: float, flip: bool = False) -> np.ndarray:
    """Linear scale of ``values`` from ``domain`` onto ``[0, length]`` (``flip``: y axis, top = max)."""
    lo, hi = domain
    t = (np.asarray(values, dtype=float) - lo) / ((hi - lo) or 1.0)
    return length * (1 - t) if flip else length * t


def from_pixels(pixels, domain: tuple[float, float], length: float, flip: bool = False) -> np.ndarray:
    """The inverse of :func:`to_pixels`."""
    lo, hi = domain
    t = np.asarray(pixels, dtype=float) / (length or 1.0)
    t = 1 - t if flip else t
    return lo + t * (hi - lo)
