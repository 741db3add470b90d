"""The real router (vllm-router or sglang-router from its PyPI wheel, in .venv-router) on loopback, started
with the command and arguments the router Deployment renders, the command's program taken from the venv.
Only addresses change: the listen and metrics hosts and ports become loopback ones, and Kubernetes pod
discovery (`--service-discovery --selector ...`) becomes the stand-in replicas' static `--worker-urls`."""

from __future__ import annotations

import contextlib
import os
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from tests.conftest import ROOT
from tests.standins.net import free_port, request, wait_until_answers
from tests.standins.processes import stop

STARTUP_SECONDS = 60
DISCOVERY_FLAGS = {"--service-discovery": 0, "--service-discovery-port": 1, "--service-discovery-namespace": 1,
                   "--selector": -1, "--prefill-selector": -1, "--decode-selector": -1}
"""Discovery flags and how many values each takes (-1: every value up to the next flag)."""
ADDRESS_FLAGS = ("--host", "--port", "--prometheus-host", "--prometheus-port")


def router_bin(name: str = "vllm-router") -> Path:
    """`ROUTER_BIN_DIR/<name>`, else the Makefile's `.venv-router`; never a silent skip."""
    path = Path(os.environ.get("ROUTER_BIN_DIR") or ROOT / ".venv-router" / "bin") / name
    if not path.is_file():
        raise FileNotFoundError(f"the router is not installed ({path}): run `make router-venv` (creates "
                                ".venv-router from requirements-router.txt) or set ROUTER_BIN_DIR")
    return path


def loopback_args(args: list[str], workers: list[str], port: int, metrics_port: int) -> list[str]:
    """`args` with the listen and metrics addresses on loopback and discovery replaced by `workers`."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        flag, eq, _ = arg.partition("=")
        if flag in DISCOVERY_FLAGS or flag in ADDRESS_FLAGS:
            i += 1
            if not eq:
                want = DISCOVERY_FLAGS.get(flag, 1)
                while i < len(args) and want != 0 and not args[i].startswith("--"):
                    i, want = i + 1, want - 1
            continue
        out.append(arg)
        i += 1
    return [*out, "--host", "127.0.0.1", "--port", str(port), "--prometheus-host", "127.0.0.1",
            "--prometheus-port", str(metrics_port), "--worker-urls", *workers]


def flag_value(args: list[str], flag: str, default: str) -> str:
    """The value of `flag` in `args` (`--flag v` or `--flag=v`), else `default`."""
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return default


@dataclass
class RunningRouter:
    base: str
    metrics_url: str
    args: list[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()[-6000:]

    def metrics(self) -> str:
        with urllib.request.urlopen(self.metrics_url, timeout=5) as resp:
            return resp.read().decode()

    def counter(self, name: str, **labels: str) -> float:
        """Sum of a metric's samples whose labels include `labels` (0 when absent)."""
        total = 0.0
        for line in self.metrics().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                sample, _, value = line.rpartition(" ")
                if all(f'{k}="{v}"' in sample for k, v in labels.items()):
                    total += float(value)
        return total

    def healthy(self) -> dict[str, bool]:
        """The router's own view of its workers (GET /workers)."""
        status, body = request(f"{self.base}/workers", None)
        assert status == 200, body
        return {w["url"]: w["is_healthy"] for w in body["workers"]}


@contextlib.contextmanager
def running_router(rendered_args: list[str], workers: list[str], workdir: Path, *,
                   command: tuple[str, ...] | list[str] = ("vllm-router",)) -> Iterator[RunningRouter]:
    """Start the router (`command`, its program from .venv-router: `vllm-router`, or `python3 -m
    sglang_router.launch_router`) with the rendered args on loopback; yield it once /readiness answers."""
    port, metrics_port = free_port(), free_port()
    args = loopback_args(rendered_args, workers, port, metrics_port)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "router.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir),
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "NO_COLOR": "1"}
    with log_path.open("w") as log:
        proc = subprocess.Popen([str(router_bin(command[0])), *command[1:], *args], cwd=workdir, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_answers(f"{base}/readiness", STARTUP_SECONDS, alive=lambda: proc.poll() is None,
                               log=lambda: log_path.read_text()[-4000:])
            yield RunningRouter(base, f"http://127.0.0.1:{metrics_port}/metrics", args, log_path)
        finally:
            stop(proc)

