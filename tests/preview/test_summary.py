"""The plan summary (preview/summary.py): the capacity and bring-up figures, and what would replace
protected data."""

from __future__ import annotations

import re

import pytest

from preview.stackfile import shipped_stacks

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


def _counts(tmp_path, capsys, stack):
    """The shipped stack's summary.md and the CLI's last line."""
    from preview.__main__ import main

    assert main([stack, "--out", str(tmp_path), "--quiet"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    return (tmp_path / stack / "summary.md").read_text(), last


@pytest.mark.parametrize("stack", shipped_stacks())
def test_the_summary_counts_agree_with_each_other_and_the_cli(tmp_path, capsys, stack):
    text, last = _counts(tmp_path, capsys, stack)
    header = re.search(r"; (\d+) resources: (\d+) Kubernetes objects, (\d+) cloud and other resources, (\d+) "
                       r"components", text.splitlines()[2])
    assert header, text.splitlines()[2]
    total, objects, others, components = map(int, header.groups())
    assert objects + others + components == total
    from preview.summary import LAYERS

    sections = re.split(r"^## ", text, flags=re.M)[1:]
    listed = [line for s in sections if s.split("\n", 1)[0] in LAYERS for line in s.splitlines()
              if line.startswith("  - ")]
    assert len(listed) == objects + others + sum(1 for line in listed if "Helm chart" in line)
    assert f"({total} resources: {objects} Kubernetes objects, {others} cloud and other resources, {components} " \
           f"components;" in last, last
    alerts = re.search(r"^Alerts \((\d+) rules\b[^)]*\): (.*)\.$", text, re.M)
    if alerts:
        names = alerts.group(2).split(", ")
        counted = sum(int(n.split(" ×")[1]) if " ×" in n else 1 for n in names)
        assert counted == int(alerts.group(1)), alerts.group(0)


def test_summary_says_which_size_each_model_was_counted_with_and_where_it_came_from():
    from preview.summary import summary

    text = summary(render_raw(tke_config(models=[R1_7B, {**R1_7B, "name": "own", "servedName": "own", "sizeGb": 12.5}])))
    assert "- `r1-7b`: 15.24 GB, from catalog deepseek-ai/DeepSeek-R1-Distill-Qwen-7B: parameters x 2 bytes" in text
    assert "- `own`: 12.5 GB, from sizeGb in the stack file" in text


def test_bring_up_terms_name_each_formula_and_its_source():
    from preview.summary import summary

    text = summary(render_raw(tke_config(nodePools=[SYSTEM_POOL, H20], models=[R1],
                                         storage={"kind": "cfs-turbo", "tier": "TP", "capacityGib": 20480, "sizeGi": 1000})))
    # load: one read per node (the engine's rank-split prefetch on CFS-Turbo); second replica: compile cache warm
    assert "| r1 | 15 h 18 min | 8 min | - | - | 3 min | 6 min | - | 10 min | 9 min | 15 h 26 min + 19 min | - | 18 min | 0 GB |" in text
    # attached: joined during the download; the cluster's endpoint (21 min after the system pool) precedes
    # every in-cluster object, the namespace's owner check first
    assert "| r1 | 16 h 07 min | 2 h 21 min | no mirror |" in text
    assert "- `r1`: download 688.6 GB x 8 / 100 Mbit/s; check 688.6 GB / min(2 GB/s storage, 4 x 370 MB/s sha256)" in text
    assert "- limited by the NAT gateway's elastic IP (cluster.network.egress.bandwidthMbps)" in text
    assert "llm-d DeepSeek-R1 wide-EP guide" in text and "measured here 2026-12-07" in text
