"""A ServiceMonitor for one Service's `metrics` port and the NetworkPolicy that lets Prometheus reach it:
what the routers and the endpoint pickers each need when the stack is monitored. The monitor waits for
what brings its CRD (the operator chart, the managed Prometheus association)."""

from __future__ import annotations

import pulumi

from components.base import Component
from components.k8s import apply
from derive.operations import MonitoringPlan
from render.monitoring import allow_scrape, service_monitor


def scrape(owner: Component, name: str, *, namespace: str, service_labels: dict[str, str],
           pod_selector: dict[str, str], port: int, monitoring: MonitoringPlan,
           prometheus: list[pulumi.Resource]) -> None:
    """`<name>-monitor` (ServiceMonitor on the port named `metrics`) and `<name>-scrape` (its policy)."""
    apply(f"{name}-monitor", service_monitor(name, namespace, service_labels, port="metrics",
                                             interval=monitoring.scrape_interval, extra_labels=monitoring.extra_labels),
          owner.child(depends_on=list(prometheus)))
    apply(f"{name}-scrape", allow_scrape(name, namespace, pod_selector, port, monitoring.scrape_namespaces),
          owner.child())
