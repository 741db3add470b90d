"""The local cluster's fake nodes (e2e/cluster.py `nodes_for`): what a stack's pools would offer the
scheduler, so the model servers' pods are placed as on the real nodes."""

from __future__ import annotations

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
