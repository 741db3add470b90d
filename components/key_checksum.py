"""Pods that read generated keys roll when a key changes: each pod template that reads one of the given
Secrets gets the sha256 of their content as an annotation (render/credentials.py). Not a secret on
purpose: a hash of generated keys (48 random alphanumerics) gives nothing to guess from, and as a secret
it would read `[secret]` in previews, hiding which pods a change restarts. docs/operations.md, "Rotating
keys" and "Pods roll when a key they read changes"."""

from __future__ import annotations

from typing import Any, Mapping

import pulumi

from render.credentials import KEYS_CHECKSUM_ANNOTATION, annotate_pods, keys_checksum, secrets_read

SecretData = Mapping[str, Mapping[str, pulumi.Input[str]]]
"""Generated Secrets by name, each as its `stringData` (values are Outputs of GeneratedSecret keys)."""


def rolled_on_keys(manifest: dict[str, Any], secrets: SecretData) -> dict[str, Any]:
    """`manifest` with the checksum of the `secrets` each pod template reads on that template; templates
    that read none of them are left as they are (an Ollama server, an LWS worker without the key)."""

    def checksum(template: Mapping[str, Any]) -> dict[str, Any]:
        read = {name: secrets[name] for name in sorted(secrets_read(template) & set(secrets))}
        if not read:
            return {}
        digest = pulumi.Output.from_input(read).apply(keys_checksum)
        return {KEYS_CHECKSUM_ANNOTATION: pulumi.Output.unsecret(digest)}

    return annotate_pods(manifest, checksum)
