"""The multi-node RDMA preflight check (checks/rdma.py)."""

from __future__ import annotations

from checks import checked
from checks.preflight import preflight

from tests.conftest import SYSTEM_POOL, tke_config


def test_multi_node_on_rdma_warns_that_nccl_may_fall_back_to_tcp():
    from .helpers import H20, R1

    found = [str(w) for w in preflight(checked(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1],
                                                        storage={"kind": "cfs", "sizeGi": 1000}))).warnings]
    (w,) = [x for x in found if "RDMA device" in x]
    assert w.startswith("tke-llm:models[0].nodes: r1 spans 2 RDMA nodes, but host networking alone gives its pods no "
                        "RDMA device")
    assert "rdma-agent" in w and "NET/IB" in w
    one_node = checked(tke_config(nodePools=[SYSTEM_POOL, H20], models=[{**R1, "nodes": 1}],
                                storage={"kind": "cfs", "sizeGi": 1000}))
    assert not [x for x in preflight(one_node).warnings if "RDMA device" in x.message]
