"""The report's views: each a Vega-Lite specification (written with Altair) and its evidence.

Every function takes the run's tables (tidy DataFrames, nothing is recomputed:
only selected, capped and reshaped) and returns a JSON-ready dict with ``spec``
(the chart) and the evidence the page shows on a click, or ``note`` when the
tables cannot support the view. Row caps keep the page small; a capped view says
so in its ``notes``.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from analysis.plots.save import OKABE_ITO, PALETTE
from analysis.report.labels import from_pixels, place_labels, to_pixels

__all__ = ["WIDTH", "HEIGHT", "JS_PROTOTYPE_NAMES", "VEGA_KEY_SUFFIX", "vega_safe", "overview_view", "similarity_view", "terms_view", "topics_view", "frames_view",
           "anchor_view"]

WIDTH, HEIGHT = 620, 340
GREY = "#BBBBBB"


def _num(s) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _clip(text, n: int) -> str:
    s = "" if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)) else str(text)
    return s if len(s) <= n else s[:n].rsplit(" ", 1)[0] + " ..."


#: the property names of JavaScript's ``Object.prototype``: a data value equal to one of them is
#: a key that plain-object maps inside Vega (its aggregate, stack and window transforms group rows
#: in ``{}``) confuse with the prototype's property, e.g. a topic term ``constructor`` ("d.push is
#: not a function") or a legend that silently drops a group named ``__proto__``
JS_PROTOTYPE_NAMES = frozenset({
    "constructor", "__proto__", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
    "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "toString", "valueOf"})
#: appended to such a value in the charts' data (U+200B ZERO WIDTH SPACE: it does not show); the page's
#: script removes it from every datum it reads (``unvk``) and adds it to every value it signals (``vk``)
VEGA_KEY_SUFFIX = "\u200b"


def vega_safe(obj):
    """``obj`` (a chart specification) with every string value that is a name of
    ``Object.prototype`` suffixed by :data:`VEGA_KEY_SUFFIX` (keys, i.e. column and
    property names, are left alone)."""
    if isinstance(obj, dict):
        return {k: vega_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [vega_safe(v) for v in obj]
    if isinstance(obj, str) and obj in JS_PROTOTYPE_NAMES:
        return obj + VEGA_KEY_SUFFIX
    return obj


def _spec(chart) -> dict:
    with alt.data_transformers.disable_max_rows():
        d = chart.to_dict()
    d.pop("$schema", None)
    return vega_safe(d)


def _config(chart):
    return (chart.configure_view(stroke=None).configure_axis(labelFontSize=11, titleFontSize=12)
            .configure_range(category=PALETTE))


def _empty(df) -> bool:
    return df is None or len(df) == 0


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
            for r in df.to_dict(orient="records")]


# ----------------------------------------------------------------- overview
def overview_view(documents: pd.DataFrame | None, max_groups: int = 7) -> dict[str, Any]:
    """Documents per year, coloured by venue, source or speaker (the first with 2+ values)."""
    if _empty(documents) or "year" not in documents.columns:
        return {"note": "No documents table, or no years: nothing to show."}
    d = documents.copy()
    if "available" in d.columns:
        d = d[d["available"].astype(str).str.lower().isin(("true", "1"))]
    d["year"] = _num(d["year"])
    d = d.dropna(subset=["year"])
    if d.empty:
        return {"note": "No dated document with text."}
    by = next((c for c in ("venue", "source", "speaker") if c in d.columns and d[c].nunique() > 1), None)
    g = d[by].fillna("unknown").astype(str) if by else pd.Series("all", index=d.index)
    top = g.value_counts().index[:max_groups]
    d["group"] = g.where(g.isin(top), "other")
    counts = d.groupby(["year", "group"]).size().reset_index(name="documents")
    chart = alt.Chart(counts).mark_bar().encode(
        x=alt.X("year:O", title="year"), y=alt.Y("documents:Q", title="documents"),
        color=alt.Color("group:N", title=by or "", scale=alt.Scale(range=PALETTE)),
        tooltip=["year:O", "group:N", "documents:Q"]).properties(width=WIDTH, height=HEIGHT)
    docs = {}
    cols = [c for c in ("doc_id", "speaker", "n_tokens") if c in d.columns]
    for (y, grp), sub in d.groupby(["year", "group"]):
        docs.setdefault(str(int(y)), {})[grp] = sub[cols].astype(object).fillna("").astype(str).values.tolist()
    return {"spec": _spec(_config(chart)), "by": by, "docs": docs, "columns": cols,
            "n_docs": int(len(d)), "n_years": int(d["year"].nunique())}


# --------------------------------------------------------------- similarity
def similarity_view(sim: pd.DataFrame | None, paragraphs: pd.DataFrame | None, units: pd.DataFrame | None,
                    anchor: str | None, max_docs: int = 2000, chars: int = 500) -> dict[str, Any]:
    """Cosine to the anchor by year with intervals; paragraphs closest to the anchor per document."""
    if _empty(sim) or anchor is None:
        return {"note": "No similarity to the anchor in this run (one document, or the compare stage "
                        "did not run)."}
    s = sim.copy()
    for c in ("cosine", "ci_low", "ci_high", "year"):
        if c in s.columns:
            s[c] = _num(s[c])
    s["anchor"] = s["doc_id"].astype(str) == anchor
    notes = []
    base = alt.Chart(s).encode(x=alt.X("year:Q", title="year", scale=alt.Scale(zero=False),
                                       axis=alt.Axis(format="d")))
    tip = [alt.Tooltip("doc_id:N", title="document"), "speaker:N", "year:Q",
           alt.Tooltip("cosine:Q", format=".3f"), alt.Tooltip("ci_low:Q", format=".3f"),
           alt.Tooltip("ci_high:Q", format=".3f")]
    tip = [t for t in tip if (t.shorthand if hasattr(t, "shorthand") else t).split(":")[0] in s.columns]
    rules = base.mark_rule(color=GREY).encode(y=alt.Y("ci_low:Q", title="cosine to the anchor"), y2="ci_high:Q")
    pts = base.mark_circle(size=60, opacity=0.85, cursor="pointer").encode(
        y="cosine:Q", tooltip=tip,
        color=alt.condition("datum.anchor", alt.value(OKABE_ITO["vermillion"]), alt.value(OKABE_ITO["blue"])))
    chart = alt.layer(rules, pts).properties(width=WIDTH, height=HEIGHT)
    paras: dict[str, list] = {}
    if not _empty(paragraphs) and not _empty(units):
        p = paragraphs.copy()
        keep = s.sort_values("cosine", ascending=False)["doc_id"].astype(str).head(max_docs)
        if s["doc_id"].nunique() > max_docs:
            notes.append(f"Paragraphs are included for the {max_docs} documents most similar to the anchor "
                         f"(of {s['doc_id'].nunique()}); set report.max_evidence_docs to change.")
        p = p[p["doc_id"].astype(str).isin(set(keep))]
        text = units.set_index(units["unit_id"].astype(str))["text"]
        for r in p.itertuples(index=False):
            paras.setdefault(str(r.doc_id), []).append(
                [int(r.rank), round(float(r.cosine), 4), str(r.unit_id), _clip(text.get(str(r.unit_id)), chars)])
    else:
        notes.append("No similarity_paragraphs table: clicking a point shows no paragraphs (rerun compare).")
    meta = {str(r.doc_id): [_clip(getattr(r, "speaker", ""), 80), None if pd.isna(r.year) else int(r.year),
                            round(float(r.cosine), 4)] for r in s.itertuples(index=False)}
    return {"spec": _spec(_config(chart)), "paragraphs": paras, "docs": meta, "notes": notes}


# -------------------------------------------------------------------- terms
def _term_chart(t: pd.DataFrame, measure: str, title: str, n_labels: int, a: str, b: str) -> dict:
    t = t.copy()
    t["x"] = np.log10(t["freq"].clip(lower=1))
    xd = (float(t["x"].min()) - 0.05, float(t["x"].max()) + 0.05)
    lo, hi = float(t["y"].min()), float(t["y"].max())
    pad = 0.06 * ((hi - lo) or 1.0)
    yd = (min(lo, 0.0) - pad, max(hi, 0.0) + pad)
    t["side"] = np.where(t["y"] > 0, a, b)
    cut = 1.96 if measure == "z" else 3.84
    t["side"] = np.where(t["y"].abs() < cut, "neither", t["side"])
    pos = t[t["y"] > 0].nlargest(n_labels, "y")
    neg = t[t["y"] < 0].nsmallest(n_labels, "y")
    lab = pd.concat([pos, neg]).sort_values("y", key=lambda v: -v.abs(), kind="stable")
    spots = place_labels(to_pixels(lab["x"], xd, WIDTH), to_pixels(lab["y"], yd, HEIGHT, flip=True),
                         lab["term"].tolist(), WIDTH, HEIGHT)
    ok = [i for i, sp in enumerate(spots) if sp is not None]
    labels = pd.DataFrame({"term": lab["term"].to_numpy()[ok],
                           "lx": from_pixels([spots[i][0] for i in ok], xd, WIDTH),
                           "ly": from_pixels([spots[i][1] for i in ok], yd, HEIGHT, flip=True)})
    q = alt.param(name="q", value="")
    hit = "q != '' && indexof(lower(datum.term), lower(q)) >= 0"
    xs = alt.Scale(domain=list(xd), nice=False, zero=False)
    ys = alt.Scale(domain=list(yd), nice=False, zero=False)
    colours = alt.Scale(domain=[a, b, "neither"], range=[OKABE_ITO["blue"], OKABE_ITO["vermillion"], GREY])
    pts = alt.Chart(t[["term", "x", "y", "freq", "side"]]).mark_point(filled=True, cursor="pointer").encode(
        x=alt.X("x:Q", scale=xs, title="log10 frequency (both sides)"),
        y=alt.Y("y:Q", scale=ys, title=title),
        color=alt.Color("side:N", scale=colours, title="distinctive of"),
        size=alt.condition(hit, alt.value(120), alt.value(18)),
        opacity=alt.condition(hit, alt.value(1.0), alt.value(0.6)),
        stroke=alt.condition(hit, alt.value("#000000"), alt.value(None)),
        tooltip=["term:N", "freq:Q", alt.Tooltip("y:Q", title=measure, format=".2f")]).add_params(q)
    txt = alt.Chart(labels).mark_text(fontSize=11, fontWeight="bold", align="center", baseline="middle",
                                      cursor="pointer").encode(
        x=alt.X("lx:Q", scale=xs), y=alt.Y("ly:Q", scale=ys), text="term:N")
    chart = alt.layer(pts, txt).properties(width=WIDTH, height=HEIGHT)
    return _spec(_config(chart).configure_axis(grid=False))


def terms_view(fw: pd.DataFrame | None, keyness: pd.DataFrame | None, term_kwic: pd.DataFrame | None,
               max_terms: int = 2000, n_labels: int = 10) -> dict[str, Any]:
    """Scattertext-style term plot per comparison (frequency vs Fightin' Words z, or signed G2)."""
    if _empty(fw):
        return {"note": "No Fightin' Words table: no comparison ran (one document, or compare skipped them)."}
    comps, notes = [], []
    for label, f in fw.groupby("comparison", sort=False):
        f = f.copy()
        f["z"] = _num(f["z"])
        f["freq"] = _num(f["count_a"]) + _num(f["count_b"])
        f = f.dropna(subset=["z", "freq"])
        a, b = (label.split(" vs ", 1) + ["rest"])[:2] if " vs " in label else (label, "rest")
        if len(f) > max_terms:
            ext = f.reindex(f["z"].abs().sort_values(ascending=False).index).head(max_terms // 2)
            freq = f.drop(ext.index).nlargest(max_terms - len(ext), "freq")
            notes.append(f"{label}: {max_terms} of {len(f)} terms plotted (the most distinctive and the most "
                         "frequent; report.max_terms).")
            f = pd.concat([ext, freq])
        specs = {"z": _term_chart(f.assign(y=f["z"]), "z", "Fightin' Words z", n_labels, a, b)}
        if not _empty(keyness):
            k = keyness[keyness["comparison"] == label].copy()
            k["g2"] = _num(k["g2"]) * np.sign(_num(k["log_ratio"]).fillna(0))
            k["freq"] = _num(k["count_target"]) + _num(k["count_reference"])
            k = k[k["term"].isin(set(f["term"]))].dropna(subset=["g2", "freq"])
            if len(k):
                specs["g2"] = _term_chart(k.assign(y=k["g2"]), "g2", "signed G2 (log-likelihood)", n_labels, a, b)
        kw: dict[str, dict[str, list]] = {}
        if not _empty(term_kwic):
            sub = term_kwic[term_kwic["comparison"] == label]
            for r in sub.itertuples(index=False):
                yr = None if pd.isna(r.year) else int(float(r.year))
                kw.setdefault(str(r.term), {}).setdefault(str(r.side), []).append(
                    [str(r.doc_id), yr, str(r.pre if not pd.isna(r.pre) else ""), str(r.keyword),
                     str(r.post if not pd.isna(r.post) else "")])
        top = f.reindex(f["z"].abs().sort_values(ascending=False).index)["term"].astype(str).head(40).tolist()
        comps.append({"label": str(label), "target": a, "reference": b, "specs": specs, "kwic": kw,
                      "terms": sorted(f["term"].astype(str).tolist()), "top": top})
    return {"comparisons": comps, "notes": notes}


# ------------------------------------------------------------------- topics
def topics_view(terms: pd.DataFrame | None, prevalence: pd.DataFrame | None, labels: pd.DataFrame | None,
                examples: pd.DataFrame | None, chars: int = 700) -> dict[str, Any]:
    """Top terms by probability and FREX, prevalence by year with bands, representative paragraphs."""
    if _empty(terms) or _empty(prevalence):
        return {"note": "No topic tables in this run (the topics stage did not run or had too few paragraphs)."}
    pv = prevalence.copy()
    model, k = pv["model"].iloc[0], pv["k"].iloc[0]
    pv = pv[(pv["model"] == model) & (pv["k"] == k)]
    tt = terms[(terms["model"] == model) & (terms["k"].astype(str) == str(k))].copy()
    for c in ("share", "ci_low", "ci_high", "year", "topic"):
        pv[c] = _num(pv[c])
    tt["weight"], tt["frex"], tt["topic"] = _num(tt["weight"]), _num(tt["frex"]), _num(tt["topic"])
    tsel = alt.param(name="topic", value=int(pv["topic"].min()))
    bars = alt.Chart(tt[["topic", "term", "weight", "rank"]]).mark_bar(color=OKABE_ITO["blue"]).encode(
        y=alt.Y("term:N", sort="-x", title=None), x=alt.X("weight:Q", title="probability (weight)"),
        tooltip=["term:N", alt.Tooltip("weight:Q", format=".4f")]).transform_filter(
        "datum.topic == topic").add_params(tsel).properties(width=220, height=HEIGHT)
    base = alt.Chart(pv[["topic", "label", "year", "share", "ci_low", "ci_high"]]).encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), scale=alt.Scale(zero=False)))
    others = base.mark_line(color=GREY, strokeWidth=0.8).encode(y=alt.Y("share:Q", title="topic share"),
                                                                detail="topic:N")
    band = base.mark_area(color=OKABE_ITO["orange"], opacity=0.3).encode(y="ci_low:Q", y2="ci_high:Q"
                                                                         ).transform_filter("datum.topic == topic")
    line = base.mark_line(color=OKABE_ITO["vermillion"], point=True).encode(
        y="share:Q", tooltip=["year:Q", alt.Tooltip("share:Q", format=".3f"), "label:N"]
    ).transform_filter("datum.topic == topic")
    prev = alt.layer(others, band, line).properties(width=WIDTH - 240, height=HEIGHT)
    chart = alt.hconcat(bars, prev)
    lab = {}
    if not _empty(labels):
        for r in labels.itertuples(index=False):
            lab[int(float(r.topic))] = {"prob": str(r.label_prob), "frex": str(r.label_frex)}
    topics = []
    for t in sorted(pv["topic"].dropna().unique()):
        tsub = tt[tt["topic"] == t]
        ex = []
        if not _empty(examples):
            e = examples[(_num(examples["topic"]) == t) & (examples["model"] == model)]
            ex = [[str(r.doc_id), None if pd.isna(r.year) else int(float(r.year)), round(float(r.share), 3),
                   _clip(r.text, chars)] for r in e.itertuples(index=False)]
        topics.append({"topic": int(t), "label": lab.get(int(t), {}).get("frex", ""),
                       "prob": tsub.sort_values("weight", ascending=False)["term"].astype(str).tolist(),
                       "frex": tsub.sort_values("frex", ascending=False)["term"].astype(str).tolist(),
                       "examples": ex})
    return {"spec": _spec(_config(chart)), "model": str(model), "k": int(float(k)), "topics": topics}


# ------------------------------------------------------------------- frames
def frames_view(years: pd.DataFrame | None, changepoints: pd.DataFrame | None,
                passages: pd.DataFrame | None) -> dict[str, Any]:
    """Frame rates per 1,000 tokens by year with intervals and change points; passages per year."""
    if _empty(years):
        return {"note": "No frames_years table (the frames stage did not run)."}
    y = years.copy()
    for c in ("rate", "ci_low", "ci_high", "year", "matches"):
        y[c] = _num(y[c])
    y = y.dropna(subset=["year"])
    tot = y.groupby(y["frame"].astype(str), sort=False)["matches"].sum()
    frames = tot.sort_values(ascending=False, kind="stable").index.tolist()  # the most matched first
    fsel = alt.param(name="frame", value=frames[0] if frames else "")
    base = alt.Chart(y[["frame", "year", "rate", "ci_low", "ci_high", "matches"]]).encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), scale=alt.Scale(zero=False))).transform_filter(
        "datum.frame == frame")
    band = base.mark_area(color=OKABE_ITO["orange"], opacity=0.3).encode(
        y=alt.Y("ci_low:Q", title="matches per 1,000 tokens"), y2="ci_high:Q")
    line = base.mark_line(color=OKABE_ITO["vermillion"])
    pts = base.mark_circle(size=70, color=OKABE_ITO["vermillion"], cursor="pointer").encode(
        y="rate:Q", tooltip=["frame:N", "year:Q", alt.Tooltip("rate:Q", format=".2f"), "matches:Q"])
    layers = [band, line.encode(y="rate:Q"), pts]
    cps = {}
    if not _empty(changepoints):
        cp = changepoints.copy()
        cp["changepoint_year"] = _num(cp["changepoint_year"])
        cp = cp.dropna(subset=["changepoint_year"])
        if len(cp):
            layers.append(alt.Chart(cp[["frame", "changepoint_year"]]).mark_rule(
                color="#000000", strokeDash=[4, 3]).encode(x="changepoint_year:Q").transform_filter(
                "datum.frame == frame"))
            for r in cp.itertuples(index=False):
                cps.setdefault(str(r.frame), []).append(int(r.changepoint_year))
    chart = alt.layer(*layers).add_params(fsel).properties(width=WIDTH, height=HEIGHT)
    psg: dict[str, dict[str, list]] = {}
    if not _empty(passages):
        p = passages[~passages["anchor"].astype(str).str.lower().isin(("true", "1"))] \
            if "anchor" in passages.columns else passages
        for r in p.itertuples(index=False):
            yr = "" if pd.isna(r.year) else str(int(float(r.year)))
            psg.setdefault(str(r.family), {}).setdefault(yr, []).append(
                [str(r.frame), str(r.doc_id), str(r.entry), str(r.left if not pd.isna(r.left) else ""),
                 str(r.keyword), str(r.right if not pd.isna(r.right) else "")])
    return {"spec": _spec(_config(chart)), "frames": frames, "passages": psg, "changepoints": cps}


# ------------------------------------------------------------------- anchor
def anchor_view(units: pd.DataFrame | None, passages: pd.DataFrame | None, anchor: str | None) -> dict[str, Any]:
    """The anchor paragraph by paragraph, with each frame match's character span."""
    if anchor is None or _empty(units):
        return {"note": "The run has no anchor or no paragraphs."}
    u = units[units["doc_id"].astype(str) == anchor]
    spans: dict[str, list] = {}
    families: list[str] = []
    if not _empty(passages) and "anchor" in passages.columns:
        p = passages[passages["anchor"].astype(str).str.lower().isin(("true", "1"))]
        families = list(dict.fromkeys(p["family"].astype(str)))
        for r in p.itertuples(index=False):
            spans.setdefault(str(r.unit_id), []).append([int(r.start), int(r.end), str(r.family), str(r.frame)])
    paras = [{"unit_id": str(r.unit_id), "text": str(r.text), "spans": sorted(spans.get(str(r.unit_id), []))}
             for r in u.itertuples(index=False)]
    note = None if families else "No frame matches recorded for the anchor (frame_passages is missing or empty)."
    return {"paragraphs": paras, "families": families,
            "colours": {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(families)}, "note": note}
