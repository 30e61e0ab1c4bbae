"""The declarations of the ``topics`` stage's tables (:mod:`analysis.run.catalog`).

They are the ``TABLES`` of :mod:`analysis.stages.topics`, kept in a module of their own
because the stage module is near the size limit of ``tests/test_architecture.py``.
:data:`analysis.topicmod.tables.TABLE_COLUMNS` (which the topic model code reads, a
layer below the run layer) names the same columns; ``tests/test_catalog.py`` checks
that the two agree.
"""

from __future__ import annotations

from analysis.run.catalog import CI_HIGH, CI_LOW, DATE, DOC_ID, UNIT_ID, YEAR, Column, Table

__all__ = ["TABLES"]

_MODEL = Column("model", "str", "Topic model: `lda` or `nmf` (`seeded_lda` for the seeded model).")
_K = Column("k", "int", "Number of topics.")
_TOPIC = Column("topic", "int", "Topic number, 1-based.")
_RANK = Column("rank", "int", "Rank of the term within the topic (1 = most probable).")
_TERM = Column("term", "str", "The term.")
_WEIGHT = Column("weight", "float", "Topic-word probability.")
_ENGINE = Column("engine", "str", "Engine of the fit: `sklearn-lda`, `tomotopy-gibbs` or `sklearn-nmf`.")
_SHARE_Y = Column("share", "float", "Mean topic share of the year's units.")
_LABEL = Column("label", "str", "The topic's label (its highest-FREX terms).")
_SEEDED_KEY = Column("seeded_key", "str", "The dictionary key of a seeded topic; empty for the free topics.",
                     nullable=True)
_CI_Y = (CI_LOW.but(description="Lower end of the bootstrap interval of the share."),
         CI_HIGH.but(description="Upper end of the bootstrap interval of the share."))

TABLES = (
    Table("topic_selection", "one row per scanned model and K", (
        _MODEL, _K,
        Column("npmi", "float", "Mean NPMI coherence of the topics' top words (Bouma 2009).", nullable=True),
        Column("umass", "float", "Mean UMass coherence (Mimno et al. 2011).", nullable=True),
        Column("exclusivity", "float", "Mean FREX exclusivity of the top words.", nullable=True),
        Column("perplexity", "float", "Held-out perplexity (LDA; NaN for NMF).", nullable=True),
        Column("stability", "float", "Stability across seeds (Greene et al. 2014).", nullable=True),
        Column("selected", "bool", "The one row the rule (or `topics.k`) chose."),
        Column("heldout_loglik", "float", "Held-out log-likelihood per token (LDA).", nullable=True),
        Column("heldout_error", "float", "Held-out reconstruction error (NMF).", nullable=True),
        Column("heldout_sd", "float", "Standard deviation of the held-out criterion over runs.", nullable=True),
        Column("npmi_sd", "float", "Standard deviation of NPMI over runs.", nullable=True),
        Column("n_runs", "int", "Fits (seeds) behind the row."),
        _ENGINE,
        Column("frontier", "bool", "On the coherence-exclusivity front."),
        Column("at_edge", "bool", "K is the smallest or largest of the grid (scanned or not)."),
        Column("scan_stopped", "bool", "The K where the early stop (`topics.scan_patience`) ended the scan; larger "
               "K of the grid were not fitted."),
    ), "The K scan: the criteria of each scanned model and K (the reported model's only, unless "
       "`topics.scan_models=all`)."),
    Table("topic_terms", "one row per topic and top term", (
        _MODEL, _K, _TOPIC, _RANK, _TERM, _WEIGHT,
        Column("frex", "float", "FREX score of the term in the topic (weight 0.5; Bischof & Airoldi 2012)."),
        _ENGINE,
    ), "The top `topics.n_terms` terms of each topic of the chosen model."),
    Table("doc_topics", "one row per unit and topic", (
        UNIT_ID, DOC_ID, _TOPIC,
        Column("share", "float", "Topic share of the unit (a unit's shares sum to 1)."),
    ), "Topic mixtures of the units the model was fitted on."),
    Table("document_topics", "one row per document and topic", (
        DOC_ID, YEAR, DATE, _TOPIC,
        Column("share", "float", "Token-weighted topic share of the document (read by the novelty stage)."),
    ), "Topic mixtures of the documents."),
    Table("topic_prevalence", "one row per topic and year", (
        _MODEL, _K, _TOPIC, _LABEL, YEAR.but(description="Year.", nullable=False), _SHARE_Y, *_CI_Y,
    ), "Topic prevalence over time with bootstrap intervals."),
    Table("topic_effects", "one row per topic and coefficient, or per topic and year (expected shares)", (
        _MODEL, _K, _TOPIC, _LABEL,
        Column("kind", "str", "`coefficient` or `expected`."),
        Column("term", "str", "The covariate's term (patsy name), or `year` for expected shares.", nullable=True),
        YEAR.but(description="Year of an expected share (other covariates at their most frequent level)."),
        Column("estimate", "float", "The coefficient, or the expected share."),
        Column("std_err", "float", "Its standard error.", nullable=True),
        Column("p_value", "float", "Its p-value.", nullable=True),
        CI_LOW.but(description="Lower end of its interval."),
        CI_HIGH.but(description="Upper end of its interval."),
        Column("n_units", "int", "Units in the regression."),
        Column("n_clusters", "int", "Clusters (documents) of the standard errors."),
        Column("method", "str", "`posthoc` regression of the shares, or `composition` (method of composition, "
               "Treier & Jackman 2008, for Gibbs LDA: wider intervals)."),
    ), "Effects of the covariates (year, speaker...) on topic prevalence, STM-style (Roberts et al. 2014)."),
    Table("topic_labels", "one row per topic", (
        _TOPIC,
        Column("label_prob", "str", "The 3 most probable terms."),
        Column("label_frex", "str", "The 3 highest-FREX terms (Bischof & Airoldi 2012)."),
        Column("label_relevance", "str", "The 3 most relevant terms (lambda 0.6, Sievert & Shirley 2014)."),
    ), "Labels of the chosen model's topics."),
    Table("topic_alignment", "one row per pair of matched topics", (
        Column("model_a", "str", "Model of the selected fit."),
        Column("seed_a", "int", "Seed of the selected fit."),
        Column("model_b", "str", "Model of the other fit."),
        Column("seed_b", "int", "Seed of the other fit (seed + 1 for the refit)."),
        _K,
        Column("topic_a", "int", "Topic of the selected fit.", nullable=True),
        Column("topic_b", "int", "Matched topic of the other fit.", nullable=True),
        Column("cosine", "float", "Cosine of the two topics' topic-word vectors (Hungarian matching).",
               nullable=True),
        Column("top_terms_a", "str", "Top terms of topic_a.", nullable=True),
        Column("top_terms_b", "str", "Top terms of topic_b.", nullable=True),
        Column("engine_a", "str", "Engine of the selected fit."),
        Column("engine_b", "str", "Engine of the other fit."),
    ), "The selected fit against a refit with seed + 1 on a random 80% of the units, and against the other "
       "model at the same K."),
    Table("topic_examples", "one row per topic and representative paragraph", (
        _MODEL, _K, _TOPIC,
        Column("rank", "int", "Rank of the paragraph within the topic (1 = highest share)."),
        UNIT_ID, DOC_ID, YEAR,
        Column("share", "float", "The topic's share of the paragraph."),
        Column("text", "str", "The paragraph's text, cut to 400 characters."),
    ), "The most representative paragraphs of each topic."),
    Table("topic_terms_seeded", "one row per seeded-model topic and top term", (
        _MODEL, _K, _TOPIC, _SEEDED_KEY, _RANK, _TERM, _WEIGHT,
        Column("is_seed", "bool", "The term is a seed word of the topic's key."),
    ), "Seeded LDA (Jagarlamudi et al. 2012; tomotopy word priors) with `topics.seeds`; empty when off."),
    Table("topic_prevalence_seeded", "one row per seeded-model topic and year", (
        _MODEL, _K, _TOPIC, _SEEDED_KEY, YEAR.but(description="Year.", nullable=False), _SHARE_Y, *_CI_Y,
    ), "Yearly shares of the seeded model's topics; empty when `topics.seeds` is off."),
    Table("topic_terms_by_era", "one row per topic, era and top term", (
        _MODEL, _K, _TOPIC,
        Column("era", "str", "The era, labelled by its first and last year."),
        _RANK, _TERM,
        Column("weight", "float", "Topic-word probability in that era."),
    ), "The topics' top terms era by era (one collapsed-Gibbs LDA read era by era, Hall, Jurafsky & Manning "
       "2008) with `topics.dynamic`; empty with fewer than two eras."),
)
