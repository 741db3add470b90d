"""The bring-up terms (derive/bringup.py): what limits the download, how many times a node reads the
weights, what a second replica costs and fetches from the hub."""

from __future__ import annotations

from checks import checked
from derive.bringup import Column, download_limit, terms
from derive.naming import derive
from derive.serving import model_size_gb, serving_plan
from render.model_cache import download_timeout_seconds

from tests.checks.helpers import H20, R1, R1_7B
from tests.conftest import MIRROR_KEYS, SYSTEM_POOL, existing_config, tke_config

TURBO = {"kind": "cfs-turbo", "tier": "TP", "capacityGib": 20480, "sizeGi": 1000}


def _r1(**cluster_network):
    raw = tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1], storage=TURBO, modelCache={"bandwidthMbps": 500})
    raw["cluster"]["network"].update(cluster_network)
    cfg = checked(raw)
    return cfg, cfg.models[0]


def test_the_nat_caps_the_download_when_it_is_narrower_than_the_hub():
    cfg, m = _r1()  # the default NAT: 100 Mbit/s
    assert download_limit(cfg, m) == (100.0, "the NAT gateway's elastic IP (cluster.network.egress.bandwidthMbps)")
    cfg, m = _r1(egress={"bandwidthMbps": 1000})
    assert download_limit(cfg, m) == (500.0, "modelCache.bandwidthMbps (the hub side)")
    t = terms(cfg, m, model_size_gb(m))
    assert t.download.seconds == round(688.6 * 8000 / 500) and "688.6 GB x 8 / 500 Mbit/s" == t.download.how


def test_the_download_deadline_follows_the_narrower_limit_too():
    """A deadline from the hub figure alone would kill a download the 100 Mbit/s NAT cannot finish."""
    cfg, m = _r1()
    plan = serving_plan(cfg, derive(cfg, "t"), m, "key")
    assert plan.download_seconds == download_timeout_seconds(688.6, 100)


def test_on_a_network_file_system_each_node_reads_the_checkpoint_once():
    """The engines' checkpoint prefetch splits the shards across the ranks (derive/serving.py renders it)."""
    cfg, m = _r1()
    t = terms(cfg, m, model_size_gb(m))
    assert t.load.seconds == round(688.6 * 1 / 2.0) and "x 1 reads per node" in t.load.how
    assert "_prefetch_all_checkpoints" in t.load.source and "--weight-loader-prefetch-checkpoints" in t.load.source


def test_on_local_disks_every_rank_of_a_node_reads_the_whole_checkpoint():
    model = {**R1, "engine": "vllm", "nodes": 1}
    cfg = checked(tke_config(nodePools=[SYSTEM_POOL, {**H20, "instanceIds": ["ins-0000000a"]}], models=[model],
                             storage={"kind": "local", "hostPath": "/data/models"}))
    t = terms(cfg, cfg.models[0], 688.6)
    assert t.load.seconds == round(688.6 * 8 / 2.0) and "x 8 reads per node" in t.load.how
    assert "conserving_memory.md" in t.load.source and "weight_utils.py" in t.load.source and "assumed" in t.load.source


def test_a_second_replica_fetches_nothing_from_the_hub_on_shared_storage_but_everything_on_local_disks():
    cfg, m = _r1()
    shared = terms(cfg, m, model_size_gb(m))
    assert shared.hub_gb_second_replica == 0
    assert shared.second_replica_seconds == shared.server_seconds - 37  # the compile cache is warm on the volume
    assert "Dynamo PR #3257" in shared.init_cached.source
    raw = tke_config(models=[R1_7B], storage={"kind": "local", "hostPath": "/data/models"})
    cfg = checked(raw)
    local = terms(cfg, cfg.models[0], model_size_gb(cfg.models[0]))
    assert local.hub_gb_second_replica == 15.24
    assert local.second_replica_seconds == local.server_seconds + local.download.seconds + local.verify.seconds
    assert local.init_cached is None  # no shared volume for a cache


MIRROR = {"bucket": "tke-llm-weights-1250000000"}


def _r1_mirror(load: str, sglang: bool = True):
    raw = tke_config(**MIRROR_KEYS, nodePools=[SYSTEM_POOL, H20], models=[R1], storage=TURBO,
                     modelCache={"bandwidthMbps": 1000,
                                 "mirror": {**MIRROR, "load": load, "streamer": {"sglang": sglang}}})
    raw["cluster"]["network"]["egress"] = {"bandwidthMbps": 1000}
    cfg = checked(raw)
    return terms(cfg, cfg.models[0], 688.6)


def test_streaming_from_the_mirror_reads_once_per_node_at_the_streamer_figure_and_fills_nothing_warm():
    t = _r1_mirror("stream")
    assert t.stream.seconds == round(688.6 / 1.31) and "x 1 read per node / 1.31 GB/s streamer" in t.stream.how
    assert "48.16 s" in t.stream.source and "distributed_streamer.py" in t.stream.source
    assert t.weights is t.stream and t.server_seconds == t.pull.seconds + t.stream.seconds + t.init.seconds
    # cold: the hub and the check (the download Job), then the upload Job the engine streams from
    assert t.cold == Column(t.download.seconds + t.verify.seconds, t.server_seconds, t.upload.seconds, streams=True)
    assert t.cold.seconds == t.cold.job + t.upload.seconds + t.server_seconds
    assert t.upload.seconds == round(688.6 / min(1.31, 2.0))
    assert t.warm == Column(0, t.server_seconds, 0, streams=True)  # no hub, no fill, the upload finds the copy
    assert t.second == Column(0, t.pull.seconds + t.stream.seconds + t.init_cached.seconds)
    assert t.hub_gb_second_replica == 0


def test_loading_from_the_volume_with_a_mirror_fills_it_from_the_mirror_when_warm():
    t = _r1_mirror("volume")
    assert t.stream is None and t.weights is t.load
    # the upload is a Job of its own: servers reading the volume load while it runs
    assert t.cold == Column(t.download.seconds + t.verify.seconds, t.server_seconds, t.upload.seconds)
    assert t.cold.seconds == t.cold.job + t.server_seconds
    # each file hashed as it is written: no check after the fill
    assert t.warm == Column(t.fill.seconds, t.server_seconds)
    assert t.fill.seconds == round(688.6 / min(1.31, 2.0, 4 * 0.370))
    assert "COS" in t.fill.how and "sha256 as it is written" in t.fill.how and "48.16 s" in t.fill.source


def test_sglang_streams_only_when_its_image_is_said_to_carry_the_s3_backend():
    """sglang[all] brings runai_model_streamer without runai-model-streamer-s3 (SGLang 0.5.23's metadata)."""
    t = _r1_mirror("stream", sglang=False)
    assert t.stream is None and t.warm == Column(t.fill.seconds, t.server_seconds)


def test_without_a_mirror_there_is_no_warm_column():
    cfg, m = _r1()
    assert terms(cfg, m, 688.6).warm is None


def test_an_existing_cluster_downloads_at_the_configured_hub_bandwidth_and_ollama_is_not_rechecked():
    model = {"name": "r1-7b", "servedName": "x", "engine": "ollama", "pool": "gpu",
             "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
    cfg = checked(existing_config(models=[model]))
    m = cfg.models[0]
    assert download_limit(cfg, m) == (200.0, "modelCache.bandwidthMbps (the hub side)")
    t = terms(cfg, m, model_size_gb(m))
    assert t.verify.seconds == 0 and t.load.how.startswith("4.68 GB x 1 reads per node")
