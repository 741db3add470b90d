"""A pool's `gpu.rdma` settings as the engine spec's RDMA part (derive/rdma.py): the documented defaults
per mode and cluster kind, the settings winning over them, and the plan a user gets from them."""

from __future__ import annotations

import pytest

from checks import checked
from derive.rdma import rdma
from derive.serving import host_network
from render.engines import Rdma

from tests.conftest import SYSTEM_POOL, existing_config, render_raw, tke_config

TURBO = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}
NCCL = (("NCCL_IB_GID_INDEX", "3"), ("NCCL_IB_HCA", "mlx5"), ("NCCL_SOCKET_IFNAME", "eth0"),
        ("GLOO_SOCKET_IFNAME", "eth0"))


def h20(rdma_setting, kind: str = "attached") -> dict:
    pool = {"kind": "attached", "name": "h20", "instanceIds": ["ins-0000000a", "ins-0000000b"],
            "keyId": "skey-00000001"}
    if kind == "existing":
        pool = {"kind": "existing", "name": "h20", "nodeSelector": {"gpu": "h20"}, "maxSize": 2}
    return {**pool, "gpu": {"type": "H20", "count": 8, "rdma": rdma_setting}}


def r1(gpus: int = 8, nodes: int = 2) -> dict:
    return {"name": "deepseek-r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "h20", "gpusPerNode": gpus,
            "nodes": nodes, "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1", "revision": "v1.0.0"},
            "settings": {"maxModelLen": 32768}}


def spec_for(rdma_setting, model: dict | None = None, kind: str = "attached") -> tuple[Rdma | None, bool]:
    model = model or r1()
    if kind == "existing":
        raw = existing_config(nodePools=[h20(rdma_setting, "existing")], models=[model],
                              storage={"kind": "existing", "storageClassName": "nfs", "sizeGi": 1000})
    else:
        raw = tke_config(nodePools=[SYSTEM_POOL, h20(rdma_setting)], storage=TURBO, models=[model])
    cfg = checked(raw)
    return rdma(cfg, cfg.models[0]), host_network(cfg, cfg.models[0])


def test_rdma_true_is_tencents_playbook_recipe():
    """Shared mode, one device, the host network, the RDMA network after the cluster's pod network
    (GlobalRouter's tke-bridge on the clusters the stack creates), the playbook's NCCL values."""
    assert spec_for(True) == (Rdma(devices=1, networks="tke-bridge,tke-rdma-ipvlan", env=NCCL), True)


def test_exclusive_mode_takes_the_nodes_nics_in_proportion_to_the_pods_gpus():
    """4 bonded NICs on an 8x H20 node (catalog): a whole-node pod takes all, a half-node pod half."""
    whole, _ = spec_for({"mode": "exclusive"})
    assert whole is not None and whole.devices == 4 and whole.networks == "tke-bridge,tke-rdma-macvlan"
    half, _ = spec_for({"mode": "exclusive"}, r1(gpus=4))
    assert half is not None and half.devices == 2
    assert spec_for({"mode": "exclusive", "devicesPerNode": 8})[0].devices == 8  # type: ignore[union-attr]
    assert spec_for({"mode": "exclusive", "devicesPerPod": 1})[0].devices == 1  # type: ignore[union-attr]
    assert spec_for({"devicesPerPod": 2})[0].devices == 2  # type: ignore[union-attr]


def test_settings_win_over_the_defaults():
    got, host = spec_for({"hostNetwork": False, "primaryNetwork": "tke-route-eni", "gidIndex": 5,
                          "hca": "mlx5_bond_0,mlx5_bond_1", "socketInterface": "eth1",
                          "env": {"NCCL_DEBUG": "INFO", "NCCL_IB_QPS_PER_CONNECTION": 4}})
    assert host is False
    assert got == Rdma(devices=1, networks="tke-route-eni,tke-rdma-ipvlan", env=(
        ("NCCL_IB_GID_INDEX", "5"), ("NCCL_IB_HCA", "mlx5_bond_0,mlx5_bond_1"), ("NCCL_SOCKET_IFNAME", "eth1"),
        ("GLOO_SOCKET_IFNAME", "eth1"), ("NCCL_DEBUG", "INFO"), ("NCCL_IB_QPS_PER_CONNECTION", "4")))


def test_existing_cluster_assumes_vpc_cni():
    got, _ = spec_for({"mode": "exclusive"}, kind="existing")
    assert got is not None and got.networks == "tke-route-eni,tke-rdma-macvlan" and got.devices == 4


@pytest.mark.parametrize("setting, model", [(False, r1()), (True, r1(nodes=1))])
def test_no_rdma_for_one_node_or_a_pool_without_it(setting, model):
    assert spec_for(setting, model) == (None, False)


def test_pod_network_rdma_group_in_the_plan():
    """Off the host network the pods keep IPC_LOCK and their devices, so the namespace stays privileged
    (baseline admits no IPC_LOCK), while no host port is opened for them."""
    plan = render_raw(tke_config(nodePools=[SYSTEM_POOL, h20({"hostNetwork": False})], storage=TURBO, models=[r1()]))
    (lws,) = [r.manifest for r in plan.k8s_objects if r.manifest["kind"] == "LeaderWorkerSet"]
    lwt = lws["spec"]["leaderWorkerTemplate"]
    for tpl in (lwt["leaderTemplate"], lwt["workerTemplate"]):
        assert "hostNetwork" not in tpl["spec"] and "dnsPolicy" not in tpl["spec"]
        assert tpl["metadata"]["annotations"]["tke.cloud.tencent.com/networks"] == "tke-bridge,tke-rdma-ipvlan"
        c = tpl["spec"]["containers"][0]
        assert c["resources"]["limits"]["tke.cloud.tencent.com/tke-shared-rdma"] == "1"
        assert c["securityContext"]["capabilities"]["add"] == ["IPC_LOCK"]
    ns = plan.manifest("Namespace", "llm")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert not [r for r in plan.resources if "RDMA" in str(r.inputs.get("description"))]
    host = render_raw(tke_config(nodePools=[SYSTEM_POOL, h20(True)], storage=TURBO, models=[r1()]))
    assert [r for r in host.resources if r.type == "tencentcloud:Security/group:Group"
            and "RDMA" in str(r.inputs.get("description"))], "the host-network group gets its port rule"
