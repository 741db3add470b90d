"""The terms of one model's bring-up: the download from the hub, its check, the weight mirror's upload or
fill, the image pull, the weight load (from the volume, or streamed from the mirror) and the engine's
initialisation with and without its compile cache, each with its formula and the source of its figures;
then three columns: cold from the hub, warm from the mirror, a second replica. preview/bringup.py places
them on the dependency graph. Sources and the model: docs/plan.md ("How the bring-up estimate is computed").
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog import ENGINE_IMAGE_GB
from catalog.storage import COMPILE_CACHE_SAVING, ENGINE_INIT, SHA256_MB_S, STORAGE_SOURCE, STREAMER_GBPS, load_gbps
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
class Column:
    """One scenario, in seconds: the download Job's part, the upload Job's (after it, with a mirror) and the
    server's. A server reading the volume starts after the download; a streaming one after the upload."""

    job: int
    server: int
    upload: int = 0
    streams: bool = False

    @property
    def seconds(self) -> int:
        return self.job + (self.upload if self.streams else 0) + self.server


@dataclass(frozen=True)
class ModelTerms:
    model: str
    size_gb: float
    download: Term
    verify: Term
    pull: Term
    load: Term
    """Reading the weights from the volume (every rank's reads per node)."""
    init: Term
    hub_gb_second_replica: float
    """Bytes a second replica fetches from the public hub: none on shared storage (the volume holds the
    weights) or with a mirror (a new node fills from it), the whole model again on local disks otherwise."""
    init_cached: Term | None = None
    """Engine initialisation with the compile cache warm on the shared volume; None without one."""
    upload: Term | None = None
    """The upload Job's copy of the verified weights into the mirror, once per revision (cold, with a
    mirror); on the critical path only of a streaming engine: one reading the volume loads meanwhile."""
    fill: Term | None = None
    """Filling the volume from the mirror instead of the hub (warm, with a mirror, loading from the volume);
    each file is hashed as it is written (render/files/mirror_sync.py), so no separate check follows."""
    stream: Term | None = None
    """Streaming the weights from the mirror into the GPUs (`load: stream`); replaces `load`."""
    local: bool = False
    """Local disks: each new node fills its own copy (from the mirror when there is one, else the hub)."""

    @property
    def weights(self) -> Term:
        """How this model's server gets its weights: streamed, or read from the volume."""
        return self.stream or self.load

    @property
    def job_seconds(self) -> int:
        """Cold: the hub download and its check (the mirror's upload is a Job of its own)."""
        return self.download.seconds + self.verify.seconds

    @property
    def server_seconds(self) -> int:
        return self.pull.seconds + self.weights.seconds + self.init.seconds

    @property
    def cold(self) -> Column:
        return Column(self.job_seconds, self.server_seconds, self.upload.seconds if self.upload else 0,
                      self.stream is not None)

    @property
    def warm(self) -> Column | None:
        """A new stack (or a lost volume) in the region with the mirror already filled: no hub bytes; the
        volume filled from the mirror, or nothing to fill when the engine streams."""
        if self.upload is None:
            return None
        job = 0 if self.stream else (self.fill.seconds if self.fill else 0)
        return Column(job, self.server_seconds, 0, self.stream is not None)  # the upload finds the copy there

    @property
    def second(self) -> Column:
        """A replica added once the first is up, on a node that has joined: weights on the shared volume
        (or the mirror), compile cache warm; on a local disk the node fills first (hub or mirror)."""
        init = (self.init_cached or self.init).seconds
        server = self.pull.seconds + self.weights.seconds + init
        if not self.local or self.stream:
            return Column(0, server)
        first = self.fill.seconds if self.fill else self.download.seconds + self.verify.seconds
        return Column(first, server)

    @property
    def second_replica_seconds(self) -> int:
        return self.second.seconds


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


NETWORK_FS = ("cfs", "cfs-turbo")
"""Where the engines run their rank-split checkpoint prefetch (derive/serving.py renders it)."""


def streams(cfg: StackConfig, m: ModelConfig) -> bool:
    """Whether the model's engine reads the weights from the mirror (`modelCache.mirror.load: stream`): vLLM,
    and SGLang when `streamer.sglang` says its image carries the S3 backend (docs/cold-start.md)."""
    mirror = cfg.model_cache.mirror
    if mirror is None or mirror.load != "stream":
        return False
    return m.engine == "vllm" or (m.engine == "sglang" and mirror.streamer.sglang)


def _ranks_per_node(cfg: StackConfig, m: ModelConfig) -> tuple[int, str]:
    """Times one node reads the whole checkpoint from the volume, and why. Every tensor-parallel rank with
    the engines' default loaders (vLLM docs/configuration/conserving_memory.md: "each process will read
    the whole model"; SGLang 0.5.23 weight_utils.py); once on CFS / CFS-Turbo, where the engines prefetch
    each shard once, split across ranks (vLLM 0.34.0 weight_utils.py `_prefetch_all_checkpoints`, SGLang
    `--weight-loader-prefetch-checkpoints`); Ollama is one process. docs/cold-start.md."""
    if m.engine == "ollama":
        return 1, "Ollama is one process"
    if cfg.storage.kind in NETWORK_FS:
        return 1, ("each shard once per node: the engine's prefetch splits the shards across ranks (vLLM 0.34.0 "
                   "weight_utils.py _prefetch_all_checkpoints, SGLang 0.5.23 --weight-loader-prefetch-checkpoints)")
    return m.gpus_per_node, "every rank reads the checkpoint (vLLM conserving_memory.md, SGLang 0.5.23 weight_utils.py)"


def terms(cfg: StackConfig, m: ModelConfig, size_gb: float, download_mbps: float | None = None) -> ModelTerms:
    """`download_mbps`: the download at that bandwidth instead of the stack's limit (the plan's 1 Gbit/s row)."""
    mbps, limit = download_limit(cfg, m)
    if download_mbps is not None:
        mbps, limit = download_mbps, f"{download_mbps:g} Mbit/s from the hub and through the egress (what-if)"
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
    ranks, why = _ranks_per_node(cfg, m)
    load = Term(round(size_gb * ranks / storage), f"{size_gb:g} GB x {ranks} reads per node / {storage:g} GB/s",
                f"reads: {why}; storage {STORAGE_SOURCE}")
    init = Term(round(ENGINE_INIT[m.engine].value), f"{m.engine}, no compile cache", ENGINE_INIT[m.engine].source)
    local = cfg.storage.kind == "local"
    cached = None
    if not local and m.engine != "ollama":
        cached = Term(round(ENGINE_INIT[m.engine].value - COMPILE_CACHE_SAVING.value),
                      f"{m.engine}, compile cache warm on the shared volume: {ENGINE_INIT[m.engine].value:g} s - "
                      f"{COMPILE_CACHE_SAVING.value:g} s", f"{ENGINE_INIT[m.engine].source}; {COMPILE_CACHE_SAVING.source}")
    mirror = cfg.model_cache.mirror
    if mirror is None:
        return ModelTerms(m.name, size_gb, download, verify, pull, load, init, size_gb if local else 0.0, cached,
                          local=local)
    cos = STREAMER_GBPS.value
    rate = min(cos, storage)
    upload = Term(round(size_gb / rate), f"{size_gb:g} GB / min({storage:g} GB/s storage, {cos:g} GB/s COS)",
                  f"COS: {STREAMER_GBPS.source}; storage {STORAGE_SOURCE}")
    hashed = VERIFY_WORKERS * SHA256_MB_S.value / 1000
    fill = Term(round(size_gb / min(rate, hashed)), f"{size_gb:g} GB / min({cos:g} GB/s COS, {storage:g} GB/s "
                f"storage, {VERIFY_WORKERS} x {SHA256_MB_S.value:g} MB/s sha256 as it is written)",
                f"COS: {STREAMER_GBPS.source}; storage {STORAGE_SOURCE}; {SHA256_MB_S.source}")
    stream = None
    if streams(cfg, m):
        stream = Term(round(size_gb / cos), f"{size_gb:g} GB x 1 read per node / {cos:g} GB/s streamer",
                      f"{STREAMER_GBPS.source}; one read per node: the ranks split the files and broadcast "
                      "(`distributed`, runai-model-streamer 0.17.1 distributed_streamer.py)")
    return ModelTerms(m.name, size_gb, download, verify, pull, load, init, 0.0, cached, upload, fill, stream, local)
