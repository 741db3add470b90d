"""What a model server needs, as frozen values the composition fills from the typed stack config.

The dataclasses validate themselves on construction, so a renderer never sees a spec it would have to
second-guess: every rule here is one the cluster or the engine would otherwise enforce later, at a
worse moment (after GPUs are billed, or in a crash loop).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from render.engines.loading import Streaming
from render.engines.lora import Lora
from render.engines.overrides import PodOverrides
from render.engines.parallel import Parallelism, parallelism
from render.placement import PodPlacement

Engine = Literal["vllm", "sglang", "ollama"]
Role = Literal["server", "leader", "worker"]
"""`server`: the one pod of a single-node replica (Deployment). `leader` / `worker`: the pods of a
multi-node LeaderWorkerSet group; only the leader runs the HTTP server."""

ENGINES: tuple[Engine, ...] = ("vllm", "sglang", "ollama")
ENGINE_PORTS: dict[str, int] = {"vllm": 8000, "sglang": 30000, "ollama": 11434}
DTYPES = ("auto", "half", "float16", "bfloat16")

COMPONENT = "model-server"
NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"
ROLE_LABEL = "role"
LWS_NAME_LABEL = "leaderworkerset.sigs.k8s.io/name"
LWS_WORKER_INDEX_LABEL = "leaderworkerset.sigs.k8s.io/worker-index"
RESERVED_LABELS = (NAME_LABEL, COMPONENT_LABEL, ROLE_LABEL)
OWNED_POD_LABELS = (*RESERVED_LABELS, "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by")
"""The labels pod.py writes on every engine pod (render/meta.py COMMON_LABELS among them)."""

SUPER_NODE_GPU_TYPE = "eks.tke.cloud.tencent.com/gpu-type"
SUPER_NODE_ROOT_DISK = "eks.tke.cloud.tencent.com/root-cbs-size"
SUPER_NODE_DEFAULT_ROOT_DISK_GB = 100
"""A super-node pod's system disk defaults to 20 GiB and an unpacked serving image fills it (P7)."""

PRESTOP_SLEEP_SECONDS = 15
"""Time the pod keeps serving after it is marked terminating, so kube-proxy / the gateway drop it from
their endpoints before the engine gets SIGTERM."""

MAX_NAME_LEN = 48
"""LWS names the worker StatefulSet `<name>-<group>` and StatefulSets put `<sts>-<10-char hash>` in the
63-character `controller-revision-hash` label: 48 leaves room for a 3-digit group index."""

DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

RDMA_RESOURCE = "tke.cloud.tencent.com/tke-shared-rdma"
"""The extended resource TKE's rdma-agent add-on offers (tke-ai-playbook helm-charts/dynamo/templates/
multinode.yaml; TKE doc 457/116719). Sources: docs/rdma.md."""
NETWORKS_ANNOTATION = "tke.cloud.tencent.com/networks"
"""The pod's networks, the cluster's pod network first, then the RDMA one (tke-ai-playbook _helpers.tpl)."""
RDMA_NETWORKS = re.compile(r"^[a-z0-9-]+(,[a-z0-9-]+)+$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OWNED_POD_ANNOTATIONS = (NETWORKS_ANNOTATION, SUPER_NODE_GPU_TYPE, SUPER_NODE_ROOT_DISK)


def _dns_1035(value: str, what: str, max_len: int = 63) -> None:
    if not DNS_1035.match(value) or len(value) > max_len:
        raise ValueError(
            f"{what} {value!r} must be a lowercase DNS-1035 label (a-z, 0-9, '-', starting with a letter) "
            f"of at most {max_len} characters"
        )


@dataclass(frozen=True)
class Placement:
    node_selector: dict[str, str]
    tolerations: list[dict[str, Any]]
    super_node_gpu_type: str | None = None
    """Set => the pod runs on a TKE super node: the GPU model comes from a pod annotation, not a pool."""
    root_disk_gb: int | None = None
    """Super-node system disk; 100 GiB when unset on a super node (P7). Ignored on normal nodes."""
    host_network: bool = False
    """The pods run on the host network, so NCCL reaches the RDMA NICs (a multi-node group on RDMA
    machines such as HCCPNV6; derive/serving.py `host_network` decides)."""

    def __post_init__(self) -> None:
        if self.super_node_gpu_type is not None and self.host_network:
            raise ValueError("super nodes are virtual machines without host networking: use GPU nodes")
        if self.root_disk_gb is not None and self.root_disk_gb < 20:
            raise ValueError(f"root_disk_gb {self.root_disk_gb} is below the 20 GiB super-node default")

    @property
    def pod_placement(self) -> PodPlacement:
        """The pool's selector and tolerations, as every pod spec writes them."""
        return PodPlacement(node_selector=self.node_selector, tolerations=tuple(self.tolerations))


@dataclass(frozen=True)
class Rdma:
    """What a pod of a multi-node group asks for to reach the RDMA NICs: devices of the rdma-agent
    add-on (requests == limits), the networks annotation, and the NCCL/Gloo environment, identical on
    leader and workers. derive/rdma.py fills it from the pool's `gpu.rdma`."""

    devices: int
    networks: str
    """`<pod network>,<rdma network>`, e.g. `tke-bridge,tke-rdma-ipvlan`."""
    env: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if self.devices < 1:
            raise ValueError(f"RDMA devices per pod must be >= 1, got {self.devices}")
        if not RDMA_NETWORKS.match(self.networks):
            raise ValueError(f"RDMA networks {self.networks!r} must list the pod network, then the RDMA network")
        names = [n for n, _ in self.env]
        bad = [n for n in names if not ENV_NAME.match(n)]
        if bad or len(set(names)) != len(names):
            raise ValueError(f"RDMA env names must be unique identifiers, got {', '.join(names)}")


@dataclass(frozen=True)
class ModelVolume:
    """Where weights live inside the pod and how they get there."""

    pvc_name: str | None
    """Shared storage claim (written once by the download Job), or None for local hostPath."""
    host_path: str | None
    """Local NVMe directory on the GPU nodes (filled by the per-node downloader) when pvc_name is None."""
    mount_path: str = "/models"

    def __post_init__(self) -> None:
        if (self.pvc_name is None) == (self.host_path is None):
            raise ValueError("ModelVolume needs exactly one of pvc_name (shared storage) or host_path (local disk)")
        if self.host_path is not None and not self.host_path.startswith("/"):
            raise ValueError(f"host_path {self.host_path!r} must be absolute")
        if not self.mount_path.startswith("/") or self.mount_path.rstrip("/") in ("", "/dev", "/proc", "/sys"):
            raise ValueError(f"mount_path {self.mount_path!r} must be an absolute, dedicated directory")


@dataclass(frozen=True)
class EngineSpec:
    name: str
    """k8s-safe model key, e.g. `qwen3-14b`; the workload, LWS and pods are named from it."""
    namespace: str
    engine: Engine
    served_name: str
    """The model name clients send (`model` in the OpenAI request); for Ollama the pulled tag."""
    model_dir: str
    """Path relative to the volume root, derived from the model id (e.g.
    `modelscope/deepseek-ai/DeepSeek-R1`). Unused by Ollama, whose store is `<mount>/ollama`."""
    image: str
    gpus_per_node: int
    nodes: int
    """1 = Deployment; > 1 = LeaderWorkerSet with one pod per node."""
    replicas: int
    max_model_len: int | None
    gpu_memory_fraction: float
    dtype: str
    quantization: str | None
    prefix_caching: bool
    chunked_prefill: bool
    max_num_seqs: int | None
    max_batched_tokens: int | None
    trust_remote_code: bool
    extra_args: tuple[str, ...]
    api_key_secret: str
    """Secret with key `api-key`; the engine reads it from the environment, never from the command line
    where it would show in the manifest and in Pulumi state."""
    cpu: str
    memory: str
    """Requests per pod; memory is also the limit. The /dev/shm tmpfs is charged to it."""
    shm_size: str
    startup_seconds: int
    grace_seconds: int
    placement: Placement
    volume: ModelVolume
    labels: dict[str, str] = field(default_factory=dict)
    rdma: Rdma | None = None
    """Set => the group's pods request RDMA devices (multi-node groups on RDMA pools only)."""
    scale_out: bool = False
    """vLLM's `--enable-scale-out` (vllm/entrypoints/scale_out/factories.py at 0.34.0): the render endpoints
    vllm-router's cache-aware policy tokenizes each request with (docs/routing.md). vLLM only."""
    overrides: PodOverrides = field(default_factory=PodOverrides)
    """The user's env, pull secrets, volumes, pod labels and annotations (render/engines/overrides.py)."""
    lora: Lora | None = None
    """LoRA adapters loaded at start-up (vLLM, SGLang; render/engines/lora.py)."""
    stream: Streaming | None = None
    """Set => the engine streams the weights from the mirror (render/engines/loading.py). vLLM, SGLang."""
    network_fs: bool = False
    """The volume is a network file system (CFS, CFS-Turbo): the engine's checkpoint prefetch, split
    across ranks, instead of every rank reading every shard (docs/cold-start.md)."""
    compile_cache: str | None = None
    """Directory under the shared volume's root for this model's compile caches, mounted read-write at
    loading.CACHE_MOUNT (render/engines/loading.py). Shared storage only; vLLM, SGLang."""

    def __post_init__(self) -> None:
        _dns_1035(self.name, "name", MAX_NAME_LEN)
        if self.engine not in ENGINES:
            raise ValueError(f"engine {self.engine!r} is not one of {', '.join(ENGINES)}")
        if self.scale_out and self.engine != "vllm":
            raise ValueError("scale_out (--enable-scale-out) is a vLLM flag")
        if not self.served_name:
            raise ValueError("served_name must not be empty")
        if self.engine != "ollama":
            normalized = posixpath.normpath(self.model_dir) if self.model_dir else ""
            if not self.model_dir or self.model_dir.startswith("/") or normalized.startswith("..") or normalized == ".":
                raise ValueError(f"model_dir {self.model_dir!r} must be a path relative to the volume root")
        for what, value in (("gpus_per_node", self.gpus_per_node), ("nodes", self.nodes)):
            if value < 1:
                raise ValueError(f"{what} must be >= 1, got {value}")
        if self.replicas < 0:
            raise ValueError(f"replicas must be >= 0, got {self.replicas}")
        if not 0 < self.gpu_memory_fraction <= 1:
            raise ValueError(f"gpu_memory_fraction {self.gpu_memory_fraction} must be in (0, 1]")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype {self.dtype!r} is not one of {', '.join(DTYPES)}")
        for what, opt in (
            ("max_model_len", self.max_model_len),
            ("max_num_seqs", self.max_num_seqs),
            ("max_batched_tokens", self.max_batched_tokens),
        ):
            if opt is not None and opt < 1:
                raise ValueError(f"{what} must be >= 1 when set, got {opt}")
        if not all(isinstance(a, str) for a in self.extra_args):
            raise ValueError("extra_args must be strings")
        if self.startup_seconds < 10:
            raise ValueError(f"startup_seconds {self.startup_seconds} is below one probe period (10 s)")
        if self.grace_seconds <= PRESTOP_SLEEP_SECONDS:
            raise ValueError(
                f"grace_seconds {self.grace_seconds} must exceed the {PRESTOP_SLEEP_SECONDS} s preStop drain, "
                "or the engine is killed before it can finish in-flight requests"
            )
        if self.placement.host_network and self.nodes < 2:
            raise ValueError("host networking is for multi-node groups (RDMA between nodes); one node needs none")
        if self.rdma is not None and self.nodes < 2:
            raise ValueError("RDMA is for multi-node groups (NCCL between nodes); one node needs none")
        if self.placement.host_network and self.rdma is None:
            raise ValueError("host networking alone gives a pod no RDMA device (NCCL falls back to TCP): set rdma")
        if self.rdma is not None and self.placement.super_node_gpu_type is not None:
            raise ValueError("super nodes have no RDMA NICs: use RDMA GPU nodes")
        if self.placement.super_node_gpu_type is not None and self.volume.host_path is not None:
            raise ValueError("super nodes have no persistent local disk: use shared storage (pvc_name)")
        reserved = sorted(set(self.labels) & set(RESERVED_LABELS))
        if reserved:
            raise ValueError(f"labels must not set {', '.join(reserved)}: the renderer owns the selector labels")
        self.overrides.check_against(self.volume.mount_path)
        if self.lora is not None and self.engine == "ollama":
            raise ValueError("Ollama serves no LoRA adapters from the stack")
        if (self.stream is not None or self.compile_cache is not None or self.network_fs) and self.engine == "ollama":
            raise ValueError("Ollama pulls into its own store: no streaming, load strategy or compile cache")
        if (self.compile_cache is not None or self.network_fs) and self.volume.pvc_name is None:
            raise ValueError("the compile cache and the network load strategy are for shared storage (pvc_name)")
        if self.compile_cache is not None:
            normalized = posixpath.normpath(self.compile_cache)
            if self.compile_cache.startswith("/") or normalized.startswith("..") or normalized == ".":
                raise ValueError(f"compile_cache {self.compile_cache!r} must be a path relative to the volume root")
        owned = sorted(set(self.overrides.labels) & set(OWNED_POD_LABELS)
                       | set(self.overrides.annotations) & set(OWNED_POD_ANNOTATIONS))
        if owned:
            raise ValueError(f"pod labels/annotations {', '.join(owned)} are written by the renderer")

    @property
    def parallelism(self) -> Parallelism:
        """Tensor x pipeline parallel sizes of one group (render/engines/parallel.py)."""
        return parallelism(self.engine, self.gpus_per_node, self.nodes)


@dataclass(frozen=True)
class Process:
    """The engine-specific part of a container: what runs and with which environment. The shared pod
    spec (pod.py) adds resources, volumes, probes and hardening around it."""

    command: tuple[str, ...]
    args: tuple[str, ...] = ()
    env: tuple[dict[str, Any], ...] = ()


def port(engine: str) -> int:
    """The engine's HTTP port (vLLM 8000, SGLang 30000, Ollama 11434), named `http` everywhere."""
    try:
        return ENGINE_PORTS[engine]
    except KeyError:
        raise ValueError(f"engine {engine!r} is not one of {', '.join(ENGINES)}") from None


def service_name(spec: EngineSpec, override: str | None = None) -> str:
    """`<name>-api`, the ClusterIP Service clients use.

    Never an engine name (P1: a Service called `vllm` injects `VLLM_PORT=tcp://...` into every pod of the
    namespace and vLLM dies parsing it as an int; pods we render also set enableServiceLinks false, but
    other pods in the namespace may not) and never the LWS name, which is taken by the headless Service
    LeaderWorkerSet creates for pod DNS. `override` allows a legacy name such as `deepseek-r1-api`.
    """
    name = override if override is not None else f"{spec.name}-api"
    _dns_1035(name, "Service name")
    if name in ENGINES:
        raise ValueError(
            f"Service name {name!r} is an engine name: Kubernetes would inject {name.upper()}_PORT=tcp://... "
            "into the namespace's pods and the engine fails to parse it (pitfall P1)"
        )
    if name == spec.name:
        raise ValueError(
            f"Service name {name!r} equals the workload name: LeaderWorkerSet creates a headless Service of "
            "that name for pod DNS"
        )
    return name


OLLAMA_DIR = "ollama"
"""Ollama's store (OLLAMA_MODELS) under the volume root, shared by every Ollama model."""


def store_dir(spec: EngineSpec) -> str:
    """The directory under the volume root that this server reads: the model's own directory for
    vLLM/SGLang, the shared Ollama store for Ollama."""
    return OLLAMA_DIR if spec.engine == "ollama" else spec.model_dir


def model_path(spec: EngineSpec) -> str:
    """Absolute path of the weights inside the pod: `<mount_path>/<model_dir>`."""
    return posixpath.join(spec.volume.mount_path, store_dir(spec))


def weights_source(spec: EngineSpec) -> str:
    """What the engine is pointed at: the mirror's `s3://` URL when it streams, else the volume path."""
    return spec.stream.mirror.url(spec.model_dir) if spec.stream is not None else model_path(spec)


def selector_labels(spec: EngineSpec) -> dict[str, str]:
    """The labels a Deployment selects its pods by (and the single-node Service)."""
    return {NAME_LABEL: spec.name, COMPONENT_LABEL: COMPONENT}
