"""RDMA for multi-node model servers: what preflight cannot check, said as a warning.

The reference guides run multi-node groups on HCC machines (HCCPNV6) with host networking only. That
exposes the RDMA netdevs but not the RDMA character devices: TKE hands `/dev/infiniband/*` to a pod
only through the rdma-agent component's device plugin (TKE docs, "rdma-agent 说明",
cloud.tencent.com/document/product/457/116719: device discovery and allocation through a Device
Plugin resource, exclusive or shared mode; "在 TKE 上使用 RDMA 加速 AI 推理和训练",
/document/practice/457/116720: unified GID index, NUMA-affine allocation). Without the devices NCCL
silently falls back to TCP sockets (`NET/Socket` instead of `NET/IB` in its init log), and the
inter-node traffic of a 16-GPU group runs at a fraction of the fabric's speed.

The device plugin's resource name, the HCA names (`NCCL_IB_HCA`) and the GID index depend on the
rdma-agent mode and node image, none of which the stack can see or the docs pin down offline; the
stack therefore renders no guessed value and warns instead, naming what to install and what to look
for. The warning goes away only when the model runs on one node.
"""

from __future__ import annotations

from config import StackConfig
from derive.serving import host_network

RDMA_AGENT_DOC = "https://cloud.tencent.com/document/product/457/116719"


def check(cfg: StackConfig, out) -> None:
    for i, m in enumerate(cfg.models):
        if not host_network(cfg, m):
            continue
        out.warn(f"models[{i}].nodes", f"{m.name} spans {m.nodes} RDMA nodes, but host networking alone gives its pods "
                 "no RDMA device: NCCL then falls back to TCP without an error. Install TKE's rdma-agent "
                 f"component ({RDMA_AGENT_DOC}) and check the group's first start: NCCL must log `NET/IB`, not "
                 "`NET/Socket` (set NCCL_DEBUG=INFO through the engine's environment to see it); preflight "
                 "cannot check the device plugin, the HCA names (NCCL_IB_HCA) or the GID index offline")
