"""The terms of one model's bring-up: the download from the hub, its check, the image pull, the weight
load and the engine's initialisation, each with its formula and the source of its figures, for a
cold start and for a second replica. preview/bringup.py places them on the dependency graph; the
startup-probe budget and the download deadline use the same bandwidth and read model. Sources and the
model: docs/plan.md ("How the bring-up estimate is computed").
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog import ENGINE_IMAGE_GB
from catalog.storage import ENGINE_INIT, SHA256_MB_S, STORAGE_SOURCE, load_gbps
from config import StackConfig
from config.cluster import TkeCluster
from config.models import ModelConfig
from render.model_cache import VERIFY_WORKERS


@dataclass(frozen=True)
class Term:
    seconds: int
    how: str
    """The formula with this model's numbers."""
    source: str


@dataclass(frozen=True)
class ModelTerms:
    model: str
    size_gb: float
    download: Term
    verify: Term
    pull: Term
    load: Term
    init: Term
    hub_gb_second_replica: float
    """Bytes a second replica fetches from the public hub: none on shared storage (the volume holds the
    weights), the whole model again on local disks (each new node downloads)."""

    @property
    def job_seconds(self) -> int:
        return self.download.seconds + self.verify.seconds

    @property
    def server_seconds(self) -> int:
        return self.pull.seconds + self.load.seconds + self.init.seconds

    @property
    def second_replica_seconds(self) -> int:
        """A replica added once the first is up, on a node that has joined: its weights are on the
        shared volume, or downloaded again on a local disk."""
        return self.server_seconds + (self.job_seconds if self.hub_gb_second_replica else 0)


def download_limit(cfg: StackConfig, m: ModelConfig) -> tuple[float, str]:
    """Mbit/s the download gets and what limits it: the hub side (`modelCache.bandwidthMbps`), or the
    stack's egress when narrower: the NAT gateway's elastic IP, or the downloading pool's public IP."""
    hub = float(cfg.model_cache.bandwidth_mbps)
    options = [(hub, "modelCache.bandwidthMbps (the hub side)")]
    if isinstance(cfg.cluster, TkeCluster):
        kind = cfg.cluster.network.egress_kind
        if kind == "nat":
            options.append((float(cfg.cluster.network.egress.bandwidth_mbps),
                            "the NAT gateway's elastic IP (cluster.network.egress.bandwidthMbps)"))
        elif kind == "publicIp":
            pool = cfg.pool(m.pool) if cfg.storage.kind == "local" else cfg.system_pool
            public = getattr(pool, "public_bandwidth_mbps", 0) if pool else 0
            if public:
                options.append((float(public), f"pool {pool.name}'s public IP (publicBandwidthMbps)"))
    return min(options, key=lambda o: o[0])


def _ranks_per_node(m: ModelConfig) -> int:
    """Processes on one node that each read the whole checkpoint: every tensor-parallel rank with the
    engines' default safetensors loaders (vLLM docs/configuration/conserving_memory.md: "each process
    will read the whole model"; SGLang 0.5.23 weight_utils.py safetensors_weights_iterator: every rank
    opens every shard and reads every tensor); Ollama is one process. An upper bound: the ranks share
    the node's page cache. docs/plan.md."""
    return 1 if m.engine == "ollama" else m.gpus_per_node


def terms(cfg: StackConfig, m: ModelConfig, size_gb: float) -> ModelTerms:
    mbps, limit = download_limit(cfg, m)
    storage = load_gbps(cfg.storage)
    download = Term(round(size_gb * 8000 / mbps),
                    f"{size_gb:g} GB x 8 / {mbps:g} Mbit/s", f"limited by {limit}")
    if m.source.kind == "ollama":
        verify = Term(0, "none", "`ollama pull` checks each blob's digest as it downloads")
    else:
        hash_gbps = VERIFY_WORKERS * SHA256_MB_S.value / 1000
        rate = min(storage, hash_gbps)
        verify = Term(round(size_gb / rate), f"{size_gb:g} GB / min({storage:g} GB/s storage, {VERIFY_WORKERS} x "
                      f"{SHA256_MB_S.value:g} MB/s sha256)", f"{SHA256_MB_S.source}; storage {STORAGE_SOURCE}")
    image = ENGINE_IMAGE_GB[m.engine]
    pull_mbps = cfg.model_cache.image_pull_mbps
    pull = Term(round(image * 8000 / pull_mbps), f"{image:g} GB image x 8 / {pull_mbps} Mbit/s",
                "image size: catalog/gpus.py ENGINE_IMAGE_GB; bandwidth: modelCache.imagePullMbps (assumed)")
    ranks = _ranks_per_node(m)
    load = Term(round(size_gb * ranks / storage), f"{size_gb:g} GB x {ranks} reads per node / {storage:g} GB/s",
                f"reads: every rank reads the checkpoint (vLLM conserving_memory.md, SGLang 0.5.23 weight_utils.py); "
                f"storage {STORAGE_SOURCE}")
    init = Term(round(ENGINE_INIT[m.engine].value), f"{m.engine}, no compile cache", ENGINE_INIT[m.engine].source)
    local = cfg.storage.kind == "local"
    return ModelTerms(m.name, size_gb, download, verify, pull, load, init, size_gb if local else 0.0)
