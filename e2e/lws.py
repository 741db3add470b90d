"""The LeaderWorkerSet controller as a local process: its CRD installed, its admission webhooks served on
127.0.0.1 with a certificate from the local CA and registered by URL (in a cluster they are reached
through a Service and the controller rotates its own certificate; neither exists outside a cluster).
The pod webhooks keep upstream's kustomize patches (only pods of a LeaderWorkerSet are sent to them)."""

from __future__ import annotations

import base64
import copy
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from .cluster import LocalCluster

LWS_API = "leaderworkerset.x-k8s.io/v1"


def start_lws(cluster: "LocalCluster") -> None:
    from .cluster import HOST, SHARED_CRDS, free_port

    src = cluster.tools / "lws"
    d = cluster.dir / "lws"
    (d / "certs").mkdir(parents=True, exist_ok=True)
    # The CRD of the release the stack's chart installs (../shared/crds, v0.10.0), not the controller's own
    # (v0.7.0, the newest LWS module that builds with the provider's client-go): the API server then
    # validates the rendered objects as a real cluster would.
    cluster.apply_file(SHARED_CRDS / "leaderworkerset.x-k8s.io_leaderworkersets.yaml")
    cluster.kube.wait("the LeaderWorkerSet CRD", lambda: cluster._served(LWS_API, "LeaderWorkerSet"), timeout=30)

    # Serving certificate for 127.0.0.1, signed by the cluster's CA.
    (d / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    cluster._openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=lws-webhook",
                     "-keyout", "lws/certs/tls.key", "-out", "lws/tls.csr")
    cluster._openssl("x509", "-req", "-in", "lws/tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                     "-days", "2", "-extfile", "lws/san.cnf", "-out", "lws/certs/tls.crt")
    port = free_port()
    (d / "config.yaml").write_text(yaml.safe_dump({
        "apiVersion": "config.lws.x-k8s.io/v1alpha1", "kind": "Configuration",
        "leaderElection": {"leaderElect": False},
        "internalCertManagement": {"enable": False},
        "webhook": {"host": HOST, "port": port, "certDir": str(d / "certs")},
        "metrics": {"bindAddress": f"{HOST}:{free_port()}"},
        "health": {"healthProbeBindAddress": f"{HOST}:{free_port()}"},
    }))
    cluster._spawn("lws-controller", [str(cluster.bin / "lws-controller"), "--config", str(d / "config.yaml"),
                                      "--kubeconfig", str(cluster.kubeconfig)])

    ca = base64.b64encode((cluster.dir / "ca.crt").read_bytes()).decode()
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
        cluster.create(doc)

    def serving() -> bool:
        cluster._check_alive()
        return "Serving webhook server" in cluster.logs("lws-controller") or "serving webhook server" in \
            cluster.logs("lws-controller").lower()

    cluster.kube.wait("the LWS webhook server", serving, timeout=60)
