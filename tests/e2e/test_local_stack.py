"""A stack made to run on the local cluster (e2e/local_stack.py) and try-local's refusals: the conversion
keeps the stack passing its own checks and says what the local cluster stands in for; a config error
ends `python -m e2e.try_local` with exit 2 and the keyed list before anything starts."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from checks import load
from config import ConfigError
from e2e.local_stack import LOCAL_STORAGE_CLASS, PREFIX, SECRET_PLACEHOLDER, local_stack
from e2e.try_local import main

from tests.conftest import SYSTEM_POOL, existing_config, tke_config

STACKS = Path(__file__).parent / "stacks"
ROOT = Path(__file__).resolve().parents[2]
QWEN = {"name": "qwen", "servedName": "Qwen3-8B", "engine": "vllm", "pool": "gpu",
        "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "a" * 40},
        "settings": {"maxModelLen": 8192}}
GPU = {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2,
       "gpu": {"type": "A10", "count": 1}}


def write_stack(directory: Path, name: str, raw: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    config = {PREFIX + k: v for k, v in raw.items()}
    if raw.get("cluster", {}).get("kind") == "tke":  # as a TKE stack file carries it (checks/: the provider region)
        config["tencentcloud:region"] = raw["cluster"]["region"]
    config.update(extra or {})
    (directory / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return directory


def converted(local) -> dict[str, Any]:
    """The local config without the prefix, checked as the program checks it under the engine."""
    raw = {k[len(PREFIX):]: v for k, v in local.config.items()}
    load(raw, {k[len(PREFIX):] for k in local.secrets})
    return raw


@pytest.mark.parametrize("stack,stack_dir", [("dev", ROOT), ("prod", ROOT), ("byo", ROOT), ("kinds", STACKS),
                                             ("nodes", STACKS)])
def test_shipped_and_test_stacks_convert_and_pass_their_checks(stack: str, stack_dir: Path) -> None:
    local = local_stack(stack, Path("/tmp/kubeconfig"), stack_dir)
    raw = converted(local)
    assert raw["cluster"]["kind"] == "existing" and raw["cluster"]["kubeconfigPath"] == "/tmp/kubeconfig"
    assert {p["kind"] for p in raw["nodePools"]} == {"existing"}
    assert local.stands_in_for and local.storage_classes


def test_queue_autoscaling_through_an_hpa_keeps_its_prometheus_url(tmp_path: Path) -> None:
    """A TKE stack scaling on the queue through an HPA and the Prometheus Adapter, reading TKE's managed
    Prometheus at `monitoring.prometheus.url`: the local stack keeps the URL (it read `queryUrl`, lost it
    and failed the stack's own check), and declares the adapter it does not install."""
    raw = tke_config(nodePools=[SYSTEM_POOL, GPU],
                     models=[{**QWEN, "autoscaling": {"metric": "queue", "scaler": "hpa", "maxReplicas": 2}}],
                     monitoring={"prometheus": {"kind": "tke-managed", "instanceId": "prom-abc12345",
                                                "url": "http://10.0.0.9:9090"}},
                     autoscalers={"installPrometheusAdapter": True})
    local = local_stack("hpa", Path("/tmp/kc"), write_stack(tmp_path, "hpa", raw))
    out = converted(local)
    assert out["monitoring"]["prometheus"] == {"kind": "existing", "namespace": "prom-abc12345",
                                               "url": "http://10.0.0.9:9090"}
    assert out["models"][0]["autoscaling"] == raw["models"][0]["autoscaling"]  # the HPA is still rendered
    assert any("Prometheus Adapter" in line and "installPrometheusAdapter" in line for line in local.stands_in_for)


def test_keda_gpu_metric_and_clb_settings_are_declared_not_refused(tmp_path: Path) -> None:
    """KEDA on an in-cluster Prometheus, TKE's GPU metric (a fixed count: its HPA's minimum), a CLB
    restricted by `allowedCidrs` (a security group the cloud layer creates) and an internal CLB: each
    passes the checks locally and is listed as stood in for."""
    raw = tke_config(nodePools=[SYSTEM_POOL, {**GPU, "maxSize": 4}],
                     models=[{**QWEN, "autoscaling": {"metric": "queue", "maxReplicas": 2}},
                             {**QWEN, "name": "qwen-gpu", "servedName": "Qwen3-8B-GPU",
                              "autoscaling": {"metric": "gpu", "minReplicas": 2, "maxReplicas": 2}}],
                     monitoring={"prometheus": {"kind": "in-cluster"}}, autoscalers={"installKeda": True},
                     gateway={"kind": "litellm"}, webui={"enabled": True},
                     exposure={"api": {"kind": "loadBalancer", "allowedCidrs": ["198.51.100.0/24"]},
                               "webui": {"kind": "loadBalancer", "internalSubnetId": "subnet-abcd1234"}})
    local = local_stack("mixed", Path("/tmp/kc"), write_stack(tmp_path, "mixed", raw))
    out = converted(local)
    assert out["models"][1]["replicas"] == 2 and "autoscaling" not in out["models"][1]
    assert out["models"][0]["autoscaling"] == raw["models"][0]["autoscaling"]
    assert out["monitoring"]["prometheus"]["url"].endswith(".monitoring.svc:9090")
    assert out["exposure"]["api"]["securityGroupIds"] and "allowedCidrs" not in out["exposure"]["api"]
    said = "\n".join(local.stands_in_for)
    for key in ("installKeda", "TKE's GPU metric", "allowedCidrs", "internalSubnetId", "LeaderWorkerSet"):
        assert key in said, key
    # The chart is not installed (the converted stack says so); KEDA's own operator runs beside the cluster.
    assert out["autoscalers"]["installKeda"] is False and local.keda
    assert local.storage_classes == [LOCAL_STORAGE_CLASS]


def test_secrets_keep_their_keys_encrypted_with_a_placeholder(tmp_path: Path) -> None:
    """A hub token stays a secret key (encrypted by the local engine, holding a placeholder: the stack
    file's ciphertext is for its own secrets provider); an existing cluster's kubeconfig secret goes
    with the cluster section it served."""
    raw = existing_config(models=[{**QWEN, "engine": "vllm", "source": {**QWEN["source"], "tokenSecret": "hfToken"}}])
    raw["nodePools"][0]["gpu"] = {"type": "A10", "count": 1}
    raw["cluster"] = {"kind": "existing", "name": "lab", "kubernetesVersion": "1.30.0", "kubeconfigSecret": "kubeconfig"}
    secure = {"secure": "v1:AAAAAAAA"}
    stack_dir = write_stack(tmp_path, "sec", raw, {f"{PREFIX}hfToken": secure, f"{PREFIX}kubeconfig": secure})
    local = local_stack("sec", Path("/tmp/kc"), stack_dir)
    assert local.secrets == {f"{PREFIX}hfToken"}
    assert local.config[f"{PREFIX}hfToken"] == SECRET_PLACEHOLDER and f"{PREFIX}kubeconfig" not in local.config
    converted(local)


def children() -> set[int]:
    me = os.getpid()
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                    out.add(int(entry.name))
            except OSError:
                continue
    return out


def test_a_config_error_exits_2_with_the_keyed_list_before_anything_starts(tmp_path: Path, capsys) -> None:
    """No cluster, no work directory, no process: the stack is checked first."""
    raw = tke_config(nodePools=[SYSTEM_POOL, GPU], models=[{**QWEN, "pool": "nowhere"}],
                     storage={"kind": "cfs", "sizeGi": -1})
    stack_dir = write_stack(tmp_path / "stacks", "bad", raw)
    before = children()
    code = main(["bad", "--stack-dir", str(stack_dir), "--dir", str(tmp_path / "work"), "--once"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert "Pulumi.bad.yaml has" in err and "tke-llm:storage.sizeGi" in err, err
    assert not (tmp_path / "work").exists()
    assert children() <= before

    code = main(["missing", "--stack-dir", str(stack_dir), "--dir", str(tmp_path / "work")])
    err = capsys.readouterr().err
    assert code == 2 and "Pulumi.missing.yaml not found" in err and "bad" in err, err
    assert not (tmp_path / "work").exists()


def test_the_stack_file_is_read_as_the_cli_reads_it(tmp_path: Path, capsys) -> None:
    """A key written twice is refused with its key path (preview/stackfile.py), as the offline plan does."""
    raw = copy.deepcopy(existing_config())
    stack_dir = write_stack(tmp_path, "dup", raw)
    text = (stack_dir / "Pulumi.dup.yaml").read_text().replace("config:\n", "config:\n  tke-llm:namespace: a\n  tke-llm:namespace: b\n", 1)
    (stack_dir / "Pulumi.dup.yaml").write_text(text)
    assert main(["dup", "--stack-dir", str(stack_dir), "--dir", str(tmp_path / "work")]) == 2
    assert "tke-llm:namespace: written twice" in capsys.readouterr().err


def test_a_conversion_that_breaks_a_check_is_reported_as_try_locals(tmp_path: Path, monkeypatch) -> None:
    """Should a conversion break one of the stack's checks, the key comes back, saying the fix is in
    e2e/local_stack.py and not in the stack (which passed)."""
    import e2e.local_stack as ls

    real = ls.convert

    def broken(raw, cfg, kubeconfig):
        out, said, classes = real(raw, cfg, kubeconfig)
        out["nodePools"][0]["maxSize"] = 0
        return out, said, classes

    monkeypatch.setattr(ls, "convert", broken)
    with pytest.raises(ConfigError) as err:
        local_stack("byo", Path("/tmp/kc"), ROOT)
    (issue,) = err.value.issues
    assert issue.key == "tke-llm:nodePools[0].maxSize" and "e2e/local_stack.py must change" in issue.message
