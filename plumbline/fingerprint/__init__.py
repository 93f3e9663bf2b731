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
                               lossless scalars -> ``pandas.util.hash_array``; anything
                               else is pickled (``"full (object columns pickled: N)"``).
                               Floats: every NaN counts as the canonical NaN (NaN payloads
                               and signs are ignored); -0.0 and 0.0 differ (exact bits).
                               Above ``full_limit_bytes`` (``memory_usage(deep=False)``):
                               ``"sampled: 65536 of N rows in 64 evenly spaced blocks"``
                               (first and last rows always included), the same per-column
                               hashing over the sampled rows + shape/columns/dtypes
numpy ndarray                  ``"full"``: xxh3_128 of the bytes in C order (copied only
                               when not C-contiguous; NaNs canonical as above) + dtype +
                               shape; object arrays: pickle of the elements. Above the
                               limit: sampled along the first axis, the same way as frames
scikit-learn estimators        ``"estimator"``: class + ``get_params(deep=False)`` + every
(anything with get_params and  instance attribute (the fitted ones, ``coef_``…, included;
fit)                           arrays hashed as arrays), so a refit on other data changes
                               it; on failure falls back to pickle
list, tuple, dict, set,        ``"structural"`` when the container holds at most
frozenset                      ``CONTAINER_NODES`` elements in all: each element is
                               fingerprinted on its own (so a dict of DataFrames gets the
                               frame strategies, and sets are order-independent);
                               containers of builtin scalars only (up to ``FLAT_LIMIT``):
                               one memo-less pickle, sets sorted;
                               bigger, deeper than ``CONTAINER_DEPTH`` or
                               self-referencing containers: ``"pickle"``
functions                      ``"code"``: module, qualified name and bytecode/constants
classes, modules               ``"reference"``: the qualified name only
anything else                  ``"pickle"``: standard pickle, protocol 5, streamed into the
                               hash (numpy buffers hashed out-of-band, not copied), at most
                               ``PICKLE_LIMIT_BYTES`` (64 MiB);
                               bigger: ``"unhashable: too large: ..."``
=============================  =========================================================

A strategy can carry details after its keyword, e.g. ``"full (object columns
pickled: 1)"`` or ``"structural (sampled parts)"``; compare ``strategy.split()[0]``
or use :meth:`Fingerprint.kind` for the keyword alone. Two fingerprints identify
the same content only when both ``type`` and ``content_hash`` are equal; a
``"sampled"`` hash identifies a sample, and a change outside it goes unseen.

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
    SAMPLE_BLOCK_ROWS,
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
    "SAMPLE_BLOCK_ROWS",
    "SAMPLE_ROWS",
    "Fingerprint",
    "fingerprint",
]
