"""Associates TKE's managed Prometheus (TMP) instance with a new cluster.

The association installs TMP's collection agent in the cluster; TMP reads ServiceMonitor / PodMonitor
(monitoring.coreos.com/v1). The monitoring objects are ordered after it, in case their CRDs come with the
agent (not confirmed by any source read). Resource, inputs and sources: docs/cloud-resources.md.
"""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc


def associate(name: str, *, instance_id: str, region: str, cluster_id: pulumi.Input[str],
              after: list[pulumi.Resource]) -> tc.monitor.TmpTkeClusterAgent:
    """`after`: the cluster's system pool (the agent runs as pods, which need a node). `agents.cluster_name`
    is not sent: the provider computes it (resource_tc_monitor_tmp_tke_cluster_agent.go, `Computed`)."""
    return tc.monitor.TmpTkeClusterAgent(
        name,
        instance_id=instance_id,
        agents={"region": region, "cluster_type": "tke", "cluster_id": cluster_id, "enable_external": False},
        opts=pulumi.ResourceOptions(depends_on=after),
    )
