"""analysis: comparative speech-corpus analytics for UN discourse on the Responsibility to Protect.

The importable package of the research compendium (in rrtools this folder holds
the paper; here it holds the code). Start with :func:`analysis.corpus.load_corpus`.
"""

__version__ = "0.1.0"

from .corpus import Corpus, CorpusError, load_corpus  # noqa: E402

__all__ = ["Corpus", "CorpusError", "load_corpus", "__version__"]
