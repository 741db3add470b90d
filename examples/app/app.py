"""An app stack that consumes a tke-llm stack's outputs.

It reads `apiBaseUrl`, `models` and `apiKey` (a secret) from the LLM stack through a StackReference and
hands them to its own Deployment: the base URL and model names as plain env, the key through a Secret
it creates (`valueFrom.secretKeyRef`, never a literal). The LLM stack's `kubeconfig` output (also a
secret) builds the Kubernetes provider, so the app lands on the same cluster as the gateway.

The workload is a stand-in: a pinned curl image that lists the models every five minutes with the
OpenAI-compatible API (`GET $OPENAI_BASE_URL/models`). Replace the image and command with your app;
keep the env names (`OPENAI_BASE_URL`, `OPENAI_API_KEY`), which OpenAI client libraries read as is.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

LABELS = {"app.kubernetes.io/name": "llm-client", "app.kubernetes.io/part-of": "tke-llm-app"}
POLL = 'while true; do curl -sf -H "Authorization: Bearer $OPENAI_API_KEY" "$OPENAI_BASE_URL/models"; echo; sleep 300; done'


def model_names(models: Any) -> str:
    """The `models` output is a list of {name, servedName, url, engine}; clients send `servedName`."""
    return ",".join(m["servedName"] if isinstance(m, dict) else str(m) for m in (models or []))


def build(llm_stack: str, namespace: str, image: str) -> dict[str, pulumi.Output]:
    ref = pulumi.StackReference("llm", stack_name=llm_stack)
    api_base_url = ref.require_output("apiBaseUrl")
    api_key = pulumi.Output.secret(ref.require_output("apiKey"))
    models = ref.require_output("models").apply(model_names)
    provider = k8s.Provider("llm-cluster", kubeconfig=ref.require_output("kubeconfig"),
                            enable_server_side_apply=True)
    opts = pulumi.ResourceOptions(provider=provider)

    ns = k8s.core.v1.Namespace("apps", metadata={"name": namespace, "labels": LABELS}, opts=opts)
    key = k8s.core.v1.Secret(
        "llm-key",
        metadata={"name": "llm-client-api-key", "namespace": ns.metadata["name"], "labels": LABELS},
        type="Opaque",
        string_data={"OPENAI_API_KEY": api_key},
        opts=opts,
    )
    env = [
        {"name": "OPENAI_BASE_URL", "value": api_base_url},
        {"name": "LLM_MODELS", "value": models},
        {"name": "OPENAI_API_KEY", "value_from": {"secret_key_ref": {"name": key.metadata["name"], "key": "OPENAI_API_KEY"}}},
    ]
    deployment = k8s.apps.v1.Deployment(
        "llm-client",
        metadata={"name": "llm-client", "namespace": ns.metadata["name"], "labels": LABELS},
        spec={
            "replicas": 1,
            "selector": {"match_labels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {
                    "automount_service_account_token": False,
                    "security_context": {"run_as_non_root": True, "seccomp_profile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "client",
                        "image": image,
                        "command": ["sh", "-c", POLL],
                        "env": env,
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
                        "security_context": {"allow_privilege_escalation": False, "read_only_root_filesystem": True,
                                             "capabilities": {"drop": ["ALL"]}},
                    }],
                },
            },
        },
        opts=opts,
    )
    return {"namespace": ns.metadata["name"], "deployment": deployment.metadata["name"], "models": models,
            "apiBaseUrl": api_base_url}


def main() -> None:
    config = pulumi.Config()
    outputs = build(config.require("llmStack"), config.get("namespace") or "llm-apps",
                    config.get("image") or "curlimages/curl:8.11.1")
    for name, value in outputs.items():
        pulumi.export(name, value)
