"""The plan's statement of what TKE's managed Prometheus (TMP) is given and what about it stays
unconfirmed. Sources: docs/cloud-resources.md, "TKE's managed Prometheus".
"""

from __future__ import annotations

from config import StackConfig
from config.operations import TkeManagedPrometheus


def summary_lines(cfg: StackConfig) -> list[str]:
    mon = cfg.monitoring
    if mon is None or not isinstance(mon.prometheus, TkeManagedPrometheus) or not cfg.is_tke:
        return []
    p = mon.prometheus
    return [
        "## Monitoring", "",
        f"TKE's managed Prometheus `{p.instance_id}` is associated with the cluster "
        "(`tencentcloud_monitor_tmp_tke_cluster_agent`: `instance_id` and `agents` region, cluster type `tke`, "
        "cluster id, no public CLB; `agents.cluster_name` is computed by the provider and not sent), which installs "
        "TMP's collection agent in the cluster. TMP reads prometheus-operator `ServiceMonitor` / `PodMonitor` "
        "objects (`monitoring.coreos.com/v1`); the stack renders ServiceMonitors and a PrometheusRule, after the "
        "association.",
        "",
        "Not confirmed by any source read: that the association installs the `monitoring.coreos.com` CRDs (if "
        "not, those objects fail to apply), that TMP's agent picks up ServiceMonitors created in the cluster "
        f"outside its own namespace (`{p.scrape_namespaces[0]}`; the provider registers them through TMP's API "
        "instead, `tencentcloud_monitor_tmp_tke_config`), and that TMP evaluates in-cluster PrometheusRules.",
        "",
    ]
