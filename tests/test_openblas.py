"""VERBATIM_OPENBLAS_CORETYPE picks numpy's OpenBLAS kernels, and only numpy's (index.openblas)."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import index, os, numpy; print(os.environ.get('OPENBLAS_CORETYPE', '-'))"


def probe(**env: str) -> tuple[str, list[str]]:
    """(OPENBLAS_CORETYPE after `import index`, the cores OpenBLAS copies reported as they loaded)."""
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "VERBATIM_OPENBLAS_CORETYPE")}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={**base, "PYTHONPATH": str(ROOT), "OPENBLAS_VERBOSE": "2", **env})  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout.strip(), re.findall(r"Core: (\w+)", out.stderr)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 OpenBLAS core names")
def test_the_setting_picks_numpys_kernels_and_leaves_the_environment_as_it_was():
    # Nehalem (SSE4.2) runs on every x86-64 this project meets, so the child cannot die of it
    left, cores = probe(VERBATIM_OPENBLAS_CORETYPE="Nehalem")
    if not cores:
        pytest.skip("numpy's BLAS here is not an OpenBLAS that reports a core it was told")
    assert cores == ["Nehalem"] and left == "-"
    left, cores = probe(VERBATIM_OPENBLAS_CORETYPE="Nehalem", OPENBLAS_CORETYPE="Prescott")
    assert cores == ["Nehalem"] and left == "Prescott"  # the environment's own choice is put back for later copies
    left, cores = probe(VERBATIM_OPENBLAS_CORETYPE="inherit", OPENBLAS_CORETYPE="Nehalem")
    assert cores == ["Nehalem"] and left == "Nehalem"  # inherit: the environment's choice, numpy's too


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 OpenBLAS core names")
def test_by_default_numpy_detects_its_cpu_whatever_the_environment_names():
    _, detected = probe()  # nothing set anywhere: the kernels numpy's OpenBLAS picks for this CPU
    if not detected:
        pytest.skip("numpy's BLAS here is not an OpenBLAS that reports its core")
    for setting in ("", "auto"):
        left, cores = probe(VERBATIM_OPENBLAS_CORETYPE=setting, OPENBLAS_CORETYPE="Prescott")
        assert cores[:1] == detected[:1] and left == "Prescott"  # put back for FAISS's copy and children
