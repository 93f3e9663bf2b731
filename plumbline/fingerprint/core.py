"""Implementation of :func:`plumbline.fingerprint.fingerprint` (see the package docstring)."""

from __future__ import annotations

import datetime as _dt
import decimal
import fractions
import hashlib
import os
import pickle
import struct
import sys
import types
from dataclasses import dataclass
from typing import Any, Optional

#: Bumped whenever a digest of the same value would change; part of every digest and of to_json().
FINGERPRINT_VERSION = 2
#: Default size above which frames and arrays are sampled (pandas memory_usage(deep=False), ndarray.nbytes).
DEFAULT_FULL_LIMIT_BYTES = 256 * 2**20
#: Rows hashed by the sampled strategy, in SAMPLE_ROWS // SAMPLE_BLOCK_ROWS evenly spaced blocks.
SAMPLE_ROWS = 65_536
SAMPLE_BLOCK_ROWS = 1_024
#: Elements hashed from an array above the limit that has too few rows to sample by rows.
SAMPLE_ELEMENTS = 524_288
SAMPLE_BLOCK_ELEMENTS = 8_192
#: Elements (in all, nested ones included) walked one by one in containers and estimators; beyond: pickle.
CONTAINER_NODES = 10_000
#: Containers of builtin scalars (lists, tuples, dicts of them, nested; sets of sortable scalars) with up
#: to this many elements in all are hashed as one memo-less pickle (sets sorted) instead of element by
#: element: same guarantees, ~20x faster.
FLAT_LIMIT = 1_000_000
#: Nesting depth walked in containers; deeper (or self-referencing): pickle, which handles cycles.
CONTAINER_DEPTH = 50
#: Largest pickle (stream + out-of-band buffers) hashed. Beyond: unhashable. (Not tied to full_limit_bytes,
#: which bounds frames and arrays: their small metadata is pickled too.)
PICKLE_LIMIT_BYTES = 64 * 2**20

_PREFIX = b"plumbline-fp/%d\0" % FINGERPRINT_VERSION
_MAX_MESSAGE = 200

# object-dtype columns whose elements pandas hashes losslessly (it falls back to str() per element);
# anything else (lists, arrays, dicts, mixed str/int ...) is pickled instead, since str() truncates.
_SAFE_INFERRED = frozenset({
    "string", "bytes", "empty", "integer", "floating", "mixed-integer-float", "boolean", "decimal",
    "complex", "datetime", "datetime64", "date", "timedelta", "timedelta64", "time", "period",
})


def _hasher():
    return hashlib.blake2b(digest_size=16)


@dataclass(frozen=True)
class Fingerprint:
    """What a value was, by content. Equal ``type`` and ``content_hash``: the same content."""

    type: str  # qualified type name, e.g. "pandas.core.frame.DataFrame" ("int" for builtins)
    content_hash: Optional[str]  # 32 hex chars (BLAKE2b-128); None when unhashable
    strategy: str  # "full", "sampled: ...", "scalar", "structural", "estimator", "pickle", "code",
    #                "reference", "unhashable: <reason>"
    shape: Optional[tuple[int, ...]] = None
    columns: Optional[tuple[tuple[str, str], ...]] = None  # (name, dtype) for frames
    size_bytes: Optional[int] = None

    def kind(self) -> str:
        """The strategy's keyword alone: "full", "sampled", "unhashable", ..."""
        return self.strategy.split(":", 1)[0].split(" ", 1)[0]

    @property
    def exact(self) -> bool:
        """Whether equal hashes prove equal content: not for a sample, nor for parts hashed by identity
        (an object mutated in place keeps its identity)."""
        return self.content_hash is not None and "sampled" not in self.strategy and "identity" not in self.strategy

    def to_json(self) -> dict:
        return {
            "type": self.type,
            "content_hash": self.content_hash,
            "strategy": self.strategy,
            "shape": None if self.shape is None else list(self.shape),
            "columns": None if self.columns is None else [list(c) for c in self.columns],
            "size_bytes": self.size_bytes,
            "version": FINGERPRINT_VERSION,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Fingerprint":
        shape = data.get("shape")
        columns = data.get("columns")
        return cls(
            type=data["type"],
            content_hash=data.get("content_hash"),
            strategy=data["strategy"],
            shape=None if shape is None else tuple(int(s) for s in shape),
            columns=None if columns is None else tuple((str(n), str(d)) for n, d in columns),
            size_bytes=data.get("size_bytes"),
        )


class _Unhashable(Exception):
    """A reason to record as "unhashable: <reason>"."""


class _TooManyNodes(Exception):
    pass


class _Ctx:
    __slots__ = ("limit", "pickle_limit", "nodes_left", "depth", "sampled", "identities")

    def __init__(self, full_limit_bytes: int):
        self.limit = int(full_limit_bytes)
        self.pickle_limit = PICKLE_LIMIT_BYTES
        self.nodes_left = CONTAINER_NODES
        self.depth = 0
        self.sampled = False  # some nested part was sampled
        self.identities = False  # some nested part was hashed by identity


def fingerprint(value: Any, *, full_limit_bytes: int = DEFAULT_FULL_LIMIT_BYTES) -> Fingerprint:
    """Fingerprint ``value`` by content. Never raises (``Exception``s become "unhashable: ...")."""
    tname = "?"
    try:
        tname = _type_name(type(value))
        try:
            return _fingerprint(value, tname, _Ctx(full_limit_bytes))
        except _TooManyNodes:
            # A container (or object) too big to walk element by element: one pickle, C speed,
            # if every object in it is one whose pickling runs no user code; else its identity.
            try:
                return _pickled(value, tname, _Ctx(full_limit_bytes))
            except _NotSafe:
                return _identity(value, tname)
    except _Unhashable as exc:
        return Fingerprint(tname, None, f"unhashable: {exc.args[0]}")
    except RecursionError:
        return Fingerprint(tname, None, "unhashable: RecursionError: nested too deeply")
    except Exception as exc:  # noqa: BLE001 - the user's cell must never fail because of us
        return Fingerprint(tname, None, f"unhashable: {_describe(exc)}")


# -- dispatch ---------------------------------------------------------------------------------


_SCALARS = (int, float, bool, complex, str, bytes, bytearray, type(None),
            _dt.datetime, _dt.date, _dt.time, _dt.timedelta)
_SCALAR_SET = frozenset(_SCALARS)
_CONTAINERS = frozenset((list, tuple, dict, set, frozenset))
#: Standard-library values pickled by their own (library) reducers, which run no user code.
_SAFE_LIBRARY_SCALARS = frozenset((decimal.Decimal, fractions.Fraction, range, slice, type(Ellipsis)))


def _fingerprint(value: Any, tname: str, ctx: _Ctx) -> Fingerprint:
    # Only type(value) is asked (issubclass, never isinstance, which may read a proxy's
    # __class__ through its own __getattribute__): fingerprinting must run no user code.
    t = type(value)
    if t in _SCALAR_SET:
        h = _hasher()
        h.update(_PREFIX)
        size = _feed_scalar(h, value, t)
        return Fingerprint(tname, h.hexdigest(), "scalar", size_bytes=size)
    if t in _CONTAINERS:
        return _structural(value, tname, ctx)
    pd = sys.modules.get("pandas")  # never imported here: a pandas object implies pandas is loaded
    if pd is not None and issubclass(t, (pd.DataFrame, pd.Series, pd.Index)):
        return _pandas(value, tname, ctx, pd)
    np = sys.modules.get("numpy")
    if np is not None:
        if issubclass(t, np.ndarray):
            return _ndarray(value, tname, ctx, np)
        if issubclass(t, np.generic):
            h = _hasher()
            h.update(_PREFIX)
            _feed_text(h, tname)
            _feed_text(h, value.dtype.str)
            data = value.tobytes()
            h.update(data)
            return Fingerprint(tname, h.hexdigest(), "scalar", size_bytes=len(data))
    if t is types.FunctionType or t is types.MethodType:
        return _function(value, tname, ctx)
    if issubclass(t, (type, types.ModuleType, types.BuiltinFunctionType)):
        h = _hasher()
        h.update(_PREFIX)
        _feed_text(h, tname)
        _feed_text(h, getattr(value, "__module__", None) or "")
        _feed_text(h, getattr(value, "__qualname__", None) or getattr(value, "__name__", ""))
        return Fingerprint(tname, h.hexdigest(), "reference")
    if t in _SAFE_LIBRARY_SCALARS:
        return _pickled(value, tname, ctx)  # stdlib values whose pickling runs no user code
    if _plain_attributes(t):
        return _attributes(value, tname, ctx, "estimator" if _is_estimator(t) else "attributes")
    if _trusted(t):  # a library's own C/Cython object (a fitted tree, a sparse matrix): its reducer
        try:
            return _pickled(value, tname, ctx)
        except (_NotSafe, _Unhashable):  # holds user objects, or cannot be pickled (a generator)
            pass
    return _identity(value, tname)


def _type_name(t: type) -> str:
    module = getattr(t, "__module__", None)
    name = getattr(t, "__qualname__", None) or getattr(t, "__name__", "?")
    return name if module in (None, "builtins") else f"{module}.{name}"


def _describe(exc: BaseException) -> str:
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001
        message = "<message unavailable>"
    message = " ".join(message.split())
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


# -- encoding helpers -------------------------------------------------------------------------


def _feed_text(h, text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    h.update(struct.pack("<Q", len(data)))
    h.update(data)


def _feed_scalar(h, value: Any, t: type) -> int:
    """Feed a self-delimiting, type-tagged, exact encoding of a builtin scalar; return its size."""
    if t is str:
        data = value.encode("utf-8", "surrogatepass")
    elif t is bytes or t is bytearray:
        data = value
    elif t is int:
        data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)  # no 4300-digit limit
    elif t is bool:
        data = b"\1" if value else b"\0"
    elif t is float:
        data = struct.pack("<d", value)  # exact bits: -0.0 != 0.0
    elif value is None:
        data = b""
    else:  # complex, datetime types: their repr is exact (tz and fold included)
        data = repr(value).encode("utf-8", "surrogatepass")
    h.update(b"s")
    _feed_text(h, t.__name__)
    h.update(struct.pack("<Q", len(data)))
    h.update(data)
    return len(data)


def _feed(h, value: Any, ctx: _Ctx) -> None:
    """Feed any value into ``h``: scalars and containers inline, the rest as their own fingerprint."""
    ctx.nodes_left -= 1
    if ctx.nodes_left < 0:
        raise _TooManyNodes()
    t = type(value)
    if t in _SCALAR_SET:
        _feed_scalar(h, value, t)
        return
    if t in _CONTAINERS:
        _feed_container(h, value, t, ctx)
        return
    fp = _fingerprint(value, _type_name(t), ctx)
    if fp.content_hash is None:
        raise _Unhashable(f"element of type {fp.type}: {fp.strategy}")
    if "sampled" in fp.strategy:
        ctx.sampled = True
    if "identity" in fp.strategy:
        ctx.identities = True
    h.update(b"v")
    _feed_text(h, fp.type)
    h.update(bytes.fromhex(fp.content_hash))


def _flat_items(value: Any, t: type) -> Optional[Any]:
    """What to pickle whole for a container of builtin scalars (nested lists/tuples/dicts of them
    included; a set of scalars sorted), or None when it must be walked element by element."""
    scalars = _SCALAR_SET
    if t is set or t is frozenset:
        if not all(type(x) in scalars for x in value):
            return None
        try:
            return sorted(value)
        except TypeError:  # mixed types: the element-by-element walk sorts digests instead
            return None
    stack = [(value, 0)]
    count = 0
    while stack:
        item, depth = stack.pop()
        if depth >= CONTAINER_DEPTH:  # also ends self-references
            return None
        count += len(item)
        if count > FLAT_LIMIT:
            return None
        if type(item) is dict:
            if not all(type(k) in scalars for k in item):
                return None
            item = item.values()
        for x in item:
            tx = type(x)
            if tx in scalars:
                continue
            if tx is list or tx is tuple or tx is dict:
                stack.append((x, depth + 1))
                continue
            return None
    return value


def _feed_flat(h, items: Any, t: type, ctx: _Ctx) -> None:
    """Containers of scalars: one memo-less pickle (C speed, canonical: no shared-object references)."""
    sink = _Sink(_hasher(), ctx.pickle_limit)
    pickler = pickle.Pickler(sink, protocol=5)
    pickler.fast = True  # no memo: equal values pickle alike however their objects are shared
    try:
        pickler.dump(items)
    except _TooLarge:
        raise _Unhashable(f"too large: pickle exceeds {ctx.pickle_limit} bytes") from None
    h.update(b"p")
    _feed_text(h, t.__name__)
    h.update(sink.h.digest())


def _feed_container(h, value: Any, t: type, ctx: _Ctx) -> None:
    if len(value) <= FLAT_LIMIT:
        items = _flat_items(value, t)
        if items is not None:
            _feed_flat(h, items, t, ctx)
            return
    if len(value) > ctx.nodes_left or ctx.depth >= CONTAINER_DEPTH:
        raise _TooManyNodes()
    ctx.depth += 1
    try:
        _feed_items(h, value, t, ctx)
    finally:
        ctx.depth -= 1


def _feed_items(h, value: Any, t: type, ctx: _Ctx) -> None:
    h.update(b"c")
    _feed_text(h, t.__name__)
    h.update(struct.pack("<Q", len(value)))
    if t is dict:  # insertion order counts (it is observable), like in the pickle fallback
        for key, item in value.items():
            _feed(h, key, ctx)
            _feed(h, item, ctx)
    elif t is set or t is frozenset:  # order-independent: sorted element digests
        digests = []
        for item in value:
            eh = _hasher()
            _feed(eh, item, ctx)
            digests.append(eh.digest())
        for d in sorted(digests):
            h.update(d)
    else:
        for item in value:
            _feed(h, item, ctx)
    h.update(b"e")


def _structural(value: Any, tname: str, ctx: _Ctx) -> Fingerprint:
    h = _hasher()
    h.update(_PREFIX)
    _feed_container(h, value, type(value), ctx)
    details = [d for d, on in (("sampled parts", ctx.sampled), ("identity parts", ctx.identities)) if on]
    strategy = f"structural ({', '.join(details)})" if details else "structural"
    return Fingerprint(tname, h.hexdigest(), strategy, shape=(len(value),))


# -- pickle -------------------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class _Sink:
    """A file for pickle.Pickler that hashes what it is given and stops above a byte limit."""

    __slots__ = ("h", "n", "limit")

    def __init__(self, h, limit: int):
        self.h = h
        self.n = 0
        self.limit = limit

    def count(self, n: int) -> None:
        self.n += n
        if self.n > self.limit:
            raise _TooLarge()

    def write(self, data) -> int:
        n = len(data)
        self.count(n)
        self.h.update(data)
        return n


class _NotSafe(Exception):
    """Pickling this value would run code of an object that is not a known library's."""


#: Packages whose objects' reducers (``__reduce_ex__``) are trusted to read state without side effects.
_TRUSTED_MODULES = frozenset(("numpy", "pandas", "pyarrow", "scipy", "sklearn", "datetime", "decimal",
                              "fractions", "uuid", "pathlib", "zoneinfo", "collections", "ipaddress", "builtins"))


class _SafePickler(pickle.Pickler):
    """A pickler that refuses (``_NotSafe``) any object whose pickling could run user code.

    ``reducer_override`` sees every object except the builtin scalars and containers,
    which pickle in C. Classes and functions pickle by reference (a name), which reads
    nothing of theirs; objects of the trusted libraries use their own reducers.
    """

    def reducer_override(self, obj):
        t = type(obj)
        if t in (type, types.FunctionType, types.BuiltinFunctionType) or t in _SAFE_LIBRARY_SCALARS:
            return NotImplemented
        if _trusted(t):
            return NotImplemented
        raise _NotSafe(_type_name(t))


def _trusted(t: type) -> bool:
    """A type of a known library, none of whose classes is the user's (a notebook subclass may
    override the library's reducers)."""
    for klass in getattr(t, "__mro__", (t,)):
        if klass is object:
            continue
        if (getattr(klass, "__module__", None) or "").split(".", 1)[0] not in _TRUSTED_MODULES:
            return False
    return True


def _pickle_digest(value: Any, ctx: _Ctx) -> tuple[bytes, int]:
    """Digest of a safe pickle of ``value`` (protocol 5), streamed; contiguous buffers hashed
    out-of-band. Raises ``_NotSafe`` if pickling would run code of an unknown object."""
    stream = _hasher()
    buffers = _hasher()
    sink = _Sink(stream, ctx.pickle_limit)

    def on_buffer(pb: pickle.PickleBuffer) -> bool:
        try:
            raw = pb.raw()
        except BufferError:  # not contiguous: let pickle copy it in-band
            return True
        with raw:
            sink.count(raw.nbytes)
            buffers.update(raw)
        return False  # out-of-band: not copied into the stream

    try:
        _SafePickler(sink, protocol=5, buffer_callback=on_buffer).dump(value)
    except _TooLarge:
        raise _Unhashable(f"too large: pickle exceeds {ctx.pickle_limit} bytes") from None
    except (RecursionError, _NotSafe):
        raise
    except Exception as exc:
        raise _Unhashable(f"{_describe(exc)} (pickle)") from None
    return stream.digest() + buffers.digest(), sink.n


def _identity_digest(values, np) -> bytes:
    """16 bytes naming the objects of a 1-D object array by identity (no object's code runs)."""
    x = _xxh()
    x.update(b"identities")
    x.update(_IDENTITY_SALT)
    idents = np.fromiter(map(object.__hash__, values), dtype=np.int64, count=len(values))
    x.update(idents.view(np.uint8))
    return x.digest()


def _pickled(value: Any, tname: str, ctx: _Ctx) -> Fingerprint:
    digest, size = _pickle_digest(value, ctx)
    h = _hasher()
    h.update(_PREFIX)
    _feed_text(h, tname)
    h.update(digest)
    return Fingerprint(tname, h.hexdigest(), "pickle", size_bytes=size)


# -- functions and estimators ---------------------------------------------------------------------


def _feed_code(h, code: types.CodeType, ctx: _Ctx) -> None:
    # Not marshal: its output depends on reference counts. No file name or line number either:
    # the same function defined in another kernel (another cell file) must fingerprint the same.
    h.update(b"k")
    h.update(struct.pack("<Q", len(code.co_code)))
    h.update(code.co_code)
    for names in (code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars):
        _feed_text(h, "\0".join(names))
    h.update(struct.pack("<QQQ", code.co_argcount, code.co_kwonlyargcount, code.co_flags))
    h.update(struct.pack("<Q", len(code.co_consts)))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(h, const, ctx)
        else:
            _feed(h, const, ctx)


def _function(value: Any, tname: str, ctx: _Ctx) -> Fingerprint:
    func = value.__func__ if isinstance(value, types.MethodType) else value
    h = _hasher()
    h.update(_PREFIX)
    _feed_text(h, tname)
    _feed_text(h, getattr(func, "__module__", None) or "")
    _feed_text(h, func.__qualname__)
    _feed_code(h, func.__code__, ctx)
    _feed(h, func.__defaults__, ctx)
    _feed(h, func.__kwdefaults__, ctx)
    return Fingerprint(tname, h.hexdigest(), "code")


def _is_estimator(t: type) -> bool:
    """scikit-learn style: get_params and fit defined on the class (no __getattr__ is triggered)."""
    has_params = has_fit = False
    for klass in getattr(t, "__mro__", ()):
        attrs = vars(klass)
        has_params = has_params or "get_params" in attrs
        has_fit = has_fit or "fit" in attrs
    return has_params and has_fit


def _plain_attributes(t: type) -> bool:
    """Whether instances keep their state in an ordinary ``__dict__`` (read without running code).

    A class that defines its own ``__dict__`` (a property, say) or keeps its state in
    C structures (connections, locks, generators, files) is hashed by identity instead.
    """
    mro = getattr(t, "__mro__", ())
    # Classes of class statements only (heap types), below ``object``: a C type (a file, a
    # socket, a dict) keeps state its __dict__ does not show.
    if not mro or any(k is not object and not k.__flags__ & _HEAPTYPE for k in mro):
        return False
    for klass in mro:
        found = vars(klass).get("__dict__")
        if found is not None:
            return type(found) is types.GetSetDescriptorType and klass is not object
    return False


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement (or a C type's spec)


def _attributes(value: Any, tname: str, ctx: _Ctx, strategy: str) -> Fingerprint:
    """Class + every instance attribute, each by content (arrays as arrays, nested objects in turn).

    For estimators the fitted attributes (``coef_``, ``tree_``, ``estimators_`` ...) and the
    parameters (scikit-learn keeps them as attributes) are all there: a refit on other data
    changes the hash. Nothing of the object's own code runs: ``get_params``, ``__getstate__``,
    ``__reduce__`` and properties are never called.
    """
    state = _instance_dict(value)
    h = _hasher()
    h.update(_PREFIX)
    _feed_text(h, tname)
    h.update(b"state")
    _feed(h, {k: state[k] for k in sorted(state, key=str)}, ctx)
    details = []
    if ctx.sampled:
        details.append("sampled parts")
    if ctx.identities:
        details.append("identity parts")
    return Fingerprint(tname, h.hexdigest(), f"{strategy} ({', '.join(details)})" if details else strategy)


def _instance_dict(value: Any) -> dict:
    for klass in type(value).__mro__:
        found = vars(klass).get("__dict__")
        if found is not None:
            return dict(found.__get__(value, type(value)))
    return {}


#: Salt of identity hashes: an identity means nothing outside this process.
_IDENTITY_SALT = os.urandom(16)


def _identity(value: Any, tname: str) -> Fingerprint:
    """By type and identity: no side-effect-free way to read this object's content."""
    h = _hasher()
    h.update(_PREFIX)
    _feed_text(h, tname)
    h.update(b"identity")
    h.update(_IDENTITY_SALT)
    h.update(struct.pack("<Q", id(value) & (2**64 - 1)))
    return Fingerprint(tname, h.hexdigest(), "identity: content not read (no side-effect-free way to hash "
                       f"a {tname}); equal only to itself in this kernel")


# -- bulk data: numpy arrays and pandas columns ------------------------------------------------------
#
# Bulk bytes go through xxh3_128 (xxhash: ~10 GB/s, releases the GIL on big inputs); each array
# or column becomes one 16-byte digest, which the BLAKE2b digest of the value then takes in with
# the (small) metadata. Every column encoding starts with a tag naming it, so two encodings never
# meet. Floats: every NaN is hashed as the canonical quiet NaN (so 0/0 and np.nan, or NaNs from
# different SIMD paths, are equal); -0.0 and 0.0 stay different (exact bits otherwise, like scalars).


def _xxh():
    import xxhash  # a dependency; imported here so that fingerprinting an int imports nothing

    return xxhash.xxh3_128()


def _sample_starts(n: int) -> list[int]:
    """Starts of the evenly spaced blocks hashed when sampling n > SAMPLE_ROWS rows (first, last included)."""
    blocks = max(2, SAMPLE_ROWS // SAMPLE_BLOCK_ROWS)
    span = n - SAMPLE_BLOCK_ROWS
    return [round(i * span / (blocks - 1)) for i in range(blocks)]


def _sampled_strategy(n: int) -> str:
    blocks = max(2, SAMPLE_ROWS // SAMPLE_BLOCK_ROWS)
    return (f"sampled: {blocks * SAMPLE_BLOCK_ROWS} of {n} rows "
            f"({blocks} evenly spaced blocks of {SAMPLE_BLOCK_ROWS}, first and last included)")


def _element_index(size: int, np):
    """Flat indices of the evenly spaced element blocks sampled from an array with few huge rows."""
    blocks = max(2, SAMPLE_ELEMENTS // SAMPLE_BLOCK_ELEMENTS)
    span = size - SAMPLE_BLOCK_ELEMENTS
    starts = np.asarray([round(i * span / (blocks - 1)) for i in range(blocks)], dtype=np.int64)
    return (starts[:, None] + np.arange(SAMPLE_BLOCK_ELEMENTS, dtype=np.int64)).ravel()


def _sampled_elements_strategy(size: int) -> str:
    blocks = max(2, SAMPLE_ELEMENTS // SAMPLE_BLOCK_ELEMENTS)
    return (f"sampled: {blocks * SAMPLE_BLOCK_ELEMENTS} of {size} elements "
            f"({blocks} evenly spaced blocks of {SAMPLE_BLOCK_ELEMENTS} in C order, first and last included)")


def _sample_index(n: int, np):
    starts = np.asarray(_sample_starts(n), dtype=np.int64)
    return (starts[:, None] + np.arange(SAMPLE_BLOCK_ROWS, dtype=np.int64)).ravel()


def _canonical_nans(a, np):
    """``a`` (float or complex) with every NaN replaced by the canonical quiet NaN; a copy only if
    there is a NaN. Complex arrays come back as a view of their (real, imag) float pairs."""
    if a.dtype.kind == "c":
        a = np.ascontiguousarray(a)
        a = a.view(np.dtype(f"{a.dtype.str[0]}f{a.dtype.itemsize // 2}"))
    if not np.isnan(np.minimum.reduce(a, axis=None)):  # NaN propagates through minimum: one cheap pass
        return a
    nan = np.isnan(a)
    a = a.copy()
    a[nan] = np.nan
    return a


def _raw(a, np):
    """The bytes of ``a``'s elements in C order as a flat uint8 view (NaNs canonical), copying only
    when ``a`` is not C-contiguous or holds a NaN."""
    if a.dtype.kind in "fc" and a.size:
        a = _canonical_nans(a, np)
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def _feed_raw(x, a, np) -> None:
    """Tag, dtype, length and bytes of a numpy array without Python objects."""
    x.update(b"nd")
    _feed_text(x, a.dtype.str)
    raw = _raw(a, np)
    x.update(struct.pack("<Q", raw.nbytes))
    x.update(raw)


def _array_digest(a, np) -> bytes:
    x = _xxh()
    _feed_raw(x, a, np)
    return x.digest()


def _ndarray(a, tname: str, ctx: _Ctx, np) -> Fingerprint:
    h = _hasher()
    h.update(_PREFIX)
    _feed_text(h, tname)
    _feed_text(h, a.dtype.str)
    _feed_text(h, str(a.dtype))
    h.update(struct.pack("<Q", a.ndim))
    h.update(struct.pack(f"<{a.ndim}Q", *a.shape))
    size = int(a.nbytes)
    columns = None
    if a.dtype.names:
        columns = tuple((str(name), str(a.dtype.fields[name][0])) for name in a.dtype.names)
    mask = None
    ma = sys.modules.get("numpy.ma")  # loaded whenever a MaskedArray exists
    if ma is not None and isinstance(a, ma.MaskedArray):
        mask = ma.getmaskarray(a)
        a = ma.getdata(a)
    n = a.shape[0] if a.ndim else 1
    over = size > ctx.limit
    # Above the limit: blocks of rows, or, for an array with few (huge) rows, blocks of its
    # elements in C order -- a 2 GiB memory-mapped array is read 4 MiB at most, not in full.
    rows = _sample_index(n, np) if over and n > SAMPLE_ROWS else None
    elements = _element_index(a.size, np) if over and rows is None and a.size > SAMPLE_ELEMENTS else None
    if rows is not None:
        part, strategy = a[rows], _sampled_strategy(n)
        h.update(b"rows")
    elif elements is not None:
        part, strategy = a.reshape(-1)[elements] if a.flags.c_contiguous else a.flat[elements], \
            _sampled_elements_strategy(a.size)
        h.update(b"elements")
    else:
        part, strategy = a, "full"
    if a.dtype.hasobject:
        # Elements are Python objects: a safe pickle of them (the pickle limit applies, sample or
        # not), or, for objects whose pickling could run their code, their identities.
        try:
            digest, _ = _pickle_digest(part, ctx)
        except _NotSafe as exc:
            digest = _identity_digest(part.reshape(-1), np)
            strategy += f" (objects by identity: {exc.args[0]})"
        h.update(digest)
    else:
        h.update(_array_digest(part, np))
    if mask is not None:
        h.update(b"mask")
        m = mask if rows is None and elements is None else (mask[rows] if rows is not None else mask.flat[elements])
        h.update(_array_digest(m, np))
    return Fingerprint(tname, h.hexdigest(), strategy, shape=tuple(int(s) for s in a.shape),
                       columns=columns, size_bytes=size)


# -- pandas ----------------------------------------------------------------------------------------------


def _NUMPY_EA(pd):
    return getattr(pd.arrays, "NumpyExtensionArray", None) or pd.arrays.PandasArray  # pandas < 2.1


class _Columns:
    """Per-call state of a pandas fingerprint: modules, and how many object columns were pickled."""

    __slots__ = ("ctx", "np", "pd", "pickled", "identities")

    def __init__(self, ctx: _Ctx, np, pd):
        self.ctx = ctx
        self.np = np
        self.pd = pd
        self.pickled = 0
        self.identities = 0

    def digest(self, values) -> bytes:
        """16 bytes identifying a column's values (an ExtensionArray, ndarray or Index)."""
        x = _xxh()
        self.feed(x, values)
        return x.digest()

    def feed(self, x, arr) -> None:
        np, pd = self.np, self.pd
        if isinstance(arr, pd.Index):
            self.feed_index(x, arr)
            return
        if isinstance(arr, _NUMPY_EA(pd)):
            arr = arr.to_numpy()  # the wrapped ndarray, no copy
        if isinstance(arr, np.ndarray):
            if arr.dtype.hasobject:
                self.feed_objects(x, arr)
            else:
                _feed_raw(x, arr, np)  # numbers, bool, datetime64/timedelta64 (int64 bytes)
            return
        if isinstance(arr, pd.Categorical):
            x.update(b"cat\1" if arr.ordered else b"cat\0")
            _feed_raw(x, arr.codes, np)
            x.update(self.digest(arr.categories))  # "category" alone hides the categories and their order
            return
        if isinstance(arr, (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)):
            data, mask = arr._data, arr._mask  # noqa: SLF001 - stable since pandas 1.0; public API copies
            if mask.any():  # what lies under the mask is arbitrary: zero it
                data = data.copy()
                data[mask] = 0
            x.update(b"masked")
            _feed_raw(x, data, np)
            _feed_raw(x, mask, np)
            return
        if isinstance(arr, (pd.arrays.DatetimeArray, pd.arrays.TimedeltaArray, pd.arrays.PeriodArray)):
            x.update(b"i8")  # unit, tz and freq are in the dtype, hashed with the metadata
            _feed_raw(x, arr.asi8, np)
            return
        if isinstance(arr, pd.arrays.IntervalArray):
            x.update(b"interval")  # closed is in the dtype
            self.feed(x, arr.left)
            self.feed(x, arr.right)
            return
        if isinstance(arr, (pd.arrays.ArrowExtensionArray, pd.arrays.StringArray)):
            # pandas 3's default "str" dtype (ArrowStringArray), "string", "<type>[pyarrow]"
            try:
                chunked = arr.__arrow_array__()
            except Exception:  # noqa: BLE001 - e.g. a StringArray with lone surrogates: objects below
                chunked = None
            if chunked is not None and _feed_arrow(x, chunked, np):
                return
        # Anything else (intervals, sparse, nested arrow types, third-party arrays): as objects.
        self.feed_objects(x, np.asarray(arr, dtype=object))

    def feed_index(self, x, index) -> None:
        pd = self.pd
        if isinstance(index, pd.RangeIndex):
            x.update(b"range")
            x.update(struct.pack("<qqq", index.start, index.stop, index.step))
        elif isinstance(index, pd.MultiIndex):  # level values, not codes: unused levels do not count
            x.update(b"multi")
            x.update(struct.pack("<Q", index.nlevels))
            for i in range(index.nlevels):
                x.update(self.digest(index.get_level_values(i).array))
        else:
            self.feed(x, index.array)

    def feed_objects(self, x, values) -> None:
        """A 1-D object ndarray: strings via Arrow, other lossless scalars via pandas' hash_array
        (it uses str() per element, exact for those), anything else pickled."""
        np, pd = self.np, self.pd
        values = values.reshape(-1)
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if inferred == "string":
            import pyarrow as pa

            try:
                strings = pa.array(values, type=pa.large_string(), from_pandas=True)
            except Exception:  # noqa: BLE001 - lone surrogates and the like: pickled below
                strings = None
            if strings is not None:
                x.update(b"objstr")
                _feed_arrow(x, pa.chunked_array([strings]), np)
                if strings.null_count:  # None, NaN, pd.NA ... are different objects: name each one
                    nulls = np.flatnonzero(strings.is_null().to_numpy(zero_copy_only=False))
                    _feed_text(x, "\0".join(_type_name(type(v)) for v in values[nulls]))
                return
        elif inferred in _SAFE_INFERRED:
            x.update(b"hash_array")
            rows = pd.util.hash_array(values, categorize=False)
            _feed_raw(x, np.asarray(rows, dtype=np.uint64), np)
            return
        try:
            digest, _ = _pickle_digest(values, self.ctx)
        except _NotSafe:  # objects whose pickling could run their own code: by identity
            x.update(b"identities")
            x.update(_identity_digest(values, np))
            self.identities += 1
            return
        x.update(b"pickle")
        x.update(digest)
        self.pickled += 1


def _feed_arrow(x, chunked, np) -> bool:
    """Feed an Arrow ChunkedArray of strings, binaries or fixed-width values, normalized: the same
    values give the same bytes however they are sliced, chunked or copied, and whatever lies in the
    null slots. False (nothing fed) for other types."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = chunked.type
    if pa.types.is_dictionary(t):
        chunked = chunked.cast(t.value_type)
        t = chunked.type
    string_view = getattr(pa.types, "is_string_view", None)  # pyarrow >= 16
    if string_view is not None and (string_view(t) or pa.types.is_binary_view(t)):
        t = pa.large_string() if string_view(t) else pa.large_binary()
        chunked = chunked.cast(t)
    string = pa.types.is_string(t) or pa.types.is_large_string(t)
    variable = string or pa.types.is_binary(t) or pa.types.is_large_binary(t)
    boolean = pa.types.is_boolean(t)
    offset_dtype = "<i8" if pa.types.is_large_string(t) or pa.types.is_large_binary(t) else "<i4"
    width = 0
    if not (variable or boolean):
        try:
            bits = t.bit_width
        except ValueError:  # not fixed width: lists, structs, ...
            return False
        if bits % 8 or pa.types.is_nested(t) or t.num_fields:
            return False
        width = bits // 8
        dtype = np.dtype(f"<f{width}") if pa.types.is_floating(t) else np.dtype(f"V{width}")
    # one hasher per stream, so that chunk boundaries leave no trace
    lengths, data, nulls = _xxh(), _xxh(), _xxh()
    pos = base = null_count = 0
    for chunk in chunked.chunks:
        n = len(chunk)
        if not n:
            continue
        if chunk.null_count:
            null_mask = chunk.is_null().to_numpy(zero_copy_only=False)
            nulls.update(np.flatnonzero(null_mask).astype("<i8") + pos)
            null_count += chunk.null_count
            if variable or boolean:  # rebuilt: null slots become empty / False (their old bytes vanish)
                chunk = pc.fill_null(chunk, "" if string else (False if boolean else b""))
        if variable:
            buffers = chunk.buffers()
            offsets = np.frombuffer(buffers[1], dtype=offset_dtype, count=chunk.offset + n + 1)[chunk.offset:]
            first, last = int(offsets[0]), int(offsets[-1])
            ends = offsets[1:]  # the end offsets, made global: as if one chunk starting at 0
            if ends.dtype != "<i8" or first != base:
                ends = ends.astype("<i8") + (base - first)
            lengths.update(ends)
            if last > first:
                data.update(memoryview(buffers[2])[first:last])
            base += last - first
        elif boolean:
            data.update(chunk.to_numpy(zero_copy_only=False).view(np.uint8))
        else:
            raw = np.frombuffer(chunk.buffers()[1], dtype=dtype, count=chunk.offset + n)[chunk.offset:]
            if chunk.null_count:
                raw = raw.copy()
                raw[null_mask] = np.zeros(1, dtype=dtype)[0]
            data.update(_raw(raw, np))
        pos += n
    x.update(b"arrow-var" if variable else b"arrow-fixed")
    x.update(struct.pack("<QQQQ", pos, base, width, null_count))
    x.update(lengths.digest())
    x.update(data.digest())
    x.update(nulls.digest())
    return True


def _pandas(obj, tname: str, ctx: _Ctx, pd) -> Fingerprint:
    np = sys.modules["numpy"]

    h = _hasher()
    h.update(_PREFIX)
    _feed_text(h, tname)
    if isinstance(obj, pd.DataFrame):
        pairs = list(obj.dtypes.items())
        size = int(obj.memory_usage(index=True, deep=False).sum())
        _feed(h, list(obj.columns.names), ctx)
    elif isinstance(obj, pd.Series):
        pairs = [(obj.name, obj.dtype)]
        size = int(obj.memory_usage(index=True, deep=False))
    else:  # Index
        pairs = [(obj.name, obj.dtype)]
        size = int(obj.memory_usage(deep=False))
        _feed(h, list(obj.names), ctx)
    shape = tuple(int(s) for s in obj.shape)
    h.update(struct.pack(f"<{len(shape)}Q", *shape))
    for name, dtype in pairs:  # typed names: 1 and "1" differ; dtype: a cast changes the hash
        _feed(h, name, ctx)
        _feed_text(h, str(dtype))
    if not isinstance(obj, pd.Index):
        index = obj.index
        _feed_text(h, _type_name(type(index)))
        _feed(h, list(index.names), ctx)
        dtypes = index.dtypes if isinstance(index, pd.MultiIndex) else [index.dtype]
        _feed_text(h, "|".join(str(d) for d in dtypes))

    n = shape[0]
    sampled = size > ctx.limit and n > SAMPLE_ROWS
    if sampled:
        obj = obj.take(_sample_index(n, np))
    cols = _Columns(ctx, np, pd)
    if isinstance(obj, pd.Index):
        h.update(cols.digest(obj))
    else:
        h.update(b"index")
        h.update(cols.digest(obj.index))
        if isinstance(obj, pd.DataFrame):
            for i in range(len(pairs)):
                h.update(cols.digest(obj.iloc[:, i].array))
        else:
            h.update(cols.digest(obj.array))

    strategy = _sampled_strategy(n) if sampled else "full"
    if cols.pickled and not isinstance(obj, pd.Index):
        strategy += f" (object columns pickled: {cols.pickled})"
    if cols.identities:
        strategy += f" (object columns by identity: {cols.identities})"
    columns = tuple((str(name), str(dtype)) for name, dtype in pairs)
    return Fingerprint(tname, h.hexdigest(), strategy, shape=shape, columns=columns, size_bytes=size)
