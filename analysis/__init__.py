"""analysis: comparative speech-corpus analytics for UN discourse on the Responsibility to Protect.

The importable package of the research compendium (in rrtools this folder holds
the paper; here it holds the code). Start with :func:`analysis.corpus.load_corpus`,
or run the whole job with :func:`analysis.run.run_pipeline`. The layers are drawn
in CONTRIBUTING.md.
"""

from analysis import _compat
from analysis._version import __version__
from analysis.corpus import Corpus, CorpusError, load_corpus  # noqa: E402

_compat.install()

__all__ = ["Corpus", "CorpusError", "load_corpus", "read_table", "__version__"]


def __getattr__(name: str):
    """``analysis.read_table`` (a run's table, CSV or Parquet) without importing the run layer eagerly."""
    if name == "read_table":
        from analysis.run.tables import read_table

        return read_table
    return _compat.module_getattr(name)
