"""Checks that a downloaded page is the statement the manifest names.

Servers often answer 200 with an access-denied page, a bot check, a cookie
wall or an index page. :func:`check_page` refuses those with the reason, so
an error page never enters the corpus as a speech.
"""

from __future__ import annotations

import re

from analysis.acquire.extract import Extraction
from analysis.acquire.sources import FetchConfig
from analysis.tokens import tokens

__all__ = ["check_page"]

#: Function words of four or more letters (English and French) that never count
#: as key words of a title; a small fixed list keeps the check independent of NLTK.
_TITLE_STOPWORDS = frozenset(["about", "above", "after", "again", "against", "also", "among", "because", "been", "before", "being", "below", "between", "both", "could", "does", "doing", "down", "during", "each", "from", "further", "have", "having", "here", "into", "itself", "just", "more", "most", "much", "must", "only", "other", "over", "same", "should", "some", "such", "than", "that", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "under", "until", "upon", "very", "were", "what", "when", "where", "which", "while", "whom", "will", "with", "within", "without", "would", "your", "yours", "ourselves", "themselves", "dans", "pour", "avec", "sans", "leur", "leurs", "cette", "elle", "elles", "nous", "vous", "sont", "sur", "entre"])


def _title_keywords(title: str, config: FetchConfig) -> list[str]:
    stop = _TITLE_STOPWORDS
    generic = {w.lower() for w in config.generic_title_words}
    words = tokens(title, lowercase=True, joiners="")
    out = []
    for w in words:
        if len(w) >= 4 and w not in stop and w not in generic and w not in out:
            out.append(w)
    return out


def check_page(ext: Extraction, title: str | None, config: FetchConfig) -> str | None:
    """Why an extracted page is not the statement it should be, or ``None`` if it is.

    Refuses (1) access-denied, bot-check and error pages served with status
    200 (``refusal.error_page_patterns`` in the page title or the start of its
    text), (2) texts far too short (``refusal.min_chars``), (3) texts that do
    not mention enough of the manifest title's key words
    (``refusal.title_keyword_share``; key words are words of four or more
    letters that are neither stopwords nor generic, matched by prefix so
    "implementing" finds "implementation").
    """
    head = " ".join(filter(None, [ext.title or "", ext.text[:400]]))
    if len(ext.text) < 3 * config.min_chars:
        head += " " + ext.visible_text[:1000]
    for pat in config.error_page_patterns:
        m = re.search(pat, head, re.IGNORECASE)
        if m:
            where = f" (page title {ext.title!r})" if ext.title else ""
            return f"error page served with status 200: it says {m.group(0)!r}{where}"
    n = len(ext.text)
    if n < config.min_chars:
        return (f"text far too short: {n} characters of main text (minimum {config.min_chars}); "
                "probably an error, cookie or index page")
    if title:
        keys = _title_keywords(title, config)
        if keys:
            words = set(tokens(ext.text, lowercase=True, joiners=""))
            prefixes = {w[: max(4, len(w) - 3)] for w in words} | words
            hits = [k for k in keys if k in words or k[: max(4, len(k) - 3)] in prefixes
                    or any(w.startswith(k[: max(4, len(k) - 3)]) for w in words)]
            share = len(hits) / len(keys)
            if share < config.title_keyword_share:
                missing = [k for k in keys if k not in hits]
                return (f"text does not match the manifest title: only {len(hits)} of {len(keys)} key words "
                        f"found ({share:.0%} < {config.title_keyword_share:.0%}); missing: {', '.join(missing[:8])}")
    return None
