"""Dictionary engine: quanteda-style YAML dictionaries and LIWC ``.dic`` files.

A :class:`Dictionary` maps hierarchical keys (``pillars.pillar_one``) to entries.
An entry is a glob pattern of the project's one pattern language
(:mod:`analysis.patterns`, quanteda's ``valuetype = "glob"``): ``*`` matches any
run of characters (including none) and ``?`` exactly one, over the whole token;
a multi-word entry matches consecutive tokens with no punctuation between them.
Each key may also list *exclusions*: matches of the key that overlap a span
matched by one of its exclusion patterns are dropped.

YAML layout (quanteda's, plus optional reserved keys)::

    pillars:                       # a category with sub-categories
      source: "A/63/677 (2009), paras 11(a)-(c)"
      pillar_one:
        - primary responsibility   # multi-word entry
        - protect* their population*
      pillar_two:
        terms: [international assistance, capacity-building]
        exclude: [assistance to the secretariat]
    urgency: [urgent*, without delay]   # plain quanteda leaf

Reserved keys inside a category mapping: ``terms`` (list of entries),
``exclude`` (list of exclusion patterns, inherited by sub-categories),
``source`` (citation string or list of strings) and ``description``.  Every
other key is a sub-category.

Counting (:meth:`Dictionary.lookup`) is *longest match first*: within the scope
given by ``nested_scope`` a token covered by a longer matching entry is not
counted again by a shorter one (``"responsibility to protect"`` is one match,
not also a match of ``"protect"``).  With ``nested_scope="key"`` (quanteda's
default) the rule applies within each key; with ``"dictionary"`` a token can
belong to only one key, the one whose entry matched the longest span.

References
----------
Benoit, K., Watanabe, K., Wang, H., Nulty, P., Obeng, A., Müller, S., &
Matsuo, A. (2018). quanteda: An R package for the quantitative analysis of
textual data. *Journal of Open Source Software*, 3(30), 774.
https://doi.org/10.21105/joss.00774

Pennebaker, J. W., Boyd, R. L., Jordan, K., & Blackburn, K. (2015). *The
development and psychometric properties of LIWC2015*. University of Texas at
Austin.  (The ``.dic`` file format read by :func:`read_liwc`.)
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.errors import R2PError, require_columns
from analysis.patterns import compile_patterns, pattern_tokens
from analysis.tokens import fold_apostrophes
from analysis.units import as_units

__all__ = [
    "Dictionary",
    "DictionaryError",
    "Match",
    "match_token_spans",
    "match_tokens",
    "read_dictionary",
    "read_liwc",
    "stat_dictionary",
]

RESERVED = ("terms", "exclude", "source", "description")
KEY_SEP = "."



class DictionaryError(R2PError, ValueError):
    """A dictionary file or mapping is malformed; the message names where and why."""


def match_tokens(text: str, lowercase: bool = False) -> list[str]:
    """Split ``text`` into the word tokens the dictionary engine matches on.

    Words are runs of letters and digits with internal hyphens or apostrophes
    that contain at least one letter (curly apostrophes and Unicode hyphens are
    normalised first): :func:`analysis.patterns.pattern_tokens` with
    ``numbers=False``. ``R2P``, ``G-77`` and ``COVID-19`` are one word each;
    numbers (``2005``) and punctuation are dropped; stopwords are *kept*, because
    multi-word entries such as ``"responsibility to protect"`` contain them. The
    result is a list that also carries the text between the words (``gaps``), so
    that a multi-word entry does not match across punctuation or a number.

    Parameters
    ----------
    text : str
    lowercase : bool, default False
        Case folding is normally left to :meth:`Dictionary.lookup`.
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return []
    toks = pattern_tokens(str(text), numbers=False)
    if lowercase:
        toks[:] = [t.lower() for t in toks]
    return toks


def match_token_spans(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Tokens as in :func:`match_tokens` plus their ``(start, end)`` character offsets.

    Offsets index ``text`` as given (apostrophes are folded in the tokens only).
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return [], []
    toks = pattern_tokens(str(text), numbers=False, spans=True)
    return toks, toks.spans


@dataclass(frozen=True)
class Match:
    """One counted dictionary match: tokens ``start:end`` matched ``key``."""

    key: str
    start: int
    end: int
    entry: str


@dataclass
class _Category:
    entries: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    description: str = ""
    own_exclude: list[str] = field(default_factory=list)


def _as_str_list(value, where: str, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        out = []
        for i, v in enumerate(value):
            if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                out.append(str(v))
            else:
                raise DictionaryError(
                    f"{where}: {what} item {i} is a {type(v).__name__}; "
                    "expected a string (nest sub-categories as mappings, not inside lists)")
        return out
    raise DictionaryError(f"{where}: {what} must be a string or a list of strings, "
                          f"got {type(value).__name__}")


def _clean_entry(entry: str, where: str) -> str:
    e = " ".join(fold_apostrophes(str(entry)).split())
    if not e:
        raise DictionaryError(f"{where}: empty entry; remove it")
    return e


class Dictionary:
    """A hierarchical dictionary of token patterns, as in quanteda.

    Parameters
    ----------
    mapping : Mapping
        Nested mapping in quanteda's YAML layout (see module docstring).
    name : str, optional
        Label used in error messages and provenance (e.g. the file name).

    Attributes
    ----------
    keys : list of str
        Leaf keys, parent and child joined by ``"."``, in file order.
    """

    def __init__(self, mapping: Mapping, name: str = "<dictionary>"):
        if not isinstance(mapping, Mapping) or not mapping:
            raise DictionaryError(
                f"{name}: a dictionary must be a non-empty mapping of category -> entries")
        self.name = name
        self._cats: dict[str, _Category] = {}
        self._parents: dict[str, _Category] = {}
        self._walk(mapping, (), [], name)
        if not self._cats:
            raise DictionaryError(f"{name}: no category has any entries")
        self._compiled: dict = {}

    # ------------------------------------------------------------------ build
    def _walk(self, node, path: tuple, inherited_exclude: list[str], where: str):
        here = f"{where}: category '{KEY_SEP.join(path)}'" if path else where
        if isinstance(node, (list, tuple, str)):
            entries = [_clean_entry(e, here) for e in _as_str_list(node, here, "entries")]
            self._add_leaf(path, entries, list(inherited_exclude), [], "", here)
            return
        if not isinstance(node, Mapping):
            raise DictionaryError(f"{here}: expected a list of entries or a mapping, "
                                  f"got {type(node).__name__}")
        own_exclude = [_clean_entry(e, here)
                       for e in _as_str_list(node.get("exclude"), here, "'exclude'")]
        exclude = list(inherited_exclude) + [e for e in own_exclude if e not in inherited_exclude]
        source = _as_str_list(node.get("source"), here, "'source'")
        desc = node.get("description") or ""
        if not isinstance(desc, str):
            raise DictionaryError(f"{here}: 'description' must be a string")
        terms = [_clean_entry(e, here) for e in _as_str_list(node.get("terms"), here, "'terms'")]
        children = {k: v for k, v in node.items() if k not in RESERVED}
        for k in children:
            if not isinstance(k, str) or not k.strip():
                raise DictionaryError(f"{here}: category names must be non-empty strings, got {k!r}")
            if KEY_SEP in k:
                raise DictionaryError(f"{here}: category name {k!r} may not contain '{KEY_SEP}'")
        if path:
            self._parents[KEY_SEP.join(path)] = _Category([], exclude, source, desc, own_exclude)
        if terms or not children:
            if not terms and not children and path:
                raise DictionaryError(f"{here}: has neither entries nor sub-categories")
            if terms:
                # entries directly on a category with children: a leaf of its own
                self._add_leaf(path, terms, exclude, source, desc, here, own_exclude)
        for k, v in children.items():
            self._walk(v, path + (k,), exclude, where)

    def _add_leaf(self, path, entries, exclude, source, desc, here, own_exclude=()):
        if not path:
            raise DictionaryError(f"{here}: entries must sit under a named category")
        key = KEY_SEP.join(path)
        if key in self._cats:
            raise DictionaryError(f"{here}: duplicate category")
        if not entries:
            raise DictionaryError(f"{here}: no entries")
        self._cats[key] = _Category(entries, exclude, source, desc, list(own_exclude))

    # ----------------------------------------------------------- constructors
    @classmethod
    def from_yaml(cls, path_or_text) -> Dictionary:
        """Read a quanteda-style YAML dictionary from a file path or YAML text."""
        p = Path(path_or_text) if not isinstance(path_or_text, str) or "\n" not in path_or_text else None
        if p is not None and p.exists():
            name = str(p)
            text = p.read_text(encoding="utf-8")
        elif p is not None and str(path_or_text).endswith((".yml", ".yaml")):
            raise DictionaryError(f"{path_or_text}: dictionary file not found")
        else:
            name, text = "<yaml text>", str(path_or_text)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DictionaryError(f"{name}: not valid YAML ({exc}); check indentation and quoting") from exc
        if isinstance(data, Mapping) and "dictionary" in data and isinstance(data["dictionary"], Mapping) \
                and len(data) <= 2:
            data = data["dictionary"]  # allow an optional top-level 'dictionary:' wrapper
        return cls(data, name=name)

    @classmethod
    def from_liwc(cls, path) -> Dictionary:
        """Read a LIWC ``.dic`` file; see :func:`read_liwc`."""
        return read_liwc(path)

    # -------------------------------------------------------------- accessors
    @property
    def keys(self) -> list[str]:
        return list(self._cats)

    def __len__(self) -> int:
        return len(self._cats)

    def __contains__(self, key) -> bool:
        return key in self._cats

    def __repr__(self) -> str:
        n = sum(len(c.entries) for c in self._cats.values())
        return f"Dictionary({self.name!r}, {len(self)} keys, {n} entries)"

    def entries(self, key: str) -> list[str]:
        return list(self._cats[key].entries)

    def exclusions(self, key: str) -> list[str]:
        return list(self._cats[key].exclude)

    def sources(self, key: str) -> list[str]:
        """Citations for ``key``: its own ``source`` plus those of its parents."""
        out: list[str] = []
        parts = key.split(KEY_SEP)
        for i in range(1, len(parts) + 1):
            k = KEY_SEP.join(parts[:i])
            cat = self._cats.get(k) if i == len(parts) else self._parents.get(k)
            if cat is None and i == len(parts):
                cat = self._parents.get(k)
            if cat is not None:
                out.extend(s for s in cat.source if s not in out)
        return out

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of the dictionary: key, level1, entry, kind (entry/exclude), source."""
        rows = []
        for key, cat in self._cats.items():
            src = "; ".join(self.sources(key))
            for e in cat.entries:
                rows.append((key, key.split(KEY_SEP)[0], e, "entry", src))
            for e in cat.exclude:
                rows.append((key, key.split(KEY_SEP)[0], e, "exclude", src))
        return pd.DataFrame(rows, columns=["key", "level1", "entry", "kind", "source"])

    def to_dict(self) -> dict:
        """Nested plain mapping (quanteda layout, with reserved keys where used).

        Reading it back gives the same keys, entries, exclusions and sources.
        """
        def meta(cat: _Category) -> dict:
            m: dict = {}
            if cat.description:
                m["description"] = cat.description
            if cat.source:
                m["source"] = cat.source[0] if len(cat.source) == 1 else list(cat.source)
            if cat.own_exclude:
                m["exclude"] = list(cat.own_exclude)
            return m

        out: dict = {}
        paths = list(dict.fromkeys([*self._parents, *self._cats]))
        # file order: each path sorts with its first leaf (stable: parents first)
        paths.sort(key=lambda k: next(i for i, c in enumerate(self._cats)
                                      if c == k or c.startswith(k + KEY_SEP)))
        for key in paths:
            parts = key.split(KEY_SEP)
            node = out
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            if key in self._parents:
                d = node.setdefault(parts[-1], {})
                d.update(meta(self._parents[key]))
                if key in self._cats:
                    d["terms"] = list(self._cats[key].entries)
            else:
                cat = self._cats[key]
                m = meta(cat)
                node[parts[-1]] = {**m, "terms": list(cat.entries)} if m else list(cat.entries)
        return out

    def to_yaml(self, path=None) -> str:
        """The dictionary as quanteda-style YAML (written to ``path`` when given)."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True,
                              default_flow_style=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def flatten(self, levels: int | None = None) -> Dictionary:
        """Merge keys below depth ``levels`` into their ancestor (quanteda's ``levels``).

        ``levels=1`` gives one key per top-level category whose entries are the
        union of its descendants' entries.  A flat key can hold only one
        exclusion list, so only exclusions shared by all merged keys are kept;
        to *count* at a level use ``lookup(..., levels=...)``, which keeps each
        entry's own exclusions.
        """
        if levels is None:
            return self
        if levels < 1:
            raise DictionaryError("levels must be >= 1")
        merged: dict[str, dict] = {}
        for key, cat in self._cats.items():
            k = KEY_SEP.join(key.split(KEY_SEP)[:levels])
            m = merged.setdefault(k, {"terms": [], "exclude": None, "source": []})
            m["terms"].extend(e for e in cat.entries if e not in m["terms"])
            ex = set(cat.exclude)
            m["exclude"] = ex if m["exclude"] is None else (m["exclude"] & ex)
            m["source"].extend(s for s in self.sources(key) if s not in m["source"])
        mapping: dict = {}
        for k, m in merged.items():
            node = mapping
            parts = k.split(KEY_SEP)
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = {"terms": m["terms"], "exclude": sorted(m["exclude"] or []),
                               "source": m["source"]}
        return Dictionary(mapping, name=f"{self.name} (levels={levels})")

    # --------------------------------------------------------------- matching
    def _compile(self, case_insensitive: bool, valuetype: str = "glob"):
        """Entries and exclusions as one :class:`analysis.patterns.PatternSet`, with
        for each pattern its key index, entry text and whether it is an exclusion."""
        mode = case_insensitive if valuetype == "glob" else (case_insensitive, valuetype)
        if mode in self._compiled:
            return self._compiled[mode]
        texts, meta = [], []
        for ki, cat in enumerate(self._cats.values()):
            for e in cat.entries:
                texts.append(e)
                meta.append((ki, e, False))
            for e in cat.exclude:
                texts.append(e)
                meta.append((ki, e, True))
        comp = (compile_patterns(texts, valuetype, case_insensitive), meta)
        self._compiled[mode] = comp
        return comp

    def lookup(self, tokens: Sequence[str], case_insensitive: bool = True,
               nested_scope: str = "key", levels: int | None = None, gaps=None,
               valuetype: str = "glob") -> list[Match]:
        """Find the counted matches of every key in a token sequence.

        Parameters
        ----------
        tokens : sequence of str
            Word tokens, stopwords kept (see :func:`match_tokens`).
        case_insensitive : bool, default True
            Fold case of tokens and patterns (quanteda's default).  With False an
            entry ``UN`` matches the token ``UN`` but not ``un``.
        nested_scope : {"key", "dictionary"}
            Scope of the longest-match-first rule (see module docstring).
        levels : int, optional
            Report keys truncated to this depth (``levels=1``: top-level
            families), as quanteda's ``levels``.  Each entry keeps the exclusions
            of its own key; longest-match-first then applies within each
            truncated key, so a word matched by two sub-keys counts once.
        gaps : sequence of str, optional
            The text between consecutive tokens; a multi-word entry does not match
            across punctuation (:func:`analysis.patterns.is_break`). Default: the
            ``gaps`` of the tokens from :func:`match_tokens`; a plain list has none.
        valuetype : {"glob", "regex", "fixed"}
            How entries are read (:mod:`analysis.patterns`; quanteda's ``valuetype``).

        Returns
        -------
        list of Match
            Sorted by start position then key.
        """
        return self.lookup_levels(tokens, (levels,), case_insensitive, nested_scope, gaps, valuetype)[0]

    def lookup_levels(self, tokens: Sequence[str], levels: Sequence[int | None] = (None,),
                      case_insensitive: bool = True, nested_scope: str = "key", gaps=None,
                      valuetype: str = "glob") -> list[list[Match]]:
        """:meth:`lookup` at several ``levels`` from one scan of the tokens."""
        if nested_scope not in ("key", "dictionary"):
            raise ValueError("nested_scope must be 'key' or 'dictionary'")
        for lv in levels:
            if lv is not None and lv < 1:
                raise ValueError("levels must be >= 1")
        cands = self._candidates(tokens, case_insensitive, gaps, valuetype)
        # longest first, then leftmost, then key order; greedy non-overlap in scope
        cands.sort(key=lambda c: (-(c[2] - c[1]), c[1], c[0]))
        keys = list(self._cats)
        return [self._resolve(cands, keys, lv, nested_scope) for lv in levels]

    @staticmethod
    def _resolve(cands, keys, levels, nested_scope) -> list[Match]:
        if levels is None:
            names = keys
        else:
            names = [KEY_SEP.join(k.split(KEY_SEP)[:levels]) for k in keys]
        order = {n: i for i, n in enumerate(dict.fromkeys(names))}
        used: dict = {}
        out: list[Match] = []
        seen = set()
        for ki, s, e, text in cands:
            name = names[ki]
            scope = name if nested_scope == "key" else None
            u = used.setdefault(scope, set())
            if (name, s, e) in seen or any(p in u for p in range(s, e)):
                continue
            seen.add((name, s, e))
            u.update(range(s, e))
            out.append(Match(name, s, e, text))
        out.sort(key=lambda m: (m.start, order[m.key]))
        return out

    def _candidates(self, tokens: Sequence[str], case_insensitive: bool, gaps=None, valuetype="glob"):
        """Every (key index, start, end, entry) match left after the key's exclusions."""
        pset, meta = self._compile(case_insensitive, valuetype)
        cands: list[tuple[int, int, int, str]] = []   # (key, start, end, entry)
        excl: dict[int, list[tuple[int, int]]] = {}
        for pi, s, e in pset.find(tokens, gaps):
            ki, text, is_ex = meta[pi]
            if is_ex:
                excl.setdefault(ki, []).append((s, e))
            else:
                cands.append((ki, s, e, text))
        if excl:
            cands = [c for c in cands
                     if not any(s < c[2] and c[1] < e for s, e in excl.get(c[0], ()))]
        return cands

    def count(self, tokens: Sequence[str], **kw) -> dict[str, int]:
        """Number of counted matches per key (all keys, zeros included)."""
        out = dict.fromkeys(self._cats, 0)
        for m in self.lookup(tokens, **kw):
            out[m.key] += 1
        return out


def read_dictionary(path) -> Dictionary:
    """Read a dictionary from ``.yml``/``.yaml`` (quanteda layout) or ``.dic`` (LIWC)."""
    p = Path(path)
    if not p.exists():
        raise DictionaryError(f"{p}: dictionary file not found")
    suf = p.suffix.lower()
    if suf in (".yml", ".yaml"):
        return Dictionary.from_yaml(p)
    if suf == ".dic":
        return read_liwc(p)
    raise DictionaryError(f"{p}: unknown dictionary format '{suf}'; use .yml/.yaml or LIWC .dic")


def read_liwc(path) -> Dictionary:
    """Read a LIWC-format ``.dic`` dictionary.

    The file has a header between two ``%`` lines mapping category numbers to
    names (``1<TAB>posemo``), followed by one entry per line: the word or
    phrase, then the category numbers it belongs to.  Entries may end in ``*``
    (a glob).  LIWC2007's conditional codes such as ``(02 134)125/464`` depend
    on the preceding word and cannot be expressed as a lookup; such codes are
    skipped with a warning that names the lines.  A word may belong to many
    categories.

    Raises
    ------
    DictionaryError
        On a missing header, an unknown category number or an empty file,
        naming the file and line.

    References
    ----------
    Pennebaker, J. W., Boyd, R. L., Jordan, K., & Blackburn, K. (2015). *The
    development and psychometric properties of LIWC2015*. University of Texas
    at Austin.
    """
    p = Path(path)
    if not p.exists():
        raise DictionaryError(f"{p}: dictionary file not found")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = text.splitlines()
    marks = [i for i, ln in enumerate(lines) if ln.strip() == "%"]
    if len(marks) < 2:
        raise DictionaryError(f"{p}: not a LIWC .dic file (expected a category header "
                              "between two lines containing only '%')")
    cats: dict[str, str] = {}
    for i in range(marks[0] + 1, marks[1]):
        ln = lines[i].strip()
        if not ln:
            continue
        parts = ln.split(None, 1)
        if len(parts) != 2:
            raise DictionaryError(f"{p}, line {i + 1}: header line {ln!r} should be "
                                  "'<number><TAB><category name>'")
        cats[parts[0].lstrip("0") or "0"] = parts[1].strip().split()[0]
    members: dict[str, list[str]] = {v: [] for v in cats.values()}
    skipped: list[int] = []
    for i in range(marks[1] + 1, len(lines)):
        ln = lines[i].rstrip()
        if not ln.strip():
            continue
        if "\t" in ln:
            fields = [f for f in ln.split("\t")]
            word = fields[0].strip()
            codes = " ".join(fields[1:]).split()
        else:
            toks = ln.split()
            k = next((j for j, t in enumerate(toks) if re.fullmatch(r"\d+", t)), len(toks))
            word, codes = " ".join(toks[:k]), toks[k:]
        if not word:
            raise DictionaryError(f"{p}, line {i + 1}: entry has no word")
        for c in codes:
            if not re.fullmatch(r"\d+", c):
                skipped.append(i + 1)
                continue
            c2 = c.lstrip("0") or "0"
            if c2 not in cats:
                raise DictionaryError(f"{p}, line {i + 1}: category number {c} for {word!r} "
                                      "is not declared in the header")
            lst = members[cats[c2]]
            if word not in lst:
                lst.append(word)
    if skipped:
        warnings.warn(f"{p}: skipped conditional LIWC codes on lines "
                      f"{sorted(set(skipped))[:20]}{' ...' if len(set(skipped)) > 20 else ''}",
                      stacklevel=2)
    mapping = {k: v for k, v in members.items() if v}
    if not mapping:
        raise DictionaryError(f"{p}: no entries found after the header")
    return Dictionary(mapping, name=str(p))


def stat_dictionary(frame: pd.DataFrame, dictionary: Dictionary, text_col: str = "text",
                    id_col: str = "unit_id", case_insensitive: bool = True,
                    nested_scope: str = "key", keep: Iterable[str] | None = None,
                    levels: int | None = None) -> pd.DataFrame:
    """Count dictionary matches per row of ``frame``: a tidy long table.

    Parameters
    ----------
    frame : DataFrame or Corpus
        Units (the canonical input: :func:`analysis.units.make_units`), or any frame
        with one row per text and ``id_col`` and ``text_col``; a corpus is reshaped
        into paragraph units first.
    dictionary : Dictionary
    case_insensitive, nested_scope
        Passed to :meth:`Dictionary.lookup`.
    keep : iterable of str, optional
        Docvar columns to carry into the result (default: every column of
        ``frame`` except ``text_col``).
    levels : int, optional
        Count keys truncated to this depth (see :meth:`Dictionary.lookup`).

    Returns
    -------
    DataFrame
        Columns ``id_col, key, matches, tokens`` plus the kept docvars; one row
        per unit and key (zeros included), so rates can be averaged correctly.

    References
    ----------
    Benoit, K. et al. (2018). quanteda. *JOSS* 3(30), 774 (``tokens_lookup``).
    """
    if not isinstance(frame, pd.DataFrame):
        frame = as_units(frame, what="stat_dictionary: units")
    require_columns(frame, [id_col, text_col], what="stat_dictionary: frame",
                    hint="pass units from analysis.units.make_units(corpus)")
    d = dictionary
    keys = list(dict.fromkeys(KEY_SEP.join(k.split(KEY_SEP)[:levels]) if levels else k
                              for k in d.keys))
    keep = [c for c in (frame.columns if keep is None else keep) if c not in (text_col, id_col)]
    n = len(frame)
    counts = np.zeros((n, len(keys)), dtype=np.int64)
    ntok = np.zeros(n, dtype=np.int64)
    kidx = {k: j for j, k in enumerate(keys)}
    for i, text in enumerate(frame[text_col].tolist()):
        toks = match_tokens(text)
        ntok[i] = len(toks)
        for m in d.lookup(toks, case_insensitive=case_insensitive, nested_scope=nested_scope,
                          levels=levels):
            counts[i, kidx[m.key]] += 1
    out = pd.DataFrame({
        id_col: np.repeat(frame[id_col].to_numpy(), len(keys)),
        "key": np.tile(np.array(keys, dtype=object), n),
        "matches": counts.ravel(),
        "tokens": np.repeat(ntok, len(keys)),
    })
    out["key"] = out["key"].astype("str")
    for c in keep:
        out[c] = np.repeat(frame[c].to_numpy(), len(keys))
    return out
