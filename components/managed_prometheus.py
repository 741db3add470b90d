"""Associates TKE's managed Prometheus (TMP) instance with a new cluster.

The ServiceMonitor and PrometheusRule CRDs come from TMP's in-cluster agent, which exists only once
the instance is associated: the monitoring objects are ordered after the association. Resource and
inputs: docs/cloud-resources.md.
"""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc


def associate(name: str, *, instance_id: str, region: str, cluster_id: pulumi.Input[str],
              cluster_name: str, after: list[pulumi.Resource]) -> tc.monitor.TmpTkeClusterAgent:
    """`after`: the cluster's system pool (the agent runs as pods, which need a node)."""
    return tc.monitor.TmpTkeClusterAgent(
        name,
        instance_id=instance_id,
        agents={"region": region, "cluster_type": "tke", "cluster_id": cluster_id, "cluster_name": cluster_name,
                "enable_external": False},
        opts=pulumi.ResourceOptions(depends_on=after),
    )
