"""The bring-up terms (derive/bringup.py): what limits the download, how many times a node reads the
weights, what a second replica costs and fetches from the hub."""

from __future__ import annotations

from checks import checked
from derive.bringup import download_limit, terms
from derive.naming import derive
from derive.serving import model_size_gb, serving_plan
from render.model_cache import download_timeout_seconds

from tests.checks.helpers import H20, R1, R1_7B
from tests.conftest import SYSTEM_POOL, existing_config, tke_config

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


def test_every_rank_of_a_node_reads_the_whole_checkpoint():
    cfg, m = _r1()
    t = terms(cfg, m, model_size_gb(m))
    assert t.load.seconds == round(688.6 * 8 / 2.0) and "x 8 reads per node" in t.load.how
    assert "conserving_memory.md" in t.load.source and "weight_utils.py" in t.load.source and "assumed" in t.load.source


def test_a_second_replica_fetches_nothing_from_the_hub_on_shared_storage_but_everything_on_local_disks():
    cfg, m = _r1()
    shared = terms(cfg, m, model_size_gb(m))
    assert shared.hub_gb_second_replica == 0 and shared.second_replica_seconds == shared.server_seconds
    raw = tke_config(models=[R1_7B], storage={"kind": "local", "hostPath": "/data/models"})
    cfg = checked(raw)
    local = terms(cfg, cfg.models[0], model_size_gb(cfg.models[0]))
    assert local.hub_gb_second_replica == 15.24
    assert local.second_replica_seconds == local.server_seconds + local.download.seconds + local.verify.seconds


def test_an_existing_cluster_downloads_at_the_configured_hub_bandwidth_and_ollama_is_not_rechecked():
    model = {"name": "r1-7b", "servedName": "x", "engine": "ollama", "pool": "gpu",
             "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
    cfg = checked(existing_config(models=[model]))
    m = cfg.models[0]
    assert download_limit(cfg, m) == (200.0, "modelCache.bandwidthMbps (the hub side)")
    t = terms(cfg, m, model_size_gb(m))
    assert t.verify.seconds == 0 and t.load.how.startswith("4.68 GB x 1 reads per node")
