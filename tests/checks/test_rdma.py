"""The RDMA checks (checks/rdma.py): device counts against what a node offers (errors naming the key and
the fix), warnings only for what stays unknowable offline, and the plan summary's RDMA lines."""

from __future__ import annotations

from checks import checked
from checks.preflight import preflight
from checks.rdma import summary_lines

from tests.conftest import SYSTEM_POOL, existing_config, render_raw, tke_config

from .helpers import H20, R1, R1_7B, errors

TURBO = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}


def pool(rdma, **gpu) -> dict:
    return {**H20, "gpu": {"type": "H20", "count": 8, "rdma": rdma, **gpu}}


def stack(rdma, models=None, **gpu) -> dict:
    return tke_config(nodePools=[SYSTEM_POOL, pool(rdma, **gpu)], models=models or [R1], storage=TURBO)


def rdma_warnings(raw) -> list[str]:
    return [str(w) for w in preflight(checked(raw)).warnings if "rdma" in w.key]


def test_defaults_warn_only_about_the_nodes_hca_names_and_gid_index():
    """The blanket "host networking gives no RDMA device" warning is gone: the devices are requested.
    What stays unknowable is what the nodes and the image show: their NIC names and GID table."""
    (w,) = rdma_warnings(stack(True))
    assert w.startswith("tke-llm:nodePools[1].gpu.rdma: r1: gidIndex 3 and hca mlx5 are the values of Tencent's "
                        "playbook on TKE HCC nodes")
    assert "NET/IB" in w and "set `NCCL_DEBUG: INFO` in `models[0].env`" in w
    assert not [x for x in preflight(checked(stack(True))).warnings if "RDMA device" in x.message]


def test_the_warnings_nccl_debug_advice_is_doable_exactly_as_written():
    """The warning says where NCCL_DEBUG goes; done there, the stack is accepted and every pod of the
    group (leader and workers) runs with it."""
    (w,) = rdma_warnings(stack(True))
    key = w.split("set `NCCL_DEBUG: INFO` in `", 1)[1].split("`", 1)[0]
    assert key == "models[0].env"
    plan = render_raw(stack(True, models=[{**R1, "env": {"NCCL_DEBUG": "INFO"}}]))
    lws = plan.manifest("LeaderWorkerSet", "r1")["spec"]["leaderWorkerTemplate"]
    for role in ("leaderTemplate", "workerTemplate"):
        env = lws[role]["spec"]["containers"][0]["env"]
        assert {"name": "NCCL_DEBUG", "value": "INFO"} in env, role


def test_no_warning_once_the_nodes_values_are_set_or_without_a_group():
    assert rdma_warnings(stack({"gidIndex": 3, "hca": "mlx5_bond"})) == []
    assert rdma_warnings(stack(True, models=[{**R1, "nodes": 1, "replicas": 2}])) == []


def test_shared_mode_off_the_host_network_warns_of_the_dynamic_gid_even_when_set():
    (w,) = rdma_warnings(stack({"hostNetwork": False, "gidIndex": 3, "hca": "mlx5"}))
    assert "shared (IPVLAN) mode gives each pod a dynamic GID" in w and "prefer exclusive mode" in w
    assert rdma_warnings(stack({"hostNetwork": False, "mode": "exclusive", "gidIndex": 3, "hca": "mlx5"})) == []


def test_an_existing_cluster_warns_that_the_add_on_cannot_be_seen():
    existing = {"kind": "existing", "name": "h20", "nodeSelector": {"gpu": "h20"}, "maxSize": 2,
                "gpu": {"type": "H20", "count": 8, "rdma": {"mode": "exclusive", "gidIndex": 3, "hca": "mlx5",
                                                             "hostNetwork": False}}}
    raw = existing_config(nodePools=[existing], models=[R1],
                          storage={"kind": "existing", "storageClassName": "nfs", "sizeGi": 1000})
    (w,) = rdma_warnings(raw)
    assert w.startswith("tke-llm:nodePools[0].gpu.rdma: the pods of r1 request tke.cloud.tencent.com/tke-shared-rdma, "
                        "which only TKE's rdma-agent add-on offers")
    assert "in exclusive mode" in w and "tke-rdma-shared-agent" in w and "primaryNetwork" in w


def test_exclusive_mode_on_nodes_the_catalog_does_not_know_needs_the_device_count():
    h800 = {**H20, "gpu": {"type": "H800", "count": 8, "rdma": {"mode": "exclusive"}}}
    found = errors(tke_config(nodePools=[SYSTEM_POOL, h800], models=[R1], storage=TURBO))
    assert found == ["tke-llm:nodePools[1].gpu.rdma.devicesPerNode: exclusive mode hands each pod whole RDMA NICs, "
                     "and the GPU catalog does not know how many a node with 8x H800 has: set devicesPerNode to a "
                     "node's allocatable tke.cloud.tencent.com/tke-shared-rdma (kubectl describe node), or devicesPerPod"]
    checked(tke_config(nodePools=[SYSTEM_POOL, {**h800, "gpu": {**h800["gpu"], "rdma": {
        "mode": "exclusive", "devicesPerNode": 8}}}], models=[R1], storage=TURBO))


def test_more_devices_per_pod_than_a_node_offers_is_refused():
    found = errors(stack({"mode": "exclusive", "devicesPerPod": 8}))
    assert found == ["tke-llm:nodePools[1].gpu.rdma.devicesPerPod: models[0] (r1) would request 8 "
                     "tke.cloud.tencent.com/tke-shared-rdma per pod, more than the 4 a node offers: its pods would "
                     "never be scheduled; use <= 4"]
    assert errors(stack({"devicesPerNode": 2, "devicesPerPod": 3}))[0].startswith(
        "tke-llm:nodePools[1].gpu.rdma.devicesPerPod: models[0] (r1) would request 3")


def test_rdma_devices_that_leave_gpus_idle_warn():
    """Two 4-GPU pods fit an 8-GPU node, but 4 devices each of the node's 4 let only one in."""
    half = {**R1_7B, "pool": "h20", "gpusPerNode": 4, "nodes": 2}
    found = rdma_warnings(stack({"mode": "exclusive", "devicesPerPod": 4, "gidIndex": 3, "hca": "mlx5"}, [half]))
    assert found == ["tke-llm:nodePools[1].gpu.rdma.devicesPerPod: r1-7b: a node fits 2 of its pods by GPUs but only "
                     "1 by RDMA devices (4 of 4 each): GPUs stay idle; lower devicesPerPod to 2"]
    assert rdma_warnings(stack({"mode": "exclusive", "gidIndex": 3, "hca": "mlx5"}, [half])) == []


def test_rdma_on_an_instance_type_without_it_is_refused():
    pnv6 = {"kind": "normal", "name": "h20", "instanceType": "PNV6.32XLARGE1280", "minSize": 0, "maxSize": 2,
            "gpu": {"type": "H20", "count": 8, "rdma": True}}
    found = errors(tke_config(nodePools=[SYSTEM_POOL, pnv6], models=[R1], storage=TURBO))
    assert found == ["tke-llm:nodePools[1].gpu.rdma: PNV6.32XLARGE1280 has no RDMA fabric: pods requesting "
                     "tke.cloud.tencent.com/tke-shared-rdma would never be scheduled; remove gpu.rdma or use an HCC "
                     "type such as HCCPNV6"]


def test_summary_says_what_each_group_requests_and_which_defaults_are_unconfirmed():
    lines = summary_lines(checked(stack({"mode": "exclusive"})))
    assert lines[:2] == ["## RDMA", ""]
    assert lines[2] == ("- `r1` on `h20` (2 nodes, rdma-agent exclusive mode): each pod, leader and workers, requests "
                        "4 `tke.cloud.tencent.com/tke-shared-rdma` of the 4 a node offers, "
                        "`tke.cloud.tencent.com/networks: tke-bridge,tke-rdma-macvlan`, the host network, IPC_LOCK, "
                        "NCCL_IB_GID_INDEX=3 NCCL_IB_HCA=mlx5 NCCL_SOCKET_IFNAME=eth0 GLOO_SOCKET_IFNAME=eth0")
    assert lines[3].startswith("- unconfirmed defaults in `nodePools[1].gpu.rdma`: devicesPerNode 4 (one field report "
                               "of an 8x H20 node); gidIndex 3 / hca mlx5")
    assert summary_lines(checked(stack(False))) == []
