"""Sequential read throughput a single engine pod sees when loading weights, per storage kind (GB/s).

Used for the startup-probe budget and the bring-up estimate. Deliberately conservative: a probe
budget that is too short kills a loading model (P3), one that is too long only delays an alert.
Sources: Tencent CFS performance docs (HP per-client throughput in the hundreds of MB/s), CFS-Turbo
(GB/s per client), local NVMe (a few GB/s); existing classes are unknown, so assume NFS-like.
"""

LOAD_GBPS = {
    "cfs": {"standard": 0.1, "performance": 0.3},
    "cfs-turbo": {"TB": 1.0, "TP": 2.0},
    "local": 2.0,
    "existing": 0.2,
}

ENGINE_INIT_SECONDS = {"vllm": 300, "sglang": 600, "ollama": 60}
"""After the weights are read: CUDA graphs, KV-cache profiling, NCCL set-up (longer across nodes)."""


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
