"""One self-contained HTML page: the Vega bundle, the views' specifications and data, the page script.

:func:`build_report` turns a run's tables into the page (a string);
:func:`write_report` writes it to ``OUT/report/index.html``. Nothing is fetched
when the page opens: the JavaScript of Vega, Vega-Lite and vega-embed comes from
``vl_convert.javascript_bundle()`` and is inlined, and so is every datum.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.report import views
from analysis.report.assets import PAGE_CSS, PAGE_JS

__all__ = ["build_report", "write_report", "vega_bundle", "script_safe_json"]

_BUNDLE: list[str] = []


def vega_bundle() -> str:
    """The Vega + Vega-Lite + vega-embed JavaScript (about 0.9 MB), built once per process."""
    if not _BUNDLE:
        try:
            import vl_convert
        except ImportError as e:  # pragma: no cover - the report extra is missing
            raise ImportError("the report needs vl-convert-python and altair: pip install 'r2p-analysis[report]'"
                              ) from e
        _BUNDLE.append(vl_convert.javascript_bundle())
    return _BUNDLE[0]


def _payload(tables: Mapping[str, pd.DataFrame], provenance: Mapping[str, Any], caps: Mapping[str, int]):
    t = {k: v for k, v in tables.items() if v is not None}
    anchor = provenance.get("anchor")
    return {
        "overview": views.overview_view(t.get("documents")),
        "similarity": views.similarity_view(t.get("similarity_to_anchor"), t.get("similarity_paragraphs"),
                                            t.get("units"), anchor, max_docs=caps.get("max_evidence_docs", 2000),
                                            chars=caps.get("evidence_chars", 500)),
        "terms": views.terms_view(t.get("fightin_words"), t.get("keyness"), t.get("term_kwic"),
                                  max_terms=caps.get("max_terms", 2000), n_labels=caps.get("n_labels", 10)),
        "topics": views.topics_view(t.get("topic_terms"), t.get("topic_prevalence"), t.get("topic_labels"),
                                    t.get("topic_examples"), chars=caps.get("evidence_chars", 500) + 200),
        "frames": views.frames_view(t.get("frames_years"), t.get("frame_changepoints"), t.get("frame_passages")),
        "anchor": views.anchor_view(t.get("units"), t.get("frame_passages"), anchor),
    }


def _footer(p: Mapping[str, Any]) -> str:
    e = html.escape
    corpus = p.get("corpus") or {}
    rows = [("corpus", f"{corpus.get('name', '')} ({corpus.get('documents', '?')} documents, "
                       f"{corpus.get('available', '?')} with text)"),
            ("corpus hash", corpus.get("hash", "")), ("seed", p.get("seed", "")),
            ("anchor", f"{p.get('anchor') or 'none'}" + (f" ({p['anchor_source']})" if p.get("anchor_source") else "")),
            ("stages", ", ".join(p.get("stages") or []))]
    versions = ", ".join(f"{k} {v}" for k, v in (p.get("versions") or {}).items() if v)
    rows.append(("versions", versions))
    dl = "".join(f"<dt>{e(str(k))}</dt><dd>{e(str(v))}</dd>" for k, v in rows)
    settings = json.dumps({"text": p.get("text_settings"), **(p.get("settings") or {})}, indent=1, sort_keys=True,
                          default=str)
    return (f'<footer id="provenance"><h2>Provenance</h2><dl>{dl}</dl><details><summary>settings</summary>'
            f"<pre>{e(settings)}</pre></details><p>Built from the run's tables only; nothing was recomputed. "
            "The page needs no network connection.</p></footer>")


#: characters escaped in JSON embedded in a <script> element (see :func:`script_safe_json`)
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_TABLE = {ord(k): v for k, v in _SCRIPT_ESCAPES.items()}


def script_safe_json(blob: str) -> str:
    """JSON text made safe inside an HTML ``<script>`` element, still the same JSON.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e`` and ``\\u0026``, and the
    line and paragraph separators U+2028/U+2029 ``\\u2028``/``\\u2029``: no text in
    the data can then close the element (``</script>``), open an HTML comment
    (``<!--``, which switches the HTML parser into the "script data escaped" state) or
    end a JavaScript line. Outside strings JSON has none of these characters, so the
    replacement touches string contents only, and ``JSON.parse`` returns exactly the
    original values (the escaping of Django's ``json_script`` and Rails' ``json_escape``;
    the rule: HTML Living Standard, 4.12.1.3 "Restrictions for contents of script elements").
    """
    return blob.translate(_SCRIPT_TABLE)


def _finite(obj):
    """``obj`` with every NaN, missing value and infinity replaced by None (JSON null)."""
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is pd.NA or obj is pd.NaT:
        return None
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalars
        return _finite(obj.item())
    return obj


TABS = (("overview", "Corpus"), ("similarity", "Similarity to the anchor"), ("terms", "Terms"),
        ("topics", "Topics"), ("frames", "Frames"), ("anchor", "The anchor"))


def build_report(tables: Mapping[str, pd.DataFrame], provenance: Mapping[str, Any] | None = None,
                 caps: Mapping[str, int] | None = None, notes: list[str] | None = None,
                 status: dict | None = None) -> str:
    """The page for a run's tables (``provenance``: corpus, seed, anchor, settings, versions from run.json).

    ``caps``: ``max_terms`` (points per term chart), ``n_labels`` (labels per side),
    ``max_evidence_docs`` (documents whose closest paragraphs are kept),
    ``evidence_chars`` (characters kept per paragraph). ``status``, if given, is
    filled with each view's note (None when the view is drawn).
    """
    prov = dict(provenance or {})
    data = _payload(tables, prov, dict(caps or {}))
    if status is not None:
        status.update({k: v.get("note") for k, v in data.items()})
    data["meta"] = {"anchor": prov.get("anchor"), "corpus": (prov.get("corpus") or {}).get("name"),
                    "notes": list(notes or [])}
    blob = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str,
                      allow_nan=False)  # NaN is not JSON: the browser's JSON.parse would reject the page
    blob = script_safe_json(blob)
    bundle = vega_bundle().replace("</script", "<\\/script")
    tabs = "".join(f'<button role="tab" id="tab-{k}" aria-controls="view-{k}" aria-selected="false" '
                   f'tabindex="-1">{html.escape(v)}</button>' for k, v in TABS)
    panels = "".join(f'<section role="tabpanel" id="view-{k}" aria-labelledby="tab-{k}" hidden>'
                     f"<h2>{html.escape(v)}</h2></section>" for k, v in TABS)
    title = html.escape(f"r2p report: {data['meta']['corpus'] or 'run'}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{title}</title><style>{PAGE_CSS}</style></head><body>"
            f"<header><h1>{title}</h1><p id=\"notes\"></p></header>"
            f'<nav role="tablist" aria-label="views">{tabs}</nav><main>{panels}</main>{_footer(prov)}'
            f'<script type="application/json" id="r2p-data">{blob}</script>'
            f"<script>{bundle}</script><script>{PAGE_JS}</script></body></html>\n")


def write_report(out: str | Path, tables: Mapping[str, pd.DataFrame], provenance: Mapping[str, Any] | None = None,
                 caps: Mapping[str, int] | None = None, notes: list[str] | None = None,
                 status: dict | None = None) -> Path:
    """Write ``OUT/report/index.html`` (atomically) and return its path (``status``: see build_report)."""
    path = Path(out) / "report" / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(build_report(tables, provenance, caps, notes, status), encoding="utf-8")
    tmp.replace(path)
    return path
