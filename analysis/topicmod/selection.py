"""Choosing the number of topics K: the grid, the scan (coherence, exclusivity,
held-out perplexity, stability) and the documented rule that picks K.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.dtm import DTM
from analysis.topicmod.alignment import stability
from analysis.topicmod.coherence import exclusivity, npmi_coherence, top_term_indices, umass_coherence
from analysis.topicmod.model import TopicModel, _matrix_and_terms

__all__ = ["choose_k", "k_grid", "stat_k_selection"]


def _named(matrix, terms) -> DTM:
    """Rows of a count matrix with their terms, as the DTM a :class:`TopicModel` is fitted on."""
    return DTM(matrix=matrix, terms=np.asarray(terms), docvars=pd.DataFrame(index=range(matrix.shape[0])))


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


def _split(n: int, frac: float, seed: int):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    n_train = max(round(frac * n), 1)
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


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
    """Scan K: coherence, exclusivity, held-out perplexity and stability.

    For each method and K, ``n_runs`` models are fitted, run ``r`` on a random
    ``sample_frac`` of the units (drawn with seed ``random_state + r``) and with
    model seed ``random_state + r``. Each run is scored on:

    * ``npmi`` - mean NPMI of the topics' ``top_n`` terms, co-occurrence counted in
      all units (Bouma 2009; Lau et al. 2014);
    * ``umass`` - mean UMass coherence (Mimno et al. 2011), same units;
    * ``exclusivity`` - mean FREX of the top terms (stm's exclusivity / ``top_n``);
    * ``perplexity`` - LDA perplexity of the held-out ``1 - sample_frac`` units by
      document completion (:meth:`TopicModel.perplexity`; NaN for NMF).

    The table reports the mean over runs, and ``stability``: the mean over pairs
    of runs of the mean cosine of Hungarian-matched topic-word vectors
    (Greene, O'Callaghan & Cunningham 2014, who also fit on document subsamples).

    Returns
    -------
    DataFrame with ``model, k, npmi, umass, exclusivity, perplexity, stability,
    npmi_sd, n_runs`` (and, with ``return_fits``, a dict (model, k) -> list of
    fitted TopicModels).

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
    M, terms = _matrix_and_terms(X, terms)
    n = M.shape[0]
    if not 0 < sample_frac <= 1:
        raise ValueError(f"sample_frac must be in (0, 1], got {sample_frac}")
    splits = [_split(n, sample_frac, random_state + r) for r in range(n_runs)]
    rows, fits = [], {}
    for method in methods:
        for k in ks:
            scores, models = [], []
            for r, (tr, te) in enumerate(splits):
                tm = TopicModel(method=method, n_components=k, random_state=random_state + r,
                                **(model_params or {}).get(method, {}))
                tm.fit(_named(M[tr], terms))
                tops = top_term_indices(tm.components_, top_n)
                perp = tm.perplexity(M[te], random_state=random_state + r) if (method == "lda" and len(te)) else np.nan
                scores.append((
                    np.nanmean(npmi_coherence(tops, M)),
                    np.nanmean(umass_coherence(tops, M)),
                    float(exclusivity(tm.components_, top_n=top_n).mean()),
                    perp,
                ))
                models.append(tm)
            s = np.asarray(scores, dtype=np.float64)
            rows.append({
                "model": method, "k": int(k),
                "npmi": s[:, 0].mean(), "umass": s[:, 1].mean(), "exclusivity": s[:, 2].mean(),
                "perplexity": s[:, 3].mean() if method == "lda" else np.nan,
                "stability": stability([m.components_ for m in models]),
                "npmi_sd": s[:, 0].std(ddof=1) if len(s) > 1 else np.nan,
                "n_runs": len(models),
            })
            if return_fits:
                fits[(method, int(k))] = models
    table = pd.DataFrame(rows, columns=["model", "k", "npmi", "umass", "exclusivity", "perplexity",
                                        "stability", "npmi_sd", "n_runs"])
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
