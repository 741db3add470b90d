"""From typed model config to the renderers' frozen specs: placement, volume, resources, probe
budgets, dtype. One function per derived value, so the preflight and the summary reuse them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from catalog import GPUS, SUPER_NODE_GPU_TYPES, lookup
from catalog.models import ollama_tag
from catalog.images import ENGINE_IMAGES
from catalog.models import ModelSpec
from catalog.storage import ENGINE_INIT_SECONDS, load_gbps
from config import StackConfig
from config.formats import quantity_value
from config.mirror import STREAMER_MEMORY_LIMIT_GB
from config.models import HuggingFaceSource, ModelConfig
from derive.bringup import download_limit, streams
from derive.adapters import ADAPTER_DOWNLOAD_GB, downloads
from derive.adapters import lora as lora_spec
from derive.capacity import dtype_for
from derive.mirror import mirror_spec
from derive.naming import Names
from derive.overrides import pod_overrides
from derive.rdma import rdma as rdma_spec
from derive.rdma import settings as rdma_settings
from derive.routing_policy import renders_for_router
from render.engines import EngineSpec, ModelVolume, Placement
from render.engines.loading import Streaming, cache_subpath
from render.meta import image as mirrored
from render.model_cache import ModelSource, download_timeout_seconds

MOUNT_PATH = "/models"
IMAGE_PULL_SECONDS = 900
"""Pulling a 20-30 GB engine image onto a fresh GPU node; part of the startup budget."""
PLACEHOLDER_SIZE_GB = 50.0
"""Only so that the other checks can run on a model whose size is unknown: preflight refuses such a
model (`models[i].sizeGb`), so no plan is ever made with this figure."""


@dataclass(frozen=True)
class SizeEstimate:
    """The weights' size on disk and where the figure comes from, as the plan states it."""

    gb: float
    origin: str


@dataclass(frozen=True)
class ServingPlan:
    """Everything the composition needs for one model."""

    config: ModelConfig
    spec: EngineSpec
    source: ModelSource
    model_dir: str
    size_gb: float
    download_seconds: int
    load_seconds: int
    adapters: tuple[tuple[ModelSource, str], ...] = ()
    """(source, directory) of each LoRA adapter, downloaded by the same Job after the weights' check."""


def model_spec(m: ModelConfig):
    """Catalog entry, or the config's own `architecture`, or None (capacity checks then skipped)."""
    if m.architecture:
        a = m.architecture
        return ModelSpec(id=m.source.model_id, params_b=a.params_b, weight_gb=a.weight_gb, dtype=a.dtype,
                         layers=a.layers, attention_heads=a.attention_heads, kv_heads=a.kv_heads,
                         head_dim=a.head_dim, context_length=a.context_length)
    return lookup(m.source.model_id) if m.source.kind != "ollama" else None


def model_size(m: ModelConfig) -> SizeEstimate | None:
    """`sizeGb`, else `architecture.weightGb`, else the catalog (hub checkpoints or Ollama tags), else
    None: the size is unknown and preflight asks for `sizeGb`."""
    if m.size_gb:
        return SizeEstimate(m.size_gb, "sizeGb in the stack file")
    if m.architecture:
        return SizeEstimate(m.architecture.weight_gb, "architecture.weightGb in the stack file")
    if m.source.kind == "ollama":
        tag = ollama_tag(m.source.model_id)
        return SizeEstimate(round(tag.bytes / 1e9, 2), f"catalog: {tag.source}") if tag else None
    known = lookup(m.source.model_id)
    return SizeEstimate(known.weight_gb, f"catalog {known.id}: {known.weight_source}") if known else None


def model_size_gb(m: ModelConfig) -> float:
    size = model_size(m)
    return size.gb if size else PLACEHOLDER_SIZE_GB


def model_dir(m: ModelConfig) -> str:
    """Weights of each (source, id, revision) in their own directory: a new revision downloads beside
    the old one, so running pods keep reading intact files during the rollout."""
    return f"{m.source.kind}/{m.source.model_id}/{m.source.revision}"


def tolerations(pool) -> list[dict[str, str]]:
    out = []
    for t in pool.node_taints:
        tol = {"key": t.key, "effect": t.effect}
        tol.update({"operator": "Equal", "value": t.value} if t.value else {"operator": "Exists"})
        out.append(tol)
    return out


def host_network(cfg: StackConfig, m: ModelConfig) -> bool:
    """Whether the model's pods run on the host network: a multi-node model on an RDMA pool whose
    `gpu.rdma.hostNetwork` is on (the default, as the TKE guides run HCCPNV6). False when the pool is
    missing (the config checks report it)."""
    r = rdma_settings(cfg, m)
    return r is not None and r.host_network


def placement(cfg: StackConfig, m: ModelConfig) -> Placement:
    pool = cfg.pool(m.pool)
    if pool.kind == "super":
        gpu_type = next((k for k, v in SUPER_NODE_GPU_TYPES.items() if v == pool.gpu.type), pool.gpu.type)
        return Placement(node_selector=pool.node_labels, tolerations=tolerations(pool),
                         super_node_gpu_type=gpu_type, root_disk_gb=pool.root_disk_gb)
    return Placement(node_selector=pool.node_labels, tolerations=tolerations(pool),
                     host_network=host_network(cfg, m))


def volume(cfg: StackConfig, names: Names) -> ModelVolume:
    if cfg.storage.kind == "local":
        return ModelVolume(pvc_name=None, host_path=cfg.storage.host_path, mount_path=MOUNT_PATH)
    return ModelVolume(pvc_name=names.model_pvc, host_path=None, mount_path=MOUNT_PATH)


def dtype(cfg: StackConfig, m: ModelConfig) -> str:
    """`auto` becomes `half` on GPUs without bf16 (P2); explicit bf16 there is refused in config."""
    gpu = GPUS.get(cfg.pool(m.pool).gpu.type)
    return dtype_for(gpu, m.settings.dtype)[0] if gpu else m.settings.dtype


def load_seconds(cfg: StackConfig, m: ModelConfig, size_gb: float) -> int:
    """Image pull + every rank of a node reading the weights (derive/bringup.py) + engine start-up,
    x1.5 margin."""
    read = size_gb * (1 if m.engine == "ollama" else m.gpus_per_node) / load_gbps(cfg.storage)
    return math.ceil((IMAGE_PULL_SECONDS + read + ENGINE_INIT_SECONDS[m.engine]) * 1.5)


def shm_gi(m: ModelConfig) -> int:
    """NCCL and the engines' worker processes exchange tensors through /dev/shm: 2 GiB for one GPU
    (the reference manifest), more with tensor parallelism, capped so it does not eat the node."""
    return 2 if m.gpus_per_node == 1 else min(64, 8 * m.gpus_per_node)


CACHING_ENGINES = ("vllm", "sglang")
"""Engines that compile (torch.compile, Triton) and prefetch checkpoints; Ollama pulls into its own store."""
NETWORK_FS = ("cfs", "cfs-turbo")
"""Storage kinds that are network file systems (CFS: NFS; CFS-Turbo: Lustre)."""


def pod_memory(m: ModelConfig) -> str:
    """The engine pod's memory request and limit."""
    return m.memory or f"{16 * m.gpus_per_node + shm_gi(m)}Gi"


def streamer_memory_bytes(cfg: StackConfig, m: ModelConfig) -> int:
    """`streamer.memoryLimitGb`, else the streamer's own 40 GB capped at half the pod's memory less its
    /dev/shm (the buffer is charged to the pod; the other half is left to the engine's own process)."""
    mirror = cfg.model_cache.mirror
    if mirror is not None and mirror.streamer.memory_limit_gb is not None:
        return int(mirror.streamer.memory_limit_gb * 1e9)
    usable = quantity_value(pod_memory(m)) - shm_gi(m) * 2**30
    return int(min(STREAMER_MEMORY_LIMIT_GB * 1e9, usable / 2))


def streaming(cfg: StackConfig, m: ModelConfig) -> Streaming | None:
    if not streams(cfg, m):
        return None
    spec = mirror_spec(cfg)
    if spec is None:
        return None
    assert cfg.model_cache.mirror is not None
    return Streaming(mirror=spec, concurrency=cfg.model_cache.mirror.streamer.concurrency,
                     memory_limit_bytes=streamer_memory_bytes(cfg, m))


def compile_cache(cfg: StackConfig, m: ModelConfig) -> str | None:
    """Per-model compile caches on shared storage; none on local disks (the pod sees only its model's
    directory there) and none for Ollama (no compilation)."""
    if cfg.storage.kind == "local" or m.engine not in CACHING_ENGINES:
        return None
    return cache_subpath(m.engine, m.name)


def serving_plan(cfg: StackConfig, names: Names, m: ModelConfig, api_key_secret: str) -> ServingPlan:
    size = model_size_gb(m)
    src = m.source
    source = ModelSource(
        kind=src.kind, model_id=src.model_id, revision=src.revision,
        endpoint=src.endpoint if isinstance(src, HuggingFaceSource) else None,
        token_secret=f"{m.name}-hub-token" if src.token_secret else None,
    )
    shm = shm_gi(m)
    load = load_seconds(cfg, m, size)
    s = m.settings
    spec = EngineSpec(
        name=m.name,
        namespace=names.namespace,
        engine=m.engine,
        served_name=m.served_name,
        model_dir=model_dir(m),
        image=mirrored(m.image or ENGINE_IMAGES[m.engine], cfg.image_registry),
        gpus_per_node=m.gpus_per_node,
        nodes=m.nodes,
        replicas=m.replicas,
        max_model_len=s.max_model_len,
        gpu_memory_fraction=s.gpu_memory_fraction,
        dtype=dtype(cfg, m),
        quantization=s.quantization,
        prefix_caching=s.prefix_caching,
        chunked_prefill=s.chunked_prefill,
        max_num_seqs=s.max_num_seqs,
        max_batched_tokens=s.max_batched_tokens,
        trust_remote_code=s.trust_remote_code,
        extra_args=tuple(s.extra_args),
        scale_out=renders_for_router(cfg, m),
        api_key_secret=api_key_secret,
        cpu=m.cpu or str(4 * m.gpus_per_node),
        memory=pod_memory(m),
        shm_size=f"{shm}Gi",
        startup_seconds=m.startup_timeout_seconds or load,
        grace_seconds=120,
        placement=placement(cfg, m),
        volume=volume(cfg, names),
        rdma=rdma_spec(cfg, m),
        overrides=pod_overrides(cfg, m),
        lora=lora_spec(m),
        stream=streaming(cfg, m),
        network_fs=cfg.storage.kind in NETWORK_FS and m.engine in CACHING_ENGINES and not streams(cfg, m),
        compile_cache=compile_cache(cfg, m),
    )
    return ServingPlan(
        config=m, spec=spec, source=source, model_dir=model_dir(m), size_gb=size,
        download_seconds=download_timeout_seconds(size + ADAPTER_DOWNLOAD_GB * len(m.adapters),
                                                  download_limit(cfg, m)[0]), load_seconds=load,
        adapters=downloads(m),
    )
