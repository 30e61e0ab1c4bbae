"""Sphinx configuration of the r2p-analysis documentation (``make docs``).

Sphinx with the pydata theme, MyST Markdown pages, myst-nb for the notebooks and numpydoc for
the API: the scientific Python standard (scikit-learn, statsmodels, pandas), and the docstrings
of ``analysis`` are numpydoc already. Everything builds offline: MathJax comes from the
``sphinx-mathjax-offline`` wheel, no intersphinx inventories are fetched, and the generated pages
(settings, tables, conformance, tutorials) are written by ``docs/_ext/r2p_docs.py`` at build time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("PYTHONHASHSEED", "0")

from analysis import __version__

project = "r2p-analysis"
author = "The r2p-analysis contributors"
copyright = "The r2p-analysis contributors (MIT licence)"
version = release = __version__

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx-mathjax-offline",
    "r2p_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
# _generated/*.md and conformance/ are included into pages, not pages of their own; the executed
# notebooks under _generated/notebooks are pages; their run folders and HTML exports are not.
exclude_patterns = ["_build", "**.ipynb_checkpoints", "_generated/*.md", "_generated/conformance/**",
                    "_generated/notebooks/runs/**", "_generated/notebooks/html/**"]
root_doc = "index"

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3

# The tutorials are rendered from stored outputs (r2p_docs writes them before the build); myst-nb
# never executes a notebook itself.
nb_execution_mode = "off"
nb_output_stderr = "remove"
nb_merge_streams = True

autosummary_generate = ["reference/api.md"]  # written by r2p_docs before autosummary runs
autosummary_imported_members = False
autodoc_default_options = {"members": True, "ignore-module-all": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

suppress_warnings = [
    "myst.header",          # the moved README sections start at level 2 or 3 inside a page
    "mystnb.unknown_mime_type",
    "autosummary.import_cycle",
]
nitpicky = False

html_theme = "pydata_sphinx_theme"
html_title = f"r2p-analysis {release}"
html_static_path = ["_static"]
html_css_files = ["r2p.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
    "icon_links": [],
}
html_context = {"default_mode": "auto"}  # an empty mode logs a console error in the theme
html_sidebars = {"index": [], "changelog": [], "citing": []}
html_show_sourcelink = False
html_last_updated_fmt = None
