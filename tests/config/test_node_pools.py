"""A GPU pool's `gpu.rdma` section (config/node_pools.py): the `true`/`false` shorthand, and the settings
refused with the key and the fix."""

from __future__ import annotations

import pytest

from checks import checked

from tests.conftest import SYSTEM_POOL, tke_config

from .helpers import errors

H20 = {"kind": "attached", "name": "h20", "instanceIds": ["ins-0000000a", "ins-0000000b"], "keyId": "skey-00000001"}


def with_rdma(rdma) -> dict:
    return tke_config(nodePools=[SYSTEM_POOL, {**H20, "gpu": {"type": "H20", "count": 8, "rdma": rdma}}])


def test_true_false_and_absent():
    on = checked(with_rdma(True)).node_pools[1].gpu.rdma
    assert on.enabled and on.mode == "shared" and on.host_network and (on.gid_index, on.hca) == (3, "mlx5")
    assert not checked(with_rdma(False)).node_pools[1].gpu.rdma.enabled
    absent = tke_config(nodePools=[SYSTEM_POOL, {**H20, "gpu": {"type": "H20", "count": 8}}])
    assert not checked(absent).node_pools[1].gpu.rdma.enabled
    # A mapping switches RDMA on; numbers in `env` become the strings the container takes.
    r = checked(with_rdma({"mode": "exclusive", "env": {"NCCL_IB_QPS_PER_CONNECTION": 4}})).node_pools[1].gpu.rdma
    assert r.enabled and r.mode == "exclusive" and r.env == {"NCCL_IB_QPS_PER_CONNECTION": "4"}


@pytest.mark.parametrize("rdma, message", [
    ({"env": {"NCCL_IB_HCA": "mlx5_0"}},
     "tke-llm:nodePools[1].gpu.rdma.env: NCCL_IB_HCA is rendered from `hca`; set `hca` instead"),
    ({"env": {"GLOO_SOCKET_IFNAME": "eth1"}},
     "tke-llm:nodePools[1].gpu.rdma.env: GLOO_SOCKET_IFNAME is rendered from `socketInterface`; set "
     "`socketInterface` instead"),
    ({"env": {"CUDA_VISIBLE_DEVICES": "0"}},
     "tke-llm:nodePools[1].gpu.rdma.env: 'CUDA_VISIBLE_DEVICES': only NCCL_*, GLOO_* and UCX_* variables (upper "
     "case) are set here"),
    ({"enabled": False, "mode": "exclusive"},
     "tke-llm:nodePools[1].gpu.rdma.mode: `enabled: false` takes no other RDMA settings (found mode)"),
    ({"hca": "mlx5 0"},
     "tke-llm:nodePools[1].gpu.rdma.hca: 'mlx5 0' is not an NCCL interface list such as mlx5, eth0 or ^docker,lo"),
    ({"mode": "infiniband"}, "tke-llm:nodePools[1].gpu.rdma.mode: Input should be 'shared' or 'exclusive'"),
    ({"devicesPerPod": 0}, "tke-llm:nodePools[1].gpu.rdma.devicesPerPod: Input should be greater than or equal to 1"),
])
def test_refused_settings_name_the_key(rdma, message):
    assert errors(with_rdma(rdma)) == [message]


def test_super_nodes_refuse_rdma():
    sn = {"kind": "super", "name": "sn", "gpu": {"type": "V100", "count": 1, "rdma": True}}
    assert errors(tke_config(nodePools=[SYSTEM_POOL, sn])) == [
        "tke-llm:nodePools[1].gpu.rdma: super nodes have no RDMA NICs (and host no multi-node group); remove it"]
