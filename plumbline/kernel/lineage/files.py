"""Files a cell opened for reading or writing.

While a recorded cell runs, and only then, ``builtins.open`` (which is
``io.open``: pandas, numpy, pathlib and ``open()`` itself go through it) and
``os.open`` are wrapped; the wrappers note (path, direction) on the thread that
runs the cell only: the fingerprint worker, the git thread and the kernel's
own I/O are not the cell. IPython's own ``open`` in the user namespace is
covered too (``_EARLY_OPEN_REFERENCES``). Outside cells the originals are back, so user code
between cells pays nothing. (An audit hook on the ``"open"`` event would also
see code holding an early reference to ``open``, but hooks cannot be removed
and every audited event of the process -- ``id()`` included -- would pay for
it forever: ``copy.deepcopy`` ran 55% slower.)
pyarrow's Parquet reader and writer open files in C++, without ``open``; its
``read_table``, ``write_table`` and ``ParquetFile`` are wrapped as soon as
``pyarrow.parquet`` is imported (and ``pyarrow.OSFile``, which pandas 3 opens
its Parquet target with) (an import hook, and a check before every
cell), which also covers ``pandas.read_parquet`` and ``DataFrame.to_parquet``
with a local path, even when pandas imports pyarrow inside that very call.

The hook only appends (path, direction) to a list; which paths count (not the
interpreter's, not Jupyter's, not the store's, no code, no directories) and
their content hashes are worked out after the cell, off its critical path.
"""

from __future__ import annotations

import builtins
import functools
import hashlib
import io
import os
import site
import stat
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyd", ".so", ".pth")
CHUNK = 1 << 20
# The operating system's files (time zones, locales, certificates, /proc...), never the user's data.
SYSTEM_DIRS = ("/proc", "/sys", "/dev", "/run", "/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin", "/var/lib",
               "/snap")


@dataclass(eq=False)  # identity: list.remove must remove this capture, not an equal (empty) one
class Capture:
    thread: int
    events: list[tuple[str, str]] = field(default_factory=list)  # (absolute path, 'read'|'written')


_stack: list[Capture] = []  # innermost recorded cell last (a cell may run cells)
_installed = False
_install_lock = threading.Lock()


def _directions(mode: Optional[str], flags: int) -> tuple[str, ...]:
    if mode is None:
        access = flags & os.O_ACCMODE
        return {os.O_RDONLY: ("read",), os.O_WRONLY: ("written",)}.get(access, ("read", "written"))
    return (("read",) if "r" in mode else ()) + (("written",) if any(c in mode for c in "wax+") else ())


def _noted(path: Any, mode: Optional[str], flags: int, dir_fd: Optional[int] = None) -> None:
    if not _stack:
        return
    try:
        capture = _stack[-1]
        if threading.get_ident() != capture.thread or isinstance(path, int):
            return  # another thread, or a file descriptor: already open
        name = os.fsdecode(os.fspath(path))
        if dir_fd is not None and not os.path.isabs(name):
            name = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), name)
        absolute = os.path.abspath(name)
        for d in _directions(mode, flags):
            capture.events.append((absolute, d))
    except Exception:  # noqa: BLE001 - never break the user's open()
        pass


_original_open = builtins.open
_original_os_open = os.open


@functools.wraps(_original_open)
def _open(file, mode="r", *args, **kwargs):
    _noted(file, mode if isinstance(mode, str) else "r", 0)
    return _original_open(file, mode, *args, **kwargs)


@functools.wraps(_original_os_open)
def _os_open(path, flags, mode=0o777, *, dir_fd=None):
    _noted(path, None, flags, dir_fd)
    return _original_os_open(path, flags, mode, dir_fd=dir_fd)


# Early references to io.open that cells call through: IPython puts its own `open` in the user
# namespace (it refuses file descriptors 0-2), which calls the io.open it imported at start-up.
_EARLY_OPEN_REFERENCES = (("IPython.core.interactiveshell", "io_open"),)


def _wrap_open() -> None:
    builtins.open = io.open = _open
    os.open = _os_open
    for module_name, attribute in _EARLY_OPEN_REFERENCES:
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, attribute, None) is _original_open:
            setattr(module, attribute, _open)


def _unwrap_open() -> None:
    # Only ours: user code that replaced open() during the cell keeps its own.
    if builtins.open is _open:
        builtins.open = _original_open
    if io.open is _open:
        io.open = _original_open
    if os.open is _os_open:
        os.open = _original_os_open
    for module_name, attribute in _EARLY_OPEN_REFERENCES:
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, attribute, None) is _open:
            setattr(module, attribute, _original_open)


def note(path: Any, direction: str) -> None:
    """Record a path opened without Python's open() (the pyarrow wrappers)."""
    if not _stack:
        return
    try:
        capture = _stack[-1]
        if threading.get_ident() == capture.thread and isinstance(path, (str, bytes, os.PathLike)):
            capture.events.append((os.path.abspath(os.fsdecode(os.fspath(path))), direction))
    except Exception:  # noqa: BLE001
        pass


class _WrapAfterImport:
    """A meta path finder that wraps ``pyarrow.parquet`` right after it is executed."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in ("pyarrow", "pyarrow.parquet"):
            return None
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
            loader = spec.loader
            exec_module = loader.exec_module

            def exec_then_wrap(module):
                exec_module(module)
                sys.modules.setdefault(fullname, module)
                wrap_pyarrow()

            loader.exec_module = exec_then_wrap
            return spec
        except Exception:  # noqa: BLE001 - let the normal import machinery do it
            return None


def install() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            sys.meta_path.insert(0, _WrapAfterImport())
            _installed = True
    wrap_pyarrow()


def start() -> Capture:
    install()
    capture = Capture(threading.get_ident())
    _stack.append(capture)
    _wrap_open()
    return capture


def stop(capture: Capture) -> list[tuple[str, str]]:
    try:
        _stack.remove(capture)
    except ValueError:
        pass
    if not _stack:
        _unwrap_open()
    return capture.events


def stop_thread() -> None:
    """Forget the captures of this thread (cells whose end never came)."""
    me = threading.get_ident()
    _stack[:] = [c for c in _stack if c.thread != me]
    if not _stack:
        _unwrap_open()


# -- pyarrow -----------------------------------------------------------------------------


def wrap_pyarrow() -> None:
    """Wrap pyarrow's file entry points once it is imported (cheap to call often)."""
    pa = sys.modules.get("pyarrow")
    if pa is not None and not getattr(pa, "_plumbline_wrapped", False):
        pa._plumbline_wrapped = True
        try:
            # pandas >= 3 opens a local Parquet target with pa.OSFile (C++), then write_table(stream).
            pa.OSFile = _noting_subclass(pa.OSFile, lambda path, mode="r", *a, **k: (
                path, "written" if any(c in mode for c in "wax") else "read"))
        except Exception:  # noqa: BLE001 - an unexpected pyarrow: no capture, no failure
            pass
    pq = sys.modules.get("pyarrow.parquet")
    if pq is not None and not getattr(pq, "_plumbline_wrapped", False):
        pq._plumbline_wrapped = True
        try:
            pq.read_table = _noting_function(pq.read_table, lambda source, *a, **k: (source, "read"))
            pq.write_table = _noting_function(pq.write_table, lambda table, where, *a, **k: (where, "written"))
            pq.ParquetFile = _noting_subclass(pq.ParquetFile, lambda source, *a, **k: (source, "read"))
        except Exception:  # noqa: BLE001
            pass


def _noting_function(original: Any, which: Any) -> Any:
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if _stack:
            try:
                note(*which(*args, **kwargs))
            except Exception:  # noqa: BLE001 - bad arguments: the original says so
                pass
        return original(*args, **kwargs)

    return wrapper


def _noting_subclass(original: type, which: Any) -> type:
    """A subclass that notes its path when constructed (isinstance checks keep working)."""

    def __init__(self, *args, **kwargs):
        if _stack:
            try:
                note(*which(*args, **kwargs))
            except Exception:  # noqa: BLE001
                pass
        if original.__init__ is not object.__init__:
            original.__init__(self, *args, **kwargs)

    return type(original.__name__, (original,), {
        "__init__": __init__, "__doc__": original.__doc__, "__module__": original.__module__,
        "__qualname__": original.__qualname__,
    })


# -- which paths count, and their content ---------------------------------------------------


class FilePolicy:
    """Names files relative to the project root and ignores what is not the user's data."""

    def __init__(self, store_dir: Path):
        self.store_dir = Path(store_dir).resolve()
        self.project_root = self.store_dir.parent
        home = Path.home()
        ignored = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(self.store_dir), *SYSTEM_DIRS,
                   str(home / ".ipython"), str(home / ".jupyter"), str(home / ".local" / "share" / "jupyter"),
                   str(home / ".cache"), str(home / ".config" / "matplotlib")}
        try:
            ignored.update(site.getsitepackages())
            ignored.add(site.getusersitepackages())
        except Exception:  # noqa: BLE001 - e.g. virtualenv's old site module
            pass
        for env in ("IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
            if os.environ.get(env):
                ignored.add(os.environ[env])
        prefixes = set()
        for p in ignored:
            if p:
                prefixes.add(os.path.abspath(p))
                try:
                    prefixes.add(str(Path(p).resolve()))
                except OSError:
                    pass
        self._prefixes = tuple(sorted(p.rstrip(os.sep) + os.sep for p in prefixes))

    def name(self, absolute: str) -> Optional[str]:
        """The recorded name of a path, or None when it is not the user's data."""
        if absolute.endswith(CODE_SUFFIXES) or absolute.startswith(self._prefixes):
            return None
        real = os.path.realpath(absolute)
        if real.startswith(self._prefixes):
            return None
        try:
            return Path(real).relative_to(self.project_root).as_posix()
        except ValueError:
            return real


@dataclass(frozen=True)
class FileVersion:
    content_hash: str
    size_bytes: int
    strategy: str = "full"


#: Files up to this size are hashed in full; bigger ones by a stated sample, so that a
#: cell that writes a 2 GiB file (a memory-mapped array, say) does not stall the next one.
FULL_FILE_LIMIT = 64 * 2**20
SAMPLE_BLOCKS = 64
SAMPLE_BLOCK_BYTES = 64 * 2**10


class FileHasher:
    """blake2b-128 of a file's bytes (a sample above ``FULL_FILE_LIMIT``), cached by (path, size, mtime_ns)."""

    def __init__(self, max_entries: int = 4096):
        self._cache: dict[tuple[str, int, int], tuple[str, str]] = {}
        self._max = max_entries

    def hash(self, path: str) -> Optional[FileVersion]:
        """None when it is not a regular file (any more)."""
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                return None
            key = (path, st.st_size, st.st_mtime_ns)
            found = self._cache.get(key)
            if found is None:
                found = _sampled(path, st.st_size) if st.st_size > FULL_FILE_LIMIT else (_full(path), "full")
                if len(self._cache) >= self._max:
                    self._cache.clear()
                self._cache[key] = found
            return FileVersion(found[0], st.st_size, found[1])
        except OSError:
            return None


def _full(path: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _sampled(path: str, size: int) -> tuple[str, str]:
    """The size and ``SAMPLE_BLOCKS`` evenly spaced blocks, the first and last included."""
    h = hashlib.blake2b(digest_size=16, person=b"plumbline-smpl")
    h.update(size.to_bytes(8, "little"))
    span = size - SAMPLE_BLOCK_BYTES
    with open(path, "rb") as f:
        for i in range(SAMPLE_BLOCKS):
            f.seek(round(i * span / (SAMPLE_BLOCKS - 1)))
            h.update(f.read(SAMPLE_BLOCK_BYTES))
    strategy = (f"sampled: {SAMPLE_BLOCKS} evenly spaced blocks of {SAMPLE_BLOCK_BYTES} bytes of {size} "
                "(first and last included) and the size")
    return h.hexdigest(), strategy
