"""Matched passages of the frames dictionary: the text behind a frame's yearly rate.

:func:`stat_frame_passages` lists, for each frame family and year, a few of the
passages where one of its entries matched (keyword with its context), and every
match in the anchor with its character offsets in the paragraph, so a reader can
see which words a rate counts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.framing.dictionary import Dictionary, match_token_spans
from analysis.framing.frames import as_dictionary
from analysis.stats.parallel import chunks, pmap

__all__ = ["FRAME_PASSAGE_COLUMNS", "stat_frame_passages"]

FRAME_PASSAGE_COLUMNS = ["frame", "family", "entry", "doc_id", "unit_id", "year", "start", "end",
                         "left", "keyword", "right", "anchor"]


def stat_frame_passages(units: pd.DataFrame, dictionary: Dictionary | str | Path, per_year: int = 5,
                        window: int = 80, anchor: str | None = None, case_insensitive: bool = True,
                        nested_scope: str = "key") -> pd.DataFrame:
    """A few matched passages per frame family and year, and all matches in the anchor.

    Matches are found as in :func:`analysis.framing.frames.stat_frames` (the
    dictionary's longest-match-first lookup over each paragraph's tokens). For
    each family (the key's first level) and year, ``per_year`` matches are kept,
    spread over documents: the first match of each document in corpus order, then
    the second, and so on. Every match in the ``anchor``'s paragraphs is kept as
    well (``anchor`` True), with ``start``/``end``, the character offsets of the
    keyword in the paragraph text.

    Returns
    -------
    DataFrame
        One row per match: ``frame, family, entry, doc_id, unit_id, year, start, end,
        left, keyword, right, anchor``.

    References
    ----------
    Grimmer, J. and Stewart, B. M. (2013). Text as data: The promise and
    pitfalls of automatic content analysis methods for political texts.
    *Political Analysis* 21(3), 267-297 (read the matched texts).
    """
    d = as_dictionary(dictionary)
    has_year = "year" in units.columns
    cols = ["text", "doc_id", "unit_id"] + (["year"] if has_year else [])
    rows = list(units[cols].itertuples(index=False, name=None))
    # fixed blocks of units on the run's workers (analysis.stats.parallel): the same rows for any number
    parts = pmap(_passage_rows, [(rows[a:b], a, d, window, anchor, case_insensitive, nested_scope)
                                 for a, b in chunks(len(rows), PASSAGE_CHUNK)])
    recs = [r for part in parts for r in part]
    cols = FRAME_PASSAGE_COLUMNS + ["_row"]
    allm = pd.DataFrame(recs, columns=cols)
    if allm.empty:
        return allm.drop(columns="_row")
    allm["_nth"] = allm.groupby(["family", "doc_id"]).cumcount()
    ykey = allm["year"].astype(str)
    sample = allm.assign(_y=ykey).sort_values(["family", "_y", "_nth", "_row"], kind="stable")
    sample = sample.groupby(["family", "_y"], sort=False).head(max(int(per_year), 0)).drop(columns="_y")
    keep = pd.concat([sample, allm[allm["anchor"]]]).drop_duplicates(subset=["_row", "frame", "start"])
    keep = keep.sort_values(["family", "year", "_row", "start"], kind="stable")
    return keep[FRAME_PASSAGE_COLUMNS].reset_index(drop=True)


#: units per task of the passage search
PASSAGE_CHUNK = 8192


def _passage_rows(rows, offset: int, d: Dictionary, window: int, anchor: str | None, case_insensitive: bool,
                  nested_scope: str) -> list[tuple]:
    """Every match in a block of units ``(text, doc_id, unit_id[, year])`` whose first row is row
    ``offset`` of the units (a task of :func:`stat_frame_passages`)."""
    recs = []
    for i, row in enumerate(rows, start=offset):
        text, doc_id, unit_id = str(row[0]), str(row[1]), str(row[2])
        year = row[3] if len(row) > 3 else pd.NA
        toks, spans = match_token_spans(text)
        for m in d.lookup(toks, case_insensitive=case_insensitive, nested_scope=nested_scope):
            a, b = spans[m.start][0], spans[m.end - 1][1]
            recs.append((m.key, m.key.split(".")[0], m.entry, doc_id, unit_id, year, a, b,
                         " ".join(text[max(0, a - window):a].split()), text[a:b],
                         " ".join(text[b:b + window].split()), doc_id == anchor, i))
    return recs
