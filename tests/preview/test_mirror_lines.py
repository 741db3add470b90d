"""The plan's mirror lines: Egress says who fills from the mirror and that it stays off the NAT; Billing
shows the mirror's storage and request cost (prices marked assumed) and that destroy keeps the bucket."""

from __future__ import annotations

from checks import checked
from checks.egress import summary_lines as egress_lines
from derive.serving import model_size_gb
from preview.billing import summary_lines as billing_lines

from tests.conftest import tke_config

MODEL = {"name": "q", "servedName": "Q", "engine": "vllm", "pool": "gpu", "settings": {"maxModelLen": 8192},
         "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "v1"}}
KEYS = {"cosSecretId": "AKIDscoped", "cosSecretKey": "scoped-secret"}


def cfg(**mirror):
    return checked(tke_config(modelCache={"mirror": {"bucket": "w-1250000000", **mirror}}, models=[MODEL], **KEYS),
                   set(KEYS))


def test_egress_names_the_mirror_fill_off_the_nat():
    text = "\n".join(egress_lines(cfg()))
    assert "COS `w-1250000000` in ap-shanghai" in text and "do not cross the NAT" in text
    assert "cross regions (billed traffic)" in "\n".join(egress_lines(cfg(region="ap-guangzhou")))


def test_billing_shows_storage_and_requests_and_what_destroy_keeps():
    c = cfg()
    text = "\n".join(billing_lines(c))
    gb = model_size_gb(c.models[0])
    assert f"{gb:g} GB of STANDARD storage, about {gb * 0.024:.2f} USD a month" in text
    assert "ASSUMED" in text and "PUTs" in text and "GETs per consumer" in text
    assert "the weight mirror's COS bucket `w-1250000000`" in text
    assert "COS bucket" not in "\n".join(billing_lines(cfg(create=False)))


def test_with_local_storage_the_cpu_pool_reads_the_hub_and_the_gpu_nodes_only_the_mirror():
    local = checked(tke_config(storage={"kind": "local"}, modelCache={"mirror": {"bucket": "w-1250000000"}},
                               models=[MODEL], **KEYS), set(KEYS))
    text = "\n".join(egress_lines(local))
    assert "- pool `system` downloads the weights from outside Tencent Cloud: " in text and "huggingface.co" in text
    assert "pool `gpu` downloads" not in text
    assert "the nodes of `gpu` fill their disks from it only, never from the hub" in text
    plain = checked(tke_config(storage={"kind": "local"}, models=[MODEL]))
    assert "- pool `gpu` downloads the weights" in "\n".join(egress_lines(plain))
