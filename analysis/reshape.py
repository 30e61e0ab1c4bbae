"""Reshaping corpora: combine several, subset by an expression over docvars, cut into passages.

- :func:`corpus_combine` puts corpora side by side (member states beside the
  Secretary-General) with a ``source`` docvar telling them apart;
  :func:`load_corpora` reads the command line's ``--corpus A+B`` into one.
- :func:`corpus_subset` keeps the documents an expression selects
  (``--where "year>=2005"``): a small, safe grammar over the docvars, parsed
  with :mod:`ast` against a whitelist and evaluated column-wise; nothing of the
  expression is ever executed as code.
- :func:`corpus_passages` reshapes documents into the passages that match a
  pattern set (``--passages r2p``): the paragraphs, or windows of N words, that
  speak of the responsibility to protect and the four atrocity crimes.

:func:`load_reshaped` chains the three, as ``r2p run`` and
:class:`analysis.notebook.Run` do, and records what it did in the corpus's
``settings["reshape"]`` (written to ``run.json``). The result's docvars and
texts differ from the parts', so the corpus fingerprint, and with it every
cache key, follows each reshaping.

References
----------
Benoit, K., Watanabe, K., Wang, H., Nulty, P., Obeng, A., Müller, S., & Matsuo, A.
(2018). quanteda: An R package for the quantitative analysis of textual data.
*Journal of Open Source Software*, 3(30), 774 (``corpus_subset``,
``corpus_reshape``, ``kwic`` windows; the model of these functions).

Jankin, S., Baturo, A., & Dasandi, N. (2017). Understanding State Preferences
With Text As Data: Introducing the UN General Debate Corpus. *Research &
Politics*, 4(2) (the states' speeches combined with the SG corpus).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.corpus import Corpus, CorpusError
from analysis.errors import UsageError, closest
from analysis.patterns import compile_patterns, find_in_text
from analysis.text import paragraphs

__all__ = ["PASSAGE_COLUMNS", "corpus_combine", "corpus_passages", "corpus_subset", "load_corpora",
           "load_reshaped", "match_patterns", "parse_where", "passage_patterns", "plain_strings", "source_groups", "source_label"]

#: docvars every passage gets beside its parent's
PASSAGE_COLUMNS = ["parent_doc_id", "passage_n", "matched", "terms", "n_matches"]


# ------------------------------------------------------------------ combine
def source_label(corpus: Corpus) -> str:
    """A corpus's label in a combination: its name, or the last part of a path name."""
    name = str(corpus.name)
    if "/" in name or "\\" in name:
        p = Path(name)
        return p.stem if p.suffix.lower() in (".csv", ".tsv", ".parquet", ".pq") else p.name
    return name


def corpus_combine(*corpora: Corpus, source: Sequence[str] | None = None, name: str | None = None) -> Corpus:
    """One corpus holding the documents of several, with a ``source`` docvar telling them apart.

    Parameters
    ----------
    *corpora : Corpus
        Two or more corpora (one is returned unchanged).
    source : sequence of str, optional
        A label per corpus for its ``source`` docvar. Default: a corpus's own
        ``source`` docvar where it has one (the UNGDC loader writes
        ``source="ungdc"``; its missing values take the label), else
        :func:`source_label` (the corpus name).
    name : str, optional
        The combined corpus's name; default the labels joined by ``+``
        (``sg-r2p+ungdc``).

    Returns
    -------
    Corpus
        Docvars are the union of the parts' columns (a column a part lacks is NA
        for its documents). A ``doc_id`` already used by an earlier part is
        prefixed with the later part's label (``ungdc:FRA_72_2017``), so the
        first part's ids, and its anchor, never change. The anchor is that of
        the first part that has one. ``settings`` records the parts
        (``loader="combine"``, ``parts``, ``sources``, ``renamed``).

    Raises
    ------
    UsageError
        No corpus, or a ``source`` list of the wrong length.
    CorpusError
        A doc_id collision that the prefix cannot resolve (the same corpus twice).
    """
    if not corpora:
        raise UsageError("corpus_combine needs at least one corpus")
    for c in corpora:
        if not isinstance(c, Corpus):
            raise UsageError(f"corpus_combine takes Corpus objects, not {type(c).__name__}")
    if source is not None:
        source = [str(s) for s in source]
        if len(source) != len(corpora):
            raise UsageError(f"corpus_combine: {len(source)} source label(s) for {len(corpora)} corpora")
    if len(corpora) == 1:
        return corpora[0]
    labels = source or [source_label(c) for c in corpora]
    frames, texts, seen, renamed, owner = [], {}, set(), {}, {}
    anchor = None
    for c, label in zip(corpora, labels):
        dv = c.docvars.drop(columns=["available"]).copy()
        if source is None and "source" in dv.columns:
            dv["source"] = dv["source"].astype("object").where(dv["source"].notna(), label).astype(str)
        else:
            dv["source"] = label
        ids = dv["doc_id"].astype(str)
        new_ids = ids.where(~ids.isin(seen), label + ":" + ids)
        clash = sorted((set(new_ids[new_ids != ids]) & seen)
                       | {i for i in ids[new_ids != ids] if owner.get(i) == label})
        if clash:
            raise CorpusError(f"corpus_combine: doc_id(s) {clash[:3]} of {c.name!r} are already used even with "
                              f"the prefix {label + ':'!r}; give the corpora distinct source labels "
                              "(or do not combine a corpus with itself)")
        mapping = dict(zip(ids, new_ids))
        renamed.update({f"{label}:{old}": new for old, new in mapping.items() if old != new})
        dv["doc_id"] = new_ids.to_numpy()
        texts.update({mapping[k]: v for k, v in c.texts.items() if k in mapping})
        seen.update(new_ids)
        owner.update({i: label for i in new_ids if i not in owner})
        if anchor is None and c.anchor is not None:
            anchor = mapping.get(c.anchor, c.anchor)
        frames.append(dv)
    columns = list(dict.fromkeys(col for f in frames for col in f.columns))
    docvars = pd.concat([f.reindex(columns=columns) for f in frames], ignore_index=True)
    sources = list(dict.fromkeys(s for f in frames for s in f["source"]))
    settings = {"loader": "combine",
                "parts": [{"name": str(c.name), "source": lab, "documents": len(c), "settings": dict(c.settings)}
                          for c, lab in zip(corpora, labels)],
                "sources": sources, "renamed": len(renamed)}
    for key in ("un_header",):  # facts every part agrees on stay visible at the top
        vals = {str(c.settings.get(key)) for c in corpora}
        if len(vals) == 1 and key in corpora[0].settings:
            settings[key] = corpora[0].settings[key]
    extra = {}
    if "issues" in getattr(Corpus, "__dataclass_fields__", {}):  # what the parts' loaders reported travels on
        found = [c.issues for c in corpora if getattr(c, "issues", None) is not None and len(c.issues)]
        if found:
            extra["issues"] = pd.concat(found, ignore_index=True)
    return Corpus(name or "+".join(labels), docvars, texts, anchor, settings, **extra)


def source_groups(corpus: Corpus) -> pd.Series | None:
    """``doc_id -> source`` of the available documents when they come from two or more sources, else None.

    The order of the labels is that of ``settings["sources"]`` (the combination
    order) where recorded, else of first appearance.
    """
    dv = corpus.docvars
    if "source" not in dv.columns:
        return None
    dv = dv[dv["available"] & dv["source"].notna()]
    found = list(dict.fromkeys(dv["source"].astype(str)))
    if len(found) < 2:
        return None
    order = [s for s in corpus.settings.get("sources") or [] if s in found]
    order += [s for s in found if s not in order]
    rank = {s: i for i, s in enumerate(order)}
    dv = dv.assign(_r=dv["source"].astype(str).map(rank)).sort_values("_r", kind="stable")
    return pd.Series(dv["source"].astype(str).to_numpy(), index=dv["doc_id"].astype(str).to_numpy(),
                     name="source")


def load_corpora(spec: str, loader: Callable[[str], Corpus]) -> Corpus:
    """``"A+B"``: load each part with ``loader`` and :func:`corpus_combine` them.

    A spec without ``+``, or naming an existing path (which may contain a
    ``+``), is loaded as one corpus, unchanged.
    """
    spec = str(spec).strip()
    if "+" not in spec or Path(spec).expanduser().exists():
        return loader(spec)
    parts = [p.strip() for p in spec.split("+")]
    if any(not p for p in parts):
        raise UsageError(f"--corpus {spec!r}: an empty part; combine corpora as A+B, e.g. sg-r2p+ungdc")
    return corpus_combine(*(loader(p) for p in parts), source=None, name=spec)


# ------------------------------------------------------------------- subset
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in"}
_GRAMMAR = ("a comparison COLUMN OP VALUE (OP: == != < <= > >=; = means ==), COLUMN in (V1, V2, ...), "
            "combined with and, or, not and parentheses; strings in quotes, e.g. "
            "year>=2005 and source == \"ungdc\"")


def _normalise(expr: str) -> str:
    """A lone ``=`` (outside strings) means ``==``, as in the comparison grammar."""
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(expr).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as e:
        raise UsageError(f"--where {expr!r}: cannot be read ({e}); use {_GRAMMAR}") from None
    out = [(t.type, "==") if t.type == tokenize.OP and t.string == "=" else (t.type, t.string) for t in toks]
    return tokenize.untokenize(out).strip()


#: limits of a ``--where`` expression: not/and/or nesting (the checks and the evaluation recurse over
#: it; 5,000 nested ``not`` was a RecursionError traceback) and length in characters
WHERE_MAX_DEPTH, WHERE_MAX_CHARS = 100, 100_000


def _depth(node) -> int:
    """Nesting depth of the not/and/or tree, a comparison counting one (iterative; stops past the limit)."""
    deepest, stack = 0, [(node, 1)]
    while stack and deepest <= WHERE_MAX_DEPTH:
        n, d = stack.pop()
        deepest = max(deepest, d)
        kids = n.values if isinstance(n, ast.BoolOp) else [n.operand] if isinstance(n, ast.UnaryOp) else []
        stack.extend((v, d + 1) for v in kids)
    return deepest


def parse_where(expr: str) -> ast.Expression:
    """Parse a ``--where`` expression and check it against the grammar's whitelist.

    Allowed: comparisons of a docvar name with a literal (string, number,
    True/False/None) or a tuple/list of literals (``in``/``not in``), chained
    comparisons (``2005 <= year < 2010``), ``and``/``or``/``not``, parentheses,
    and a bare boolean docvar. Anything else (calls, attributes, arithmetic,
    subscripts, comprehensions...) is a :class:`UsageError`, and so is an
    expression nested more than :data:`WHERE_MAX_DEPTH` levels deep or longer
    than :data:`WHERE_MAX_CHARS` characters.
    """
    if not isinstance(expr, str) or not expr.strip():
        raise UsageError(f"--where needs an expression: {_GRAMMAR}")
    short = repr(expr) if len(expr) <= 80 else repr(expr[:80]) + f"... ({len(expr):,} characters)"
    deep = UsageError(f"--where {short}: nested more than {WHERE_MAX_DEPTH} levels deep (not/and/or, parentheses) "
                      f"or longer than {WHERE_MAX_CHARS:,} characters; simplify the expression")
    if len(expr) > WHERE_MAX_CHARS:
        raise deep
    text = _normalise(expr)
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise UsageError(f"--where {short}: not an expression ({e.msg}); use {_GRAMMAR}") from None
    except (RecursionError, MemoryError):  # Python's parser gives up on deep nesting (5,000 x `not`)
        raise deep from None
    if _depth(tree.body) > WHERE_MAX_DEPTH:
        raise deep

    def check(node, literal_ok=False):
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                check(v)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            check(node.operand)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in _CMP:
                    raise UsageError(f"--where {expr!r}: operator {type(op).__name__} is not allowed; use {_GRAMMAR}")
            for side in (node.left, *node.comparators):
                if not isinstance(side, ast.Name):
                    check(side, literal_ok=True)
        elif isinstance(node, ast.Name):
            pass
        elif literal_ok and isinstance(node, ast.Constant) and (node.value is None or isinstance(
                node.value, (str, int, float, bool))):
            pass
        elif literal_ok and isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
                and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float)):
            pass
        elif literal_ok and isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                if not _is_literal(e):
                    raise UsageError(f"--where {expr!r}: a list may hold only literal values, not "
                                     f"{ast.unparse(e)!r}")
        else:
            raise UsageError(f"--where {expr!r}: {ast.unparse(node)!r} is not allowed; use {_GRAMMAR}")

    check(tree.body)
    return tree


def _is_literal(node) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is None or isinstance(node.value, (str, int, float, bool))
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
        isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float))


def _literal(node):
    if isinstance(node, (ast.Tuple, ast.List)):
        return [_literal(e) for e in node.elts]
    return ast.literal_eval(node)


def _column(name: str, docvars: pd.DataFrame, expr: str) -> pd.Series:
    if name not in docvars.columns:
        hint = closest(name, docvars.columns)
        raise UsageError(f"--where {expr!r}: no docvar {name!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                         + f"; the corpus's docvars are {', '.join(map(str, docvars.columns))}")
    return docvars[name]


def _compare(col: pd.Series, op: str, value, name: str, expr: str) -> np.ndarray:
    """Element-wise ``col OP value``; a missing docvar never matches (except ``== None``)."""
    missing = col.isna().to_numpy()
    if op in ("in", "not in"):
        if not isinstance(value, list):
            raise UsageError(f"--where {expr!r}: {op!r} needs a list, e.g. {name} in (\"A\", \"B\")")
        hits = np.zeros(len(col), dtype=bool)
        for v in value:
            hits |= _compare(col, "==", v, name, expr)
        return hits if op == "in" else ~hits & ~missing
    if isinstance(value, list):
        raise UsageError(f"--where {expr!r}: a list goes with 'in' or 'not in', not {op!r}")
    if value is None:
        if op not in ("==", "!="):
            raise UsageError(f"--where {expr!r}: None compares only with == or !=")
        return missing if op == "==" else ~missing
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if pd.api.types.is_bool_dtype(col) or isinstance(value, bool):
        if op not in ("==", "!="):
            raise UsageError(f"--where {expr!r}: {name!r} is true/false; compare it with == or !=")
        x = col.astype("object").map(lambda v: str(v).lower() in ("true", "1", "yes") if pd.notna(v) else v)
        v = value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
    elif numeric:
        if isinstance(value, str):
            try:
                v = float(value)
            except ValueError:
                raise UsageError(f"--where {expr!r}: docvar {name!r} is numeric, {value!r} is not a number") from None
        else:
            v = float(value)
        x = col.astype("float64")
    elif isinstance(value, (int, float)):
        x = pd.to_numeric(col, errors="coerce")
        if op in ("==", "!="):  # a code column such as session read as text: compare as numbers where it parses
            both = x.notna()
            res = (x == value) if op == "==" else (x != value)
            return (res & both & ~pd.Series(missing, index=col.index)).to_numpy(dtype=bool)
        if x.notna().sum() < (~col.isna()).sum():
            bad = col[x.isna() & col.notna()].iloc[0]
            raise UsageError(f"--where {expr!r}: docvar {name!r} holds text (e.g. {bad!r}); compare it with a "
                             "quoted string")
        v = float(value)
    else:
        x, v = col.astype("object").map(lambda s: s if pd.isna(s) else str(s)), str(value)
    res = {"==": x == v, "!=": x != v, "<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v}[op] \
        if not x.isna().all() else pd.Series(False, index=col.index)
    return (res.fillna(False).to_numpy(dtype=bool)) & ~missing


def _evaluate(node, docvars: pd.DataFrame, expr: str) -> np.ndarray:
    if isinstance(node, ast.BoolOp):
        vals = [_evaluate(v, docvars, expr) for v in node.values]
        return np.logical_and.reduce(vals) if isinstance(node.op, ast.And) else np.logical_or.reduce(vals)
    if isinstance(node, ast.UnaryOp):
        return ~_evaluate(node.operand, docvars, expr)
    if isinstance(node, ast.Name):
        col = _column(node.id, docvars, expr)
        if not pd.api.types.is_bool_dtype(col):
            raise UsageError(f"--where {expr!r}: docvar {node.id!r} is not true/false; compare it, e.g. "
                             f"{node.id} == \"...\"")
        return col.fillna(False).to_numpy(dtype=bool)
    # a (possibly chained) comparison: a < b < c is a < b and b < c
    result = np.ones(len(docvars), dtype=bool)
    sides = [node.left, *node.comparators]
    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
    for left, op_node, right in zip(sides, node.ops, sides[1:]):
        op = _CMP[type(op_node)]
        if isinstance(left, ast.Name) and not isinstance(right, ast.Name):
            result &= _compare(_column(left.id, docvars, expr), op, _literal(right), left.id, expr)
        elif isinstance(right, ast.Name) and not isinstance(left, ast.Name) and op in flip:
            result &= _compare(_column(right.id, docvars, expr), flip[op], _literal(left), right.id, expr)
        else:
            raise UsageError(f"--where {expr!r}: {ast.unparse(left)} {op} {ast.unparse(right)} must compare one "
                             "docvar with a value (COLUMN OP VALUE; 'in' needs the column on the left)")
    return result


def _absent_values(tree: ast.Expression, docvars: pd.DataFrame) -> str:
    """'un_region has no value 'WEOG' (its values: ...)' for quoted values no document has."""
    notes = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        names = [n.id for n in sides if isinstance(n, ast.Name) and n.id in docvars.columns]
        for lit in (n for n in sides if not isinstance(n, ast.Name)):
            vals = _literal(lit)
            for v in vals if isinstance(vals, list) else [vals]:
                for name in names:
                    present = set(docvars[name].dropna().astype(str))
                    if isinstance(v, str) and v not in present:
                        shown = sorted(present)[:8]
                        notes.append(f"{name} has no value {v!r} (its values: {', '.join(map(repr, shown))}"
                                     f"{', ...' if len(present) > 8 else ''})")
    return "; ".join(dict.fromkeys(notes))


def corpus_subset(corpus: Corpus, expr_or_mask, *, keep_anchor: bool = False) -> Corpus:
    """The documents of ``corpus`` selected by an expression over its docvars, or by a boolean mask.

    Parameters
    ----------
    corpus : Corpus
    expr_or_mask : str or boolean array/Series
        An expression such as ``year>=2005``, ``source == "ungdc" and un_region == "African States"``,
        ``speaker_role == "Secretary-General"`` or ``country_code in ("FRA", "USA")``
        (grammar: :func:`parse_where`), or one boolean per docvars row.
        A document whose docvar is missing is never selected by a comparison on
        it (``COLUMN == None`` selects exactly those).
    keep_anchor : bool
        Keep the anchor document even when the expression leaves it out (so a
        subset of states can still be compared with the SG's 2017 text).

    Returns
    -------
    Corpus
        Its ``settings["where"]`` lists the expressions applied so far.

    Raises
    ------
    UsageError
        An expression outside the grammar, an unknown docvar (the message names
        it and lists the corpus's docvars), a type mismatch, a mask of the
        wrong length, or a selection of no document at all.
    """
    dv = corpus.docvars
    if isinstance(expr_or_mask, str):
        tree = parse_where(expr_or_mask)
        mask = _evaluate(tree.body, dv, expr_or_mask)
        label = expr_or_mask.strip()
    else:
        mask = np.asarray(expr_or_mask)
        if mask.dtype != bool or mask.shape != (len(dv),):
            raise UsageError(f"corpus_subset: a mask must be {len(dv)} booleans (one per docvars row), "
                             f"got dtype {mask.dtype} and shape {mask.shape}")
        label = f"<mask: {int(mask.sum())} of {len(dv)}>"
    if keep_anchor and corpus.anchor is not None:
        mask = mask | (dv["doc_id"] == corpus.anchor).to_numpy()
    if not mask.any():
        hint = _absent_values(tree, dv) if isinstance(expr_or_mask, str) else ""
        raise UsageError(f"--where {label!r} selects none of the {len(dv)} documents of {corpus.name!r}"
                         + (f"; {hint}" if hint else "; check the values with `r2p corpus info` or "
                            "tables/documents.csv"))
    out = corpus.subset(mask)
    out.settings = {**corpus.settings, "where": [*corpus.settings.get("where", []), label]}
    if corpus.anchor is not None and out.anchor is None:
        out.settings["anchor_dropped"] = corpus.anchor
    return out


# ----------------------------------------------------------------- passages
def passage_patterns(name_or_patterns: str | Sequence[str]) -> tuple[str, ...]:
    """Patterns from a profile name (``"r2p"``: the profile's ``passage_patterns``) or a list.

    A string that is not a profile name is a comma-separated list of patterns.
    """
    from analysis.profiles import PROFILES

    if isinstance(name_or_patterns, str):
        key = name_or_patterns.strip()
        if key in PROFILES:
            pats = tuple(PROFILES[key].passage_patterns)
            if not pats:
                raise UsageError(f"profile {key!r} declares no passage_patterns")
            return pats
        pats = tuple(p.strip() for p in key.split(",") if p.strip())
    else:
        pats = tuple(str(p).strip() for p in name_or_patterns if str(p).strip())
    if not pats:
        raise UsageError("passages need patterns: a profile name (r2p) or patterns such as "
                         "'genocide, responsib* to protect'")
    return pats


def match_patterns(text: str, patterns: Sequence[str], valuetype: str = "glob",
                   case_insensitive: bool = True) -> list[tuple[int, int, str, str]]:
    """Every match of the patterns in ``text``: ``(start, end, pattern, matched text)``, by position.

    Glob patterns of the project's one pattern language (:mod:`analysis.patterns`,
    as KWIC and dictionaries read them), case-insensitive, over the words of the
    text (:func:`analysis.patterns.pattern_tokens`, numbers included): ``*`` stands
    for any characters within a word, ``?`` for one, and the glob covers the whole
    word; a hyphenated word is one word (``prevent*`` matches "prevent-ing",
    ``responsib* to protect`` does not match "responsibility-to-protect": add
    ``responsib*-to-protect`` for it); the words of a phrase may be separated by
    spaces or line breaks, not by punctuation. ``valuetype`` and ``case_insensitive``
    as in :func:`analysis.patterns.compile_patterns` (``--passages`` uses the defaults).
    """
    ps = compile_patterns(tuple(patterns), valuetype, case_insensitive)
    if not ps.may_match(text):  # a cheap test first: most paragraphs match nothing
        return []
    return find_in_text(text, ps)


def _summary(hits, patterns) -> tuple[str, str, int]:
    found = {h[2] for h in hits}
    matched = "; ".join(p for p in patterns if p in found)
    terms = "; ".join(dict.fromkeys(" ".join(h[3].lower().split()) for h in hits))
    return matched, terms, len(hits)


def _windows(text: str, hits, window: int) -> list[tuple[str, list]]:
    """Windows of ``window`` words either side of each match; overlapping windows merge."""
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    starts = np.array([s for s, _ in spans])
    ends = np.array([e for _, e in spans])
    ranges = []
    for a, b, pat, term in hits:
        first = int(np.searchsorted(ends, a, side="right"))       # the word holding char a
        last = int(np.searchsorted(starts, b, side="left")) - 1    # the word holding char b-1
        ranges.append([max(first - window, 0), min(last + window, len(spans) - 1), [(a, b, pat, term)]])
    merged: list[list] = []
    for r in ranges:
        if merged and r[0] <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], r[1])
            merged[-1][2].extend(r[2])
        else:
            merged.append(r)
    return [(text[spans[lo][0]:spans[hi][1]], h) for lo, hi, h in merged]


def corpus_passages(corpus: Corpus, patterns: str | Sequence[str] = "r2p", unit: str = "paragraph",
                    window: int = 30, keep_anchor: bool = True) -> Corpus:
    """Reshape a corpus into the passages that match a pattern set.

    Parameters
    ----------
    corpus : Corpus
    patterns : str or sequence of str
        A profile name (``"r2p"``: ``responsib* to protect``, ``R2P``, ``RtoP``,
        ``genocid*``, ``war crime*``, ``ethnic cleansing``, ``crime* against
        humanity``) or glob patterns (:func:`match_patterns`; the rules of
        :mod:`analysis.patterns`).
    unit : {"paragraph", "window"}
        ``paragraph``: every paragraph (:func:`analysis.text.paragraphs`) with a
        match, ``doc_id`` ``{doc_id}#p{n}`` with n the paragraph's number (as
        the run's units count them). ``window``: ``window`` words either side
        of each match, overlapping windows merged, ``{doc_id}#w{n}`` with n
        counting the document's windows.
    window : int
        Words either side of a match (``unit="window"``).
    keep_anchor : bool
        Keep the anchor document whole (``passage_n`` 0) and as the anchor, so
        similarity to the anchor compares each passage with the whole text;
        with False the anchor is cut like the others and the result has none.

    Returns
    -------
    Corpus
        One document per passage with its parent's docvars plus
        ``parent_doc_id``, ``passage_n``, ``matched`` (the patterns found,
        ``"; "``-joined in pattern order), ``terms`` (the distinct matched words,
        lower case) and ``n_matches``. Documents without a match (or without
        text) contribute nothing; ``settings["passages"]`` records the patterns,
        unit, window and counts.

    Raises
    ------
    UsageError
        An unknown unit, a negative window, no patterns, or no passage at all.

    References
    ----------
    Benoit, K. et al. (2018). quanteda. *Journal of Open Source Software*, 3(30), 774
    (``corpus_reshape`` to paragraphs; ``kwic`` windows).
    """
    if unit not in ("paragraph", "window"):
        raise UsageError(f"passage unit must be 'paragraph' or 'window', not {unit!r}")
    if int(window) < 0:
        raise UsageError(f"passage window must be >= 0 words, not {window}")
    window = int(window)
    pats = passage_patterns(patterns)
    compile_patterns(pats)   # a malformed pattern is a usage error before any work
    dv = corpus.docvars.drop(columns=["available"]).set_index("doc_id", drop=False)
    rows, texts, n_parents = [], {}, 0
    anchor = corpus.anchor if keep_anchor else None
    for doc_id in corpus.doc_ids:
        text = corpus.texts.get(doc_id)
        if not text:
            continue
        parent = dv.loc[doc_id].to_dict()
        if doc_id == anchor:
            m, t, n = _summary(match_patterns(" ".join(paragraphs(text)), pats), pats)
            rows.append({**parent, "parent_doc_id": doc_id, "passage_n": 0, "matched": m, "terms": t,
                         "n_matches": n})
            texts[doc_id] = text
            continue
        if unit == "paragraph":
            pieces = []
            for i, para in enumerate(paragraphs(text), start=1):
                hits = match_patterns(para, pats)
                if hits:
                    pieces.append((f"p{i}", i, para, hits))
        else:
            joined = " ".join(paragraphs(text))
            hits = match_patterns(joined, pats)
            pieces = [(f"w{i}", i, t, h) for i, (t, h) in enumerate(_windows(joined, hits, window), start=1)] \
                if hits else []
        n_parents += bool(pieces)
        for suffix, n, ptext, hits in pieces:
            pid = f"{doc_id}#{suffix}"
            m, t, k = _summary(hits, pats)
            rows.append({**parent, "doc_id": pid, "parent_doc_id": doc_id, "passage_n": n, "matched": m,
                         "terms": t, "n_matches": k})
            texts[pid] = ptext
    if len(rows) == (anchor is not None and anchor in texts):
        aside = ", the anchor aside," if anchor is not None and anchor in texts else ""
        raise UsageError(f"passages: no paragraph of the {len(corpus.texts)} documents with text of {corpus.name!r}"
                         f"{aside} matches {', '.join(pats)}")
    columns = [c for c in dv.columns] + [c for c in PASSAGE_COLUMNS if c not in dv.columns]
    out_dv = pd.DataFrame(rows, columns=columns)
    out_dv["passage_n"] = out_dv["passage_n"].astype("int64")
    out_dv["n_matches"] = out_dv["n_matches"].astype("int64")
    settings = {**corpus.settings, "passages": {
        "patterns": list(pats), "unit": unit, "window": window if unit == "window" else None,
        "keep_anchor": bool(keep_anchor), "documents": int(len(corpus.texts)),
        "documents_with_passages": int(n_parents),
        "passages": int(len(out_dv) - (anchor is not None and anchor in texts))}}
    return Corpus(corpus.name, out_dv, texts, anchor if anchor in texts else None, settings)


# ------------------------------------------------------------------- chain
def load_reshaped(spec: str, loader: Callable[[str], Corpus], where: str | None = None,
                  passages: str | Sequence[str] | None = None, passage_unit: str = "paragraph",
                  passage_window: int = 30) -> Corpus:
    """``--corpus SPEC [--where EXPR] [--passages SET]``: combine, then subset, then cut into passages.

    ``settings["reshape"]`` records the spec, the expression and the passage
    options (``run.json`` shows it under ``corpus.loader`` and ``facts.corpus``).
    """
    corpus = load_corpora(spec, loader)
    if where:
        corpus = corpus_subset(corpus, where)
    if passages:
        corpus = corpus_passages(corpus, passages, unit=passage_unit, window=passage_window)
    if "+" in str(spec) or where or passages:
        corpus.settings = {**corpus.settings, "reshape": {
            "corpus": str(spec), "where": where or None,
            "passages": None if not passages else {
                "set": passages if isinstance(passages, str) else list(passages), "unit": passage_unit,
                "window": passage_window if passage_unit == "window" else None}}}
    return corpus


def plain_strings(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its categorical columns as columns of their categories' dtype (strings).

    A copy only when there are any. The frames tables' labels are categoricals
    (:func:`analysis.framing.stat_frames`); written tables hold the strings (``write_parquet``).
    """
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    if not cats:
        return df
    return df.assign(**{c: _category_values(df[c]) for c in cats})


def _category_values(s: pd.Series) -> pd.Series:
    """``s.astype(s.cat.categories.dtype)``; for string categories, by taking them at the codes.

    The take is pyarrow's, so a column of 10^6 labels needs no Python string per row (the
    ``astype`` goes through a NumPy array of objects); the result is the same Series.
    """
    categories = s.cat.categories
    if not isinstance(categories.dtype, pd.StringDtype):
        return s.astype(categories.dtype)
    values = categories.array.take(s.cat.codes.to_numpy(), allow_fill=True)  # code -1: missing
    return pd.Series(values, index=s.index, name=s.name)
