"""Content fingerprints of pandas arguments (the cache keys of every cached call).

The reference is pandas' own notion of equal content: ``DataFrame.equals`` plus equal
column names, dtypes and index. Two frames must get the same digest exactly when that
reference says they are equal, whatever their identity, slicing or chunking.
"""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis.run.hashing import fingerprint


def _frame(n=50, seed=0):
    rng = np.random.default_rng(seed)
    words = np.array(["sovereignty", "protect", "", "R2P", "prévention", "atrocity crimes"], dtype=object)
    text = words[rng.integers(0, len(words), n)].astype(object)
    text[rng.random(n) < 0.1] = None
    return pd.DataFrame({
        "doc_id": pd.array([f"d{i}" for i in range(n)], dtype="str"),
        "text": pd.array(text, dtype="str"),
        "year": rng.integers(2005, 2025, n),
        "share": rng.random(n),
        "frame": pd.Categorical(rng.choice(["security", "humanitarian", "sovereignty"], n)),
        "date": pd.to_datetime("2017-09-06") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
        "mixed": pd.Series([1, "a", None, 2.5] * (n // 4) + [None] * (n % 4), dtype=object),
    })


def _same_content(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return (list(a.columns) == list(b.columns) and list(map(str, a.dtypes)) == list(map(str, b.dtypes))
            and a.index.equals(b.index) and a.equals(b))


def test_equal_content_gives_one_digest_whatever_the_identity_slicing_or_chunking():
    a = _frame()
    assert fingerprint(a) == fingerprint(a.copy(deep=True))
    part = a.iloc[7:31]  # arrow arrays sliced at an offset
    assert fingerprint(part) == fingerprint(part.copy(deep=True))
    rebuilt = part.copy()
    for c in ("doc_id", "text"):  # the same strings in several chunks, as string and large_string
        head, tail = part[c].iloc[:5].astype(object), part[c].iloc[5:].astype(object)
        chunks = pa.chunked_array([pa.array(head, pa.string(), from_pandas=True),
                                   pa.array(tail, pa.large_string(), from_pandas=True).cast(pa.string())])
        rebuilt[c] = pd.Series(pd.arrays.ArrowStringArray(chunks), index=part.index).astype("str")
    assert _same_content(part, rebuilt)
    assert fingerprint(part) == fingerprint(rebuilt)
    s = a["text"]
    assert fingerprint(s) == fingerprint(s.copy()) and fingerprint(s.index) == fingerprint(s.index.copy())


@pytest.mark.parametrize("change", [
    "string", "boundary", "missing", "empty_vs_missing", "number", "float", "category", "category_order",
    "date", "object", "object_type", "index", "column_name", "dtype", "column_order", "row_order"])
def test_every_change_of_content_changes_the_digest(change):
    a = _frame()
    b = a.copy(deep=True)
    if change == "string":
        b.loc[3, "text"] = "sovereignty "
    elif change == "boundary":  # the same bytes, split at another place
        a = pd.DataFrame({"t": pd.array(["ab", "c"], dtype="str")})
        b = pd.DataFrame({"t": pd.array(["a", "bc"], dtype="str")})
    elif change == "missing":
        i = int(np.flatnonzero(b["text"].notna())[0])
        b.loc[i, "text"] = None
    elif change == "empty_vs_missing":
        a = pd.DataFrame({"t": pd.array(["", None], dtype="str")})
        b = pd.DataFrame({"t": pd.array([None, ""], dtype="str")})
    elif change == "number":
        b.loc[0, "year"] += 1
    elif change == "float":
        b.loc[0, "share"] = np.nextafter(b.loc[0, "share"], 2.0)
    elif change == "category":
        b.loc[0, "frame"] = "security" if b.loc[0, "frame"] != "security" else "humanitarian"
    elif change == "category_order":
        b["frame"] = b["frame"].cat.reorder_categories(list(b["frame"].cat.categories[::-1]))
    elif change == "date":
        b.loc[0, "date"] += pd.Timedelta(days=1)
    elif change == "object":
        b.loc[1, "mixed"] = "b"
    elif change == "object_type":  # pandas' own row hash renders objects as str: 1 and "1" agree
        a = pd.DataFrame({"m": pd.Series([1, "x"], dtype=object)})
        b = pd.DataFrame({"m": pd.Series(["1", "x"], dtype=object)})
    elif change == "index":
        b.index = b.index + 1
    elif change == "column_name":
        b = b.rename(columns={"share": "weight"})
    elif change == "dtype":
        b["year"] = b["year"].astype("int32")
    elif change == "column_order":
        b = b[list(b.columns[::-1])]
    elif change == "row_order":
        b = b.iloc[::-1].reset_index(drop=True)
    assert fingerprint(a) != fingerprint(b)
    if change == "category_order":  # the only change the reference counts as equal content
        assert a.equals(b)
    else:
        assert not _same_content(a, b)


def test_digest_agrees_with_pandas_equality_on_random_edits():
    """Random single edits of random frames: digests equal exactly when the frames are equal."""
    rng = np.random.default_rng(7)
    for trial in range(60):
        a = _frame(n=int(rng.integers(1, 40)), seed=trial)
        b = a.copy(deep=True)
        col = a.columns[int(rng.integers(0, a.shape[1]))]
        i = int(rng.integers(0, len(a)))
        if rng.random() < 0.3:
            pass  # no edit, or an edit to the same value below
        elif col in ("doc_id", "text"):
            b.loc[i, col] = rng.choice(["sovereignty", "R2P", "", None], 1)[0]
        elif col == "frame":
            b.loc[i, col] = rng.choice(list(a["frame"].cat.categories))
        elif col == "date":
            b.loc[i, col] = a.loc[i, col] + pd.Timedelta(days=int(rng.integers(0, 2)))
        elif col == "mixed":
            b.loc[i, col] = [1, "a", 2.5][int(rng.integers(0, 3))]
        else:
            b.loc[i, col] = a.loc[i, col] + (1 if col == "year" else float(rng.integers(0, 2)))
        assert (fingerprint(a) == fingerprint(b)) == _same_content(a, b), (trial, col, i)


def test_empty_and_range_indexed_objects():
    empty = pd.DataFrame({"t": pd.array([], dtype="str"), "n": np.array([], dtype=np.int64)})
    assert fingerprint(empty) == fingerprint(empty.copy())
    assert fingerprint(empty) != fingerprint(empty.iloc[:, :1])
    assert fingerprint(pd.Series([1, 2])) != fingerprint(pd.Series([1, 2], index=[0, 2]))
    assert fingerprint(pd.Series([1, 2])) == fingerprint(pd.Series([1, 2], index=pd.RangeIndex(2)))
    multi = pd.Series([1.0, 2.0], index=pd.MultiIndex.from_tuples([("a", 2017), ("b", 2018)]))
    other = pd.Series([1.0, 2.0], index=pd.MultiIndex.from_tuples([("a", 2017), ("b", 2019)]))
    assert fingerprint(multi) == fingerprint(multi.copy()) and fingerprint(multi) != fingerprint(other)
