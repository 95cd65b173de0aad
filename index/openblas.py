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

import os
import sys

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
