"""GPU models, the Tencent Cloud instance types that carry them, and serving-image sizes.

Why a catalog: the pitfalls that cost the reference deployment the most time (bf16 on V100, OOM on
16 GB cards, a 20 GiB super-node disk filled by the vLLM image; reference P2, P5, P6, P7) are all
facts about the hardware that can be checked before anything is created. Every number carries its
source; "est." marks values derived rather than read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_gib: float
    """Nominal memory as marketed (16 GB T4, 24 GB A10, ...)."""
    compute_capability: tuple[int, int]
    bf16: bool
    """bfloat16 kernels need compute capability >= 8.0 (vLLM refuses bf16 below it: pitfall P2)."""
    fp8: bool
    """FP8 tensor cores need compute capability >= 8.9 (Ada / Hopper)."""
    usable_gib: float | None = None
    """What CUDA reports as total memory, the base vLLM's gpu_memory_utilization multiplies. GDDR6
    cards lose ~8% of the nominal size to ECC, HBM cards ~1%. None = unknown, use the nominal."""

    @property
    def visible_gib(self) -> float:
        return self.usable_gib if self.usable_gib is not None else self.memory_gib

    @property
    def sm(self) -> str:
        """The `sm75`-style name engines print (SGLang: "only supports sm75 and above")."""
        major, minor = self.compute_capability
        return f"sm{major}{minor}"


# Compute capabilities: NVIDIA "CUDA GPU Compute Capability" (developer.nvidia.com/cuda-gpus and
# cuda-legacy-gpus): V100 7.0, T4 7.5, A100 8.0, A10 8.6, L40 8.9, H100/H200 9.0. China-market
# parts are not in NVIDIA's table: L20 is Ada (AD102) like L40 -> 8.9; H800 is Hopper -> 9.0;
# H20 reports 9.0 (sgl-project/sglang#4572 collect_env on 8x H20; RightNow-AI/AutoMegaKernel#3).
# Usable memory (CUDA total): T4 14.58 GiB (reference P5, vLLM's OOM text); A10 22.18 GiB
# (OpenBMB/MiniCPM-V#640 OOM text); A100-80G 79.15 GiB (vllm-project/vllm#4408); a 48 GB GDDR6 card
# 44.56 GiB (vllm#783); H20 ~95.1 GiB (AutoMegaKernel#3). Others: est. from nvidia-smi totals.
GPUS: dict[str, Gpu] = {
    g.name: g
    for g in (
        Gpu("T4", 16, (7, 5), bf16=False, fp8=False, usable_gib=14.58),
        Gpu("V100", 32, (7, 0), bf16=False, fp8=False, usable_gib=31.74),  # est. (32 GiB HBM2)
        Gpu("A10", 24, (8, 6), bf16=True, fp8=False, usable_gib=22.18),
        Gpu("A100-40G", 40, (8, 0), bf16=True, fp8=False, usable_gib=39.39),  # est.
        Gpu("A100-80G", 80, (8, 0), bf16=True, fp8=False, usable_gib=79.15),
        Gpu("L20", 48, (8, 9), bf16=True, fp8=True, usable_gib=44.56),  # est. (48 GB GDDR6 class)
        Gpu("L40", 48, (8, 9), bf16=True, fp8=True, usable_gib=44.56),  # est. (48 GB GDDR6 class)
        Gpu("H20", 96, (9, 0), bf16=True, fp8=True, usable_gib=95.1),
        Gpu("H800", 80, (9, 0), bf16=True, fp8=True, usable_gib=79.1),  # est. (as H100 80GB)
        Gpu("H100", 80, (9, 0), bf16=True, fp8=True, usable_gib=79.1),  # est.
        Gpu("H200", 141, (9, 0), bf16=True, fp8=True, usable_gib=139.8),  # est.
    )
}


class InstanceGpus(NamedTuple):
    gpu: str
    """Key into GPUS."""
    count: int
    """Whole GPUs per instance."""
    rdma: bool
    """RDMA fabric between instances (HCC types); multi-node servers then need hostNetwork (P9)."""


def _sizes(family: str, gpu: str, counts: dict[str, int], rdma: bool = False) -> dict[str, InstanceGpus]:
    return {f"{family}.{size}": InstanceGpus(gpu, n, rdma) for size, n in counts.items()}


# Keys are exact instance types, or a family (the part before the '.') when every size of the family
# carries the same GPUs. GPU counts vary with size in every CVM family, so those are per exact type.
# Sources:
#  [cvm]  Tencent Cloud "GPU Computing Instance" spec tables (intl doc 560/19701; CN doc 560/19700):
#         PNV4 = A10 24 GB, GT4 = A100 NVLink 40 GB, GN10X/GN10Xp = V100 NVLink 32 GB, GN7 and GI3X
#         = T4 16 GB. GN7.LARGE20 / GN7.2XLARGE40 are 1/4 and 1/2 vGPU slices: left out on purpose,
#         a pod cannot request a fraction of `nvidia.com/gpu`.
#  [gn7vw] Tencent Cloud GN7vw billing doc: GN7vw is a *rendering* type on Tesla T4 with the GRID
#         driver (not A10); LARGE16 / 2XLARGE32 are 1/4 and 1/2 of a T4, left out as above.
#  [hpc]  Tencent HPC platform instance list (PNV5b: 48 GB per GPU; PNV6: 96 GB per GPU, 1-8 GPUs).
#  [pnv5b] GPU model L20 48GB from a public TKE qGPU demo ("PNV5b.8XLARGE96 x 1 node, 1x L20 48GB");
#         only one source: medium confidence.
#  [imroc] imroc/tke-guide DeepSeek guides: PNV6.16XLARGE640 = 4x H20 96GB, PNV6.32XLARGE1280 /
#         PNV6.96XLARGE2304 / HCCPNV6.96XLARGE2304 = 8x H20 96GB, HCCPNV6 with 3.2 Tbps RDMA
#         (reference section 8 lists the last three as the DeepSeek-R1 machines).
# Not listed, GPU model unconfirmed: HCCPNV5v, HCCPNV4h, Pnv5i, GNV4 (super nodes expose "A10*GNV4";
# see SUPER_NODE_GPU_TYPES). HCCPNV6s.* (H20-3e, 141 GB) is a different family and does not match.
INSTANCE_FAMILIES: dict[str, InstanceGpus] = {
    **_sizes("GN7", "T4", {"2XLARGE32": 1, "5XLARGE80": 1, "8XLARGE128": 1, "10XLARGE160": 2, "20XLARGE320": 4}),  # [cvm]
    **_sizes("GN7vw", "T4", {"4XLARGE64": 1, "8XLARGE128": 2}),  # [gn7vw]
    **_sizes("GI3X", "T4", {"8XLARGE64": 1, "22XLARGE226": 2, "45XLARGE452": 4}),  # [cvm]
    **_sizes("GN10X", "V100", {"2XLARGE40": 1, "4XLARGE80": 2, "9XLARGE160": 4, "18XLARGE320": 8}),  # [cvm]
    **_sizes("GN10Xp", "V100", {"2XLARGE40": 1, "5XLARGE80": 2, "10XLARGE160": 4, "20XLARGE320": 8}),  # [cvm]
    **_sizes("PNV4", "A10", {"7XLARGE116": 1, "14XLARGE232": 2, "28XLARGE466": 4, "56XLARGE932": 8}),  # [cvm]
    **_sizes("GT4", "A100-40G", {"4XLARGE96": 1, "8XLARGE192": 2, "20XLARGE474": 4, "41XLARGE948": 8}),  # [cvm]
    **_sizes("PNV5b", "L20", {  # [hpc] counts, [pnv5b] model
        "8XLARGE96": 1, "12XLARGE192": 1, "16XLARGE192": 2, "24XLARGE384": 2,
        "32XLARGE384": 4, "48XLARGE768": 4, "64XLARGE768": 8, "96XLARGE1536": 8,
    }),
    **_sizes("PNV6", "H20", {  # [hpc] counts, [imroc] model
        "4XLARGE160": 1, "8XLARGE320": 2, "16XLARGE640": 4, "32XLARGE1280": 8, "96XLARGE2304": 8,
    }),
    **_sizes("HCCPNV6", "H20", {"96XLARGE2304": 8}, rdma=True),  # [imroc]
    "HCCPNV6": InstanceGpus("H20", 8, True),  # one size only, so the family is unambiguous [imroc]
}

_BY_UPPER = {k.upper(): v for k, v in INSTANCE_FAMILIES.items()}


def gpu_for_instance(instance_type: str) -> tuple[Gpu, int, bool] | None:
    """(GPU, GPUs per instance, RDMA) for a CVM instance type; None when unknown or not a GPU type.

    Matches the exact type first, then the family before the '.', case-insensitively (the console
    writes "PNV5b" and "Pnv5b" for the same family)."""
    key = instance_type.strip().upper()
    hit = _BY_UPPER.get(key) or _BY_UPPER.get(key.split(".", 1)[0])
    if hit is None:
        return None
    return GPUS[hit.gpu], hit.count, hit.rdma


# RDMA devices (`tke.cloud.tencent.com/tke-shared-rdma`) a node offers through TKE's rdma-agent add-on.
#  [rdma-agent] TKE doc 457/116719 "rdma-agent 说明" (2025-12-08): exclusive mode (MACVLAN) offers one
#         device per physical bonded NIC; shared mode (IPVLAN) a virtual 1000 per node.
#  [aik8s] runzhliu/aik8s docs/ai-k8s/practices/rbg-existing-cluster.md (third-party field report,
#         2026-08): an 8x H20 node's capacity/allocatable was 4 (4x mlx5_bond_N, 200 Gb/s each).
#         One report only: a default the stack says is unconfirmed (docs/rdma.md), overridable per pool.
SHARED_RDMA_DEVICES = 1000  # [rdma-agent]
RDMA_NICS: dict[str, int] = {
    "HCCPNV6": 4,  # [aik8s]
}
"""Bonded RDMA NICs per node (= exclusive-mode devices), by instance family."""


def rdma_nics(instance_type: str | None, gpu: str, count: int) -> int | None:
    """RDMA NICs of a node: by its instance family, or for pools without a type (attached, existing)
    by the one RDMA family carrying `count` x `gpu`; None when unknown or ambiguous."""
    if instance_type:
        family = instance_type.strip().upper().split(".", 1)[0]
        return next((n for f, n in RDMA_NICS.items() if f.upper() == family), None)
    found = {RDMA_NICS[k.split(".", 1)[0]] for k, v in INSTANCE_FAMILIES.items()
             if v.rdma and v.gpu.upper() == gpu.upper() and v.count == count and k.split(".", 1)[0] in RDMA_NICS}
    return found.pop() if len(found) == 1 else None


# Pod annotation `eks.tke.cloud.tencent.com/gpu-type` on super nodes -> GPU model. The allowed values
# are the ones the reference lists (section 2.2; TKE doc 457/39808 "GPU 规格"); the suffix after '*'
# names the CVM family the A10 comes from.
SUPER_NODE_GPU_TYPES: dict[str, str] = {
    "V100": "V100",
    "T4": "T4",
    "A10*PNV4": "A10",
    "A10*GNV4": "A10",
}


# Approximate *unpacked* image sizes (GB), for node system disks and the super-node root disk (P7,
# P13). They grow release by release: measure the pinned tag when it matters.
#  vllm:   vllm/vllm-openai:latest 12.6 GB (vllm#27154, mid 2025), "up to 25GB" (vllm#17163),
#          28.6 GB (vllm#22377, Dec 2025). The reference says it overflows a 20 GiB super-node disk.
#  sglang: est.; Docker Hub shows ~11 GB compressed for lmsysorg/sglang:latest (sglang#3673, early
#          2025), and CUDA images unpack to roughly 2-2.5x that.
#  ollama: `du -sxm /` of ollama/ollama = 3.3 GB (ollama#9982); `docker images` 4.87 GB (ollama#7184).
ENGINE_IMAGE_GB: dict[str, float] = {
    "vllm": 28,
    "sglang": 25,
    "ollama": 5,
}
