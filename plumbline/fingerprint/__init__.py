"""Value fingerprints: what a cell read and wrote, identified by content, not ``repr``.

    >>> from plumbline.fingerprint import fingerprint
    >>> fp = fingerprint(df)
    >>> fp.content_hash, fp.strategy
    ('5f0c…', 'full')

The lineage recorder calls :func:`fingerprint` on every value a cell reads and
writes, so it must be cheap, bounded and must never fail the user's cell: it
never raises (an error becomes ``strategy="unhashable: <Type>: <message>"`` with
``content_hash=None``).

How each kind of value is hashed (BLAKE2b, 16-byte digests, 32 hex chars; the
qualified type name is always part of the digest, so ``1``, ``1.0``, ``"1"`` and
``True`` differ; bulk data, i.e. array bytes and frame columns, goes first through
xxh3_128 (``xxhash``, ~10 GB/s, GIL released), whose 16-byte digests BLAKE2b takes in):

=============================  =========================================================
value                          strategy
=============================  =========================================================
int, float, bool, str, bytes,  ``"scalar"``: type + exact value (``repr``; ints as bytes,
None, complex, Decimal,        str/bytes hashed directly, whatever their length)
datetime/date/time/timedelta,
numpy scalars
pandas DataFrame / Series /    ``"full"``: the shape, the column names and dtypes, the index
Index                          type, names and dtypes, then one xxh3_128 digest per column
                               and one for the index, each over the column's buffers, fed
                               without copies where they are contiguous: numbers, bools,
                               datetime64/timedelta64/period (int64), categoricals (codes +
                               categories), nullable arrays (data + mask, data under the
                               mask zeroed), Arrow strings/binaries (end offsets made
                               global, the data bytes between first and last offset, null
                               positions: slicing, chunking and copies leave no trace),
                               Arrow fixed-width types (values, nulls zeroed + null
                               positions). RangeIndex: start/stop/step only; MultiIndex:
                               each level's values. Object columns: all ``str`` -> Arrow
                               strings (+ the type of each null: None/NaN/NA differ); other
                               lossless scalars -> ``pandas.util.hash_array``; a known
                               library's objects -> safe pickle (``"full (object columns
                               pickled: N)"``); other objects by identity (see below).
                               Floats: every NaN counts as the canonical NaN (NaN payloads
                               and signs are ignored); -0.0 and 0.0 differ (exact bits).
                               Above ``full_limit_bytes`` (``memory_usage(deep=False)``):
                               ``"sampled: 65536 of N rows in 64 evenly spaced blocks"``
                               (first and last rows always included), the same per-column
                               hashing over the sampled rows + shape/columns/dtypes
numpy ndarray                  ``"full"``: xxh3_128 of the bytes in C order (copied only
                               when not C-contiguous; NaNs canonical as above) + dtype +
                               shape; object arrays: a safe pickle of the elements (below).
                               Above the limit: sampled along the first axis, the same way as
                               frames; an array with too few rows for that (a 2 GiB
                               memory-mapped matrix) by ``SAMPLE_ELEMENTS`` elements in 64
                               evenly spaced blocks in C order: at most 4 MiB are read
scikit-learn estimators        ``"estimator"``: class + every instance attribute (parameters
(anything with get_params and  and the fitted ``coef_``…; arrays hashed as arrays, nested
fit)                           estimators as estimators, a library's C objects such as a fitted
                               tree by their safe pickle), so a refit on other data changes it
list, tuple, dict, set,        ``"structural"`` when the container holds at most
frozenset                      ``CONTAINER_NODES`` elements in all: each element is
                               fingerprinted on its own (so a dict of DataFrames gets the
                               frame strategies, and sets are order-independent);
                               containers of builtin scalars only (up to ``FLAT_LIMIT``):
                               one memo-less pickle, sets sorted;
                               bigger, deeper than ``CONTAINER_DEPTH`` or
                               self-referencing containers: one safe pickle, else identity
functions                      ``"code"``: module, qualified name and bytecode/constants
classes, modules               ``"reference"``: the qualified name only
instances of the user's        ``"attributes"``: class + the instance ``__dict__``, each value
classes                        by content in turn (read through the type's own descriptor:
                               no method, property or ``__getattr__`` of theirs runs)
a known library's objects      ``"pickle"``: the *safe* pickle, protocol 5, streamed into the
(numpy, pandas, pyarrow,       hash (numpy buffers out-of-band, not copied), at most
scipy, scikit-learn, stdlib    ``PICKLE_LIMIT_BYTES`` (64 MiB; bigger: ``"unhashable: too
values such as Decimal)        large: ..."``). The pickler refuses any object that is not of a
                               known library (``reducer_override``), because pickling calls
                               ``__reduce_ex__``/``__getstate__``: user code, which may print
                               into the cell's output or change the object
anything else (state held in   ``"identity: content not read ..."``: type + identity, salted
C: files, sockets, locks,      per process; equal only to itself in this kernel. Object
generators; user objects in    columns and arrays of such objects: ``"full (object columns by
huge graphs)                   identity: N)"``, each element by identity
=============================  =========================================================

A strategy can carry details after its keyword, e.g. ``"full (object columns
pickled: 1)"`` or ``"structural (sampled parts)"``; compare ``strategy.split()[0]``
or use :meth:`Fingerprint.kind` for the keyword alone. Two fingerprints identify
the same content only when both ``type`` and ``content_hash`` are equal; a
``"sampled"`` hash identifies a sample, and a change outside it goes unseen; an
identity hash identifies an object, not its content (``Fingerprint.exact`` is
False for both). Fingerprinting runs none of the value's own code.

pandas and numpy are never imported here: an object of theirs cannot exist unless
its library is already in ``sys.modules``, so fingerprinting an ``int`` costs no
import (xxhash and pyarrow are imported on the first array or frame).

``FINGERPRINT_VERSION`` is part of every digest: version 2 (xxh3_128 columns) gives
other hashes than version 1 (``pandas.util.hash_pandas_object``) for every value.
"""

from __future__ import annotations

from .core import (
    CONTAINER_DEPTH,
    CONTAINER_NODES,
    FINGERPRINT_VERSION,
    FLAT_LIMIT,
    PICKLE_LIMIT_BYTES,
    SAMPLE_BLOCK_ELEMENTS,
    SAMPLE_BLOCK_ROWS,
    SAMPLE_ELEMENTS,
    SAMPLE_ROWS,
    Fingerprint,
    fingerprint,
)

__all__ = [
    "CONTAINER_DEPTH",
    "CONTAINER_NODES",
    "FINGERPRINT_VERSION",
    "FLAT_LIMIT",
    "PICKLE_LIMIT_BYTES",
    "SAMPLE_BLOCK_ELEMENTS",
    "SAMPLE_BLOCK_ROWS",
    "SAMPLE_ELEMENTS",
    "SAMPLE_ROWS",
    "Fingerprint",
    "fingerprint",
]
