"""The LeaderWorkerSet controller as a local process: its CRD installed, its admission webhooks served on
127.0.0.1 with a certificate from the local CA and registered by URL (in a cluster they are reached
through a Service and the controller rotates its own certificate; neither exists outside a cluster).
The pod webhooks keep upstream's kustomize patches (only pods of a LeaderWorkerSet are sent to them)."""

from __future__ import annotations

import base64
import copy
from pathlib import Path

import yaml

from .kube import Kube
from .processes import HOST, SHARED_CRDS, Processes, free_port, sign_serving_cert

LWS_API = "leaderworkerset.x-k8s.io/v1"


def start_lws(processes: Processes, kube: Kube, tools: Path, kubeconfig: Path) -> None:
    """Started among the control plane's `processes` (its directory holds the local CA, ca.crt/ca.key)."""
    src = tools / "lws"
    d = processes.dir / "lws"
    d.mkdir(parents=True, exist_ok=True)
    # The CRD of the release the stack's chart installs (../shared/crds, v0.10.0), not the controller's own
    # (v0.7.0, the newest LWS module that builds with the provider's client-go): the API server then
    # validates the rendered objects as a real cluster would.
    kube.ensure_file(SHARED_CRDS / "leaderworkerset.x-k8s.io_leaderworkersets.yaml")
    kube.wait("the LeaderWorkerSet CRD", lambda: kube.served(LWS_API, "LeaderWorkerSet"), timeout=30)

    # Serving certificate for 127.0.0.1, signed by the cluster's CA.
    certs = sign_serving_cert(processes.dir, d, "lws-webhook")
    port = free_port()
    (d / "config.yaml").write_text(yaml.safe_dump({
        "apiVersion": "config.lws.x-k8s.io/v1alpha1", "kind": "Configuration",
        "leaderElection": {"leaderElect": False},
        "internalCertManagement": {"enable": False},
        "webhook": {"host": HOST, "port": port, "certDir": str(certs)},
        "metrics": {"bindAddress": f"{HOST}:{free_port()}"},
        "health": {"healthProbeBindAddress": f"{HOST}:{free_port()}"},
    }))
    processes.spawn("lws-controller", [str(tools / "bin" / "lws-controller"), "--config", str(d / "config.yaml"),
                                       "--kubeconfig", str(kubeconfig)])

    ca = base64.b64encode((processes.dir / "ca.crt").read_bytes()).decode()
    patches = {"MutatingWebhookConfiguration": yaml.safe_load((src / "mutating-patch.yaml").read_text()),
               "ValidatingWebhookConfiguration": yaml.safe_load((src / "validating-patch.yaml").read_text())}
    for doc in yaml.safe_load_all((src / "manifests.yaml").read_text()):
        if not doc:
            continue
        doc = copy.deepcopy(doc)
        for op in patches[doc["kind"]]:
            assert op["op"] == "replace" and op["path"].startswith("/webhooks/"), op
            doc["webhooks"][int(op["path"].rsplit("/", 1)[1])] = op["value"]
        doc["metadata"]["name"] = f"lws-{doc['metadata']['name']}"
        for hook in doc["webhooks"]:
            path = hook["clientConfig"]["service"]["path"]
            hook["clientConfig"] = {"url": f"https://{HOST}:{port}{path}", "caBundle": ca}
        kube.ensure(doc)

    def serving() -> bool:
        processes.check_alive()
        return "serving webhook server" in processes.logs("lws-controller").lower()

    kube.wait("the LWS webhook server", serving, timeout=60)
