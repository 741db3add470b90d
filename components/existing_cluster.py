"""An existing cluster reached through a kubeconfig: the stack creates no Tencent Cloud resource."""

from __future__ import annotations

import os

import pulumi
import pulumi_kubernetes as k8s

from components.base import Component
from components.k8s_provider import provider_settings


class ExistingCluster(Component):
    """`cluster_identifier` is the configured cluster name: editing the kubeconfig (a rotated token or
    CA) then updates the provider instead of replacing every object of the stack."""

    provider: k8s.Provider
    kubeconfig: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        *,
        identifier: str,
        kubeconfig: pulumi.Input[str] | None = None,
        kubeconfig_path: str | None = None,
        context: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("tke-llm:cluster:ExistingCluster", name, opts)
        if (kubeconfig is None) == (kubeconfig_path is None):
            raise ValueError("ExistingCluster needs exactly one of kubeconfig or kubeconfig_path")
        # The provider accepts a path as well as contents; the file is read by the provider, not here,
        # so the offline plan does not need it.
        source = pulumi.Output.secret(kubeconfig) if kubeconfig is not None else os.path.expanduser(kubeconfig_path or "")
        self.kubeconfig = source if kubeconfig is not None else None  # type: ignore[assignment]
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=source,
            context=context,
            cluster_identifier=identifier,
            **provider_settings(),
            opts=self.child(),
        )
        self.register_outputs({})
