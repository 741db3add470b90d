"""Helm charts without hooks: what each chart the stack installs needs so that none of its pods
depends on a Helm hook.

`kubernetes.helm.v4.Chart` never creates a template annotated `helm.sh/hook`, so a pod that mounts what a
hook would have made waits forever. Each entry was reviewed against the chart's templates at the pinned
version; a chart or version nobody reviewed is refused. The review, chart by chart: docs/charts.md.
"""

from __future__ import annotations

from typing import Any

HOOK_FREE_VALUES: dict[str, dict[str, Any]] = {
    "kube-prometheus-stack": {
        "prometheusOperator": {
            "admissionWebhooks": {"enabled": False, "patch": {"enabled": False}},
            "tls": {"enabled": False},
        },
        "crds": {"upgradeJob": {"enabled": False}},
        "grafana": {"testFramework": {"enabled": False}},
    },
    "prometheus-adapter": {},
    "keda": {},
    "lws": {},
    "dcgm-exporter": {},
}
"""Chart name -> the values that keep it free of hooks (empty: the chart has none)."""

REVIEWED_VERSIONS: dict[str, tuple[str, ...]] = {
    "kube-prometheus-stack": ("88.0.0",),
    "prometheus-adapter": ("5.3.0",),
    "keda": ("2.15.1", "2.16.1", "2.17.2", "2.18.0", "2.19.0", "2.20.2"),
    "lws": ("0.10.0",),
    "dcgm-exporter": ("4.8.2",),
}
"""Chart versions whose templates were reviewed for hooks; a new pin needs a new review."""


def chart_key(chart: str) -> str:
    """`oci://registry.k8s.io/lws/charts/lws` -> `lws`; a repository chart name stays as it is."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` laid over it, nested dicts merged (the hook settings win)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def hook_free(chart: str, version: str, values: dict[str, Any]) -> dict[str, Any]:
    """The chart's values with what keeps it free of hooks; refuses a chart or version nobody
    reviewed, so a new add-on or a version bump cannot silently bring a hook back."""
    key = chart_key(chart)
    if key not in HOOK_FREE_VALUES or version not in REVIEWED_VERSIONS.get(key, ()):
        raise ValueError(f"Helm chart {key} {version} was not reviewed for hooks (derive/charts.py): "
                         "Chart v4 never runs them; review its templates and add it there")
    return merge(values, HOOK_FREE_VALUES[key])
