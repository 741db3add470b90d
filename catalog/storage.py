"""Sequential read throughput a single engine pod sees when loading weights, per storage kind (GB/s).

Used for the startup-probe budget and the bring-up estimate. Deliberately conservative: a probe
budget that is too short kills a loading model (P3), one that is too long only delays an alert.
Sources: Tencent CFS performance docs (HP per-client throughput in the hundreds of MB/s), CFS-Turbo
(GB/s per client), local NVMe (a few GB/s); existing classes are unknown, so assume NFS-like.
"""

from dataclasses import dataclass

LOAD_GBPS = {
    "cfs": {"standard": 0.1, "performance": 0.3},
    "cfs-turbo": {"TB": 1.0, "TP": 2.0},
    "local": 2.0,
    "existing": 0.2,
}

ENGINE_INIT_SECONDS = {"vllm": 300, "sglang": 600, "ollama": 60}
"""After the weights are read: CUDA graphs, KV-cache profiling, NCCL set-up (longer across nodes).
The startup-probe budget's figure, deliberately generous; the bring-up estimate uses ENGINE_INIT."""


@dataclass(frozen=True)
class Figure:
    value: float
    source: str
    """Where the figure comes from; "assumed" when nothing published or measured backs it yet."""


ENGINE_INIT: dict[str, Figure] = {
    "vllm": Figure(83, "GKE vLLM fast-start reference architecture: Gemma 4 31B on 1x H100, 83 s of engine "
                       "initialisation after the weights (224 s to Ready)"),
    "sglang": Figure(600, "llm-d DeepSeek-R1 wide-EP guide: API servers up in 7-10 min on 32x H200 (upper "
                          "anchor for a multi-node MoE)"),
    "ollama": Figure(60, "assumed: Ollama maps a GGUF file, no compilation or CUDA graphs"),
}
"""Engine initialisation after the weights are read, cold (no compile cache). Sources quoted in
../shared/reference/dataplane-2026-12.md ("Compile and CUDA-graph caches", "Numeric anchors")."""

COMPILE_CACHE_SAVING = Figure(37, "Dynamo PR #3257: torch.compile 45 s -> 8 s with the cache on a PVC")
"""Seconds a warm compile cache saves (vLLM and SGLang both torch.compile): the engines keep their caches
on the shared volume (render/engines/loading.py), so a second replica and the next rollout start warm."""

STREAMER_GBPS = Figure(1.31, "GKE vLLM fast-start reference architecture: Gemma 4 31B (58.99 GiB) streamed from "
                             "GCS in 48.16 s, 1.22 GiB/s; assumed for COS, which publishes no intranet figure "
                             "(the streamer's own S3 benchmark, 3.51 GiB/s on an 8B model, is the optimistic end)")
"""Throughput of the Run:ai streamer from object storage into one node (GB/s), and of the mirror's reads
and writes over the region's intranet (the fill and the upload use the same parallel ranged requests).
Sources: ../shared/reference/dataplane-2026-12.md, "Weight load throughput"."""

SHA256_MB_S = Figure(370, "measured here 2026-12-07: hashlib sha256 over 256 MiB in memory, one core of the "
                          "shared 2-core test machine")
"""Hash throughput per verifying thread of the download check (render/files/verify_download.py)."""

STORAGE_SOURCE = ("assumed: Tencent publishes no per-client read throughput for CFS or CFS-Turbo "
                  "(only 100 GiB/s per Turbo file system); measure with fio from a GPU node")
"""Why LOAD_GBPS is an assumption (../shared/reference/dataplane-2026-12.md, "Tencent CFS-Turbo")."""


def load_gbps(storage) -> float:
    table = LOAD_GBPS[storage.kind]
    if isinstance(table, dict):
        return table[storage.tier]
    return table


TURBO_CLIENT_OS_NAMES = {
    "tlinux3.1x86_64": "TencentOS Server 3.1 (TK4)",
    "tlinux2.4(tkernel4)x86_64": "TencentOS Server 2.4 (TK4)",
    "tlinux2.2(tkernel3)x86_64": "TencentOS Server 2.2 (TK3)",
    "ubuntu20.04x86_64": "Ubuntu Server 20.04",
    "ubuntu18.04.1x86_64": "Ubuntu 18.04",
    "centos7.6.0_x64": "CentOS 7.6",
}
"""TKE node OS names whose public image carries a kernel the CFS Turbo (Lustre) client supports. The
client's list (Tencent CFS docs, "在 Linux 客户端上使用 CFS Turbo 文件系统", 兼容性列表): CentOS 7.2-7.9,
Ubuntu 16.04/18.04/20.04, TencentOS 3.1 (TK4), 2.4 (TK4), 2.2 (TK3), with the public images' default
kernels. OS name to image: TKE docs, qGPU "OS 支持" table (tlinux3.1x86_64 = TencentOS Server 3.1(TK4),
kernel 5.4.119; tlinux2.4(tkernel4)x86_64; ubuntu20.04x86_64; ubuntu18.04.1x86_64; centos7.6.0_x64)."""
TURBO_CLIENT_IMAGE_IDS = {"img-39ywauzd": "TencentOS Server 3.1 (TK4) UEFI"}
"""Image ids of the same list: the attached machines' default (imroc/tke-guide, the SGLang DeepSeek-R1 guide)."""

# Provisioners of a `storage.kind: existing` class, for a ReadWriteOnce model volume (checks/preflight.py).
# A network block disk is attached to whichever node mounts it, one node at a time: the GPU node once the
# download Job (on a CPU node) has finished. A node-local volume is bound for good to the node that
# first mounted it, the download's. Names as the drivers register them; sources in docs/model-cache.md,
# "ReadWriteOnce volumes".
NETWORK_DISK_PROVISIONERS = {
    "com.tencent.cloud.csi.cbs": "Tencent Cloud CBS",
}
NODE_LOCAL_PROVISIONERS = {
    "kubernetes.io/no-provisioner": "static local PersistentVolumes",
    "rancher.io/local-path": "local-path-provisioner",
    "openebs.io/local": "OpenEBS Local PV hostpath / device",
    "topolvm.io": "TopoLVM",
}
