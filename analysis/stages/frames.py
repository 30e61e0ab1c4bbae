"""Pipeline stage ``frames``."""
from __future__ import annotations

import pandas as pd
import zlib
from analysis.framing.frames import (DEFAULT_INDICES, load_frames_dictionary, load_stance_dictionary, stat_anchor_profile, stat_changepoints, stat_frames, stat_indices, stat_rates, stat_sentiment, stat_sentiment_years)


# -------------------------------------------------------------------- stage
STAGE_DEFAULTS = {
    "dictionary": "",          # path to a frames dictionary; default r2p_frames.yml
    "stance_dictionary": "",   # default stance.yml
    "case_insensitive": True,
    "nested_scope": "key",
    "n_boot": 1000,
    "ci": 0.95,
    "cluster": "",             # "" = resample units; "doc_id" = resample documents
    "changepoint_method": "pelt",
    "changepoint_penalty": "permutation",  # or "mbic", "bic", a number
    "changepoint_min_size": 5,   # fewest observed years in a segment
    "changepoint_level": 0.99,   # permutation penalty: P(no change point | no change)
    "changepoint_n_bkps": None,  # with method binseg/dynp: exactly this many changes
    "sentiment": True,
    "units_zeros": True,       # false: frames_units/stance_units keep only rows with matches
}


def _as_bool(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "y", "on")
    return bool(v)


def _units_hash(units: pd.DataFrame) -> str:
    import hashlib

    h = hashlib.sha256()
    for u, t in zip(units["unit_id"].astype(str), units["text"].astype(str)):
        h.update(u.encode())
        h.update(b"\0")
        h.update(t.encode())
        h.update(b"\0")
    return h.hexdigest()


def stage(ctx) -> None:
    """Pipeline stage ``frames``: frame, stance and sentiment tables.

    Writes ``frames_units``, ``frames_docs``, ``frames_years``, ``frame_indices``,
    ``frame_changepoints``, ``anchor_frame_profile``, ``stance_units``,
    ``stance_docs``, ``stance_years``, ``sentiment_units`` and
    ``sentiment_years`` (see the README section "Framing").
    """
    unknown = sorted(set(getattr(ctx, "overrides", {}).get("frames", {})) - set(STAGE_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown frames parameter(s) {unknown}; known: {sorted(STAGE_DEFAULTS)}")
    p = ctx.params("frames", STAGE_DEFAULTS)
    if p["nested_scope"] not in ("key", "dictionary"):
        raise ValueError(f"frames.nested_scope must be 'key' or 'dictionary', not {p['nested_scope']!r}")
    units = ctx.units
    ci_ins = _as_bool(p["case_insensitive"])
    scope = str(p["nested_scope"])
    n_boot, ci, seed = int(p["n_boot"]), float(p["ci"]), int(ctx.seed)
    cluster = str(p["cluster"]) or None
    fd = load_frames_dictionary(p["dictionary"] or None)
    sd = load_stance_dictionary(p["stance_dictionary"] or None)
    # every cache key below carries all the inputs of its result: the units'
    # text, the dictionaries, the matching options and the step's own settings
    # (ctx.cached adds the corpus fingerprint, seed and text settings)
    key_params = {"case_insensitive": ci_ins, "nested_scope": scope,
                  "frames": fd.to_frame().to_csv(index=False),
                  "stance": sd.to_frame().to_csv(index=False),
                  "units": _units_hash(units)}
    boot = {**key_params, "n_boot": n_boot, "ci": ci, "cluster": cluster, "seed": seed}
    fu = ctx.cached("frames_units", key_params,
                    lambda: stat_frames(units, fd, ci_ins, scope))
    su = ctx.cached("stance_units", key_params,
                    lambda: stat_frames(units, sd, ci_ins, scope))
    zeros = _as_bool(p["units_zeros"])
    _write_table_cached(ctx, "frames_units", fu if zeros else fu[fu["matches"] > 0],
                        {**key_params, "zeros": zeros})
    _write_table_cached(ctx, "stance_units", su if zeros else su[su["matches"] > 0],
                        {**key_params, "zeros": zeros})
    for name, tab in (("frames", fu), ("stance", su)):
        for by, table in (("doc_id", f"{name}_docs"), ("year", f"{name}_years")):
            res = ctx.cached(f"{name}_rates", {**boot, "by": by},
                             lambda tab=tab, by=by: stat_rates(tab, by=by, n_boot=n_boot, ci=ci,
                                                               cluster=cluster, seed=seed))
            ctx.write_table(table, res)
        if name == "frames":
            frame_years = res
    ctx.write_table("frame_indices", ctx.cached(
        "frame_indices", {**boot, "indices": repr(sorted(DEFAULT_INDICES.items()))},
        lambda: stat_indices(pd.concat([fu, su], ignore_index=True), n_boot=n_boot, ci=ci,
                             seed=seed)))
    n_years = frame_years["year"].nunique() if len(frame_years) else 0
    min_size = int(p["changepoint_min_size"])
    if n_years < 2 * min_size:
        ctx.log(f"frames: {n_years} year(s) with text; change points need at least "
                f"{2 * min_size}, so frame_changepoints is empty")
    pen = p["changepoint_penalty"]
    try:
        pen = float(pen)
    except (TypeError, ValueError):
        pass
    n_bkps = p["changepoint_n_bkps"]
    cp_params = {"method": str(p["changepoint_method"]), "penalty": pen, "min_size": min_size,
                 "n_bkps": int(n_bkps) if n_bkps not in (None, "") else None,
                 "level": float(p["changepoint_level"]), "seed": seed}
    ctx.write_table("frame_changepoints", ctx.cached(
        "frame_changepoints", {**boot, **cp_params, "v": 2},
        lambda: stat_changepoints(frame_years, **cp_params)))
    anchor = getattr(ctx.corpus, "anchor", None)
    if anchor is None:
        ctx.log("frames: corpus has no anchor; anchor_frame_profile is empty")
    ctx.write_table("anchor_frame_profile", ctx.cached(
        "anchor_frame_profile", {**key_params, "anchor": anchor},
        lambda: stat_anchor_profile(fu, units, anchor) if anchor else
        stat_anchor_profile(fu.iloc[:0], units.iloc[:0], "")))
    if _as_bool(p["sentiment"]):
        sent = ctx.cached("sentiment_units", {"units": key_params["units"]}, lambda: stat_sentiment(units))
        ctx.write_table("sentiment_units", sent)
        ctx.write_table("sentiment_years", ctx.cached(
            "sentiment_years", {"units": key_params["units"], "n_boot": n_boot, "ci": ci,
                                "seed": seed},
            lambda: stat_sentiment_years(sent, n_boot=n_boot, ci=ci, seed=seed)))


def _write_table_cached(ctx, name: str, df: pd.DataFrame, params: dict) -> None:
    """``ctx.write_table(name, df)``, with the rendered CSV bytes cached.

    Formatting a table of a million rows as CSV takes seconds; the bytes are a
    function of the table, which is a function of ``params``, so a warm run
    writes the cached bytes (rendered by :func:`analysis.pipeline.write_csv`
    itself, so they are identical to what it writes) and keeps ``df`` in
    ``ctx.tables`` as ``write_table`` does.
    """
    import inspect
    import os
    import tempfile

    from analysis.run.runner import write_csv

    writer = inspect.getsource(write_csv)

    def render() -> bytes:
        fd, tmp = tempfile.mkstemp(suffix=".csv")
        os.close(fd)
        try:
            write_csv(df, tmp)
            with open(tmp, "rb") as f:
                return zlib.compress(f.read(), 1)     # ~8x smaller cache entry
        finally:
            os.unlink(tmp)

    data = zlib.decompress(ctx.cached(f"csv_{name}", {**params, "writer": writer}, render))
    path = ctx.tables_dir / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    ctx.tables[name] = df
