"""Where the built toolchain is: runs e2e/tools/build.sh (instant when the cache for these pins exists)."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

BUILD = Path(__file__).resolve().parent / "tools" / "build.sh"


@lru_cache(maxsize=1)
def tools_dir() -> Path:
    """The cache directory holding bin/ (binaries), kwok/ (stages, CRD) and lws-crd.yaml."""
    out = subprocess.run(["bash", str(BUILD)], check=True, stdout=subprocess.PIPE, text=True).stdout
    return Path(out.strip().splitlines()[-1]).parent
