"""The plan summary (preview/summary.py): the capacity and bring-up figures, and what would replace
protected data."""

from __future__ import annotations

from tests.checks.helpers import H20, R1, R1_7B
from tests.conftest import GPU_POOL, SYSTEM_POOL, render_raw, tke_config


def test_summary_has_capacity_and_bring_up():
    from preview.summary import summary

    text = summary(render_raw(tke_config(models=[R1_7B], nodePools=[SYSTEM_POOL, {**GPU_POOL, "hourlyPrice": 12.5}])))
    assert "### Capacity" in text and "| r1-7b | 1x1 A10 | TP 1 x PP 1 |" in text
    assert "## Bring-up" in text and "Critical path of `r1-7b`" in text
    assert "GPU pools per hour with the models up: gpu 12.50" in text


def test_summary_calls_out_what_would_replace_protected_data():
    from preview.summary import summary

    text = summary(render_raw(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1],
                                         storage={"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000})))
    section = text[text.index("## Data safety"):]
    assert "FileSystem `storage-turbo`: replaced by a change of `availabilityZone`" in section
    assert "refused by the provider (cannot change): `capacity`" in section
    assert "PersistentVolumeClaim `models`: replaced by a change of" in section


def test_summary_states_what_rdma_groups_request_and_the_unconfirmed_defaults():
    from preview.summary import summary

    turbo = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}
    text = summary(render_raw(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1], storage=turbo)))
    section = text[text.index("## RDMA"):].split("\n## ", 1)[0]
    assert ("- `r1` on `h20` (2 nodes, rdma-agent shared mode): each pod, leader and workers, requests 1 "
            "`tke.cloud.tencent.com/tke-shared-rdma` of the 1000 a node offers") in section
    assert "unconfirmed defaults in `nodePools[1].gpu.rdma`: gidIndex 3 / hca mlx5" in section
    assert "## RDMA" not in summary(render_raw(tke_config(models=[R1_7B])))


def test_an_existing_tke_cluster_is_named_as_such():
    from preview.summary import summary

    from tests.conftest import existing_config

    raw = existing_config()
    assert "existing cluster `lab`" in summary(render_raw(raw))
    raw["cluster"]["provider"] = "tke"
    assert "existing TKE cluster `lab`" in summary(render_raw(raw))
