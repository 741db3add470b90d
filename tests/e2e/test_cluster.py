"""The local cluster's fake nodes (e2e/cluster.py `nodes_for`): what a stack's pools would offer the
scheduler, so the model servers' pods are placed as on the real nodes."""

from __future__ import annotations

from pathlib import Path

from checks import checked
from e2e.cluster import nodes_for

from tests.conftest import SYSTEM_POOL, tke_config

TURBO = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}
H20 = {"kind": "attached", "name": "h20", "instanceIds": ["ins-0000000a", "ins-0000000b"], "keyId": "skey-00000001"}


def capacity(rdma) -> dict[str, dict[str, str]]:
    cfg = checked(tke_config(nodePools=[SYSTEM_POOL, {**H20, "gpu": {"type": "H20", "count": 8, "rdma": rdma}}],
                             storage=TURBO))
    return {n.name: n.manifest()["status"]["allocatable"] for n in nodes_for(cfg)}


def test_rdma_nodes_offer_the_rdma_agents_resource():
    """The pods request `tke.cloud.tencent.com/tke-shared-rdma`; fake RDMA nodes offer as many as the
    add-on would (1000 virtual in shared mode, the NICs in exclusive mode), others none."""
    shared = capacity(True)
    assert shared["h20-0"]["tke.cloud.tencent.com/tke-shared-rdma"] == "1000"
    assert shared["h20-0"]["nvidia.com/gpu"] == "8"
    assert capacity({"mode": "exclusive"})["h20-1"]["tke.cloud.tencent.com/tke-shared-rdma"] == "4"
    assert not [k for k in capacity(False)["h20-0"] if "rdma" in k]
    assert not [k for k in shared["system-0"] if "rdma" in k]


STACKS = Path(__file__).parent / "stacks"


def stack_file(name: str) -> dict:
    """The `tke-llm:` keys of a test stack, prefix stripped, secrets as placeholders."""
    from preview.stackfile import read

    return read(name, STACKS)[0]


def by_pool(nodes) -> dict[str, list]:
    out: dict[str, list] = {}
    for n in nodes:
        out.setdefault(n.name.rsplit("-", 1)[0], []).append(n)  # `<pool>-<i>`
    return out


def test_every_pool_kind_gets_nodes_shaped_like_it():
    """normal, native, super and attached pools (tests/e2e/stacks/Pulumi.kinds.yaml) all get fake nodes
    carrying the labels the pods select and the taints they tolerate; a super-node pool is one virtual
    node per zone (`node.kubernetes.io/instance-type: eklet`, TKE's super-node label) offering its
    per-pod GPUs to as many pods as its models can run, plus a surge pod each."""
    cfg = checked(stack_file("kinds"))
    pools = by_pool(nodes_for(cfg))
    assert set(pools) == {"system", "a10", "l20", "t4", "h20"}
    for name, nodes in pools.items():
        pool = cfg.pool(name)
        taints = [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.node_taints]
        for n in nodes:
            assert pool.node_labels.items() <= n.manifest()["metadata"]["labels"].items(), (name, n.name)
            assert n.manifest()["spec"]["taints"] == taints
    t4 = pools["t4"]
    assert len(t4) == 2  # one virtual node per zone of the cluster's subnets
    for n in t4:
        assert n.labels["node.kubernetes.io/instance-type"] == "eklet"
        # qwen3-1-7b: 2 replicas + 1 surge pod, 1 GPU each
        assert n.manifest()["status"]["allocatable"]["nvidia.com/gpu"] == "3"
    assert all(n.gpus == 8 for n in pools["h20"]) and all(n.gpus == 2 for n in pools["l20"])
    assert all(n.gpus == 0 for n in pools["system"])


def test_a_pool_gets_its_desired_size_and_at_least_what_its_models_need():
    """The system pool's desiredSize (2 of maxSize 3); the A10 pool (minSize 0, no desiredSize) the
    three nodes its three-node model takes; the native L20 pool its desiredSize 1; the attached pool one
    node per machine; an existing pool its maxSize (the nodes that exist)."""
    counts = {k: len(v) for k, v in by_pool(nodes_for(checked(stack_file("kinds")))).items()}
    assert {k: counts[k] for k in ("system", "a10", "l20", "h20")} == {"system": 2, "a10": 3, "l20": 1, "h20": 1}
    existing = by_pool(nodes_for(checked(stack_file("nodes"))))
    assert len(existing["gpu"]) == 3
    assert [n.labels for n in existing["system"]] == [{}]  # no system pool: one unlabelled CPU node
