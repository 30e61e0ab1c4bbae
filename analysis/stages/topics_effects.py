"""The covariate effects of a topic model fitted by the ``topics`` stage (its steps ``topics.effects_reported``
and ``topics.effects``): the method of composition for a Gibbs LDA, the post-hoc regression otherwise.

References
----------
Treier, S. and Jackman, S. (2008). Democracy as a latent variable. *American Journal of Political
Science* 52(1), 201-217 (the method of composition).
Roberts, M. E. et al. (2014). Structural topic models for open-ended survey responses. *American
Journal of Political Science* 58(4), 1064-1082 (``estimateEffect``, the post-hoc regression).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.run.catalog import empty_table
from analysis.topicmod import era_labels, stat_topic_effects
from analysis.topicmod.composition import stat_composition_effects
from analysis.topicmod.gibbs import GibbsLDA

__all__ = ["effect_inputs", "effects"]


def effect_inputs(model) -> dict[str, np.ndarray]:
    """What :func:`effects` reads from a fitted model, as arrays.

    A Gibbs LDA (or DMR, seeded) model gives its final Gibbs state,
    ``{"doc_topic_counts": ..., "doc_topic_prior": ...}``; any other model its unit
    topic shares, ``{"doc_topic": ...}``. The effects tasks get these instead of the
    model: a pickled Gibbs model carries its sampler's whole state (every token's
    topic), and an NMF its topic-term matrix, which the regressions never read.
    The worker pool passes large arrays as memory maps, without a pickled copy.
    """
    if isinstance(model, GibbsLDA):
        return {"doc_topic_counts": np.asarray(model.doc_topic_counts_),
                "doc_topic_prior": np.asarray(model.doc_topic_prior_)}
    return {"doc_topic": np.asarray(model.doc_topic_)}


def effects(fit: dict, units_m: pd.DataFrame, docvars: pd.DataFrame, covariate: str | None,
            era_breaks, spline_df: int, labels: list, model_name: str, k: int, seed: int = 0,
            max_levels: int = 100):
    """The effects table with the covariate resolved; returns (table, log messages).

    ``fit`` is :func:`effect_inputs` of the fitted model. A Gibbs LDA model (its
    Gibbs state) gets the method of composition (Treier & Jackman 2008; its
    posterior over topic assignments propagated, ``method = "composition"``);
    other models the post-hoc regression of their shares (``method = "posthoc"``,
    narrower intervals: the topic model's uncertainty is ignored). A covariate
    of more than ``max_levels`` levels (a speaker docvar of thousands of
    delegates) is left out with a note: its design would not fit in memory.
    """
    notes = []
    units_m = units_m.copy()
    cov = covariate
    if cov is not None and cov not in units_m.columns:
        extra = docvars.drop_duplicates("doc_id").set_index("doc_id")
        if cov in extra.columns:
            units_m[cov] = units_m["doc_id"].map(extra[cov]).to_numpy()
        elif cov == "era" and era_breaks:
            units_m["era"] = era_labels(units_m["year"], list(era_breaks))
    if cov is not None and cov not in units_m.columns:
        notes.append(f"topics: covariate {cov!r} is not a docvar; regression on time only")
        cov = None
    if cov is not None and units_m[cov].nunique() > max_levels:
        notes.append(f"topics: covariate {cov!r} has {units_m[cov].nunique()} levels (> topics.max_levels="
                     f"{max_levels}); regression on time only (set topics.covariate to a coarser docvar)")
        cov = None
    if "doc_topic_counts" in fit:
        eff = stat_composition_effects(fit["doc_topic_counts"], fit["doc_topic_prior"], units_m, covariate=cov,
                                       spline_df=spline_df, labels=labels, model=model_name, k=k,
                                       random_state=seed)
    else:
        eff = stat_topic_effects(fit["doc_topic"], units_m, covariate=cov, spline_df=spline_df,
                                 labels=labels, model=model_name, k=k)
    if eff.empty:
        notes.append("topics: too few documents or years for the effects regression; empty topic_effects")
    return (eff if len(eff) else empty_table("topic_effects")), notes
