"""Small synthetic tables in the pipeline's documented column layouts, for plot tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

SPEAKERS = ["Kofi Annan", "Ban Ki-moon", "António Guterres"]
VENUES = ["General Assembly", "Security Council", "report"]
FRAMES = ["pillar_one", "pillar_two", "pillar_three", "prevention", "response", "sovereignty"]


def docvars(n: int = 24, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    years = np.sort(rng.integers(2005, 2024, n))
    dates = [f"{y}-{rng.integers(1, 13):02d}-{rng.integers(1, 28):02d}" for y in years]
    speaker = [SPEAKERS[0] if y < 2007 else SPEAKERS[1] if y < 2017 else SPEAKERS[2] for y in years]
    return pd.DataFrame({
        "doc_id": [f"d{i:03d}" for i in range(n)],
        "date": dates,
        "year": years.astype(int),
        "speaker": speaker,
        "venue": rng.choice(VENUES, n),
        "n_tokens": rng.integers(300, 4000, n),
    })


def similarity_to_anchor(dv: pd.DataFrame, anchor: str, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cos = rng.uniform(0.1, 0.6, len(dv))
    cos[dv["doc_id"] == anchor] = 1.0
    half = rng.uniform(0.01, 0.08, len(dv))
    return pd.DataFrame({"doc_id": dv["doc_id"], "year": dv["year"], "speaker": dv["speaker"],
                         "cosine": cos, "ci_low": cos - half, "ci_high": np.minimum(cos + half, 1.0)})


def similarity_years(years, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ys = sorted({int(y) for y in years})
    rows = []
    for a in ys:
        for b in ys:
            if b < a:
                continue
            rows.append((a, b, 1.0 if a == b else float(np.exp(-abs(a - b) / 6) * rng.uniform(0.7, 1))))
    return pd.DataFrame(rows, columns=["year_a", "year_b", "cosine"])


def keyness(seed: int = 0, n_terms: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    terms = [f"term{i:02d}" for i in range(n_terms)]
    out = []
    for comp in ["anchor vs rest", "speaker=António Guterres vs speaker=Ban Ki-moon"]:
        g2 = rng.normal(0, 8, n_terms)
        out.append(pd.DataFrame({
            "comparison": comp, "term": terms, "count_target": rng.integers(0, 50, n_terms),
            "count_reference": rng.integers(0, 50, n_terms), "total_target": 1000, "total_reference": 5000,
            "g2": g2, "chi2": g2 * 1.1, "log_ratio": g2 / 4, "p_value": 0.5, "p_adjusted": 0.5,
            "correction": "none"}))
    return pd.concat(out, ignore_index=True)


def fightin_words(seed: int = 0, n_terms: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.poisson(rng.gamma(0.5, 20, n_terms))
    b = rng.poisson(rng.gamma(0.5, 20, n_terms))
    delta = rng.normal(0, 1, n_terms) / np.sqrt(1 + a + b) * 3
    var = 1 / (a + 0.5) + 1 / (b + 0.5)
    return pd.DataFrame({"comparison": "anchor vs rest", "term": [f"w{i:03d}" for i in range(n_terms)],
                         "count_a": a, "count_b": b, "delta": delta, "variance": var,
                         "z": delta / np.sqrt(var)})


def topic_selection(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for model in ["lda", "nmf"]:
        for k in range(4, 13, 2):
            rows.append({"model": model, "k": k, "npmi": rng.normal(0.05, 0.02), "umass": rng.normal(-2, 0.3),
                         "exclusivity": rng.uniform(0.5, 0.9),
                         "perplexity": float(2000 - 50 * k + rng.normal(0, 10)) if model == "lda" else np.nan,
                         "stability": rng.uniform(0.5, 0.95), "selected": model == "lda" and k == 8})
    return pd.DataFrame(rows)


def topic_prevalence(k: int = 6, years=range(2005, 2024), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(k):
        for y in years:
            s = float(np.clip(1 / k + 0.05 * np.sin(y / 3 + t) + rng.normal(0, 0.01), 0.01, 1))
            rows.append({"model": "lda", "k": k, "topic": t, "label": f"word{t}a, word{t}b, word{t}c",
                         "year": y, "share": s, "ci_low": s - 0.03, "ci_high": s + 0.03})
    return pd.DataFrame(rows)


def frames_years(years=range(2005, 2024), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for f in FRAMES:
        for y in years:
            r = float(rng.gamma(4, 1.5) + (5 if f == "prevention" and y >= 2015 else 0))
            rows.append({"frame": f, "year": y, "rate": r, "ci_low": r * 0.7, "ci_high": r * 1.3})
    return pd.DataFrame(rows)


def frame_changepoints() -> pd.DataFrame:
    return pd.DataFrame({"frame": ["prevention", "sovereignty"], "year": [2015, 2011]})


def frames_units(doc_id: str = "anchor", n_par: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(1, n_par + 1):
        tokens = int(rng.integers(30, 120))
        for f in FRAMES:
            m = int(rng.poisson(1))
            rows.append({"unit_id": f"{doc_id}#p{p}", "doc_id": doc_id, "frame": f, "matches": m,
                         "tokens": tokens, "rate_per_1000": 1000 * m / tokens})
    return pd.DataFrame(rows)


def novelty(dv: pd.DataFrame, w: int = 2, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(dv)
    nov = rng.gamma(2, 0.3, n)
    tra = rng.gamma(2, 0.3, n)
    nov[:w] = np.nan
    tra[n - w:] = np.nan
    return pd.DataFrame({"doc_id": dv["doc_id"], "date": dv["date"], "year": dv["year"], "novelty": nov,
                         "transience": tra, "resonance": nov - tra})


def style(dv: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(dv)
    return pd.DataFrame({"doc_id": dv["doc_id"], "date": dv["date"], "year": dv["year"],
                         "speaker": dv["speaker"], "tokens": dv["n_tokens"], "types": dv["n_tokens"] // 3,
                         "ttr": rng.uniform(0.3, 0.5, n), "mattr": rng.uniform(0.6, 0.8, n),
                         "mtld": rng.uniform(60, 120, n), "sentences": 20,
                         "mean_sentence_length": rng.uniform(18, 30, n), "syllables_per_word": 1.6,
                         "flesch_reading_ease": rng.uniform(20, 50, n), "fk_grade": rng.uniform(10, 16, n),
                         "first_person_singular": rng.uniform(0, 0.02, n),
                         "first_person_plural": rng.uniform(0.005, 0.03, n)})


def dispersion(dv: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for _, r in dv.iterrows():
        for pat in ("prevent*", "sovereign*", "responsibility to protect"):
            for _ in range(int(rng.integers(0, 4))):
                pos = int(rng.integers(0, r["n_tokens"]))
                rows.append({"doc_id": r["doc_id"], "date": r["date"], "year": r["year"], "pattern": pat,
                             "term": pat.rstrip("*"), "position": pos, "n_tokens": r["n_tokens"],
                             "relative_position": pos / r["n_tokens"]})
    return pd.DataFrame(rows)


def dense_fightin_words(n_terms: int = 400, seed: int = 3) -> pd.DataFrame:
    """A crowded Fightin' Words table: many strong words of similar frequency and delta,
    with long two-word terms, so that labels drawn at their points would collide."""
    rng = np.random.default_rng(seed)
    words = ["united states", "congress", "audience", "laughter", "applause", "government",
             "people", "nation", "america", "world", "peace", "freedom", "economy", "security"]
    terms = [f"{words[i % len(words)]} {i}" if i >= len(words) else words[i] for i in range(n_terms)]
    a = rng.integers(20, 40, n_terms)
    b = rng.integers(20, 40, n_terms)
    delta = rng.normal(0, 0.3, n_terms)
    delta[:40] = np.linspace(1.0, 1.2, 40) * np.where(np.arange(40) % 2 == 0, 1, -1)
    var = 1 / (a + 1) + 1 / (b + 1)
    return pd.DataFrame({"comparison": "A vs B", "term": terms, "count_a": a, "count_b": b,
                         "delta": delta, "variance": var, "z": delta / np.sqrt(var)})
