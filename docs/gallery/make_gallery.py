"""Copy a run's figure PNGs into docs/gallery as small web images for the README.

Usage (after ``r2p run --corpus sotu --out figures/sotu``)::

    .venv/bin/python docs/gallery/make_gallery.py figures/sotu

Each ``figures/sotu/figures/<name>.png`` (300 dpi) is resized to at most 900 px
wide and saved with a 256-colour palette, so the committed gallery stays small.
Only the figures listed in ``GALLERY`` (or named after the run folder) are copied.
``--prefix P`` saves them as ``P<name>.png`` (``--prefix ungdc_`` for the figures of
the UNGDC run beside the sotu ones)::

    .venv/bin/python docs/gallery/make_gallery.py --prefix ungdc_ /tmp/ungdc topic_selection
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
GALLERY = [
    "corpus_overview", "similarity_to_anchor", "similarity_heatmap", "keyness_anchor_vs_rest",
    "fightin_words_anchor_vs_rest", "topic_selection", "topic_prevalence", "frame_trajectories",
    "pillar_shares", "anchor_profile", "dispersion_over_time", "novelty", "style_trends",
    "scaling_positions", "scaling_words",
]


def main(run_dir: str, names: list[str] | None = None, prefix: str = "") -> None:
    src = Path(run_dir) / "figures"
    for name in names or GALLERY:
        png = src / f"{name}.png"
        if not png.exists():
            print(f"skip {name}: {png} not found")
            continue
        im = Image.open(png).convert("RGB")
        if im.width > 900:
            im = im.resize((900, round(im.height * 900 / im.width)), Image.LANCZOS)
        im = im.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        out = HERE / f"{prefix}{name}.png"
        im.save(out, optimize=True)
        print(f"{out.relative_to(HERE.parent.parent)}: {out.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    args = sys.argv[1:]
    pre = ""
    if args[:1] == ["--prefix"]:
        pre, args = args[1], args[2:]
    main(args[0] if args else "figures/sotu", args[1:] or None, pre)
