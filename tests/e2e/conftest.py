"""Fixtures for the real-engine tests: the built toolchain, a local control plane with fake nodes derived
from the stack's node pools, and the Pulumi engine with a local state. Each module gets its own cluster
and state; everything started is stopped by PID, also when a test fails."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

import pytest
import yaml

from e2e.cluster import LocalCluster
from e2e.engine import Engine
from e2e.toolchain import tools_dir
from preview.diff import diff_plans, load_plan

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "tke-llm:"


@pytest.fixture(scope="session")
def tools() -> Path:
    return tools_dir()


def shipped_config(stack: str) -> dict[str, Any]:
    """The `config:` mapping of a shipped stack file, keys with their project prefix."""
    return yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def local_cluster_config(config: dict[str, Any], kubeconfig: Path, name: str) -> dict[str, Any]:
    """The stack pointed at the local cluster: an existing cluster read from its kubeconfig file."""
    out = copy.deepcopy(config)
    out[f"{PREFIX}cluster"] = {"kind": "existing", "name": name, "kubernetesVersion": "1.30.0",
                               "kubeconfigPath": str(kubeconfig)}
    return out


class Harness:
    def __init__(self, cluster: LocalCluster, engine: Engine):
        self.cluster = cluster
        self.engine = engine
        self.kube = cluster.kube


@pytest.fixture(scope="module")
def local(tools: Path, tmp_path_factory: pytest.TempPathFactory, request) -> Iterator[Harness]:
    """A cluster + engine for one test module. The module sets `STACK_CONFIG` (the prefixed config map
    without the cluster section), `STORAGE_CLASSES` and optionally `LWS = True` (the LeaderWorkerSet
    controller) and `KEDA = True` (KEDA's operator and admission webhooks)."""
    mod = request.module
    work = tmp_path_factory.mktemp(mod.__name__.rsplit(".", 1)[-1])
    cluster = LocalCluster(tools, work / "cluster", lws=getattr(mod, "LWS", False), keda=getattr(mod, "KEDA", False))
    cluster.start()
    try:
        config = local_cluster_config(mod.STACK_CONFIG, cluster.kubeconfig, "local")
        cluster.prepare(config, list(getattr(mod, "STORAGE_CLASSES", ())))
        yield Harness(cluster, Engine(tools, work / "engine"))
    finally:
        cluster.stop()


def engine_stack(local: Harness, name: str, config: dict[str, Any], secrets: Iterable[str] = ()):
    """The stack on the local cluster, with its config map kept on it for the change tests; the `secrets`
    keys stored encrypted."""
    st = local.engine.stack(name, config, secrets)
    st.config = config  # type: ignore[attr-defined]
    return st


def set_config(local: Harness, name: str, stack, config: dict[str, Any]) -> None:
    local.engine.write_config(name, config)
    stack.config = config


def resource_steps(steps) -> dict[str, str]:
    """The engine's steps on resources. The dynamic-provider host (generated keys) is configured with the
    whole stack config, so any config change shows it as an `update` with no diff and no effect on the
    secrets it manages: a provider step, not a resource change, and not in the offline diff."""
    changed = steps.changed()
    host = {k: v for k, v in changed.items() if k.startswith("pulumi:providers:pulumi-python::")}
    assert set(host.values()) <= {"update"}, host
    return {k: v for k, v in changed.items() if k not in host}


def offline_actions(local: Harness, name: str, base_config: dict[str, Any], head_config: dict[str, Any]) -> dict[str, str]:
    """What `python -m preview --diff-against` reports for the same change: `type::name` -> action."""
    out = local.engine.dir / "offline"
    plans = {}
    for label, cfg in (("base", base_config), ("head", head_config)):
        local.engine.write_config(name, cfg)
        subprocess.run([sys.executable, "-m", "preview", name, "--quiet", "--stack-dir", str(local.engine.project),
                        "--out", str(out / label)], check=True, cwd=ROOT, capture_output=True)
        plans[label] = load_plan(out / label, name)
    local.engine.write_config(name, head_config)
    d = diff_plans(name, plans["base"], plans["head"])
    return {c.urn.split("::", 2)[2]: c.action for c in d.changes}
