"""KEDA's operator and admission webhooks as local processes (built by e2e/keda/build.sh): the CRDs of the
same KEDA release installed, the webhooks served on 127.0.0.1 with a certificate from the local CA and
registered by URL, the operator's gRPC metrics service on loopback with the same certificate. In a
cluster both run in the `keda` namespace behind Services and rotate their own certificates; neither
exists outside a cluster. Not started: KEDA's metrics API server (the external metrics API the HPAs it
makes would read), so those HPAs report that the metric is unavailable, as TKE's would before it starts."""

from __future__ import annotations

import base64
import copy
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import yaml

from .kube import Kube
from .processes import HOST, Processes, free_port, sign_serving_cert

BUILD = Path(__file__).resolve().parent / "keda" / "build.sh"
KEDA_API = "keda.sh/v1alpha1"
NAMESPACE = "keda"
"""Where KEDA would run (its cluster-object namespace: TriggerAuthentication secrets are read there)."""


@lru_cache(maxsize=1)
def keda_dir() -> Path:
    """The cache directory holding bin/keda-operator, bin/keda-webhooks, crds/ and webhooks.yaml."""
    out = subprocess.run(["bash", str(BUILD)], check=True, stdout=subprocess.PIPE, text=True).stdout
    return Path(out.strip().splitlines()[-1])


def start_keda(processes: Processes, kube: Kube, kubeconfig: Path) -> None:
    """Started among the control plane's `processes` (its directory holds the local CA, ca.crt/ca.key)."""
    src = keda_dir()
    d = processes.dir / "keda"
    d.mkdir(parents=True, exist_ok=True)
    crds = sorted((src / "crds").glob("*.yaml"))
    for path in crds:
        kube.ensure_file(path)
    kube.wait("KEDA's CRDs", lambda: kube.served(KEDA_API, "ScaledObject") and kube.served(KEDA_API, "ScaledJob"),
              timeout=30)

    certs = sign_serving_cert(processes.dir, d, "keda")
    shutil.copy(processes.dir / "ca.crt", certs / "ca.crt")  # the gRPC metrics service verifies its clients
    # Upstream's local run (its Makefile's `run` target): every namespace watched, cluster objects in `keda`.
    env = {"KUBECONFIG": str(kubeconfig), "WATCH_NAMESPACE": "", "KEDA_CLUSTER_OBJECT_NAMESPACE": NAMESPACE,
           "POD_NAMESPACE": NAMESPACE}
    loopback = lambda flag: f"--{flag}={HOST}:{free_port()}"  # noqa: E731
    processes.spawn("keda-operator", [
        str(src / "bin" / "keda-operator"), "--kubeconfig", str(kubeconfig), "--cert-dir", str(certs),
        "--ca-dir", str(certs), "--enable-cert-rotation=false", "--leader-elect=false",
        loopback("metrics-bind-address"), loopback("health-probe-bind-address"),
        loopback("metrics-service-bind-address"), "--zap-log-level=info"], env=env)

    port = free_port()
    processes.spawn("keda-webhooks", [
        str(src / "bin" / "keda-webhooks"), "--kubeconfig", str(kubeconfig), "--cert-dir", str(certs),
        f"--port={port}", loopback("metrics-bind-address"), loopback("health-probe-bind-address")], env=env)

    ca = base64.b64encode((processes.dir / "ca.crt").read_bytes()).decode()
    for doc in yaml.safe_load_all((src / "webhooks.yaml").read_text()):
        if not doc:
            continue
        doc = copy.deepcopy(doc)
        for hook in doc["webhooks"]:
            path = hook["clientConfig"]["service"]["path"]
            hook["clientConfig"] = {"url": f"https://{HOST}:{port}{path}", "caBundle": ca}
            # Upstream ships `Ignore`: an unreachable webhook would let every object through unchecked,
            # and the tests would not notice. Here a webhook that is down fails the request.
            hook["failurePolicy"] = "Fail"
        kube.ensure(doc)

    def started(name: str, line: str):
        def check() -> bool:
            processes.check_alive()
            return line in processes.logs(name)
        return check

    kube.wait("KEDA's operator", started("keda-operator", "Starting workers"), timeout=120)
    kube.wait("KEDA's webhook server", started("keda-webhooks", "Serving webhook server"), timeout=120)
