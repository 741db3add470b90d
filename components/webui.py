"""Webui: OpenWebUI. A generated session key in a Secret, the data volume (accounts and chat history:
protected and retained when the stack is destroyed), the Deployment pointed at the gateway, its
Service and NetworkPolicy."""

from __future__ import annotations

from typing import Any

import pulumi

from components.base import Component
from components.generated_secret import GeneratedSecret
from components.k8s import apply
from components.key_checksum import SecretData, rolled_on_keys
from render import webui
from render.credentials import opaque_secret
from render.network_policy import allow_ingress


class Webui(Component):
    url: str
    """In-cluster URL of the UI."""

    def __init__(
        self,
        name: str,
        *,
        spec: webui.WebuiSpec,
        storage_class: str | None,
        size_gi: int,
        access_mode: str,
        after: list[pulumi.Resource],
        storage_after: list[pulumi.Resource],
        ingress_rules: list[dict[str, Any]],
        key_secrets: SecretData | None = None,
        secret_rotation: int = 0,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`after`: the key Secret the UI reads, whose content is `key_secrets`; `storage_after`: the
        StorageClass its volume needs. `secret_rotation`: `keys.rotate.webuiSecretKey`; the UI pods roll
        when its own key or the API key it sends changes."""
        super().__init__("tke-llm:access:Webui", name, opts)
        ns = spec.namespace
        key = GeneratedSecret(f"{name}-secret-key", length=48, rotation=secret_rotation, opts=self.child())
        own = {webui.SECRET: {"secret-key": key.result}}
        secret = apply(f"{name}-secret-key", opaque_secret(webui.SECRET, ns, dict(own[webui.SECRET]), webui.COMPONENT),
                       self.child())
        pvc = apply(
            f"{name}-data",
            webui.data_pvc(ns, storage_class=storage_class, size_gi=size_gi, access_mode=access_mode),
            # Accounts, passwords and every chat: a change that would replace the claim fails the
            # preview instead, and `pulumi destroy` leaves it in the cluster.
            self.child(depends_on=storage_after, protect=True, retain_on_delete=True),
        )
        deployment = apply(f"{name}-deployment", rolled_on_keys(webui.deployment(spec), {**(key_secrets or {}), **own}),
                           self.child(depends_on=[secret, pvc, *after]))
        apply(f"{name}-service", webui.service(spec), self.child(depends_on=[deployment]))
        if ingress_rules:
            apply(f"{name}-netpol", allow_ingress(webui.NAME, ns, webui.selector(), ingress_rules), self.child())
        self.url = f"http://{webui.NAME}.{ns}.svc:{webui.PORT}"
        self.register_outputs({"url": self.url})
