"""The UN General Debate Corpus (UNGDC) as released, from a folder or from the release archive.

Jankin, S., Baturo, A. & Dasandi, N., *United Nations General Debate Corpus
1946-2024*, Harvard Dataverse, doi:10.7910/DVN/0TJX8Y (cite also Baturo, Dasandi
& Mikhaylov 2017, "Understanding State Preferences With Text As Data:
Introducing the UN General Debate Corpus", *Research & Politics*; and Jankin,
Baturo & Dasandi, "Words to unite nations: The complete UN General Debate
Corpus, 1946-present", *Journal of Peace Research*).

The release's layout: ``TXT/Session NN - YYYY/ISO_NN_YYYY.txt`` (one UTF-8
speech per file, named by ISO 3166-1 alpha-3 code, session and year), the
speakers table ``Speakers_by_session.xlsx`` (year, session, ISO code, country,
name of the person speaking, post) and a README, packed as
``UNGDC_1946-2024.tgz`` (a Dataverse "download all" wraps the files in a .zip).
:func:`load_ungdc` reads any of these: the unpacked folder or its ``TXT``
folder, a flat folder of speech files, the .tgz/.tar/.zip archive (a .zip that
holds the .tgz too), or a folder holding the archive. Nothing is extracted.

It degrades, never refuses wholesale (see :attr:`analysis.corpus.Corpus.issues`):
macOS metadata (``._*``, ``.DS_Store``, ``__MACOSX/``) is skipped silently;
a ``.txt`` file that breaks the naming rule is loaded with what its name gives
when it can be read (``fra-72-2017.txt``) and skipped otherwise, an empty or
non-UTF-8 file is skipped, each reported with the rule; codes outside ISO 3166
(``EU``, ``YDYE``) are kept and reported as notes.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import pandas as pd

from analysis.loaders.base import (REFUSED, Corpus, CorpusError, Issues, decode_text, non_utf8_problem,
                                   outside_folder)
from analysis.loaders.countries import country_name, is_iso3, region_of
from analysis.text import prepare

__all__ = ["load_ungdc", "load_general_debate", "ungdc_location", "read_speakers", "looks_like_ungdc",
           "ENV_UNGDC_DIR", "NAMING_RULE", "SPEAKERS_FILE", "XLSX_CODE_FIXES"]

ENV_UNGDC_DIR = "R2P_UNGDC_DIR"
SPEAKERS_FILE = "Speakers_by_session.xlsx"
NAMING_RULE = ("speech files are named CODE_SESSION_YEAR.txt, CODE an ISO 3166-1 alpha-3 code (or the "
               "release's EU, YDYE, ...), e.g. FRA_72_2017.txt")
_NAME = re.compile(r"^([A-Z]{2,4})_(\d{1,3})_(\d{4})\.txt$")
_LENIENT = re.compile(r"^([A-Za-z]{2,4})[_\- .]+0*(\d{1,3})[_\- .]+(\d{4})(?!\d).*\.txt$", re.IGNORECASE)
_ARCHIVE = re.compile(r"\.(tgz|tar\.gz|tar|zip)$", re.IGNORECASE)
#: Codes of ``Speakers_by_session.xlsx`` (V13) that name a speech file under another code:
#: typos (POR for PRT, ...) and the European Council for the European Union in 2011 and 2013.
#: Used only where the session has no row under the right code; each use is a note.
XLSX_CODE_FIXES = {"CZK": "CSK", "DKN": "DNK", "EC": "EU", "PAR": "PRY", "PKR": "PRK", "POR": "PRT",
                   "ZFA": "ZAF"}
#: The General Debate of session N took place in year 1945 + N.
FIRST_YEAR = 1945


def _is_system(path: PurePosixPath) -> bool:
    return (path.name.startswith("._") or path.name == ".DS_Store" or "__MACOSX" in path.parts)


# ---------------------------------------------------------------- where the files are
Member = tuple[str, Callable[[], bytes]]  # (path inside the release, reader)


def _folder_members(folder: Path) -> Iterator[Member]:
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for f in sorted(files):
            p = Path(root) / f
            yield p.relative_to(folder).as_posix(), p.read_bytes


def _tar_members(tf: tarfile.TarFile, prefix: str = "") -> Iterator[Member]:
    for m in tf:
        if not m.isfile():
            continue
        name = prefix + m.name
        if _ARCHIVE.search(m.name) and not prefix and not PurePosixPath(m.name).name.startswith("._"):
            if PurePosixPath(m.name).name.lower().startswith("raw_pdf"):
                continue
            data = tf.extractfile(m).read()
            yield from _bytes_members(data, m.name, name + "!/")
            continue
        # read only when asked, and before the next member (a gzip stream should not seek back)
        yield name, (lambda m=m: tf.extractfile(m).read())


def _zip_members(zf: zipfile.ZipFile, prefix: str = "") -> Iterator[Member]:
    for info in zf.infolist():
        if info.is_dir():
            continue
        name = prefix + info.filename
        base = PurePosixPath(info.filename).name
        if _ARCHIVE.search(base) and not prefix and not base.startswith("._"):
            if base.lower().startswith("raw_pdf"):
                continue
            yield from _bytes_members(zf.read(info), info.filename, name + "!/")
            continue
        yield name, (lambda i=info: zf.read(i))


def _bytes_members(data: bytes, name: str, prefix: str) -> Iterator[Member]:
    if name.lower().endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            yield from _zip_members(zf, prefix)
    else:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
            yield from _tar_members(tf, prefix)


def _archive_members(path: Path) -> Iterator[Member]:
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                yield from _zip_members(zf)
        else:
            with tarfile.open(path, mode="r:*") as tf:
                yield from _tar_members(tf)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        raise CorpusError(f"{path}: cannot be read as a .tgz/.tar/.zip archive ({e}); download it again "
                          "(r2p corpus fetch --corpus ungdc)") from None


def looks_like_ungdc(folder: Path) -> bool:
    """Whether a folder (without ``manifest.csv``) holds UNGDC files, unpacked or archived."""
    if (folder / "TXT").is_dir() or (folder / SPEAKERS_FILE).is_file():
        return True
    try:
        entries = list(folder.iterdir())
    except OSError:
        return False
    return any(e.is_dir() and e.name.lower().startswith("session") for e in entries) or any(
        e.is_file() and (_NAME.match(e.name) or (_ARCHIVE.search(e.name) and "ungdc" in e.name.lower()))
        for e in entries)


def ungdc_location() -> Path:
    """Where ``--corpus ungdc`` is read: ``$R2P_UNGDC_DIR``, else the user data folder's ``ungdc``
    (``r2p corpus fetch --corpus ungdc`` puts the release there)."""
    env = os.environ.get(ENV_UNGDC_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    from analysis.errors import UsageError
    from analysis.resources import corpus_folder, data_dir

    try:
        return Path(corpus_folder("ungdc"))
    except UsageError:  # a resources module that knows only the project corpus
        return data_dir() / "ungdc"


# ---------------------------------------------------------------- speakers
def _pick(columns, *keys) -> str | None:
    low = {c: re.sub(r"[^a-z]", "", str(c).lower()) for c in columns}
    for k in keys:
        for c, n in low.items():
            if k in n:
                return c
    return None


def read_speakers(data: bytes | str | os.PathLike, where: str, issues: Issues,
                  wanted: set[tuple[int, str]] | None = None) -> pd.DataFrame | None:
    """``Speakers_by_session.xlsx`` as ``session, code, country, speaker, post`` (one row per session and
    code, with the release's typo codes mapped, see :data:`XLSX_CODE_FIXES`); ``None`` when unreadable.

    ``wanted`` (the speeches' ``(session, code)`` pairs) limits the mapping of typo codes, and the
    notes about it and about repeated rows, to the speeches at hand."""
    try:
        src = io.BytesIO(data) if isinstance(data, bytes) else data
        df = pd.read_excel(src, sheet_name=0, dtype=str, engine="openpyxl")
    except ImportError:
        raise CorpusError("reading Speakers_by_session.xlsx needs openpyxl: pip install openpyxl") from None
    except Exception as e:  # openpyxl / zip errors: a damaged file
        issues.add(where, f"cannot be read as an Excel file ({e}); speaker and post left empty",
                   "ignored", "warning")
        return None
    cols = {"session": _pick(df.columns, "session"), "code": _pick(df.columns, "iso", "code"),
            "country": _pick(df.columns, "country"), "speaker": _pick(df.columns, "nameofperson", "name", "speaker"),
            "post": _pick(df.columns, "post")}
    if cols["session"] is None or cols["code"] is None:
        issues.add(where, f"no Session or ISO Code column (columns: {', '.join(map(str, df.columns))}); "
                   "speaker and post left empty", "ignored", "warning")
        return None
    out = pd.DataFrame({k: (df[c] if c is not None else pd.Series(pd.NA, index=df.index, dtype=object))
                        for k, c in cols.items()})
    for c in out.columns:
        out[c] = out[c].astype("string").str.strip().replace("", pd.NA)
    out["session"] = pd.to_numeric(out["session"], errors="coerce")
    out = out.dropna(subset=["session", "code"])
    out["session"] = out["session"].astype(int)
    out["code"] = out["code"].str.upper()
    have = set(zip(out["session"], out["code"]))
    fixed = []
    for i, (s, c) in enumerate(zip(out["session"], out["code"])):
        good = XLSX_CODE_FIXES.get(c)
        if good and (s, good) not in have and (wanted is None or (s, good) in wanted):
            fixed.append((out.index[i], s, c, good))
    for idx, s, c, good in fixed:
        out.loc[idx, "code"] = good
        issues.add(where, f"session {s}: code {c} read as {good} (the speech file's code)", "joined", "note")

    def join(values):
        vals = list(dict.fromkeys(v for v in values if isinstance(v, str)))
        return "; ".join(vals) if vals else pd.NA

    dup = out[out.duplicated(["session", "code"], keep=False)]
    for (s, c), _ in dup.groupby(["session", "code"]):
        if wanted is not None and (s, c) not in wanted:
            continue
        issues.add(where, f"session {s}, code {c}: several rows; their names are joined with '; '", "joined", "note")
    return out.groupby(["session", "code"], as_index=False, sort=False).agg(
        {"country": "first", "speaker": join, "post": join})


# ---------------------------------------------------------------- the loader
#: speeches per task when the texts are prepared through ``map``
PREPARE_BLOCK = 128


def _prepare_block(raws: list[str], un_header: bool) -> list[str]:
    """:func:`analysis.text.prepare` of a block of raw texts (a task of :func:`load_ungdc`'s ``map``)."""
    return [prepare(raw, un_header) for raw in raws]


def _prepare_all(raws: list[str], un_header: bool, map: Callable | None) -> list[str]:
    """The prepared texts, in fixed blocks of :data:`PREPARE_BLOCK` through ``map`` (here without)."""
    if map is None:
        return _prepare_block(raws, un_header)
    blocks = [(raws[a:a + PREPARE_BLOCK], un_header) for a in range(0, len(raws), PREPARE_BLOCK)]
    return [t for part in map(_prepare_block, blocks) for t in part]


def _docvars(dv: pd.DataFrame, speakers: bool, speakers_src, speakers_where, archive, path: Path, base: str,
             issues: Issues) -> tuple[pd.DataFrame, str | None]:
    """The speeches' docvars (the speakers table joined, country names and regions) and where the
    speakers table was read (:func:`load_ungdc`)."""
    if speakers_src is None and archive is None and (path.parent / SPEAKERS_FILE).is_file():
        speakers_src = path.parent / SPEAKERS_FILE  # --corpus .../TXT: the table sits beside it
        speakers_where = str(speakers_src)
    table = None
    if speakers and speakers_src is not None:
        table = read_speakers(speakers_src, speakers_where, issues,
                              set(zip(dv["session"], dv["country_code"])))
    elif speakers:
        issues.add(base, f"no {SPEAKERS_FILE} in the release or beside the archive: speaker and post are empty, "
                   "country names come from ISO 3166", "loaded", "note")
    if table is not None:
        dv = dv.merge(table.rename(columns={"code": "country_code"}), on=["session", "country_code"], how="left")
        lacking = dv[dv["speaker"].isna()]
        if len(lacking):
            issues.add(speakers_where, f"{len(lacking)} speech(es) without a speaker's name in it: "
                       f"{', '.join(lacking['doc_id'].head(10))}" + (" ..." if len(lacking) > 10 else ""),
                       "loaded", "note")
    else:
        dv["country"] = pd.NA
        dv["speaker"] = pd.NA
        dv["post"] = pd.NA
    names = dv["country_code"].map(country_name)
    dv["country"] = dv["country"].astype(object).where(dv["country"].notna(), names)
    dv["un_region"] = dv["country_code"].map(region_of)
    for code, n in dv["country_code"].value_counts().sort_index().items():
        if not is_iso3(code):
            issues.add(base, f"code {code} ({country_name(code) or 'unknown'}) is not an ISO 3166-1 alpha-3 code; "
                       f"its {n} speech(es) are kept", "kept", "note")
    dv["source"] = "ungdc"
    dv = dv[["doc_id", "date", "year", "speaker", "session", "country_code", "country", "post", "un_region",
             "source"]]
    return dv, speakers_where


def load_ungdc(path: str | os.PathLike | None = None, un_header: bool = True, speakers: bool = True,
               map: Callable | None = None) -> Corpus:
    """The UN General Debate Corpus from a folder or the release archive (see the module docstring).

    Parameters
    ----------
    path : path, optional
        The unpacked release (or its ``TXT`` folder, or any folder of speech files), the
        ``.tgz``/``.tar``/``.zip`` archive, or a folder holding it. Default: ``$R2P_UNGDC_DIR``,
        else the user data folder's ``ungdc`` (:func:`ungdc_location`).
    un_header : bool
        Strip a UN statement header from each text (:func:`analysis.text.prepare`).
    speakers : bool
        Join ``Speakers_by_session.xlsx`` (in the release, beside the archive, or beside the
        ``TXT`` folder given as ``path``).
    map : callable, optional
        ``map(fn, tasks) -> [fn(*task) for task in tasks]`` that prepares the texts in fixed
        blocks elsewhere (a run passes :func:`analysis.stats.parallel.parallel_map`'s, so the
        workers prepare the texts while this process reads the speakers table); None prepares
        them here. The corpus is the same either way.

    Returns
    -------
    Corpus
        Docvars ``doc_id`` (``FRA_72_2017``), ``date`` (NA: the release gives none),
        ``year``, ``speaker`` (the person's name from the speakers table, NA where it has
        none), ``session``, ``country_code``, ``country`` (the speakers table's name, else
        ISO 3166 via pycountry), ``post``, ``un_region`` (UN regional group, see
        :mod:`analysis.loaders.countries`; NA for observers such as the EU) and
        ``source = "ungdc"``. Problems are in :attr:`Corpus.issues`.
    """
    if path is None:
        loc = ungdc_location()
        if not loc.exists() or (loc.is_dir() and not any(loc.iterdir())):
            raise CorpusError(
                f"the UN General Debate Corpus is not at {loc}. Download it with `r2p corpus fetch --corpus ungdc`, "
                f"or point --corpus (or the environment variable {ENV_UNGDC_DIR}) to the unpacked release or its "
                ".tgz/.zip (Harvard Dataverse doi:10.7910/DVN/0TJX8Y)")
        path = loc
    path = Path(path).expanduser()
    if not path.exists():
        raise CorpusError(f"{path} does not exist (expected the UNGDC release folder or its .tgz/.zip)")
    issues = Issues()
    speakers_src: bytes | Path | None = None
    speakers_where = None
    if path.is_file():
        archive = path
        members: Iterator[Member] = _archive_members(path)
    else:
        archive = None
        listed = list(_folder_members(path))
        members = iter(listed)
        if not any(n.lower().endswith(".txt") and not _is_system(PurePosixPath(n)) for n, _ in listed):
            def found(where: Path) -> list[Path]:
                return sorted(p for p in where.iterdir() if p.is_file() and _ARCHIVE.search(p.name)
                              and not p.name.lower().startswith(("raw_pdf", "._")))

            archives = found(path) or [a for d in sorted(path.iterdir()) if d.is_dir() for a in found(d)]
            if archives:
                archive = archives[0]
                members = _archive_members(archive)
                for extra in archives[1:]:
                    issues.add(extra, f"a second archive beside {archive.name}; only the first is read",
                               "ignored", "note")
    if archive is not None:
        beside = archive.parent / SPEAKERS_FILE
        if beside.is_file():
            speakers_src, speakers_where = beside, str(beside)
    texts: dict[str, str] = {}
    rows: list[dict] = []
    system = 0
    other: list[str] = []
    lenient: dict[str, str] = {}  # doc_id -> file, for ids read from a name that breaks the rule
    base = str(archive or path)
    for name, read in members:
        p = PurePosixPath(name)
        where = f"{base}:{name}" if archive is not None else str(path / name)
        if archive is None and (outside := outside_folder(path / name, path)):  # a link out of the folder
            issues.add(where, outside, REFUSED, "error")
            continue
        if _is_system(p):
            system += 1
            continue
        if p.name.lower() == SPEAKERS_FILE.lower():
            if speakers_src is None:  # the first found: the release's top level comes first
                speakers_src, speakers_where = read(), where
            continue
        if not p.name.lower().endswith(".txt"):
            if not p.name.lower().startswith("readme") and not _ARCHIVE.search(p.name):
                other.append(name)
            continue
        if p.name.lower().startswith("readme"):
            continue
        m = _NAME.match(p.name)
        if m is None:
            m = _LENIENT.match(p.name)
            if m is None:
                issues.add(where, f"name does not follow the rule: {NAMING_RULE}", "skipped", "error")
                continue
            issues.add(where, f"name does not follow the rule ({NAMING_RULE}); read as "
                       f"{m.group(1).upper()}_{int(m.group(2))}_{m.group(3)}", "loaded", "warning")
        code, session, year = m.group(1).upper(), int(m.group(2)), int(m.group(3))
        doc_id = f"{code}_{session}_{year}"
        strict = m.re is _NAME
        if doc_id in texts:
            if not (strict and doc_id in lenient):
                issues.add(where, f"a second file for {doc_id}; the first one read is kept", "skipped", "error")
                continue
            # the properly named file replaces a copy read from an odd name (``FRA_72_2017 (1).txt``)
            issues.add(lenient.pop(doc_id), f"a second file for {doc_id}; the properly named one is kept",
                       "skipped", "error")
            rows = [r for r in rows if r["doc_id"] != doc_id]
            del texts[doc_id]
        elif not strict:
            lenient[doc_id] = where
        data = read()
        try:
            raw = decode_text(data)
        except UnicodeDecodeError as e:
            issues.add(where, non_utf8_problem(data, e), "skipped", "error")
            continue
        if not raw.strip():
            issues.add(where, "the file is empty; add its text or remove it", "skipped", "error")
            continue
        if year != FIRST_YEAR + session:
            issues.add(where, f"session {session} took place in {FIRST_YEAR + session}, the name says {year}",
                       "loaded", "warning")
        texts[doc_id] = raw  # prepared below, all at once
        rows.append({"doc_id": doc_id, "date": pd.NA, "year": year, "session": session, "country_code": code})
    if system:
        issues.add(base, f"{system} macOS metadata file(s) (._*, .DS_Store, __MACOSX/) ignored", "ignored", "note")
    if other:
        issues.add(base, f"{len(other)} file(s) that are not speeches ignored: {', '.join(other[:5])}"
                   + (" ..." if len(other) > 5 else ""), "ignored", "note")
    if not rows:
        raise CorpusError(
            f"{path}: no UNGDC speeches found. Expected TXT/Session NN - YYYY/CODE_NN_YYYY.txt files or the "
            "release archive (.tgz/.zip); get it with `r2p corpus fetch --corpus ungdc` (Harvard Dataverse "
            "doi:10.7910/DVN/0TJX8Y)" + (f"; {len(issues.rows)} file(s) skipped, e.g. {issues.rows[0]['file']}: "
                                         f"{issues.rows[0]['problem']}" if issues.rows else ""))
    dv = pd.DataFrame(rows)
    ids = list(texts)
    raws = [texts[i] for i in ids]
    texts.clear()
    preparing = None
    if map is not None:  # the workers prepare the texts while this thread reads the speakers table
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="r2p-prepare")
        preparing = pool.submit(_prepare_all, raws, un_header, map)
        pool.shutdown(wait=False)
    try:
        dv, speakers_where = _docvars(dv, speakers, speakers_src, speakers_where, archive, path, base, issues)
    except BaseException:
        if preparing is not None:  # nothing of the load keeps running once it has failed
            wait([preparing])
        raise
    prepared = preparing.result() if preparing is not None else _prepare_all(raws, un_header, None)
    texts = dict(zip(ids, prepared))
    return Corpus("ungdc", dv, texts, None,
                  {"loader": "ungdc", "path": str(path), "archive": str(archive) if archive else None,
                   "speakers_file": speakers_where, "un_header": un_header}, issues.frame())


def load_general_debate(folder: str | os.PathLike, un_header: bool = True) -> Corpus:
    """A folder of UN General Debate statements named ``ISO3_session_year.txt``, flat or nested as in
    the release: the same as :func:`load_ungdc` (kept under its old name)."""
    return load_ungdc(folder, un_header=un_header)
