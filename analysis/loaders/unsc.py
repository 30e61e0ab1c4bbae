"""UN Security Council debates, from the two published datasets.

1. **UNSC Debates** (Schoenfeld, Eckhard, Patz, van Meegdenburg & Pires, Harvard
   Dataverse doi:10.7910/DVN/KGVSYH; paper: arXiv:1906.10969): ``speeches.tar``
   (one ``UNSC_YYYY_SPV.NNNN_spchNNN.txt`` per speech) or its extracted
   ``speeches/`` folder, ``speaker.tsv`` (one row per speech) and ``meta.tsv`` (one
   row per meeting). :func:`load_unsc`.
2. **UNSC Meetings and Speeches** (Sakamoto & Matsuoka, Harvard Dataverse
   doi:10.7910/DVN/CKPTRB, 1946-2024): ``speeches.tsv`` (one row per speech, with
   its text) and ``meetings.tsv`` (one row per meeting); UN officials such as the
   Secretary-General are flagged. :func:`load_unsc_meetings`.

Both give the docvars ``meeting`` (``S/PV.7155``), ``date``, ``year``, ``speaker``,
``country`` (a state, or the organisation such as ``UN``), ``speaker_role`` and
``source``, so ``docvars.speaker_role == "Secretary-General"`` selects the
Secretary-General's own remarks (not the Deputy's, nor a Special
Representative's). Every other column of the files is kept as a docvar.

Column names. Schoenfeld et al.: ``speaker.tsv`` has ``filename, basename,
speech, speaker, participanttype, role_in_un, country`` and ``meta.tsv`` has
``basename, date, num_speeches, topic, pressrelease, outcome`` (as read by
published code that uses the files; later versions add columns, kept as they
come). ``participanttype`` holds ``The President``, ``The Secretary-General``,
``Mentioned`` (a Council member named in the meeting's list) or ``Guest``.
Sakamoto & Matsuoka: the column names could not be confirmed from the dataset's
documentation here, so :data:`MEETINGS_COLUMNS` lists the names tried for each
field (first match wins) and ``columns=`` maps any others; the error for a file
that has none of them lists its columns.
"""

from __future__ import annotations

import os
import re
import tarfile
from pathlib import Path, PurePosixPath

import pandas as pd

from analysis.loaders.base import (REFUSED, Corpus, CorpusError, Issues, decode_text, non_utf8_problem,
                                   outside_folder)
from analysis.text import prepare

__all__ = ["load_unsc", "load_unsc_meetings", "speaker_role", "meeting_symbol", "MEETINGS_COLUMNS",
           "SG_ROLE", "looks_like_unsc", "looks_like_unsc_meetings"]

SG_ROLE = "Secretary-General"
_SG = {"secretary-general", "the secretary-general", "un secretary-general", "secretary-general of the united nations"}
_SPEECH_NAME = re.compile(r"^UNSC_(\d{4})_(SPV\.[^_]+)_spch(\d+)\.txt$")


def looks_like_unsc(folder: Path) -> bool:
    return ((folder / "speaker.tsv").is_file() or (folder / "meta.tsv").is_file()) and (
        (folder / "speeches").is_dir() or any(folder.glob("speeches.tar*")))


def looks_like_unsc_meetings(folder: Path) -> bool:
    return (folder / "speeches.tsv").is_file() and (folder / "meetings.tsv").is_file()


def _norm(x) -> str:
    return re.sub(r"\s+", " ", str(x)).strip().lower() if isinstance(x, str) else ""


def speaker_role(participanttype=None, role_in_un=None, speaker=None, un_official=None) -> str | None:
    """One label for who speaks: ``Secretary-General`` only for the Secretary-General in person.

    ``role_in_un`` or ``speaker`` equal to "Secretary-General" / "The Secretary-General",
    or ``participanttype`` "The Secretary-General", gives ``Secretary-General``; the
    Council's President is ``President``; another UN role is kept as given (``Deputy
    Secretary-General``, ``Special Representative ...``), a flagged official without one
    is ``UN official``; ``Mentioned`` becomes ``Council member`` and ``Guest`` ``Invited``.
    """
    if _norm(role_in_un) in _SG or _norm(participanttype) in _SG or _norm(speaker) in _SG:
        return SG_ROLE
    pt = _norm(participanttype)
    if "president" in pt:
        return "President"
    if isinstance(role_in_un, str) and role_in_un.strip():
        return role_in_un.strip()
    if un_official is True:
        return "UN official"
    if pt == "mentioned":
        return "Council member"
    if pt == "guest":
        return "Invited"
    return participanttype.strip() if isinstance(participanttype, str) and participanttype.strip() else None


def meeting_symbol(basename: str) -> str | None:
    """``UNSC_2014_SPV.7155`` (or a speech file name) -> ``S/PV.7155``."""
    m = re.search(r"SPV\.([^_]+)", str(basename))
    return f"S/PV.{m.group(1)}" if m else None


def _read_tsv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        raise CorpusError(f"{path} is not UTF-8; re-save it as UTF-8") from None
    except Exception as e:  # parser errors
        raise CorpusError(f"{path}: cannot be read as a tab-separated table ({e})") from None


def _iso_dates(values: pd.Series) -> pd.Series:
    d = pd.to_datetime(values.replace("", pd.NA), errors="coerce", format="mixed", dayfirst=False)
    return d.dt.strftime("%Y-%m-%d").astype(object).where(d.notna(), pd.NA)


def _speech_files(folder: Path, issues: Issues) -> dict[str, bytes]:
    """File name -> bytes, from ``speeches/`` (any depth) or ``speeches.tar[.gz]`` read in place."""
    out: dict[str, bytes] = {}
    sp = folder / "speeches"
    if sp.is_dir():
        for p in sorted(sp.rglob("*.txt")):
            if p.name.startswith("._"):
                continue
            if outside := outside_folder(p, folder):  # a link out of the folder
                issues.add(p, outside, REFUSED, "error")
                continue
            out.setdefault(p.name, p.read_bytes())
        return out
    tars = sorted(folder.glob("speeches.tar*"))
    if not tars:
        raise CorpusError(f"{folder}: no speeches/ folder and no speeches.tar (UNSC Debates layout, "
                          "doi:10.7910/DVN/KGVSYH)")
    try:
        with tarfile.open(tars[0], mode="r:*") as tf:
            for m in tf:
                name = PurePosixPath(m.name).name
                if m.isfile() and name.endswith(".txt") and not name.startswith("._"):
                    out.setdefault(name, tf.extractfile(m).read())
    except (tarfile.TarError, EOFError, OSError) as e:
        raise CorpusError(f"{tars[0]}: cannot be read as a tar archive ({e}); download it again") from None
    return out


def load_unsc(folder: str | os.PathLike, un_header: bool = False) -> Corpus:
    """The UNSC Debates dataset (Schoenfeld et al., doi:10.7910/DVN/KGVSYH) from its published files.

    Reads ``speaker.tsv`` (one row per speech: ``filename``, ``basename``, ``speech``,
    ``speaker``, ``participanttype``, ``role_in_un``, ``country``), joins ``meta.tsv``
    (one row per meeting, by ``basename``: ``date``, ``topic``, ``outcome``, ...) and the
    texts from ``speeches.tar`` (read in place) or an extracted ``speeches/`` folder. A
    ``meta.tsv`` with a ``filename`` column alone (one row per speech) also works.

    Docvars: ``doc_id`` (file name without ``.txt``), ``date``, ``year``, ``meeting``
    (``S/PV.7155``), ``speech_no``, ``speaker``, ``country`` (state or organisation),
    ``speaker_role`` (see :func:`speaker_role`), ``source = "unsc-debates"``, then the
    files' other columns. A speech file no table lists is loaded with what its name
    gives; a listed speech without a file stays as an unavailable document; an empty or
    non-UTF-8 file is skipped; each is in :attr:`Corpus.issues`.
    """
    folder = Path(folder)
    issues = Issues()
    sp_path, meta_path = folder / "speaker.tsv", folder / "meta.tsv"
    speech_meta = _read_tsv(sp_path) if sp_path.is_file() else None
    meta = _read_tsv(meta_path) if meta_path.is_file() else None
    if speech_meta is not None:
        if "filename" not in speech_meta.columns:
            raise CorpusError(f"{sp_path}: needs a 'filename' column naming the speech files "
                              f"(columns: {', '.join(speech_meta.columns)})")
        table = speech_meta
        if meta is not None:
            if "basename" not in meta.columns:
                raise CorpusError(f"{meta_path}: needs a 'basename' column (the meeting, e.g. UNSC_2014_SPV.7155)")
            if "basename" not in table.columns:
                table = table.assign(basename=table["filename"].str.replace(r"_spch\d+\.txt$", "", regex=True))
            dup = [c for c in meta.columns if c in table.columns and c != "basename"]
            table = table.merge(meta.drop(columns=dup), on="basename", how="left")
            for c in dup:  # the meeting's value where the speech row has none
                fill = table["basename"].map(meta.drop_duplicates("basename").set_index("basename")[c])
                table[c] = table[c].where(table[c] != "", fill)
    elif meta is not None and "filename" in meta.columns:
        table = meta
    elif meta is not None:
        raise CorpusError(f"{folder}: no speaker.tsv (one row per speech); meta.tsv alone describes meetings. "
                          "Download speaker.tsv from doi:10.7910/DVN/KGVSYH")
    else:
        table = None
    files = _speech_files(folder, issues)
    if table is None:
        table = pd.DataFrame({"filename": sorted(files)})
    table = table.copy()
    listed = set(table["filename"])
    extra = sorted(set(files) - listed)
    if extra:
        issues.add(folder, f"{len(extra)} speech file(s) not in speaker.tsv, docvars from the file name: "
                   f"{', '.join(extra[:5])}" + (" ..." if len(extra) > 5 else ""), "loaded", "warning")
        table = pd.concat([table, pd.DataFrame({"filename": extra})], ignore_index=True).fillna("")
    table["doc_id"] = table["filename"].str.replace(r"\.txt$", "", regex=True)
    parsed = table["filename"].str.extract(_SPEECH_NAME.pattern)
    from_name = table["filename"].str.replace(r"_spch\d+\.txt$", "", regex=True)
    table["basename"] = table["basename"].where(table["basename"] != "", from_name) if "basename" in table else from_name
    if "date" in table.columns:
        table["date"] = _iso_dates(table["date"])
    if "year" not in table.columns or (table["year"] == "").any():
        year = pd.to_datetime(table.get("date"), errors="coerce").dt.year if "date" in table.columns else None
        fallback = pd.to_numeric(parsed[0], errors="coerce")
        table["year"] = (year.fillna(fallback) if year is not None else fallback)
    table["meeting"] = table["basename"].map(meeting_symbol)
    if "speech" in table.columns:
        table = table.rename(columns={"speech": "speech_no"})
    else:
        table["speech_no"] = pd.to_numeric(parsed[2], errors="coerce")
    for c in ("speaker", "country", "participanttype", "role_in_un"):
        if c not in table.columns:
            table[c] = ""
    table["speaker_role"] = [speaker_role(pt, r, s) for pt, r, s in
                             zip(table["participanttype"], table["role_in_un"], table["speaker"])]
    table["source"] = "unsc-debates"
    texts: dict[str, str] = {}
    missing = 0
    for doc_id, fn in zip(table["doc_id"], table["filename"]):
        data = files.get(fn)
        if data is None:
            missing += 1
            continue
        try:
            raw = decode_text(data)
        except UnicodeDecodeError as e:
            issues.add(folder / "speeches" / fn, non_utf8_problem(data, e), "skipped", "error")
            continue
        if not raw.strip():
            issues.add(folder / "speeches" / fn, "the speech file is empty", "skipped", "error")
            continue
        texts[doc_id] = prepare(raw, un_header)
    if missing:
        issues.add(sp_path if sp_path.is_file() else meta_path, f"{missing} listed speech(es) have no file in "
                   "speeches; kept without text", "kept", "warning")
    front = ["doc_id", "date", "year", "speaker", "meeting", "speech_no", "country", "speaker_role", "source"]
    dv = table[[c for c in front if c in table.columns] + [c for c in table.columns if c not in front]]
    dv = dv.replace({"": pd.NA}) if len(dv) else dv
    return Corpus(str(folder), dv, texts, None, {"loader": "unsc", "un_header": un_header}, issues.frame())


# ---------------------------------------------------------------- Sakamoto & Matsuoka
#: Names tried, in order, for each field of the UNSC Meetings and Speeches files
#: (``speeches.tsv``/``meetings.tsv``). NOT confirmed against the dataset's codebook:
#: pass ``columns={"field": "their name"}`` for a release that uses others.
MEETINGS_COLUMNS = {
    "meeting": ["meeting_id", "meeting", "meeting_symbol", "symbol", "spv", "record_symbol", "meeting_number"],
    "date": ["date", "meeting_date"],
    "text": ["text", "speech", "speech_text", "content", "body"],
    "speech_id": ["speech_id", "speechid", "id", "speech_no", "speech_number", "order"],
    "speaker": ["speaker", "speaker_name", "name"],
    "country": ["country", "country_org", "affiliation", "organization", "organisation", "state", "member",
                "delegation"],
    "role": ["role", "speaker_role", "title", "position", "post", "function"],
    "un_official": ["un_official", "is_un_official", "unofficial_flag", "un_staff", "official", "un"],
    "agenda": ["agenda", "topic", "agenda_item", "title_meeting", "subject"],
}


def _find(df: pd.DataFrame, field: str, columns: dict) -> str | None:
    if field in columns:
        if columns[field] not in df.columns:
            raise CorpusError(f"columns={{{field!r}: {columns[field]!r}}}: no such column "
                              f"(columns: {', '.join(df.columns)})")
        return columns[field]
    low = {c.lower(): c for c in df.columns}
    for cand in MEETINGS_COLUMNS[field]:
        if cand in low:
            return low[cand]
    return None


def _flag(v) -> bool:
    return _norm(v) in {"1", "true", "yes", "y", "t"}


def load_unsc_meetings(folder: str | os.PathLike, un_header: bool = False, columns: dict | None = None) -> Corpus:
    """UNSC Meetings and Speeches (Sakamoto & Matsuoka, doi:10.7910/DVN/CKPTRB): ``speeches.tsv`` + ``meetings.tsv``.

    The speeches (one row each, with the text) are joined to their meeting (date,
    agenda). The column of each field is found by the names in
    :data:`MEETINGS_COLUMNS` (unconfirmed, see the module docstring) or given with
    ``columns``. Docvars: ``doc_id`` (the speech id, else ``meeting_nnnn``), ``date``,
    ``year``, ``meeting``, ``speaker``, ``country`` (state or organisation),
    ``un_official`` (bool), ``speaker_role`` (``Secretary-General`` for the SG in
    person, see :func:`speaker_role`), ``source = "unsc-meetings"``, then the other
    columns. A row without text is kept as an unavailable document and reported.
    """
    folder = Path(folder)
    columns = dict(columns or {})
    issues = Issues()
    sp = _read_tsv(folder / "speeches.tsv")
    mt = _read_tsv(folder / "meetings.tsv") if (folder / "meetings.tsv").is_file() else None
    text_c, meet_c = _find(sp, "text", columns), _find(sp, "meeting", columns)
    if text_c is None or meet_c is None:
        need = [f for f, c in (("text", text_c), ("meeting", meet_c)) if c is None]
        raise CorpusError(f"{folder / 'speeches.tsv'}: no column for {' and '.join(need)} (tried "
                          f"{'; '.join(', '.join(MEETINGS_COLUMNS[f]) for f in need)}; columns: "
                          f"{', '.join(sp.columns)}). Name them with columns={{'text': ..., 'meeting': ...}}")
    df = sp.copy()
    if mt is not None:
        mkey = _find(mt, "meeting", columns)
        if mkey is None:
            raise CorpusError(f"{folder / 'meetings.tsv'}: no meeting column (columns: {', '.join(mt.columns)})")
        mt = mt.drop_duplicates(mkey).rename(columns={mkey: meet_c})
        dup = [c for c in mt.columns if c in df.columns and c != meet_c]
        df = df.merge(mt.rename(columns={c: f"meeting_{c}" for c in dup}), on=meet_c, how="left")
        for c in dup:
            if c in ("date",) or _find(df, "date", columns) is None:
                df[c] = df[c].where(df[c] != "", df[f"meeting_{c}"])
    found = {f: _find(df, f, columns) for f in MEETINGS_COLUMNS}
    if found["date"] is None and "meeting_date" in df.columns:
        found["date"] = "meeting_date"
    out = pd.DataFrame(index=df.index)
    sid = found["speech_id"]
    out["doc_id"] = (df[sid].astype(str) if sid else
                     df[meet_c].astype(str) + "_" + df.groupby(meet_c).cumcount().add(1).astype(str).str.zfill(4))
    out["date"] = _iso_dates(df[found["date"]]) if found["date"] else pd.NA
    out["year"] = pd.to_datetime(out["date"], errors="coerce").dt.year
    out["meeting"] = df[meet_c]
    out["speaker"] = df[found["speaker"]] if found["speaker"] else pd.NA
    out["country"] = df[found["country"]] if found["country"] else pd.NA
    flag = df[found["un_official"]].map(_flag) if found["un_official"] else pd.Series(False, index=df.index)
    out["un_official"] = flag.astype(bool)
    role = df[found["role"]] if found["role"] else pd.Series("", index=df.index)
    out["speaker_role"] = [speaker_role(None, r, s, bool(f)) for r, s, f in zip(role, out["speaker"], flag)]
    out["agenda"] = df[found["agenda"]] if found["agenda"] else pd.NA
    out["source"] = "unsc-meetings"
    used = {c for c in found.values() if c} | {meet_c}
    rest = df[[c for c in df.columns if c not in used and c not in out.columns]]
    dv = pd.concat([out, rest], axis=1)
    texts: dict[str, str] = {}
    empty = []
    for doc_id, t in zip(out["doc_id"], df[text_c]):
        if isinstance(t, str) and t.strip():
            texts[doc_id] = prepare(t, un_header)
        else:
            empty.append(doc_id)
    if empty:
        issues.add(folder / "speeches.tsv", f"{len(empty)} row(s) without text, kept as unavailable: "
                   f"{', '.join(empty[:5])}" + (" ..." if len(empty) > 5 else ""), "kept", "warning")
    dv = dv.replace({"": pd.NA})
    return Corpus(str(folder), dv, texts, None,
                  {"loader": "unsc_meetings", "un_header": un_header, "columns": {k: v for k, v in found.items() if v}},
                  issues.frame())
