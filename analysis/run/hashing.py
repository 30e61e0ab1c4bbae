"""Content fingerprints of the arguments of a cached call: the cache keys are derived, never typed.

:func:`fingerprint` renders any argument a stage passes to a method (numbers,
strings, settings dataclasses, NumPy arrays, SciPy sparse matrices, pandas
objects, corpora, document-term matrices, fitted estimators) into a SHA-256
digest of its *content*. Two arguments with the same content give the same
digest whatever their identity, and any change in content changes it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import weakref
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["fingerprint", "Fingerprinter"]


class Fingerprinter:
    """Feeds values into one SHA-256; ``memo`` maps ``id(obj)`` to ``(obj or weakref to obj, digest)``.

    An entry is used only while it still refers to that very object (``id`` values
    are reused once an object is gone).
    """

    def __init__(self, memo: dict[int, tuple[Any, str]] | None = None):
        self.memo = memo if memo is not None else {}

    def digest(self, obj: Any) -> str:
        h = hashlib.sha256()
        self._feed(h, obj)
        return h.hexdigest()

    def _tag(self, h, tag: str) -> None:
        h.update(b"\x00" + tag.encode() + b"\x01")

    def _feed(self, h, obj: Any) -> None:  # noqa: C901 - one branch per kind of value
        known = self.memo.get(id(obj))
        if known is not None and (known[0] is obj or (isinstance(known[0], weakref.ref) and known[0]() is obj)):
            self._tag(h, "memo")
            h.update(known[1].encode())
            return
        if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
            self._tag(h, type(obj).__name__)
            h.update(repr(obj).encode() if not isinstance(obj, bytes) else obj)
        elif isinstance(obj, (np.integer, np.floating, np.bool_)):
            self._feed(h, obj.item())
        elif isinstance(obj, Path):
            self._tag(h, "path")
            h.update(str(obj).encode())
            if obj.is_file():
                h.update(hashlib.sha256(obj.read_bytes()).digest())
        elif isinstance(obj, (list, tuple)):
            self._tag(h, f"{type(obj).__name__}[{len(obj)}]")
            for x in obj:
                self._feed(h, x)
        elif isinstance(obj, (set, frozenset)):
            self._tag(h, f"set[{len(obj)}]")
            for d in sorted(self.digest(x) for x in obj):
                h.update(d.encode())
        elif isinstance(obj, dict):
            self._tag(h, f"dict[{len(obj)}]")
            for k in sorted(obj, key=repr):
                self._feed(h, k)
                self._feed(h, obj[k])
        elif isinstance(obj, np.ndarray):
            self._tag(h, f"ndarray{obj.dtype.str}{obj.shape}")
            if obj.dtype == object:
                self._feed(h, obj.tolist())
            else:
                h.update(np.ascontiguousarray(obj).tobytes())
        elif sp.issparse(obj):
            m = obj.tocsr()
            if not m.has_sorted_indices:
                m = m.sorted_indices()
            self._tag(h, f"csr{m.dtype.str}{m.shape}")
            for a in (m.data, m.indices, m.indptr):
                h.update(np.ascontiguousarray(a).tobytes())
        elif isinstance(obj, pd.DataFrame):
            self._tag(h, f"frame{obj.shape}")
            self._feed(h, [str(c) for c in obj.columns])
            self._feed(h, [str(t) for t in obj.dtypes])
            self._feed_index(h, obj.index)
            for j in range(obj.shape[1]):
                self._feed_values(h, obj.iloc[:, j].array)
        elif isinstance(obj, pd.Series):
            self._tag(h, f"series{obj.shape}{obj.dtype}")
            self._feed(h, str(obj.name))
            self._feed_index(h, obj.index)
            self._feed_values(h, obj.array)
        elif isinstance(obj, pd.Index):
            self._feed_index(h, obj)
        elif hasattr(obj, "fingerprint") and callable(obj.fingerprint):  # Corpus
            self._tag(h, type(obj).__qualname__)
            h.update(str(obj.fingerprint()).encode())
            for attr in ("name", "anchor"):
                if hasattr(obj, attr):
                    self._feed(h, getattr(obj, attr))
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            self._tag(h, f"dc:{type(obj).__module__}.{type(obj).__qualname__}")
            for f in dataclasses.fields(obj):
                self._feed(h, f.name)
                self._feed(h, getattr(obj, f.name))
        elif hasattr(obj, "get_params") and hasattr(obj, "fit"):  # scikit-learn style estimator
            self._tag(h, f"est:{type(obj).__module__}.{type(obj).__qualname__}")
            self._feed(h, obj.get_params(deep=False))
            learned = {k: v for k, v in vars(obj).items() if k.endswith("_") and not k.startswith("_")}
            self._feed(h, learned)
        elif callable(obj) and hasattr(obj, "__qualname__"):
            self._tag(h, f"fn:{getattr(obj, '__module__', '')}.{obj.__qualname__}")
        else:
            self._tag(h, f"pickle:{type(obj).__module__}.{type(obj).__qualname__}")
            h.update(pickle.dumps(obj, protocol=4))

    def _feed_index(self, h, index: pd.Index) -> None:
        if isinstance(index, pd.RangeIndex):
            self._tag(h, f"range({index.start},{index.stop},{index.step})")
        elif isinstance(index, pd.MultiIndex):
            self._tag(h, f"multiindex[{index.nlevels}]{len(index)}")
            for i in range(index.nlevels):
                self._feed_index(h, index.get_level_values(i))
        else:
            self._tag(h, f"index{index.dtype}{len(index)}")
            self._feed(h, str(index.name))
            self._feed_values(h, index.array)

    def _feed_values(self, h, values) -> None:
        """The content of one column (a pandas array), by kind.

        - string (pyarrow) columns: the missing positions, the offsets from the first and
          the UTF-8 bytes between them, so slices and chunkings of equal strings agree and
          no Python string is made per row;
        - categoricals: their codes and their categories;
        - NumPy columns of numbers, booleans or dates: their bytes;
        - anything else (objects, masked integers): ``pandas.util.hash_pandas_object``, and for
          objects the type of each value too (that hash renders objects as strings).
        """
        dtype = values.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            self._tag(h, f"categorical{dtype.ordered}")
            codes = np.asarray(values.codes)
            h.update(codes.astype(np.int64, copy=False).tobytes())
            self._feed_index(h, dtype.categories)
        elif hasattr(values, "__arrow_array__") and isinstance(dtype, pd.StringDtype):
            import pyarrow as pa

            arr = pa.chunked_array(values.__arrow_array__()).cast(pa.large_string()).combine_chunks()
            self._tag(h, f"arrow-strings{len(arr)}")
            if len(arr) == 0:
                return
            h.update(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False)).astype(np.int64).tobytes())
            offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
            h.update((offsets - offsets[0]).tobytes())
            data = arr.buffers()[2]
            if data is not None and offsets[-1] > offsets[0]:
                h.update(memoryview(data)[int(offsets[0]):int(offsets[-1])])
        else:
            a = values.to_numpy() if not isinstance(values, np.ndarray) else values
            if isinstance(a, np.ndarray) and a.dtype.kind in "biufcmM?" and type(values).__name__ in (
                    "NumpyExtensionArray", "DatetimeArray", "TimedeltaArray", "ndarray"):
                self._tag(h, f"ndarray{a.dtype.str}{a.shape}")
                h.update(np.ascontiguousarray(a).tobytes())
            else:
                self._tag(h, f"pandas-hash{dtype}")
                column = pd.Series(values)
                h.update(pd.util.hash_pandas_object(column, index=False, categorize=False).to_numpy().tobytes())
                if column.dtype == object:  # that hash renders objects as str: 1 and "1" would agree
                    kinds = column.map(lambda x: type(x).__qualname__).astype(object)
                    h.update(pd.util.hash_pandas_object(kinds, index=False, categorize=False).to_numpy().tobytes())


def fingerprint(*parts: Any) -> str:
    """SHA-256 of the content of ``parts`` (see :class:`Fingerprinter`)."""
    return Fingerprinter().digest(list(parts))
