"""RDMA for multi-node model servers: what preflight cannot check, said as a warning.

TKE hands `/dev/infiniband/*` to a pod only through the rdma-agent's device plugin, not through host
networking; without it NCCL silently falls back to TCP. Its resource name, HCA names and GID index
depend on what the stack cannot see offline, so nothing is guessed: the warning names what to install
and what to look for. Sources (TKE docs): docs/engines.md, "RDMA for multi-node groups".
"""

from __future__ import annotations

from config import StackConfig
from derive.addons import rdma_agent_addon
from derive.serving import host_network

RDMA_AGENT_DOC = "https://cloud.tencent.com/document/product/457/116719"


def check(cfg: StackConfig, out) -> None:
    for i, m in enumerate(cfg.models):
        if not host_network(cfg, m):
            continue
        agent = ("The stack installs TKE's rdma-agent add-on for it (`cluster.addons.rdmaAgent`, add-on name "
                 f"unconfirmed; {RDMA_AGENT_DOC})" if rdma_agent_addon(cfg) is not None else
                 f"Install TKE's rdma-agent component ({RDMA_AGENT_DOC})")
        out.warn(f"models[{i}].nodes", f"{m.name} spans {m.nodes} RDMA nodes, but host networking alone gives its pods "
                 f"no RDMA device: NCCL then falls back to TCP without an error. {agent}; check the group's "
                 "first start: NCCL must log `NET/IB`, not "
                 "`NET/Socket` (set NCCL_DEBUG=INFO through the engine's environment to see it); preflight "
                 "cannot check the device plugin, the HCA names (NCCL_IB_HCA) or the GID index offline")
