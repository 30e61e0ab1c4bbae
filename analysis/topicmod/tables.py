"""Column contracts of the topic tables (``OUT/tables/topic_*.csv``, README "Topic models")."""

from __future__ import annotations

__all__ = ["OPTIONAL_TABLES", "TABLE_COLUMNS"]

TABLE_COLUMNS = {
    "topic_selection": ["model", "k", "npmi", "umass", "exclusivity", "perplexity", "stability", "selected",
                        "heldout_loglik", "heldout_error", "heldout_sd", "npmi_sd", "n_runs", "engine",
                        "frontier", "at_edge", "scan_stopped"],
    "topic_terms": ["model", "k", "topic", "rank", "term", "weight", "frex", "engine"],
    "doc_topics": ["unit_id", "doc_id", "topic", "share"],
    "document_topics": ["doc_id", "year", "date", "topic", "share"],
    "topic_prevalence": ["model", "k", "topic", "label", "year", "share", "ci_low", "ci_high"],
    "topic_effects": [
        "model", "k", "topic", "label", "kind", "term", "year", "estimate", "std_err",
        "p_value", "ci_low", "ci_high", "n_units", "n_clusters", "method",
    ],
    "topic_labels": ["topic", "label_prob", "label_frex", "label_relevance"],
    "topic_alignment": [
        "model_a", "seed_a", "model_b", "seed_b", "k", "topic_a", "topic_b", "cosine",
        "top_terms_a", "top_terms_b", "engine_a", "engine_b",
    ],
    "topic_examples": ["model", "k", "topic", "rank", "unit_id", "doc_id", "year", "share", "text"],
    # optional tables (empty unless topics.seeds / topics.dynamic are set)
    "topic_terms_seeded": ["model", "k", "topic", "seeded_key", "rank", "term", "weight", "is_seed"],
    "topic_prevalence_seeded": ["model", "k", "topic", "seeded_key", "year", "share", "ci_low", "ci_high"],
    "topic_terms_by_era": ["model", "k", "topic", "era", "rank", "term", "weight"],
}

#: tables written empty when their option is off (``topics.seeds``, ``topics.dynamic``)
OPTIONAL_TABLES = ("topic_terms_seeded", "topic_prevalence_seeded", "topic_terms_by_era")
