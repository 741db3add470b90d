"""Runs the real Run:ai Model Streamer (.venv-streamer, tests/standins/streamer_read.py) in a given
environment, as an engine pod would: files the pod mounts (the S3 client config) at their rendered paths, and
virtual-hosted bucket names (`<bucket>.localhost`) resolving to loopback. Both without touching the
machine: the reader runs in a private mount namespace (`unshare -m`, as root) whose /etc is an overlay, so
the extra /etc/hosts line and the mounted files exist for that process alone."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.standins.processes import installed

READER = ROOT / "tests" / "standins" / "streamer_read.py"


def streamer_python() -> Path:
    """The interpreter of .venv-streamer (runai-model-streamer and its S3 backend, 0.17.1)."""
    return installed("TKE_LLM_STREAMER_PYTHON", ".venv-streamer", "python", "the Run:ai Model Streamer")


def read_with_streamer(url: str, env: dict[str, str], workdir: Path, *, files: dict[str, str] | None = None,
                       loopback_hosts: tuple[str, ...] = (), seconds: float = 180) -> dict[str, Any]:
    """What streamer_read.py reports for `url`, run with exactly `env` (plus PATH). `files`: absolute path
    under /etc -> content, as the pod's mounts present them; `loopback_hosts` resolve to 127.0.0.1."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise FileNotFoundError("unshare (util-linux) is needed to give the streamer its own /etc")
    upper, work = workdir / "etc-upper", workdir / "etc-work"
    for d in (upper, work):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    steps = [f"mount -t overlay overlay -o lowerdir=/etc,upperdir={upper},workdir={work} /etc"]
    for path, content in (files or {}).items():
        if not path.startswith("/etc/"):
            raise ValueError(f"{path}: only files under /etc can be laid out for the streamer")
        staged = workdir / ("staged-" + path.strip("/").replace("/", "_"))
        staged.write_text(content)
        steps += [f"mkdir -p {shlex.quote(str(Path(path).parent))}", f"cp {shlex.quote(str(staged))} {shlex.quote(path)}"]
    for host in loopback_hosts:
        steps.append(f"echo {shlex.quote('127.0.0.1 ' + host)} >> /etc/hosts")
    steps.append('exec "$@"')
    cmd = [unshare, "-m", "sh", "-c", " && ".join(steps), "sh", str(streamer_python()), str(READER), url]
    out = subprocess.run(cmd, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", **env}, capture_output=True,
                         text=True, timeout=seconds)
    if out.returncode != 0:
        raise RuntimeError(f"the streamer failed ({out.returncode}): {out.stderr[-3000:]}")
    return json.loads(out.stdout)
