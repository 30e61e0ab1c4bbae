"""The run's interactive report: one offline HTML page built from the run's tables.

``build_report(tables, provenance)`` returns the page; ``write_report(out, ...)``
writes ``OUT/report/index.html``. Views are Vega-Lite specifications written with
Altair and rendered in the page by the inlined Vega bundle of ``vl-convert-python``
(the same specifications render to static SVG/PNG with ``vl_convert``). Needs the
``report`` extra (``pip install 'r2p-analysis[report]'``).
"""

from analysis.report.labels import place_labels
from analysis.report.page import build_report, vega_bundle, write_report

__all__ = ["build_report", "write_report", "vega_bundle", "place_labels"]
