"""Topic models: the estimator, choosing K, labels, prevalence, coherence, alignment, simulation."""

from analysis.topicmod.model import *  # noqa: F401,F403
from analysis.topicmod.model import __all__ as __all__  # noqa: F401
