"""Topic models: the estimator, choosing K, labels, prevalence, coherence, alignment, simulation.

Every public name of the submodules is importable from here:

* :mod:`analysis.topicmod.model` - :class:`TopicModel` (scikit-learn estimator, LDA or NMF);
* :mod:`analysis.topicmod.units` - :func:`merge_short_units`;
* :mod:`analysis.topicmod.labels` - :func:`stat_topic_terms`, :func:`stat_topic_labels`,
  :func:`stat_representative_units`;
* :mod:`analysis.topicmod.selection` - :func:`k_grid`, :func:`stat_k_selection`, :func:`choose_k`;
* :mod:`analysis.topicmod.kselect` - :func:`auto_k_grid`, :func:`stat_k_scan` (held-out criteria for
  LDA and NMF), :func:`choose_k_heldout` (the default rule, validated by simulation), :func:`frontier`;
* :mod:`analysis.topicmod.prevalence` - :func:`stat_unit_topics`, :func:`stat_document_topics`,
  :func:`stat_prevalence`, :func:`stat_topic_effects`, :func:`era_labels`;
* :mod:`analysis.topicmod.alignment` - :func:`stat_alignment` and the matching helpers;
* :mod:`analysis.topicmod.coherence` - NPMI, UMass, FREX, exclusivity, relevance;
* :mod:`analysis.topicmod.tables` - ``TABLE_COLUMNS``, the columns of the topic tables.
"""

from analysis.topicmod.alignment import stat_alignment
from analysis.topicmod.kselect import auto_k_grid, choose_k_heldout, frontier, stat_k_scan
from analysis.topicmod.labels import stat_representative_units, stat_topic_labels, stat_topic_terms
from analysis.topicmod.model import TopicModel
from analysis.topicmod.prevalence import (
    era_labels,
    stat_document_topics,
    stat_prevalence,
    stat_topic_effects,
    stat_unit_topics,
)
from analysis.topicmod.selection import choose_k, k_grid, stat_k_selection
from analysis.topicmod.tables import TABLE_COLUMNS
from analysis.topicmod.units import merge_short_units

__all__ = [
    "TABLE_COLUMNS",
    "TopicModel",
    "auto_k_grid",
    "choose_k",
    "choose_k_heldout",
    "era_labels",
    "frontier",
    "k_grid",
    "merge_short_units",
    "stat_alignment",
    "stat_document_topics",
    "stat_k_scan",
    "stat_k_selection",
    "stat_prevalence",
    "stat_representative_units",
    "stat_topic_effects",
    "stat_topic_labels",
    "stat_topic_terms",
    "stat_unit_topics",
]
