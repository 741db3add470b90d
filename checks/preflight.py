"""Preflight: what can be known before `pulumi up` is checked here, so the failures users hit after
GPUs are billed (reference pitfalls P2-P14) become plan-time errors with the fix, or warnings.

Errors stop the program (they join the config errors); warnings are printed by the plan and logged by
`pulumi preview`. Each finding names the stack-file key to change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from catalog import ENGINE_IMAGE_GB, GPUS, gpu_for_instance
from catalog.storage import NETWORK_DISK_PROVISIONERS, NODE_LOCAL_PROVISIONERS
from checks.addons import check as addons_check
from checks.attached import check as attached_check
from checks.egress import check as egress_check
from checks.engine_images import check as check_engine_images
from checks.exposure import check as exposure_check
from checks.mirror import check as mirror_check
from checks.owned_env import env_issues
from checks.owned_flags import extra_args_issues
from checks.rdma import check as check_rdma
from checks.storage import check as turbo_check
from config import PROJECT, StackConfig
from config.node_pools import NativePool, NormalPool, SuperPool, effective_system_disk
from config.storage import CfsStorage, CfsTurboStorage, ExistingStorage, ModelVolume
from derive.adapters import ADAPTER_DOWNLOAD_GB, adapter_dir
from derive.adapters import lora as lora_spec
from derive.capacity import GIB, fit, heads_divisible, lora_bytes_per_gpu
from derive.naming import derive
from derive.rdma import settings as rdma_settings
from derive.replicas import max_replicas
from derive.serving import load_seconds, model_size, model_size_gb, model_spec, serving_plan
from render.engines.lora import vllm_rank
from render.engines.parallel import parallelism

IMAGE_DISK_FACTOR = 2.0
"""An image needs about twice its unpacked size on disk while it is pulled and extracted."""
DISK_HEADROOM_GB = 30
"""OS, logs and the kubelet's eviction threshold on a node's system disk."""
MODEL_EXTRAS_GIB = 1
"""Per model on the model volume besides its weights: config, tokenizer and the hub tools' metadata
(`.cache/` under the download directory), a few MB to a few hundred MB. Nothing else is written there:
the download stages into `<model dir>.partial-<id>` on the same volume and renames it into place (no
second copy), its tool caches are on the pod's /tmp emptyDir (render/model_cache.py), and the engines
mount the volume read-only."""


@dataclass(frozen=True)
class Finding:
    severity: Literal["error", "warning"]
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass(frozen=True)
class CapacityRow:
    model: str
    gpu: str
    parallelism: str
    weights_per_gpu_gib: float | None
    sequences: int | None
    max_len: int | None
    largest_len: int | None
    verdict: str


@dataclass
class Preflight:
    findings: list[Finding] = field(default_factory=list)
    capacity: list[CapacityRow] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def error(self, key: str, message: str) -> None:
        self.findings.append(Finding("error", f"{PROJECT}:{key}", message))

    def warn(self, key: str, message: str) -> None:
        self.findings.append(Finding("warning", f"{PROJECT}:{key}", message))


def preflight(cfg: StackConfig) -> Preflight:
    out = Preflight()
    _pools(cfg, out)
    _storage(cfg, out)
    turbo_check(cfg, out)
    addons_check(cfg, out)
    egress_check(cfg, out)
    mirror_check(cfg, out)
    attached_check(cfg, out)
    exposure_check(cfg, out)
    for i, m in enumerate(cfg.models):
        if not cfg.has_pool(m.pool) or cfg.pool(m.pool).gpu is None:
            continue  # reported by the config cross-checks
        _model(cfg, i, out)
    check_engine_images(cfg, out)
    check_rdma(cfg, out)
    return out


def _pools(cfg: StackConfig, out: Preflight) -> None:
    for i, pool in enumerate(cfg.node_pools):
        if pool.gpu is None:
            continue
        if pool.gpu.type not in GPUS:
            out.warn(f"nodePools[{i}].gpu.type", f"{pool.gpu.type!r} is not in the GPU catalog "
                     f"({', '.join(GPUS)}); memory and dtype checks are skipped for it")
        instance = pool.instance_type if isinstance(pool, (NormalPool, NativePool)) else None
        found = gpu_for_instance(instance) if instance else None
        if found:
            gpu, count, rdma = found
            if gpu.name != pool.gpu.type or count != pool.gpu.count:
                out.error(f"nodePools[{i}].gpu", f"{instance} carries {count}x {gpu.name}, not "
                          f"{pool.gpu.count}x {pool.gpu.type}; write gpu: {{type: {gpu.name}, count: {count}}}")
            if rdma and not pool.gpu.rdma.enabled:
                out.warn(f"nodePools[{i}].gpu.rdma", f"{instance} has an RDMA fabric; set `rdma: true` so "
                         "multi-node groups request its RDMA devices (docs/rdma.md)")
        if pool.kind in ("normal", "native") and not pool.data_disk_gb:
            images = [ENGINE_IMAGE_GB[m.engine] for m in cfg.models if m.pool == pool.name]
            if images:
                need = max(images) * IMAGE_DISK_FACTOR + DISK_HEADROOM_GB
                if effective_system_disk(pool) < need:
                    out.error(f"nodePools[{i}].systemDiskGb", f"{effective_system_disk(pool)} GB cannot hold the "
                              f"{max(images):.0f} GB engine image while it is pulled; use >= {need:.0f} (P13)")
        if pool.kind == "super":
            images = [ENGINE_IMAGE_GB[m.engine] for m in cfg.models if m.pool == pool.name]
            if images and pool.root_disk_gb < max(images) + 20:
                out.error(f"nodePools[{i}].rootDiskGb", f"{pool.root_disk_gb} GB cannot hold the {max(images):.0f} GB "
                          f"engine image on a super node; use >= {max(images) + 20:.0f} (P7)")


def _read_write_once(cfg: StackConfig, st: ExistingStorage, out: Preflight) -> None:
    """A ReadWriteOnce volume is attached to one node at a time. The download Job mounts it first, on a
    CPU node; the server after it, on a GPU node. Only a network disk is detached and attached again
    in between, and only one server pod can then hold it (docs/model-cache.md, "ReadWriteOnce volumes")."""
    many = [m.name for m in cfg.models if max_replicas(m) > 1 or m.nodes > 1]
    if many or len(cfg.models) > 1:
        out.error("storage.accessMode", "a ReadWriteOnce volume mounts on one node only, but "
                  f"{', '.join(many) or 'several models'} need it on several; use a ReadWriteMany class")
        return
    model, sc = cfg.models[0], st.storage_class_name
    where = "the CPU system pool" if cfg.system_pool else "a node outside the GPU pools"
    first = (f"a ReadWriteOnce volume is first mounted by the model's download Job, which runs on {where}, not "
             f"on the GPU node that serves {model.name}")
    if st.provisioner in NODE_LOCAL_PROVISIONERS:
        out.error("storage.accessMode", f"{first}: `{sc}` is {NODE_LOCAL_PROVISIONERS[st.provisioner]} "
                  f"({st.provisioner}), a node-local class (like local-path, hostPath, local volumes) that binds "
                  "the volume to that node, where the server never runs. Use a ReadWriteMany class "
                  "(`storage.accessMode: ReadWriteMany`), or `storage.kind: local` for a copy on each GPU node")
    elif st.provisioner is None or st.provisioner not in NETWORK_DISK_PROVISIONERS:
        known = ", ".join(f"{p} ({what})" for p, what in NETWORK_DISK_PROVISIONERS.items())
        said = f"`{st.provisioner}` is not a network disk this program knows" if st.provisioner else \
            f"set `storage.provisioner` to the provisioner of `{sc}`"
        out.error("storage.provisioner", f"{first}: only a network disk ({known}) can be detached from that node "
                  "and attached to the GPU node, while a node-local class (local-path, OpenEBS hostpath, TopoLVM, "
                  f"kubernetes.io/no-provisioner) binds the volume to the download's node for good; {said}, or "
                  "use a ReadWriteMany class (`storage.accessMode: ReadWriteMany`)")
    else:
        out.warn("storage.accessMode", f"{st.provisioner} is attached to one node at a time: {model.name}'s server "
                 "pod takes the disk once the download Job has finished, rollouts recreate its pod (no surge pod "
                 "on another node), and a new revision's download Job waits for the disk until the server lets "
                 "it go; the disk stays in the zone of the node that created it, so keep the CPU and GPU nodes in "
                 "one zone")


def _storage(cfg: StackConfig, out: Preflight) -> None:
    st = cfg.storage
    if isinstance(st, ExistingStorage) and st.access_mode == "ReadWriteOnce" and cfg.models:
        _read_write_once(cfg, st, out)
    size_gi = st.size_gi if isinstance(st, ModelVolume) else None
    sized = all(model_size(m) for m in cfg.models)  # an unknown size is refused at models[i].sizeGb
    if size_gi is not None and cfg.models and sized:
        need = volume_need_gi(cfg)
        if size_gi < need:
            weights = sum(model_size_gb(m) for m in cfg.models) * 1e9 / GIB
            out.error("storage.sizeGi", f"{size_gi} Gi cannot hold the models: {weights:.1f} Gi of weights plus "
                      f"{MODEL_EXTRAS_GIB} Gi per model for config, tokenizer and download metadata; use >= {need}")
        else:
            largest = max(cfg.models, key=model_size_gb)
            change = need + math.ceil(model_size_gb(largest) * 1e9 / GIB)
            if size_gi < change and st.kind == "existing":
                out.warn("storage.sizeGi", f"{size_gi} Gi holds today's weights, but a new revision of "
                         f"{largest.name} downloads beside the old one: {change} Gi are needed during that change")
    own_zone = st.zone if isinstance(st, (CfsStorage, CfsTurboStorage)) else None
    zone = own_zone or (cfg.cluster.network.zones[0] if cfg.is_tke else None)  # type: ignore[union-attr]
    if zone and cfg.is_tke:
        for i, pool in enumerate(cfg.node_pools):
            zones = pool.zones if isinstance(pool, (NormalPool, NativePool, SuperPool)) else None
            if pool.gpu and zones and zone not in zones and st.kind in ("cfs", "cfs-turbo"):
                out.warn(f"nodePools[{i}].zones", f"GPU pool {pool.name} is in {', '.join(zones)} but the model "
                         f"storage is in {zone}: weights load across zones, slower and billed as traffic")


def volume_need_gi(cfg: StackConfig) -> int:
    """The smallest model volume that works: every model's weights, in GiB as the file system counts
    them, plus MODEL_EXTRAS_GIB each (see there for what the download and the engines write), plus
    ADAPTER_DOWNLOAD_GB per LoRA adapter directory (one per adapter revision, shared by the models)."""
    adapters = {adapter_dir(a) for m in cfg.models for a in m.adapters}
    return math.ceil(sum(model_size_gb(m) * 1e9 / GIB + MODEL_EXTRAS_GIB for m in cfg.models)
                     + len(adapters) * ADAPTER_DOWNLOAD_GB * 1e9 / GIB)


def _extra_args(cfg: StackConfig, i: int, out: Preflight) -> None:
    m = cfg.models[i]
    if not m.settings.extra_args and not m.env:
        return
    spec = serving_plan(cfg, derive(cfg, "preflight"), m, f"{m.name}-api-key").spec
    for j, message in extra_args_issues(spec, m.settings.extra_args):
        out.error(f"models[{i}].settings.extraArgs[{j}]", message)
    for key, message in env_issues(cfg, i, spec):
        out.error(f"models[{i}].{key}", message)


def adapter_gib(m, spec, tp: int, pp: int) -> float:
    """GPU memory per GPU for the model's LoRA slots: maxLoras slots at the rank the engine allocates
    (vLLM rounds up to its --max-lora-rank choices), derive/capacity.py lora_bytes_per_gpu."""
    if not m.adapters:
        return 0.0
    lora = lora_spec(m)
    rank = vllm_rank(lora.max_rank) if m.engine == "vllm" else lora.max_rank
    return lora_bytes_per_gpu(spec, rank, lora.max_loras, tp, pp) / GIB


def _model(cfg: StackConfig, i: int, out: Preflight) -> None:
    m = cfg.models[i]
    pool = cfg.pool(m.pool)
    gpu = GPUS.get(pool.gpu.type)
    key = f"models[{i}]"
    _extra_args(cfg, i, out)
    if model_size(m) is None:
        what = f"the Ollama tag {m.source.model_id}" if m.engine == "ollama" else m.source.model_id
        out.error(f"{key}.sizeGb", f"the size of {what} is not in the catalog, and the volume, the download "
                  "deadline and the bring-up estimate depend on it; set `sizeGb` to the weights on disk in GB "
                  "(the hub's file list, or `ollama list`)")
    if m.multi_node:
        if m.gpus_per_node != pool.gpu.count:
            out.warn(f"{key}.gpusPerNode", f"a multi-node group should use every GPU of its nodes "
                     f"({pool.gpu.count}); {m.gpus_per_node} leaves GPUs idle that no other pod can share well")
        if rdma_settings(cfg, m) is None:
            out.warn(f"{key}.nodes", "tensor parallelism across nodes without RDMA runs over TCP and is slow; "
                     "prefer RDMA machines (HCC types) with `gpu.rdma` or a single node")
    if m.startup_timeout_seconds is not None:
        need = load_seconds(cfg, m, model_size_gb(m))
        if m.startup_timeout_seconds < need:
            out.error(f"{key}.startupTimeoutSeconds", f"{m.startup_timeout_seconds} s is shorter than the estimated "
                      f"{need} s to pull the image and load {model_size_gb(m):.0f} GB from {cfg.storage.kind}; the "
                      "startup probe would kill the loading server (P3)")
    if m.engine == "ollama":
        out.capacity.append(CapacityRow(m.name, pool.gpu.type, f"{m.gpus_per_node} GPU", None, None, None, None,
                                        "not estimated (Ollama sizes its own GGUF)"))
        return
    spec = model_spec(m)
    if spec is None:
        out.warn(f"{key}.architecture", f"{m.source.model_id} is not in the model catalog; add `architecture` "
                 "(from its config.json) to check memory, KV cache and head divisibility")
        return
    if gpu is None:
        return
    tp, pp = parallelism(m.engine, m.gpus_per_node, m.nodes)
    for problem in heads_divisible(spec, tp):
        out.error(f"{key}.gpusPerNode", f"{problem} (P10); pick a tensor parallel size that divides it")
    if (spec.dtype == "float8" or (m.settings.quantization or "").lower() == "fp8") and not gpu.fp8:
        out.error(f"{key}.pool", f"{spec.id} uses FP8, which needs compute capability >= 8.9; {gpu.name} is "
                  f"{gpu.sm}. Use L20/L40/H-series GPUs or a BF16 variant")
    max_len = m.settings.max_model_len
    f = fit(spec, gpu, tp, pp, m.settings.gpu_memory_fraction, max_len,
            activation_reserve_gib=0 if m.engine == "sglang" else None, lora_gib=adapter_gib(m, spec, tp, pp))
    length = max_len or spec.context_length
    verdict = "fits"
    slots = f" ({f.lora_gib:.1f} GiB per GPU of it for {len(m.adapters)} LoRA adapter(s): lower settings.maxLoras " \
        "or their rank)" if f.lora_gib else ""
    if f.fits_weights and f.kv_budget_gib <= 0 and f.lora_gib:
        verdict = "adapters do not fit"
        out.error(f"{key}.adapters", f"the LoRA slots ({f.lora_gib:.1f} GiB per GPU: {lora_spec(m).max_loras} at "
                  f"the ranks the engine allocates, an upper bound) leave no KV cache beside {f.weights_per_gpu_gib:.1f} "
                  f"GiB of weights on {gpu.name}; lower settings.maxLoras or the adapters' rank, or add GPUs")
    elif not f.fits_weights or f.kv_budget_gib <= 0:
        verdict = "weights do not fit"
        out.error(f"{key}.gpusPerNode", f"{spec.id} needs {f.weights_per_gpu_gib:.1f} GiB of weights per GPU at "
                  f"tensor x pipeline parallel {tp}x{pp}, more than {gpu.name}'s "
                  f"{gpu.visible_gib * m.settings.gpu_memory_fraction:.1f} GiB share (P5); use more GPUs or nodes, "
                  "a bigger GPU, or a quantized variant")
    elif not f.fits_one_sequence and m.engine == "sglang":
        # SGLang starts and caps every request's input at what the KV cache holds:
        # max_req_input_len = min(context_len - 1, max_total_num_tokens - 1) in its scheduler
        # (sglang python/sglang/srt/managers/scheduler.py), where vLLM refuses to start (P4).
        verdict = f"requests capped at {f.kv_tokens - 1} tokens"
        where = "settings.maxModelLen" if max_len else "settings"
        out.warn(f"{key}.{where}", f"max model length {length} is larger than the {f.kv_tokens} tokens the KV cache "
                 f"can hold on {m.gpus_per_node}x {gpu.name}: SGLang starts, but caps each request's input at "
                 f"{f.kv_tokens - 1} tokens (its effective context). Set settings.maxModelLen <= {f.max_len_that_fits} "
                 "to say so, or raise gpuMemoryFraction / add GPUs for the full length")
    elif not f.fits_one_sequence:
        verdict = "context too long"
        where = "settings.maxModelLen" if max_len else "settings"
        out.error(f"{key}.{where}", f"max model length {length} is larger than the {f.kv_tokens} tokens the KV "
                  f"cache can hold on {m.gpus_per_node}x {gpu.name}{slots} (P4); set settings.maxModelLen <= "
                  f"{f.max_len_that_fits} or raise gpuMemoryFraction / add GPUs")
    elif max_len is None:
        out.warn(f"{key}.settings.maxModelLen", f"unset: the engine serves the native {spec.context_length} "
                 f"tokens; the KV cache holds {f.sequences_at_max_len} such sequence(s) at once")
    out.capacity.append(CapacityRow(
        m.name, f"{m.nodes}x{m.gpus_per_node} {gpu.name}", f"TP {tp} x PP {pp}", round(f.weights_per_gpu_gib, 1),
        f.sequences_at_max_len, length, f.max_len_that_fits, verdict,
    ))
