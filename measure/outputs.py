"""The stack outputs the measure command reads: the same names apps read (program/access.py), from
`pulumi stack output --json --show-secrets` run for the stack, or from a file holding what that prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class OutputsError(Exception):
    pass


@dataclass(frozen=True)
class StackOutputs:
    api_base_url: str
    api_base_url_in_cluster: str
    api_key: str
    models: tuple[str, ...]
    namespace: str | None
    kubeconfig: str | None

    @property
    def in_cluster_only(self) -> bool:
        """The API is not exposed: `apiBaseUrl` is the in-cluster Service URL (program/access.py)."""
        return self.api_base_url == self.api_base_url_in_cluster or ".svc:" in self.api_base_url


def parse(data: Any) -> StackOutputs:
    """Refuse what a benchmark cannot use, naming the output: no key (printed without --show-secrets)."""
    if not isinstance(data, dict):
        raise OutputsError("stack outputs must be a JSON object of output names to values")
    missing = [k for k in ("apiBaseUrl", "apiKey", "models") if k not in data]
    if missing:
        raise OutputsError(f"the stack outputs lack {', '.join(missing)}: is the stack up, and does it serve a model?")
    key = data["apiKey"]
    if not isinstance(key, str) or key == "[secret]":
        raise OutputsError("apiKey is masked: the outputs must be printed with --show-secrets")
    models = data["models"]
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        raise OutputsError(f"models must be a non-empty list of served names, not {models!r}")
    kubeconfig = data.get("kubeconfig")
    return StackOutputs(api_base_url=str(data["apiBaseUrl"]),
                        api_base_url_in_cluster=str(data.get("apiBaseUrlInCluster", data["apiBaseUrl"])),
                        api_key=key, models=tuple(models), namespace=data.get("namespace"),
                        kubeconfig=kubeconfig if isinstance(kubeconfig, str) and kubeconfig != "[secret]" else None)


def from_file(path: Path) -> StackOutputs:
    try:
        return parse(json.loads(path.read_text()))
    except (OSError, ValueError) as err:
        raise OutputsError(f"{path}: {err}") from None


def pulumi_bin(env: dict[str, str] | None = None) -> str:
    """`PULUMI_BIN`, else `pulumi` on PATH (of `env` when given)."""
    env = env if env is not None else dict(os.environ)
    found = env.get("PULUMI_BIN") or shutil.which("pulumi", path=env.get("PATH"))
    if not found:
        raise OutputsError("the Pulumi CLI is not on PATH (set PULUMI_BIN), or pass --outputs FILE with what "
                           "`pulumi stack output --json --show-secrets` printed")
    return found


def from_pulumi(stack: str, cwd: Path, env: dict[str, str] | None = None) -> StackOutputs:
    """Run the real CLI in the project directory; its error (no such stack, not logged in) is passed on."""
    cmd = [pulumi_bin(env), "stack", "output", "--json", "--show-secrets", "--stack", stack, "--non-interactive"]
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise OutputsError(f"`{' '.join(cmd[1:])}` failed: {done.stderr.strip() or done.stdout.strip()}")
    try:
        return parse(json.loads(done.stdout))
    except ValueError as err:
        raise OutputsError(f"`pulumi stack output --json` printed no JSON: {err}") from None
