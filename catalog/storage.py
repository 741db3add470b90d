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
