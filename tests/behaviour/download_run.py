"""Running the download Job's own script on this machine: the real `hf` and `modelscope` CLIs from
.venv-hub (the pins of render/model_cache.py) against the stand-in hub, with the env the Job renders.

Only the tools' install is skipped: `python -m pip install` is answered by a wrapper that does
nothing (.venv-hub holds the same pinned versions, which `installed_versions` proves); every other
`python` call, i.e. the verification, runs .venv-hub's interpreter."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from render.engines.spec import ModelVolume
from render.model_cache import ModelSource, download_job
from render.placement import PodPlacement

from tests.conftest import ROOT

HUB_VENV = ROOT / ".venv-hub"
MODEL_DIR = "hub/acme/tiny/v1.0"


def installed_versions() -> dict[str, str]:
    out = subprocess.run(
        [str(HUB_VENV / "bin" / "python"), "-c",
         "import importlib.metadata as m; print(*(f'{p}=={m.version(p)}' for p in "
         "('huggingface_hub', 'hf-xet', 'modelscope-hub')))"],
        capture_output=True, text=True, check=True, timeout=60)
    return dict(r.split("==") for r in out.stdout.split())


def rendered(source: ModelSource, workers: int) -> tuple[str, dict[str, str]]:
    """The Job's script and its plain env values (secret references are not used here)."""
    job = download_job("tiny", "llm", source, volume=ModelVolume(pvc_name="models", host_path=None),
                       model_dir=MODEL_DIR, placement=PodPlacement({}), budget_seconds=3600, workers=workers)
    container = job["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    return container["command"][2], env


class JobRun:
    """The script with the rendered env, its paths moved under `tmp`, the tools from .venv-hub."""

    def __init__(self, tmp: Path, source: ModelSource, workers: int = 8) -> None:
        self.tmp, self.source = tmp, source
        self.script, env = rendered(source, workers)
        self.root = tmp / "volume"
        self.root.mkdir(exist_ok=True)
        bindir = tmp / "bin"
        bindir.mkdir(exist_ok=True)
        python = bindir / "python"
        python.write_text('#!/bin/bash\nif [ "$1 $2 $3" = "-m pip install" ]; then exit 0; fi\n'
                          f'exec {HUB_VENV}/bin/python "$@"\n')
        python.chmod(0o755)
        for tool in ("hf", "modelscope"):
            (bindir / tool).unlink(missing_ok=True)
            (bindir / tool).symlink_to(HUB_VENV / "bin" / tool)
        home = tmp / "home"
        self.env = {**env, "MODEL_ROOT": str(self.root), "HOME": str(home), "PATH": f"{bindir}:/usr/bin:/bin",
                    "HF_HOME": str(home / "hf"), "MODELSCOPE_CACHE": str(home / "modelscope"),
                    "HF_HUB_DISABLE_PROGRESS_BARS": "1", "LANG": "C.UTF-8"}

    @property
    def final(self) -> Path:
        return self.root / MODEL_DIR

    def start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(["bash", "-c", self.script], env=self.env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def run(self, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        proc = self.start()
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill(proc)
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


def kill(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the script and the tools it started (its own session), as a pod's deletion would."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate(timeout=30)
