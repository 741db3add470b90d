"""The operations layer: add-on charts (KEDA, Prometheus Adapter, kube-prometheus-stack, DCGM
exporter), each model's autoscaler, disruption budget and scrape target, and the stack's alert rules
and dashboard. Every manifest comes from the pure renderers in render/autoscaling.py,
render/disruption.py and render/monitoring.py; these components only register them, after what they
need (the workload for its autoscaler, the KEDA chart for ScaledObjects, the Prometheus Operator for
its custom resources).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from components.generated_secret import GeneratedSecret
from components.k8s import apply
from derive.operations import ChartSpec, ModelOps, MonitoringPlan
from render.autoscaling import adapter_config_map, autoscaler
from render.disruption import model_pdb
from render.monitoring import (
    GatewayTarget,
    allow_scrape,
    dashboard_config_map,
    gateway_service_monitor,
    grafana_admin_secret,
    model_service_monitor,
    prometheus_rule,
)
from render.namespace import namespace


class Addons(Component):
    """Upstream charts at pinned versions, each in its own namespace (created here). A chart that
    ships ServiceMonitors (the DCGM exporter) waits for the Prometheus Operator's CRDs when the stack
    installs them. A chart's generated admin password goes into a Secret registered before the chart,
    which its values name (`ChartSpec.admin_secret`)."""

    charts: dict[str, k8s.helm.v4.Chart]
    grafana_password: pulumi.Output[str] | None

    def __init__(self, name: str, *, charts: list[ChartSpec], opts: pulumi.ResourceOptions | None = None):
        super().__init__("tke-llm:ops:Addons", name, opts)
        privileged: dict[str, bool] = {}
        for c in charts:
            privileged[c.namespace] = privileged.get(c.namespace, False) or c.privileged_namespace
        namespaces = {ns: apply(f"{name}-{ns}", namespace(ns, privileged=p), self.child())
                      for ns, p in privileged.items()}
        self.charts = {}
        self.grafana_password = None
        operator = [c for c in charts if c.chart == "kube-prometheus-stack"]
        for c in sorted(charts, key=lambda c: c not in operator):
            after: list[pulumi.Resource] = [namespaces[c.namespace]]
            if c.admin_secret:
                password = GeneratedSecret(f"{c.name}-admin", length=32, opts=self.child())
                self.grafana_password = pulumi.Output.secret(password.result)
                after.append(apply(f"{c.name}-admin-secret",
                                   grafana_admin_secret(c.admin_secret, c.namespace, self.grafana_password),
                                   self.child(depends_on=[namespaces[c.namespace]])))
            if c not in operator and operator and "serviceMonitor" in c.values:
                after.append(self.charts[operator[0].name])
            self.charts[c.name] = k8s.helm.v4.Chart(
                c.name,
                chart=c.chart,
                version=c.version,
                name=c.name,
                namespace=c.namespace,
                repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=c.repo),
                values=c.values,
                opts=self.child(depends_on=after),
            )
        self.register_outputs({})

    def get(self, name: str) -> list[pulumi.Resource]:
        return [self.charts[name]] if name in self.charts else []


class ModelOperations(Component):
    """One model's autoscaler (after its workload, and after KEDA when the stack installs it), its
    PodDisruptionBudget, and its ServiceMonitor with the NetworkPolicy that lets Prometheus scrape."""

    def __init__(
        self,
        name: str,
        *,
        ops: ModelOps,
        workload: pulumi.Resource,
        k8s_minor: int,
        monitoring: MonitoringPlan | None,
        keda: list[pulumi.Resource],
        prometheus: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("tke-llm:ops:ModelOperations", name, opts)
        if ops.autoscaler is not None:
            after = [workload, *(keda if ops.autoscaler.scaler == "keda" else [])]
            apply(f"{name}-autoscaler", autoscaler(ops.autoscaler), self.child(depends_on=after))
        self.groups_ready: pulumi.Resource | None = None  # multi-node: the budget awaited all ready
        if ops.pdb and ops.groups_seconds is not None:
            wait = f"{ops.groups_seconds}s"
            self.groups_ready = apply(
                f"{name}-pdb", model_pdb(ops.spec, k8s_minor, await_all_ready=True),
                self.child(depends_on=[workload], custom_timeouts=pulumi.CustomTimeouts(create=wait, update=wait)))
        elif ops.pdb:
            apply(f"{name}-pdb", model_pdb(ops.spec, k8s_minor), self.child())
        if monitoring is not None and ops.target.has_metrics:
            apply(f"{name}-monitor", model_service_monitor(ops.target, monitoring.scrape_interval,
                                                           monitoring.extra_labels),
                  self.child(depends_on=prometheus))
            apply(f"{name}-scrape", allow_scrape(ops.target.name, ops.target.namespace, ops.target.server_selector,
                                                 ops.target.port, monitoring.scrape_namespaces), self.child())
        self.register_outputs({})


class Observability(Component):
    """The stack's alert rules, its Grafana dashboard, the Prometheus Adapter rule, and the gateway's
    scrape target (the gateway component renders its own disruption budget)."""

    def __init__(
        self,
        name: str,
        *,
        monitoring: MonitoringPlan | None,
        adapter_engines: list[str],
        namespace_name: str,
        gateway: GatewayTarget | None = None,
        prometheus: list[pulumi.Resource] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("tke-llm:ops:Observability", name, opts)
        prometheus = prometheus or []
        if monitoring is not None and monitoring.groups:
            apply(f"{name}-rules", prometheus_rule(monitoring.namespace, monitoring.groups, monitoring.extra_labels),
                  self.child(depends_on=prometheus))
        if monitoring is not None and monitoring.dashboard is not None:
            apply(f"{name}-dashboard", dashboard_config_map(monitoring.namespace, monitoring.dashboard,
                                                            monitoring.dashboard_labels), self.child())
        if adapter_engines:
            apply(f"{name}-adapter-rules", adapter_config_map(namespace_name, adapter_engines), self.child())
        if gateway is not None and monitoring is not None:
            apply(f"{name}-gateway-monitor", gateway_service_monitor(gateway, monitoring.scrape_interval,
                                                                     monitoring.extra_labels),
                  self.child(depends_on=prometheus))
            apply(f"{name}-gateway-scrape", allow_scrape(gateway.name, gateway.namespace, gateway.pod_selector,
                                                         gateway.port, monitoring.scrape_namespaces),
                  self.child())
        self.register_outputs({})
