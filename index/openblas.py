"""Which kernels numpy's OpenBLAS runs: VERBATIM_OPENBLAS_CORETYPE, for numpy's copy alone.

A question is encoded by index.npbert with numpy's OpenBLAS, and OpenBLAS picks its kernels once, as
the library loads: from OPENBLAS_CORETYPE when set, else from the CPU it recognises. That variable
applies to every OpenBLAS copy a process loads, and they differ in age: on an AMD Zen 5, FAISS's
bundled OpenBLAS 0.3.15 does not know the CPU and falls back to SSE kernels ("Barcelona") unless the
variable names one, while numpy's 0.3.31 picks its AVX-512 kernels ("SkylakeX") itself. A machine
that sets OPENBLAS_CORETYPE=Haswell for the old copy's sake (this project's machines do) therefore
runs the question encode on AVX2 kernels, ~1.6x slower than AVX-512 (bench/README.md, issue 12e).

By default (VERBATIM_OPENBLAS_CORETYPE unset or `auto`) numpy loads with OPENBLAS_CORETYPE removed, so
its OpenBLAS picks the kernels of the CPU it detects itself (what it does on a machine that sets nothing),
and the variable is put back as it was at once: FAISS's OpenBLAS, scipy's and child processes keep the
environment's choice. `inherit` leaves the environment's value in force for numpy too; any other value is
an OpenBLAS core name numpy loads with (e.g. `SkylakeX`). Name only a core the CPU can run: OpenBLAS does
not check, and a process on a CPU without AVX-512 given "SkylakeX" dies of an illegal instruction (the
default names none, so it cannot). `apply()` runs from the package's `__init__`, before any index module
imports numpy; it does nothing when numpy is already loaded (its kernels are chosen).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

SETTING = "VERBATIM_OPENBLAS_CORETYPE"


def apply() -> bool:
    """Load numpy with the kernels the setting chooses; True when it changed what numpy loads with."""
    core = os.environ.get(SETTING, "").strip() or "auto"
    before = os.environ.get("OPENBLAS_CORETYPE")
    if core == "inherit" or "numpy" in sys.modules or (core == "auto" and before is None):
        return False
    if core == "auto":
        del os.environ["OPENBLAS_CORETYPE"]  # numpy's OpenBLAS detects the CPU itself
    else:
        os.environ["OPENBLAS_CORETYPE"] = core
    try:
        import numpy  # noqa: F401  # OpenBLAS reads the variable as it loads, here
    finally:
        if before is None:
            os.environ.pop("OPENBLAS_CORETYPE", None)
        else:
            os.environ["OPENBLAS_CORETYPE"] = before
    return True


# numpy's OpenBLAS, found by its file next to numpy (a wheel's numpy.libs / .dylibs), and the names its
# thread-count functions go by in each build (scipy-openblas's 64-bit and 32-bit ints, a plain OpenBLAS).
_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)
_controls: tuple | bool | None = False  # False: not looked for yet; None: not found
_lock = threading.Lock()
_depth = 0
_saved = 1


def _find_controls() -> tuple | None:
    """(get, set) of numpy's own OpenBLAS thread count, or None (another BLAS, or not a wheel's numpy)."""
    import ctypes
    from pathlib import Path

    import numpy

    root = Path(numpy.__file__).parent
    for lib in sorted([*root.parent.glob("numpy.libs/*openblas*"), *root.glob(".dylibs/*openblas*")]):
        try:
            handle = ctypes.CDLL(str(lib))  # already loaded by numpy: the same copy, not a second one
        except OSError:
            continue
        for get_name, set_name in _SYMBOLS:
            get, put = getattr(handle, get_name, None), getattr(handle, set_name, None)
            if get is not None and put is not None:
                get.restype, get.argtypes, put.restype, put.argtypes = ctypes.c_int, [], None, [ctypes.c_int]
                return get, put
    return None


def numpy_threads_settable() -> bool:
    """Whether one_thread() can set numpy's OpenBLAS thread count here."""
    global _controls
    if _controls is False:
        with _lock:
            if _controls is False:
                try:
                    _controls = _find_controls()
                except Exception:  # no controls: the caller keeps its blocked products
                    _controls = None
    return _controls is not None


@contextlib.contextmanager
def one_thread():
    """numpy's OpenBLAS on one thread while the block runs (a question's products), then the count it had.

    The count is process-wide in numpy's build (pthreads; even `openblas_set_num_threads_local`), so
    overlapping blocks in other threads share one setting: the first to enter sets 1, the last to leave
    puts back what the first found. Another thread's numpy product meanwhile runs on one thread too: an
    add's model and vector search are torch's and FAISS's (other libraries, unaffected), but its numpy
    products (claim matching in index.evidence and index.linking) may run on one thread for that moment.
    Does nothing where the controls are not found (numpy_threads_settable)."""
    global _depth, _saved
    if not numpy_threads_settable():
        yield
        return
    get, put = _controls
    with _lock:
        if _depth == 0:
            _saved = get()
            if _saved != 1:
                put(1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved != 1:
                put(_saved)
