"""A local Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, kwok (fake nodes and pod lifecycles) and, when asked, the LeaderWorkerSet controller.

It is what the real-engine tests run `pulumi up` against, and a user feature: `make try-local` brings it
up with fake nodes derived from a stack's node pools so the whole graph can be watched coming up before
any GPU is paid for. Everything listens on loopback; every process it starts is stopped by PID.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from checks import checked
from derive.addons import rdma_node_labels
from derive.rdma import devices_per_node
from derive.replicas import max_replicas, pool_node_bound
from derive.replicas import nodes_for as model_nodes
from render.engines.spec import RDMA_RESOURCE

from .kube import ApiError, Kube
from .keda import start_keda
from .lws import start_lws
from .processes import HOST, SHARED_CRDS, Processes, free_port, openssl

FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
SERVICE_CIDR = "10.96.0.0/16"
PREFIX = "tke-llm:"


def parse_stack(config: dict[str, Any]) -> Any:
    """The typed config of a stack file's `config:` map (keys with their project prefix)."""
    return checked({k[len(PREFIX):]: v for k, v in config.items() if k.startswith(PREFIX)})


@dataclass
class FakeNode:
    """A node as the scheduler sees it: labels and taints of a pool, and its GPUs as extended resources."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, str]] = field(default_factory=list)
    gpus: int = 0
    cpu: str = "32"
    memory: str = "256Gi"
    rdma: int = 0
    """RDMA devices the rdma-agent add-on would offer (`tke.cloud.tencent.com/tke-shared-rdma`)."""

    def manifest(self) -> dict[str, Any]:
        capacity = {"cpu": self.cpu, "memory": self.memory, "pods": "110", "ephemeral-storage": "1Ti"}
        if self.gpus:
            capacity["nvidia.com/gpu"] = str(self.gpus)
        if self.rdma:
            capacity[RDMA_RESOURCE] = str(self.rdma)
        return {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": self.name, "annotations": {FAKE_NODE_ANNOTATION: "fake"},
                         "labels": {"kubernetes.io/hostname": self.name, "kubernetes.io/os": "linux",
                                    "kubernetes.io/arch": "amd64", "type": "kwok", **self.labels}},
            "spec": {"taints": self.taints},
            "status": {"capacity": capacity, "allocatable": capacity,
                       "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                                    "kubeletVersion": "fake", "kubeProxyVersion": "fake",
                                    "containerRuntimeVersion": "", "kernelVersion": "", "osImage": "",
                                    "machineID": "", "systemUUID": "", "bootID": ""}},
        }


class LocalCluster:
    """Start with `start()`, stop with `stop()` (also on error); `kube` reads and writes objects."""

    def __init__(self, tools: Path, workdir: Path, *, lws: bool = False, keda: bool = False, log=print):
        self.bin = tools / "bin"
        self.tools = tools
        self.dir = workdir
        self.lws = lws
        self.keda = keda
        self.log = log
        self.processes = Processes(workdir)
        self.token = secrets.token_hex(16)
        self.api_port = free_port()
        self.server = f"https://{HOST}:{self.api_port}"
        self.kubeconfig = self.dir / "kubeconfig"
        self._stop_faker = threading.Event()
        self._faker: threading.Thread | None = None
        self.kube: Kube

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> "LocalCluster":
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            self._certs()
            self._etcd()
            self._apiserver()
            self._controllers()
            self._kwok()
            if self.lws:
                self._lws()
            if self.keda:
                start_keda(self.processes, self.kube, self.kubeconfig)
            self._faker = threading.Thread(target=self._fake_load_balancers, daemon=True)
            self._faker.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stop_faker.set()
        self.processes.stop()

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def logs(self, name: str) -> str:
        return self.processes.logs(name)

    # -- pieces ------------------------------------------------------------------------------------
    def _certs(self) -> None:
        d = self.dir
        openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tke-llm-local-ca",
                "-keyout", "ca.key", "-out", "ca.crt")
        (d / "san.cnf").write_text(
            "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
            "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n")
        openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
                "-keyout", "apiserver.key", "-out", "apiserver.csr")
        openssl(d, "x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "san.cnf", "-out", "apiserver.crt")
        openssl(d, "genrsa", "-out", "sa.key", "2048")
        openssl(d, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub")
        (d / "tokens.csv").write_text(f'{self.token},admin,admin,"system:masters"\n')
        ca = base64.b64encode((d / "ca.crt").read_bytes()).decode()
        self.kubeconfig.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "local",
            "clusters": [{"name": "local", "cluster": {"server": self.server, "certificate-authority-data": ca}}],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "local", "context": {"cluster": "local", "user": "admin"}}],
        }))
        self.kube = Kube(self.server, self.token, d / "ca.crt")

    def _etcd(self) -> None:
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://{HOST}:{client}"
        self.processes.spawn("etcd", [
            str(self.bin / "etcd"), "--data-dir", str(self.dir / "etcd"), "--name", "default",
            "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
            "--listen-peer-urls", f"http://{HOST}:{peer}", "--initial-advertise-peer-urls", f"http://{HOST}:{peer}",
            "--initial-cluster", f"default=http://{HOST}:{peer}", "--listen-metrics-urls", f"http://{HOST}:{free_port()}",
            "--unsafe-no-fsync", "--log-level", "warn"])

    def _apiserver(self) -> None:
        d = self.dir
        self.processes.spawn("kube-apiserver", [
            str(self.bin / "kube-apiserver"), "--etcd-servers", self.etcd_url,
            "--bind-address", HOST, "--advertise-address", HOST, "--secure-port", str(self.api_port),
            "--cert-dir", str(d / "certs"), "--tls-cert-file", str(d / "apiserver.crt"),
            "--tls-private-key-file", str(d / "apiserver.key"), "--client-ca-file", str(d / "ca.crt"),
            "--token-auth-file", str(d / "tokens.csv"), "--authorization-mode", "RBAC",
            "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file", str(d / "sa.pub"), "--service-account-signing-key-file", str(d / "sa.key"),
            "--service-cluster-ip-range", SERVICE_CIDR, "--allow-privileged=true", "--profiling=false",
            "--enable-priority-and-fairness=false", "--v=1"])
        self.kube.wait("the API server to be ready", self._ready, timeout=90)

    def _ready(self) -> bool:
        self.processes.check_alive()
        try:
            return self.kube.request("GET", "/readyz") == "ok"
        except (ApiError, OSError):
            return False

    def _controllers(self) -> None:
        d, kc = self.dir, str(self.kubeconfig)
        common = ["--kubeconfig", kc, "--authentication-kubeconfig", kc, "--authorization-kubeconfig", kc,
                  "--leader-elect=false", "--bind-address", HOST]
        self.processes.spawn("kube-controller-manager", [
            str(self.bin / "kube-controller-manager"), *common, "--secure-port", str(free_port()),
            "--service-account-private-key-file", str(d / "sa.key"), "--root-ca-file", str(d / "ca.crt"),
            "--use-service-account-credentials=false", "--controllers", "*",
            "--concurrent-gc-syncs", "5", "--v=1"])
        self.processes.spawn("kube-scheduler", [str(self.bin / "kube-scheduler"), *common,
                                                "--secure-port", str(free_port()), "--v=1"])
        # The default ServiceAccount is what pods are admitted with: the controllers are up once it exists.
        self.kube.wait("the controller manager to create the default ServiceAccount",
                       lambda: self.processes.check_alive()
                       or self.kube.get("v1", "ServiceAccount", "default", "default"), timeout=60)

    def _kwok(self) -> None:
        for crd in sorted((self.tools / "kwok" / "crd").glob("*.yaml")):
            self.apply_file(crd)
        self.kube.wait("kwok's Stage CRD", lambda: self.kube.served("kwok.x-k8s.io/v1alpha1", "Stage"), timeout=30)
        for stage in sorted((self.tools / "kwok" / "stages").glob("*.yaml")):
            self.apply_file(stage)
        # kwok v0.7.0 sometimes stalls before starting its stage controllers when the Stage CRD is new (seen
        # once in ~10 starts: its log stops after "Starting HTTP server" and no node ever turns Ready). It
        # is started again, keeping each attempt's log, until its stage controllers run.
        for attempt in range(1, 4):
            log = self.dir / "kwok.log"
            if log.exists():
                log.rename(self.dir / f"kwok-attempt-{attempt - 1}.log")
            proc = self.processes.spawn("kwok", [
                str(self.bin / "kwok"), "--kubeconfig", str(self.kubeconfig),
                "--manage-all-nodes=false", f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
                "--cidr", "10.244.0.1/16", "--node-ip", "10.0.0.1", "--node-lease-duration-seconds", "40",
                "--enable-crds", "Stage", "--server-address", f"{HOST}:{free_port()}"])
            try:
                self.kube.wait("kwok's stage controllers", lambda: self.processes.check_alive() or
                               "Start stage controller" in self.logs("kwok"), timeout=30)
                return
            except TimeoutError:
                if attempt == 3:
                    raise
                self.processes.kill("kwok", proc)

    def _lws(self) -> None:
        """The LeaderWorkerSet controller runs as a local process; its webhooks are served on loopback with
        a certificate signed by the local CA, registered by URL."""
        start_lws(self.processes, self.kube, self.tools, self.kubeconfig)

    # -- objects -----------------------------------------------------------------------------------
    def apply_file(self, path: Path) -> None:
        self.kube.ensure_file(path)

    def create(self, obj: dict[str, Any]) -> None:
        self.kube.ensure(obj)

    def prepare(self, config: dict[str, Any], storage_classes: list[str], written: Any = None) -> Any:
        """Shape the cluster for a stack: the shared CRDs, fake nodes for its pools and the StorageClasses
        it names. `written`: the typed stack as written when `config` is its local conversion
        (e2e/local_stack.py), whose pools' kinds and sizes the nodes take. Returns `config` typed."""
        cfg = parse_stack(config)
        self.install_crds(sorted(SHARED_CRDS.glob("*.yaml")))
        self.add_nodes(nodes_for(written if written is not None else cfg))
        for sc in storage_classes:
            self.add_storage(sc)
        return cfg

    def install_crds(self, paths: list[Path]) -> None:
        """CustomResourceDefinitions the stack's objects need (e.g. ../shared/crds: ServiceMonitor,
        PrometheusRule, HTTPRoute, ScaledObject), established before the stack is applied."""
        for path in paths:
            self.apply_file(path)
        for path in paths:
            for doc in yaml.safe_load_all(path.read_text()):
                if doc and doc.get("kind") == "CustomResourceDefinition":
                    group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
                    version = next(v["name"] for v in doc["spec"]["versions"] if v.get("served"))
                    self.kube.wait(f"CRD {kind}", lambda: self.kube.served(f"{group}/{version}", kind), timeout=30)

    def add_nodes(self, nodes: list[FakeNode]) -> None:
        for node in nodes:
            self.create(node.manifest())
        names = {n.name for n in nodes}

        def ready() -> bool:
            self.processes.check_alive()
            ok = set()
            for n in self.kube.list("v1", "Node"):
                conds = {c["type"]: c["status"] for c in n.get("status", {}).get("conditions", [])}
                if conds.get("Ready") == "True":
                    ok.add(n["metadata"]["name"])
            return names <= ok

        self.kube.wait(f"nodes {sorted(names)} to be Ready", ready, timeout=180)

    def add_storage(self, storage_class: str, volumes: int = 8, size: str = "2Ti") -> None:
        """A StorageClass with pre-created volumes the PV controller binds claims to: the test cluster's
        stand-in for the CSI driver a real cluster has (the claims and their binding are real)."""
        self.create({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                     "metadata": {"name": storage_class}, "provisioner": "kubernetes.io/no-provisioner",
                     "volumeBindingMode": "Immediate", "reclaimPolicy": "Retain", "allowVolumeExpansion": True})
        for i in range(volumes):
            self.create({"apiVersion": "v1", "kind": "PersistentVolume",
                         "metadata": {"name": f"{storage_class}-{i}"},
                         "spec": {"capacity": {"storage": size},
                                  "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                                  "persistentVolumeReclaimPolicy": "Retain", "storageClassName": storage_class,
                                  "hostPath": {"path": f"/tmp/tke-llm-local/{storage_class}-{i}"}}})

    # -- stand-ins for the cloud's controllers -----------------------------------------------------
    def _fake_load_balancers(self) -> None:
        """What a cloud controller and an ingress controller do for the objects pulumi-kubernetes awaits:
        give LoadBalancer Services and Ingresses an address (a documentation-range IP, never dialled)."""
        status = {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}
        while not self._stop_faker.wait(1.0):
            try:
                for svc in self.kube.list("v1", "Service"):
                    if svc["spec"].get("type") == "LoadBalancer" and not svc.get("status", {}).get("loadBalancer"):
                        self.kube.patch_status("v1", "Service", svc["metadata"]["name"],
                                               svc["metadata"]["namespace"], status)
                for ing in self.kube.list("networking.k8s.io/v1", "Ingress"):
                    if not ing.get("status", {}).get("loadBalancer"):
                        self.kube.patch_status("networking.k8s.io/v1", "Ingress", ing["metadata"]["name"],
                                               ing["metadata"]["namespace"], status)
            except Exception:  # the API server may be stopping; the next round retries
                continue


SUPER_NODE_LABELS = {"node.kubernetes.io/instance-type": "eklet"}
"""What a TKE super node carries besides its pool's labels (TKE doc 457/45561, "Scheduling a Pod to a
super node": the label a pod may select super nodes by). No pod of the stack selects it."""


def nodes_for(cfg: Any) -> list[FakeNode]:
    """Fake nodes for a stack's node pools as written: each pool's labels (and the rdma-agent's node
    labels), taints, GPUs and RDMA devices, as many nodes as `pool_size` says; a super-node pool is one
    virtual node per zone. Plus an unlabelled CPU node where the stack has no CPU system pool."""
    extra = rdma_node_labels(cfg) if cfg.is_tke else {}
    nodes: list[FakeNode] = []
    for pool in cfg.node_pools:
        labels = {**pool.node_labels, **extra.get(pool.name, {})}
        taints = [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.node_taints]
        if pool.kind == "super":
            nodes += _super_nodes(cfg, pool, labels, taints)
            continue
        gpus = pool.gpu.count if pool.is_gpu else 0
        rdma = (devices_per_node(pool) or 0) if pool.gpu is not None and pool.gpu.rdma.enabled else 0
        for i in range(pool_size(cfg, pool)):
            nodes.append(FakeNode(f"{pool.name}-{i}", labels=dict(labels), taints=taints, gpus=gpus, rdma=rdma))
    if cfg.system_pool is None:
        nodes.append(FakeNode("system-0"))
    return nodes


def pool_size(cfg: Any, pool: Any) -> int:
    """The nodes a pool has once its models run: its initial size (desiredSize or minSize; the machines
    of an attached pool; maxSize of an existing one), raised to what its models start with, as the
    cluster autoscaler would, within what the pool can hold. One node at least for a pool that can have
    one (a CPU pool the autoscaler would grow for the system pods)."""
    bound = pool_node_bound(pool)
    need = sum(model_nodes(m, pool, _start_replicas(m)) for m in cfg.models if m.pool == pool.name)
    return min(max(pool.initial_size, need, 1), bound)


def _start_replicas(model: Any) -> int:
    """Replicas a model runs without load: its `replicas`, raised to an autoscaler's minimum."""
    return max(model.replicas, model.autoscaling.min_replicas) if model.autoscaling else model.replicas


def _super_nodes(cfg: Any, pool: Any, labels: dict[str, str], taints: list[dict[str, str]]) -> list[FakeNode]:
    """One virtual node per zone the pool's super nodes are in (TKE makes one per subnet). Each offers
    the pool's GPUs per pod to every pod its models can run at their maxima plus one surge pod each, with
    the CPU and memory of as many fake machines: every pod is its own virtual machine."""
    zones = pool.zones or (cfg.cluster.network.zones if cfg.is_tke else ["local"])
    pods = max(1, sum((max_replicas(m) + 1) * m.nodes for m in cfg.models if m.pool == pool.name))
    per_pod = FakeNode("per-pod")
    return [FakeNode(f"{pool.name}-{i}", labels={**labels, **SUPER_NODE_LABELS}, taints=taints,
                     gpus=pool.gpu.count * pods if pool.is_gpu else 0,
                     cpu=str(int(per_pod.cpu) * pods), memory=f"{int(per_pod.memory[:-2]) * pods}Gi")
            for i, _ in enumerate(zones)]
