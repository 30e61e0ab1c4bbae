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
__getattr__ = _compat.module_getattr

__all__ = ["Corpus", "CorpusError", "load_corpus", "__version__"]
