"""Site settings of a fetch (``sources.yml``) and the URLs to try for a manifest row.

:class:`FetchConfig` holds every setting of a fetch run: user agent, rate
limit, retry policy, the document-symbol URL templates of the UN Official
Document System, the refusal rules of :mod:`analysis.acquire.checks` and the
extraction overrides of :mod:`analysis.acquire.extract`. :func:`load_config`
layers the package's ``sources.yml`` (``corpus/sources.yml`` in a clone), a
corpus folder's own ``sources.yml``, a file given by the user and keyword
overrides. :func:`candidate_urls` turns a manifest row into the ordered list
of URLs to try.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from urllib.parse import quote

from analysis._version import __version__
from analysis.acquire.files import nonempty as _nonempty
from analysis.resources import resource_path

__all__ = ["DEFAULT_SOURCES", "FetchConfig", "candidate_urls", "load_config"]

#: The project's site settings (package data; ``corpus/sources.yml`` in a clone).
DEFAULT_SOURCES = resource_path("sources.yml")


@dataclass
class FetchConfig:
    """Settings of a fetch run; read from ``sources.yml`` by :func:`load_config`.

    The defaults are those of the project's ``corpus/sources.yml``; see that
    file for what each key means.
    """

    user_agent: str = (
        "r2p-analysis/{version} (academic research on UN speeches; "
        "+https://github.com/r2p-analysis/r2p-analysis)"
    )
    min_interval_seconds: float = 3.0
    respect_robots_txt: bool = True
    timeout_seconds: float = 30.0
    max_attempts: int = 4
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 60.0
    retry_statuses: tuple = (429, 500, 502, 503, 504)
    max_bytes: int = 50_000_000
    symbol_language: str = "en"
    symbol_split_pattern: str = r"\s*[\u2013\u2014]\s*|\s+-\s+"
    symbol_url_templates: tuple = (
        "https://documents.un.org/api/symbol/access?s={symbol}&l={language}&t=pdf",
        "https://undocs.org/{language}/{symbol}",
    )
    min_chars: int = 600
    error_page_patterns: tuple = (
        "access denied",
        "403 forbidden",
        "you don't have permission to access",
        "request (?:was )?(?:rejected|blocked)",
        "are you a robot",
        "verify (?:that )?you are (?:a )?human",
        "checking your browser",
        "attention required",
        "enable javascript and cookies",
        "page not found",
        "404 not found",
        "service unavailable",
    )
    title_keyword_share: float = 0.4
    generic_title_words: tuple = (
        "secretary", "general", "secretary-general", "deputy", "remarks", "statement", "message",
        "address", "says", "delivered", "prepared", "delivery", "united", "nations",
    )
    html_min_chars: int = 200
    pdf_furniture: tuple | None = None
    pdf_cover: tuple | None = None
    html_drop_paragraphs: tuple | None = None

    @property
    def user_agent_string(self) -> str:
        return self.user_agent.replace("{version}", __version__)

    def replace(self, **changes) -> FetchConfig:
        d = asdict(self)
        d.update(changes)
        return FetchConfig(**d)


def _flatten_sources(d: dict, source: str) -> dict:
    """Map the nested YAML layout onto :class:`FetchConfig` field names."""
    out: dict = {}
    known = {f.name for f in fields(FetchConfig)}
    for key, value in (d or {}).items():
        if key == "document_symbol" and isinstance(value, dict):
            for k, v in value.items():
                name = {"language": "symbol_language", "split_pattern": "symbol_split_pattern",
                        "url_templates": "symbol_url_templates"}.get(k)
                if name is None:
                    raise ValueError(f"{source}: unknown key document_symbol.{k}; known: language, split_pattern, url_templates")
                out[name] = v
        elif key in ("refusal", "extraction") and isinstance(value, dict):
            for k, v in value.items():
                if k not in known:
                    raise ValueError(f"{source}: unknown key {key}.{k}; see corpus/sources.yml for the known keys")
                out[k] = v
        elif key in known:
            out[key] = value
        else:
            raise ValueError(f"{source}: unknown key {key!r}; see corpus/sources.yml for the known keys")
    for k, v in list(out.items()):
        if isinstance(v, list):
            out[k] = tuple(v)
    return out


def load_config(corpus_dir: str | os.PathLike | None = None, path: str | os.PathLike | None = None,
                **overrides) -> FetchConfig:
    """Read the fetch configuration.

    Layers, later ones winning: the built-in defaults, the project's
    ``corpus/sources.yml``, ``<corpus_dir>/sources.yml`` if the corpus folder
    has one, the file ``path``, and keyword ``overrides``.

    Raises
    ------
    ValueError
        For an unreadable file or an unknown key (naming the file and key).
    """
    import yaml

    values: dict = {}
    files = [DEFAULT_SOURCES]
    if corpus_dir is not None:
        files.append(Path(corpus_dir) / "sources.yml")
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ValueError(f"{p}: configuration file not found")
        files.append(p)
    seen = set()
    for f in files:
        f = Path(f)
        if not f.exists() or f.resolve() in seen:
            continue
        seen.add(f.resolve())
        try:
            data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{f}: not valid YAML ({exc}); fix the file") from None
        if not isinstance(data, dict):
            raise ValueError(f"{f}: expected a mapping of settings at the top level")  # noqa: TRY004
        values.update(_flatten_sources(data, str(f)))
    values.update(overrides)
    cfg = FetchConfig(**values)
    for pat in cfg.error_page_patterns:
        try:
            re.compile(pat)
        except re.error as exc:
            raise ValueError(f"sources.yml: refusal.error_page_patterns entry {pat!r} is not a regular expression ({exc})")
    return cfg


def candidate_urls(row: dict, config: FetchConfig) -> list[tuple[str, str]]:
    """The URLs to try for one manifest row, in order, as ``(origin, url)`` pairs.

    ``url_override`` first, then (for ``source_kind=pdf`` rows with a
    ``doc_symbol``) each document-symbol template of the configuration, then
    ``url``. Duplicates are dropped.
    """
    out: list[tuple[str, str]] = []
    override = _nonempty(row.get("url_override"))
    if override:
        out.append(("url_override", override))
    symbol = _nonempty(row.get("doc_symbol"))
    if symbol and str(row.get("source_kind", "")).strip().lower() == "pdf":
        first = re.split(config.symbol_split_pattern, symbol)[0].strip()
        for tpl in config.symbol_url_templates:
            out.append(("doc_symbol", tpl.format(symbol=quote(first, safe="/"), language=config.symbol_language)))
    url = _nonempty(row.get("url"))
    if url:
        out.append(("url", url))
    seen: set[str] = set()
    return [(o, u) for o, u in out if not (u in seen or seen.add(u))]

