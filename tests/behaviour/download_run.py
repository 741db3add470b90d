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
from render.mirror import MirrorSpec
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


def rendered(source: ModelSource, workers: int, mirror: MirrorSpec | None = None,
             secrets: dict[tuple[str, str], str] | None = None) -> tuple[str, dict[str, str]]:
    """The Job's script and its env: plain values, and each secretKeyRef resolved from `secrets`
    ((Secret name, key) -> value, as the kubelet would); a reference missing there fails."""
    job = download_job("tiny", "llm", source, volume=ModelVolume(pvc_name="models", host_path=None),
                       model_dir=MODEL_DIR, placement=PodPlacement({}), budget_seconds=3600, workers=workers,
                       mirror=mirror)
    return script_and_env(job["spec"]["template"]["spec"]["containers"][0], secrets)


def script_and_env(container: dict[str, Any], secrets: dict[tuple[str, str], str] | None = None
                   ) -> tuple[str, dict[str, str]]:
    """A rendered container's bash script and its env, secretKeyRefs resolved from `secrets`."""
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    for e in container["env"]:
        if "valueFrom" in e and secrets is not None:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = secrets[(ref["name"], ref["key"])]
    return container["command"][2], env


class JobRun:
    """The script with the rendered env, its paths moved under `tmp`, the tools from .venv-hub."""

    def __init__(self, tmp: Path, source: ModelSource, workers: int = 8, *, mirror: MirrorSpec | None = None,
                 secrets: dict[tuple[str, str], str] | None = None, volume: str = "volume",
                 container: dict[str, Any] | None = None) -> None:
        """`mirror`: the Job as rendered with it; its boto3 comes from .venv-s3 (the Job pip-installs the
        same pin into its tools directory, beside the hub tools). `volume`: another name is another
        (empty) volume, as a second stack or a lost volume has. `container`: run this rendered container
        (a DaemonSet's, a seed Job's) instead of the download Job's."""
        self.tmp, self.source = tmp, source
        self.script, env = script_and_env(container, secrets) if container is not None \
            else rendered(source, workers, mirror, secrets)
        self.root = tmp / volume
        self.root.mkdir(exist_ok=True)
        bindir = tmp / "bin"
        bindir.mkdir(exist_ok=True)
        python = bindir / "python"
        extra = f'PYTHONPATH="${{PYTHONPATH:+$PYTHONPATH:}}{s3_site_packages()}" ' if mirror is not None else ""
        python.write_text('#!/bin/bash\nif [ "$1 $2 $3" = "-m pip install" ]; then exit 0; fi\n'
                          f'{extra}exec {HUB_VENV}/bin/python "$@"\n')
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


def s3_site_packages() -> Path:
    """.venv-s3's site-packages (boto3 at the Job's pin), added after the hub tools' own, as the Job's
    single `pip install --target` directory holds both."""
    found = sorted((ROOT / ".venv-s3" / "lib").glob("python3*/site-packages"))
    if not found:
        raise FileNotFoundError("the S3 stand-in is not installed: run `make s3-venv`")
    return found[0]


def kill(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the script and the tools it started (its own session), as a pod's deletion would."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate(timeout=30)
