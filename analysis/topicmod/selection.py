"""Choosing the number of topics K: the grid, the scan (coherence, exclusivity,
held-out perplexity, stability) and the documented rule that picks K.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["choose_k", "k_grid", "stat_k_selection"]


def k_grid(n_units: int, n_terms: int, k_min: int = 4, k_max: int = 20, k_step: int = 4,
           units_per_topic: int = 5) -> list[int]:
    """The K values to scan, shrunk to what the data allow.

    ``range(k_min, k_max + 1, k_step)`` (always including ``k_max``) limited to
    ``K <= n_units / units_per_topic`` and ``K <= n_terms / 5``. If that removes
    every value but at least 2 topics are feasible, the largest feasible K is used.
    """
    if k_step < 1 or k_min < 2 or k_max < k_min:
        raise ValueError(f"need 2 <= k_min <= k_max and k_step >= 1 (got {k_min}, {k_max}, {k_step})")
    grid = list(range(k_min, k_max + 1, k_step))
    if grid[-1] != k_max:
        grid.append(k_max)
    cap = min(n_units // units_per_topic, n_terms // 5)
    feasible = [k for k in grid if k <= cap]
    if not feasible and cap >= 2:
        feasible = [cap]
    return feasible


def stat_k_selection(
    X,
    terms=None,
    ks: Sequence[int] = (4, 8, 12, 16, 20),
    methods: Sequence[str] = ("lda", "nmf"),
    n_runs: int = 5,
    sample_frac: float = 0.8,
    random_state: int = 0,
    top_n: int = 10,
    model_params: dict | None = None,
    return_fits: bool = False,
):
    """Scan K: coherence, exclusivity, held-out perplexity and stability (the historical table).

    A thin wrapper of :func:`analysis.topicmod.kselect.stat_k_scan` with
    scikit-learn's LDA, returning the first nine columns ``model, k, npmi, umass,
    exclusivity, perplexity, stability, npmi_sd, n_runs`` (and, with
    ``return_fits``, a dict (model, k) -> list of fitted models). Kept for
    callers of the first release; new code calls ``stat_k_scan``, which adds the
    held-out criteria the default rule reads (:func:`analysis.topicmod.kselect.choose_k_heldout`).

    References
    ----------
    Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics?
    Stability analysis for topic models. *ECML PKDD*, LNCS 8724, 498-513.
    Bouma, G. (2009). Normalized (pointwise) mutual information in collocation
    extraction. *Proceedings of GSCL*, 31-40.
    Mimno, D., Wallach, H., Talley, E., Leenders, M., & McCallum, A. (2011).
    Optimizing semantic coherence in topic models. *EMNLP*, 262-272.
    Wallach, H. M., Murray, I., Salakhutdinov, R., & Mimno, D. (2009). Evaluation
    methods for topic models. *ICML*, 1105-1112.
    """
    from analysis.topicmod.kselect import stat_k_scan

    out = stat_k_scan(X, terms, ks=ks, methods=methods, n_runs=n_runs, sample_frac=sample_frac,
                      random_state=random_state, top_n=top_n, lda_engine="sklearn", model_params=model_params,
                      return_fits=return_fits)
    table, fits = out if return_fits else (out, None)
    table = table[["model", "k", "npmi", "umass", "exclusivity", "perplexity", "stability", "npmi_sd", "n_runs"]]
    return (table, fits) if return_fits else table


def choose_k(selection: pd.DataFrame, model: str, min_stability: float = 0.7,
             tolerance: float = 0.0) -> int:
    """The documented rule that picks K for ``model`` from a selection table.

    1. Keep the K whose stability is at least ``min_stability`` (if none, keep all:
       no K is stable, and the note in the log says so).
    2. Among them take the highest mean NPMI; values within ``tolerance`` of the
       best count as ties, and ties go to the smaller K (parsimony).

    References
    ----------
    Greene, D., O'Callaghan, D., & Cunningham, P. (2014). How many topics?
    Stability analysis for topic models. *ECML PKDD*, LNCS 8724, 498-513.
    Lau, J. H., Newman, D., & Baldwin, T. (2014). Machine reading tea leaves. *EACL*, 530-539.
    """
    sel = selection[selection["model"] == model]
    if sel.empty:
        raise ValueError(f"no rows for model {model!r} in the selection table")
    stable = sel[sel["stability"] >= min_stability]
    cand = stable if len(stable) else sel
    best = cand["npmi"].max()
    if np.isnan(best):
        return int(cand["k"].min())
    return int(cand.loc[cand["npmi"] >= best - tolerance, "k"].min())
