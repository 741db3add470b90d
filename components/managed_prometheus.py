"""Associates TKE's managed Prometheus (TMP) instance with a new cluster.

The ServiceMonitor and PrometheusRule CRDs on a TKE cluster come from TMP's in-cluster agent, which
exists only once the instance is associated with the cluster; a stack that creates the cluster and
its monitoring objects in one run must therefore associate it first and order the monitoring objects
after the association. Resource: `tencentcloud_monitor_tmp_tke_cluster_agent` (tencentcloud-iac-pulumi
0.2.3 `monitor.TmpTkeClusterAgent`: `instance_id`, `agents` {`region`, `cluster_type` "tke",
`cluster_id`, `enable_external`}, as in the provider's example).
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
