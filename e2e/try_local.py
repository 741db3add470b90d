"""Try a stack without a cloud: a local control plane with fake nodes shaped like the stack's node pools
(labels, taints, GPUs), then `pulumi up` of the stack against it with the real engine and providers.

    python -m e2e.try_local byo            # up, show where every pod landed, wait for Ctrl-C, destroy
    python -m e2e.try_local byo --once     # the same without waiting

Existing-cluster stacks, or a TKE stack's in-cluster layer; no weights, no engine (e2e/README.md).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import time
from pathlib import Path

import yaml

from .cluster import PREFIX, LocalCluster, parse_stack
from .engine import Engine, run
from .toolchain import tools_dir

ROOT = Path(__file__).resolve().parent.parent
LOCAL_STORAGE_CLASS = "local-models"


def local_config(stack: str, kubeconfig: Path) -> tuple[dict, list[str]]:
    """The stack's config pointed at the local cluster, and the StorageClasses the cluster must offer."""
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    config = {k: v for k, v in config.items() if not k.startswith("tencentcloud:")}
    original = parse_stack(config)
    cluster = config.get(f"{PREFIX}cluster", {})
    config[f"{PREFIX}cluster"] = {"kind": "existing", "name": cluster.get("name", stack),
                                  "kubernetesVersion": "1.30.0", "kubeconfigPath": str(kubeconfig)}
    storage = config.get(f"{PREFIX}storage", {})
    if storage.get("kind") == "existing":
        classes = [storage["storageClassName"]]
    else:
        config[f"{PREFIX}storage"] = {"kind": "existing", "storageClassName": LOCAL_STORAGE_CLASS,
                                      "sizeGi": storage.get("sizeGi", 1000)}
        classes = [LOCAL_STORAGE_CLASS]
    pools = []
    for raw, pool in zip(config.get(f"{PREFIX}nodePools", []), original.node_pools):
        if pool.kind == "existing":
            pools.append(raw)
            continue
        # A cloud pool becomes the nodes it would create: selected by its labels, carrying its taints.
        existing = {"name": pool.name, "kind": "existing", "nodeSelector": dict(pool.node_labels),
                    "maxSize": pool.max_size}
        if raw.get("gpu"):
            existing["gpu"] = raw["gpu"]
        if pool.node_taints:
            existing["taints"] = [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.node_taints]
        pools.append(existing)
    config[f"{PREFIX}nodePools"] = pools
    config[f"{PREFIX}cluster"]["leaderWorkerSetInstalled"] = True  # the local LWS controller runs
    # Charts come from repositories the local cluster cannot reach: what the stack would install from
    # one becomes "already there" (their CRDs are installed from ../shared/crds).
    monitoring = config.get(f"{PREFIX}monitoring")
    if monitoring:
        prom = monitoring.get("prometheus", {})
        if prom.get("kind") in ("in-cluster", "tke-managed"):
            url = ("http://prometheus-operated.monitoring.svc:9090" if prom.get("kind") == "in-cluster"
                   else prom.get("queryUrl"))
            monitoring["prometheus"] = {"kind": "existing", "namespace": prom.get("namespace", "monitoring"),
                                        **({"url": url} if url else {})}
        monitoring["dcgmExporter"] = False
    for model in config.get(f"{PREFIX}models", []):
        scaling = model.get("autoscaling") or {}
        if scaling.get("metric") == "gpu":  # TKE's own GPU metrics API: a fixed count instead
            model.pop("autoscaling")
            model["replicas"] = scaling.get("minReplicas", model.get("replicas", 1))
    scalers = config.get(f"{PREFIX}autoscalers")
    if scalers:
        scalers["installKeda"] = False
        scalers["installPrometheusAdapter"] = False
    return config, classes


CHART_SUBSTITUTIONS = (
    "the LeaderWorkerSet controller runs locally (cluster.leaderWorkerSetInstalled)",
    "an in-cluster or managed Prometheus becomes an existing Prometheus Operator (its CRDs installed)",
    "no DCGM exporter, KEDA or Prometheus Adapter chart (autoscalers find their CRDs installed)",
    "autoscaling on TKE's GPU metric (served by TKE only) becomes its minimum replica count",
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m e2e.try_local", description=__doc__.splitlines()[0])
    ap.add_argument("stack")
    ap.add_argument("--dir", type=Path, default=ROOT / "build" / "local")
    ap.add_argument("--once", action="store_true", help="destroy and stop right after the up")
    args = ap.parse_args(argv)

    if args.dir.exists():
        shutil.rmtree(args.dir)
    tools = tools_dir()
    cluster = LocalCluster(tools, args.dir / "cluster", lws=True)
    cluster.start()
    try:
        config, classes = local_config(args.stack, cluster.kubeconfig)
        cluster.prepare(config, classes)
        print(f"local cluster: KUBECONFIG={cluster.kubeconfig}", flush=True)
        engine = Engine(tools, args.dir / "engine")
        stack = engine.stack(args.stack, config)
        started = time.perf_counter()
        result, steps = run(stack, "up", on_output=lambda line: print(line, flush=True))
        print(f"\npulumi up: {result.summary.result} in {time.perf_counter() - started:.1f} s", flush=True)
        for pod in sorted(cluster.kube.list("v1", "Pod"), key=lambda p: p["metadata"]["namespace"]):
            m, s = pod["metadata"], pod["spec"]
            print(f"  {m['namespace']:<16} {m['name']:<48} {pod['status'].get('phase', ''):<10} "
                  f"{s.get('nodeName', '-')}")
        if not args.once:
            print("\nCtrl-C destroys the stack and stops the cluster.", flush=True)
            try:
                signal.sigwait({signal.SIGINT, signal.SIGTERM})
            except KeyboardInterrupt:
                pass
        run(stack, "destroy", exclude_protected=True, on_output=lambda line: print(line, flush=True))
        return 0 if result.summary.result == "succeeded" else 1
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
