"""Shared fixtures: config builders and a render helper.

Each render runs the real composition under Pulumi's mocks with its own event loop and recording
monitor (see preview/runner.py), so tests stay independent of one another.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from checks import checked  # noqa: E402
from preview import Plan, render  # noqa: E402

SYSTEM_POOL = {"kind": "normal", "name": "system", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3}
GPU_POOL = {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2,
            "gpu": {"type": "A10", "count": 1}}

# A 2-node DeepSeek-R1 group on attached 8x H20 RDMA machines with CFS-Turbo: the add-on and RDMA tests' stack.
H20 = {"kind": "attached", "name": "h20", "instanceIds": ["ins-0000000a", "ins-0000000b"], "keyId": "skey-00000001",
       "gpu": {"type": "H20", "count": 8, "rdma": True}}
R1 = {"name": "r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "h20", "gpusPerNode": 8, "nodes": 2,
      "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 32768}}
TURBO = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}
MIRROR_KEYS = {"cosSecretId": "AKIDscoped", "cosSecretKey": "scoped-secret"}
"""The config keys a `modelCache.mirror` names by default (checks/secrets.py requires them)."""


def tke_config(**sections: Any) -> dict[str, Any]:
    """A minimal valid new-cluster stack; keyword arguments replace whole sections."""
    cfg: dict[str, Any] = {
        "cluster": {
            "kind": "tke", "region": "ap-shanghai",
            "network": {"subnets": [{"zone": "ap-shanghai-5", "cidr": "10.0.1.0/24"}]},
        },
        "nodePools": [copy.deepcopy(SYSTEM_POOL), copy.deepcopy(GPU_POOL)],
        "storage": {"kind": "cfs"},
    }
    cfg.update(copy.deepcopy(sections))
    return cfg


def existing_config(**sections: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "cluster": {"kind": "existing", "name": "lab", "kubernetesVersion": "1.29.0", "kubeconfigPath": "~/.kube/config"},
        "nodePools": [{"kind": "existing", "name": "gpu", "nodeSelector": {"gpu": "true"}, "gpu": {"type": "T4", "count": 1}}],
        "storage": {"kind": "existing", "storageClassName": "nfs"},
    }
    cfg.update(copy.deepcopy(sections))
    return cfg


def config_errors(raw: dict[str, Any]) -> list[str]:
    """The keyed messages a config is refused with (it must be refused)."""
    from config import ConfigError

    with pytest.raises(ConfigError) as exc:
        checked(raw)
    return [str(i) for i in exc.value.issues]


def plan_errors(tmp_path: Path, capsys: Any, text: str | bytes) -> list[str]:
    """The offline plan's refusal of a stack file (text, or the file's bytes): exit 2, no traceback, nothing
    written, the lines it printed."""
    from preview.__main__ import main

    path = tmp_path / "Pulumi.t.yaml"
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    code = main(["t", "--stack-dir", str(tmp_path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "t").exists(), "nothing is written for a refused stack"
    return [line.strip() for line in err.splitlines()]


def render_raw(raw: dict[str, Any], stack: str = "test", secrets: set[str] | None = None) -> Plan:
    return render(checked(raw), stack, raw, secrets)


@pytest.fixture(scope="session")
def dev_like_plan() -> Plan:
    return render_raw(tke_config())


def gateway_config_name(plan: Plan) -> str:
    """The ConfigMap the gateway Deployment mounts (its name carries a hash of its content)."""
    from render import litellm

    pod = plan.manifest("Deployment", litellm.NAME)["spec"]["template"]["spec"]
    (name,) = [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v]
    return name
