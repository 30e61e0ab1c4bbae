"""Manifest reading, schema validation and curation.

``r2p corpus validate`` checks a corpus folder against a declared schema
(``corpus/manifest.schema.json`` for the project corpus, a minimal built-in one
for other folders) and reports every problem with its file, row, column and
what to do. It never modifies anything.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from analysis.errors import R2PError
from analysis.loaders.base import outside_folder

__all__ = [
    "Problem",
    "ManifestError",
    "read_manifest",
    "load_schema",
    "validate_manifest",
    "curate_manifest",
    "sha256_file",
]

ANCHOR_ID = "2017-09-06_antonio-guterres_ga-informal-dialogue"

#: Schema used for folders that bring no ``manifest.schema.json``.
MINIMAL_SCHEMA = {
    "title": "minimal corpus manifest",
    "primaryKey": "doc_id",
    "fields": [
        {"name": "doc_id", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "date", "type": "date", "constraints": {"required": False}},
        {"name": "year", "type": "integer", "constraints": {"required": False}},
        {"name": "text_file", "type": "string", "constraints": {"required": False}},
        {"name": "text", "type": "string", "constraints": {"required": False}},
        {"name": "sha256", "type": "string", "constraints": {"required": False, "pattern": "^[0-9a-f]{64}$"}},
    ],
}


class ManifestError(R2PError):
    """The manifest file itself cannot be read (missing, not UTF-8, not CSV)."""


@dataclass(frozen=True)
class Problem:
    """One finding of validation: where it is, what is wrong, and what to do."""

    file: str
    row: int | None  # 1-based line number in the file (header is line 1)
    column: str | None
    message: str
    fix: str
    severity: str = "error"  # "error" fails validation; "note" is reported only

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        return f"{self.severity}: {where}: {self.message} -> {self.fix}"

    def to_dict(self) -> dict:
        return asdict(self)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(path: str | Path) -> pd.DataFrame:
    """Read a manifest CSV as strings (empty cells as NA); raise :class:`ManifestError`."""
    path = Path(path)
    if not path.exists():
        raise ManifestError(f"{path}: no manifest here; create manifest.csv with doc_id, date or year, text_file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ManifestError(
            f"{path}, line {line}: not UTF-8 (byte {raw[e.start:e.start + 1]!r}); re-save the file as UTF-8"
        ) from None
    import io

    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as e:
        raise ManifestError(f"{path}: not a well-formed CSV ({e}); check quoting on that line") from None
    except pd.errors.EmptyDataError:
        raise ManifestError(f"{path}: the manifest is empty; it needs a header row and one row per document") from None
    if "doc_id" not in df.columns and "id" in df.columns:
        df = df.rename(columns={"id": "doc_id"})
    if "doc_id" not in df.columns:
        raise ManifestError(f"{path}: no doc_id column (columns: {', '.join(df.columns)}); add one")
    return df


def load_schema(folder: str | Path) -> dict:
    p = Path(folder) / "manifest.schema.json"
    if p.exists():
        return json.loads(p.read_text(encoding="utf-8"))
    return MINIMAL_SCHEMA


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = {"true", "1", "yes"}
_BOOL = _TRUE | {"false", "0", "no"}


def validate_manifest(folder: str | Path, check_texts: bool = True) -> list[Problem]:
    """Check ``folder/manifest.csv`` against the folder's schema and its text files.

    Checks: required columns, unique ids, ISO dates, year agreeing with date,
    types, enumerations and patterns of the schema, one anchor at most; and for
    each text file named: inside the folder (a path or link out of it is an error,
    never read), present (a missing file is an error when the row says
    the text is bundled or records its sha256, otherwise a note that it is not
    fetched yet), UTF-8, non-empty, sha256 agreeing where recorded. Read-only.
    """
    folder = Path(folder)
    mpath = folder / "manifest.csv"
    mname = str(mpath)
    try:
        df = read_manifest(mpath)
    except ManifestError as e:
        return [Problem(mname, None, None, str(e), "fix the file as the message says")]
    schema = load_schema(folder)
    problems: list[Problem] = []
    fields = {f["name"]: f for f in schema["fields"]}

    for name, f in fields.items():
        if f.get("constraints", {}).get("required") and name not in df.columns:
            problems.append(Problem(mname, 1, name, "required column is missing",
                                    f"add a column {name!r} ({f.get('description', f['type'])})"))
    if schema is MINIMAL_SCHEMA:
        if "date" not in df.columns and "year" not in df.columns:
            problems.append(Problem(mname, 1, "date", "neither date nor year column", "add date (YYYY-MM-DD) or year"))
        if "text_file" not in df.columns and "text" not in df.columns:
            problems.append(Problem(mname, 1, "text_file", "neither text_file nor text column",
                                    "add text_file (path relative to the folder) or text"))

    for i, row in df.iterrows():
        line = int(i) + 2
        for name, f in fields.items():
            if name not in df.columns:
                continue
            v = row[name]
            c = f.get("constraints", {})
            if pd.isna(v) or str(v).strip() == "":
                if c.get("required"):
                    problems.append(Problem(mname, line, name, "required value is empty", f"fill in {name}"))
                continue
            v = str(v)
            t = f.get("type")
            if t == "date":
                if not _ISO.match(v) or pd.isna(pd.to_datetime(v, format="%Y-%m-%d", errors="coerce")):
                    problems.append(Problem(mname, line, name, f"{v!r} is not an ISO date", "write it as YYYY-MM-DD"))
            elif t == "integer":
                if not re.fullmatch(r"-?\d+", v):
                    problems.append(Problem(mname, line, name, f"{v!r} is not an integer", "write a whole number"))
                elif ("minimum" in c and int(v) < c["minimum"]) or ("maximum" in c and int(v) > c["maximum"]):
                    problems.append(Problem(mname, line, name, f"{v} is out of range",
                                            f"use a value from {c.get('minimum')} to {c.get('maximum')}"))
            elif t == "boolean" and v.lower() not in _BOOL:
                problems.append(Problem(mname, line, name, f"{v!r} is not true/false", "write true or false"))
            if "enum" in c and v not in c["enum"]:
                problems.append(Problem(mname, line, name, f"{v!r} is not an allowed value",
                                        f"use one of {', '.join(c['enum'])}"))
            if "pattern" in c and not re.search(c["pattern"], v):
                problems.append(Problem(mname, line, name, f"{v!r} does not match {c['pattern']}",
                                        f"correct the {name}"))
        # an empty date needs a precision coarser than a day
        if "date_precision" in df.columns and (pd.isna(row.get("date")) or not str(row.get("date")).strip()):
            if str(row.get("date_precision")) == "day":
                problems.append(Problem(mname, line, "date", "date is empty but date_precision is 'day'",
                                        "fill in the date, or set date_precision to month or year"))
        # year agrees with date
        if "date" in df.columns and "year" in df.columns:
            d, y = row.get("date"), row.get("year")
            if isinstance(d, str) and _ISO.match(d) and isinstance(y, str) and y.strip().isdigit():
                if d[:4] != y.strip():
                    problems.append(Problem(mname, line, "year", f"year {y} disagrees with date {d}",
                                            "correct whichever is wrong (keep a note of the source)"))

    ids = df["doc_id"]
    for i in ids[ids.duplicated(keep="first")].index:
        first = ids[ids == ids[i]].index[0]
        problems.append(Problem(mname, int(i) + 2, "doc_id", f"duplicate doc_id {ids[i]!r} (first at line {first + 2})",
                                "give every row its own doc_id"))
    if "anchor" in df.columns:
        flags = df["anchor"].fillna("").astype(str).str.lower().isin(_TRUE)
        if flags.sum() > 1:
            problems.append(Problem(mname, None, "anchor", f"{int(flags.sum())} rows are marked anchor",
                                    "mark exactly one row anchor=true"))

    if check_texts and "text_file" in df.columns:
        problems.extend(_check_text_files(folder, df, mname))
    return problems


def _check_text_files(folder: Path, df: pd.DataFrame, mname: str) -> list[Problem]:
    out: list[Problem] = []
    for i, row in df.iterrows():
        line = int(i) + 2
        tf = row.get("text_file")
        if not isinstance(tf, str) or not tf.strip():
            continue
        p = folder / tf
        outside = outside_folder(p, folder)
        if outside:  # never read: ../../etc/passwd, an absolute path, a link out of the folder
            out.append(Problem(mname, line, "text_file", f"text_file {tf!r}: {outside}",
                               "give a path inside the corpus folder (copy the file in; a link must stay inside)"))
            continue
        recorded = row.get("sha256") if "sha256" in df.columns else None
        recorded = recorded if isinstance(recorded, str) and recorded.strip() else None
        bundled = str(row.get("source_kind", "")) == "bundled"
        if not p.exists():
            if recorded or bundled or "source_kind" not in df.columns:
                out.append(Problem(mname, line, "text_file", f"{tf} does not exist",
                                   "restore the file (git checkout or r2p corpus fetch) or correct text_file"))
            else:
                url = row.get("url_override") if isinstance(row.get("url_override"), str) else row.get("url")
                out.append(Problem(mname, line, "text_file", f"{tf} not fetched yet (source: {url})",
                                   "run r2p corpus fetch", severity="note"))
            continue
        data = p.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            out.append(Problem(str(p), None, None, f"not UTF-8 (byte {e.start}: {data[e.start:e.start + 1]!r})",
                               f"re-save as UTF-8; manifest line {line}"))
            continue
        if not text.strip():
            out.append(Problem(str(p), None, None, "the text file is empty",
                               f"re-fetch it (r2p corpus fetch --only {row['doc_id']} --force) or remove the row (line {line})"))
            continue
        if recorded and hashlib.sha256(data).hexdigest() != recorded:
            out.append(Problem(mname, line, "sha256", f"sha256 of {tf} is {hashlib.sha256(data).hexdigest()[:12]}..., "
                               f"the manifest records {recorded[:12]}...",
                               "the text changed since it was recorded: restore it, or re-fetch and review the difference"))
    return out


# ---------------------------------------------------------------- curation
CURATED_COLUMNS = [
    "doc_id", "date", "year", "date_precision", "speaker", "role", "genre", "venue", "title", "title_descriptive",
    "doc_symbol", "url", "url_override", "confirmed", "notes", "text_file", "sha256",
    "source_kind", "anchor",
]


def curate_manifest(draft: str | Path, corpus_folder: str | Path) -> pd.DataFrame:
    """Build the curated ``manifest.csv`` from the statement manifest draft.

    Keeps every row and every provenance column of the draft (``confirmed``,
    ``notes``, bracketed titles) and adds ``doc_id`` (the draft's ``id``),
    ``title_descriptive``, ``url_override`` (empty), ``text_file``, ``sha256``
    (of the bundled text), ``source_kind`` (``bundled`` for the anchor, ``pdf``
    for reports, else ``html``) and ``anchor``. Known disagreements in the draft
    are kept as they are and reported by validation, not silently corrected.
    """
    corpus_folder = Path(corpus_folder)
    df = pd.read_csv(draft, dtype=str, keep_default_na=False, na_values=[""])
    df = df.rename(columns={"id": "doc_id"})
    df["date_precision"] = [
        "day" if isinstance(d, str) and d.strip() else ("month" if re.match(r"^\d{4}-\d{2}_", i) else "year")
        for d, i in zip(df["date"], df["doc_id"])
    ]
    df["title_descriptive"] = df["title"].fillna("").str.match(r"^\s*\[.*\]\s*$").map({True: "true", False: "false"})
    df["url_override"] = pd.NA
    df["text_file"] = "texts/" + df["doc_id"] + ".txt"
    df["anchor"] = (df["doc_id"] == ANCHOR_ID).map({True: "true", False: "false"})
    df["source_kind"] = [
        "bundled" if d == ANCHOR_ID else ("pdf" if g == "report" else "html")
        for d, g in zip(df["doc_id"], df["genre"])
    ]
    sha = []
    for d, tf in zip(df["doc_id"], df["text_file"]):
        p = corpus_folder / tf
        sha.append(sha256_file(p) if d == ANCHOR_ID and p.exists() else pd.NA)
    df["sha256"] = sha
    return df[CURATED_COLUMNS]
