"""Builders of the run-level artifacts (units and shared count matrices), called through ``ctx.call``."""

from __future__ import annotations

import pandas as pd

from analysis.dtm import DTM, prune_dtm
from analysis.stats.parallel import parallel_map
from analysis.textstats.similarity import document_counts, unit_counts
from analysis.units import make_units

__all__ = ["paragraph_units", "unit_dtm", "pruned_dtm", "document_dtm"]


def paragraph_units(corpus, rule: dict) -> pd.DataFrame:
    """The run's paragraph units (:func:`analysis.units.make_units` with the unit ``rule`` of the text
    settings), cut by blocks of documents on the run's workers when it has more than one."""
    return make_units(corpus, "paragraph", **rule, map=parallel_map())


def unit_dtm(units: pd.DataFrame, text_settings, min_df: float = 1, max_df: float = 1.0,
             ngram_range: tuple[int, int] = (1, 1)) -> DTM | None:
    """Count matrix of the units (rows: units; docvars keep ``doc_id``); None without units.

    ``min_df`` above 1 is applied only when there are at least two units (one unit
    cannot have a term in two of them).
    """
    if len(units) == 0:
        return None
    return unit_counts(units, settings=text_settings, min_df=min_df if len(units) > 1 else 1,
                       max_df=max_df, ngram_range=ngram_range)


def pruned_dtm(unit_matrix: DTM | None, min_df: float = 1, max_df: float = 1.0) -> DTM | None:
    """The unit counts within the document-frequency limits (:func:`analysis.dtm.prune_dtm`): the
    matrix :func:`unit_dtm` gives with ``min_df`` and ``max_df``, from the one without limits."""
    if unit_matrix is None:
        return None
    n = unit_matrix.matrix.shape[0]
    return prune_dtm(unit_matrix, min_df=min_df if n > 1 else 1, max_df=max_df)


def document_dtm(unit_matrix: DTM | None, docvars: pd.DataFrame) -> DTM | None:
    """The unit counts summed into documents, in the order of ``docvars``."""
    if unit_matrix is None:
        return None
    return document_counts(unit_matrix, docvars.reset_index(drop=True))[0]
