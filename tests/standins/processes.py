"""The programs the stand-in tests start for real (proxy, router, UI): where the Makefile installed
them, and stopping each one's process group, also when a test fails half-way."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import ROOT


def installed(env_var: str, venv: str, exe: str, what: str) -> Path:
    """`$env_var`, else `<venv>/bin/<exe>` as `make test` installs it; never a silent skip."""
    if env := os.environ.get(env_var):
        return Path(env)
    path = ROOT / venv / "bin" / exe
    if not path.is_file():
        raise FileNotFoundError(f"{what} is not installed: run `make test` (creates {venv}) or set {env_var}")
    return path


def stop(proc: subprocess.Popen[Any], grace: float = 10) -> None:
    """SIGTERM to the process group, SIGKILL after `grace` seconds."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
