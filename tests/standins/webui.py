"""The real OpenWebUI (the PyPI release of the pinned image, in .venv-webui) started as the plan's UI pod
runs it: the image's own environment (its Dockerfile's ENV), then every rendered variable with Secret
references resolved from the rendered Secrets. Two rewrites only: the backend's in-cluster URL is pointed
at a loopback stand-in, and the data volume's mount path at a directory standing in for the volume.
An audit hook in the UI process records every socket connect and name lookup (the offline check)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from render import webui

from tests.standins.gateway import container_env, secret_values
from tests.standins.net import free_port, wait_until_answers
from tests.standins.processes import installed, stop

STARTUP_SECONDS = 240
"""The bound on one start (first start: the database migrations); measured ~50 s on a loaded 2-core machine."""

IMAGE_ENV = {
    "ENV": "prod", "PORT": "8080", "DOCKER": "true", "USE_OLLAMA_DOCKER": "false", "USE_CUDA_DOCKER": "false",
    "OLLAMA_BASE_URL": "/ollama", "OPENAI_API_BASE_URL": "", "OPENAI_API_KEY": "", "WEBUI_SECRET_KEY": "",
    "SCARF_NO_ANALYTICS": "true", "DO_NOT_TRACK": "true", "ANONYMIZED_TELEMETRY": "false",
    "WHISPER_MODEL": "base", "WHISPER_MODEL_DIR": f"{webui.DATA_PATH}/cache/whisper/models",
    "RAG_EMBEDDING_MODEL": "sentence-transformers/all-MiniLM-L6-v2", "RAG_RERANKING_MODEL": "",
    "SENTENCE_TRANSFORMERS_HOME": f"{webui.DATA_PATH}/cache/embedding/models",
    "TIKTOKEN_ENCODING_NAME": "cl100k_base", "TIKTOKEN_CACHE_DIR": f"{webui.DATA_PATH}/cache/tiktoken",
    "HF_HOME": f"{webui.DATA_PATH}/cache/embedding/models",
}
"""The image's ENV lines (open-webui/open-webui Dockerfile at commit 08d67bf, default build args; the
tag's own Dockerfile was not readable here); the rendered env overrides them."""

IMAGE_DATA_DIR = webui.DATA_PATH
"""Where the image keeps its data when DATA_DIR is unset: WORKDIR /app/backend + open_webui/env.py
`BACKEND_DIR / 'data'` (the pip install's default is inside site-packages instead, so the fixture says it)."""

AUDIT_HOOK = '''
import json, os, sys
_log = os.environ["TKE_LLM_NET_LOG"]
def _hook(event, args):
    if event == "socket.connect":
        addr = args[1]
        rec = {"event": "connect", "address": list(addr) if isinstance(addr, tuple) else str(addr)}
    elif event == "socket.getaddrinfo":
        rec = {"event": "getaddrinfo", "host": str(args[0]), "port": str(args[1])}
    else:
        return
    with open(_log, "a") as f:
        f.write(json.dumps(rec) + "\\n")
sys.addaudithook(_hook)
'''
"""sitecustomize for the UI process: every socket connect and name lookup it makes, one JSON line each."""


def webui_bin() -> Path:
    return installed("OPENWEBUI_BIN", ".venv-webui", "open-webui", "OpenWebUI")


def ui_container(plan: Any) -> dict[str, Any]:
    return plan.manifest("Deployment", webui.NAME)["spec"]["template"]["spec"]["containers"][0]


def data_mount(plan: Any) -> str:
    """The mount path of the UI's data volume (the PVC) in the rendered pod."""
    pod = plan.manifest("Deployment", webui.NAME)["spec"]["template"]["spec"]
    (volume,) = [v["name"] for v in pod["volumes"] if v.get("persistentVolumeClaim", {}).get("claimName") == webui.PVC]
    (path,) = [m["mountPath"] for m in ui_container(plan)["volumeMounts"] if m["name"] == volume]
    return path


def pod_env(plan: Any) -> dict[str, str]:
    """The environment the UI container starts with: the image's ENV, then the rendered env on top."""
    return {**IMAGE_ENV, **container_env(ui_container(plan), secret_values(plan))}


@dataclass
class RunningWebui:
    base: str
    port: int
    env: dict[str, str]
    data_dir: Path
    workdir: Path
    proc: subprocess.Popen[bytes]
    started_in: float

    def log(self) -> str:
        return (self.workdir / "webui.log").read_text(errors="replace")[-8000:]

    def network(self) -> list[dict[str, Any]]:
        """Every connect and name lookup the UI process made so far."""
        path = Path(self.env["TKE_LLM_NET_LOG"])
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@contextlib.contextmanager
def running_webui(plan: Any, workdir: Path, data_dir: Path, *, backend: str,
                  port: int | None = None) -> Iterator[RunningWebui]:
    """Start the UI as the plan renders it, its backend URL (OPENAI_API_BASE_URL or OLLAMA_BASE_URL)
    replaced by `backend` and its data volume by `data_dir`; on `port` (a restarted pod keeps its address)
    when given; always stop it."""
    env = pod_env(plan)
    mount = data_mount(plan)
    data_dir.mkdir(parents=True, exist_ok=True)
    env.setdefault("DATA_DIR", IMAGE_DATA_DIR)
    for name in ("OPENAI_API_BASE_URL", "OLLAMA_BASE_URL"):  # rewrite 1: the in-cluster backend -> loopback
        if ".svc:" in env.get(name, ""):
            env[name] = backend + ("/v1" if env[name].rstrip("/").endswith("/v1") else "")
    env = {k: v.replace(mount, str(data_dir)) if v.startswith(mount) else v  # rewrite 2: the volume
           for k, v in env.items()}
    site = workdir / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(AUDIT_HOOK)
    cwd = workdir / "cwd"  # the image's WORKDIR (/app/backend) stands here: not the volume
    cwd.mkdir(exist_ok=True)
    env.update({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir / "home"),
                "TMPDIR": str(workdir), "PYTHONPATH": str(site), "TKE_LLM_NET_LOG": str(workdir / "net.jsonl")})
    (workdir / "home").mkdir(exist_ok=True)
    port = port or free_port()
    log = (workdir / "webui.log").open("a")
    started = time.monotonic()
    proc = subprocess.Popen([str(webui_bin()), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=cwd,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base}/health", STARTUP_SECONDS, alive=lambda: proc.poll() is None,
                           log=lambda: (workdir / "webui.log").read_text(errors="replace")[-6000:])
        yield RunningWebui(base, port, env, data_dir, workdir, proc, time.monotonic() - started)
    finally:
        stop(proc, grace=20)
        log.close()
