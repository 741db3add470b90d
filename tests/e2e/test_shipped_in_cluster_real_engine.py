"""The in-cluster layer of the shipped `dev` and `prod` stacks under the real engine: their cloud layer
replaced by fake nodes with the pools' labels, taints and GPUs (e2e/local_stack.py and e2e/try_local.py
`bring_up`, the same conversion and up path `make try-local` uses; what the local cluster stands in for
is listed per stack)."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.cluster import LocalCluster
from e2e.engine import Engine, run
from e2e.keda import KEDA_API
from e2e.local_stack import local_stack
from e2e.try_local import bring_up, succeeded

from .test_byo_real_engine import ts

pytestmark = pytest.mark.real_engine


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_in_cluster_layer_comes_up_and_stays_put(tools: Path, tmp_path: Path, stack: str) -> None:
    local = local_stack(stack, tmp_path / "cluster" / "kubeconfig")
    with LocalCluster(tools, tmp_path / "cluster", lws=True, keda=local.keda) as cluster:
        cfg = local.stack
        st, result, steps = bring_up(cluster, local, Engine(tools, tmp_path / "engine"))
        assert succeeded(result), (result, steps.diagnostics)
        k = cluster.kube
        ns = cfg.namespace

        # Every model server's pods are on nodes of its pool, with the GPUs its layout asks for.
        for m in cfg.models:
            pool = cfg.pool(m.pool)
            selector = ",".join(f"{key}={value}" for key, value in pool.node_labels.items())
            nodes = {n["metadata"]["name"] for n in k.list("v1", "Node", label_selector=selector)}
            pods = [p for p in k.list("v1", "Pod", ns) if p["metadata"]["name"].startswith(f"{m.name}-")
                    and p["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "model-server"
                    and not p["metadata"].get("labels", {}).get("job-name")]
            assert pods, m.name
            for p in pods:
                assert p["spec"].get("nodeName") in nodes, (m.name, p["metadata"]["name"], p["status"])
                assert p["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == str(m.gpus_per_node)
                assert p["status"]["phase"] == "Running"

        # Downloads completed before the servers that read them were created.
        jobs = [j for j in k.list("batch/v1", "Job", ns) if j["metadata"]["name"].startswith("download-")]
        assert len(jobs) == len(cfg.models)
        assert all(j["status"].get("succeeded") == 1 for j in jobs)
        last_download = max(ts(j["status"]["completionTime"]) for j in jobs)
        first_server = min(ts(d["metadata"]["creationTimestamp"]) for d in k.list("apps/v1", "Deployment", ns)
                           if d["metadata"]["name"] in {m.name for m in cfg.models})
        assert first_server >= min(ts(j["status"]["completionTime"]) for j in jobs)
        assert last_download  # every Job reported a completion time

        # Where the stack installs KEDA, KEDA's own webhook admitted its ScaledObjects and its operator made
        # each one's HPA (e2e/keda.py), which the next preview must not take for drift.
        scaled = {o["metadata"]["name"] for o in k.list(KEDA_API, "ScaledObject", ns)}
        assert bool(scaled) == local.keda, (scaled, local.keda)
        for name in scaled:
            k.wait(f"KEDA's HPA for {name}", lambda: k.get("autoscaling/v2", "HorizontalPodAutoscaler",
                                                         f"keda-hpa-{name}", ns), timeout=90)

        _, again = run(st, "preview", expect_no_changes=True)
        assert set(again.count()) <= {"same"}, again.changed()
