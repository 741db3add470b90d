"""Attached machines (`kind: attached`): bought outside the stack, joined to the cluster by a node
attachment whose every input forces a replacement, and a replacement reinstalls the machine. The plan
says so up front; the attachments are `protect`ed (components/node_pools.py), so such a change stops
`pulumi up` and the plan diff lists it under PROTECTED."""

from __future__ import annotations

from config import StackConfig


def check(cfg: StackConfig, out) -> None:
    for i, pool in enumerate(cfg.node_pools):
        if pool.kind != "attached":
            continue
        out.warn(f"nodePools[{i}]", f"pool {pool.name} attaches {len(pool.instance_ids)} bought machine(s) "
                 f"({', '.join(pool.instance_ids)}): any change to this pool (instanceIds, imageId, keyId, labels, "
                 "taints, gpu software) replaces their attachment, which reinstalls the machines; the attachments "
                 "are protected, so `pulumi up` stops on such a change until you `pulumi state unprotect` them")
