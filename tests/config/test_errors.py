"""A rule that spans several keys is keyed to the one to change and names the others: never the whole
stack (`tke-llm:`) or a bare section when a key inside it is meant."""

from __future__ import annotations

import copy

import pytest

from checks import checked
from config import ConfigError
from config.errors import key_path
from config.load import SECTIONS
from preview.stackfile import read, shipped_stacks

from tests.conftest import GPU_POOL, SYSTEM_POOL, config_errors, existing_config, tke_config

MODEL = {"name": "m", "servedName": "M", "engine": "vllm", "pool": "gpu",
         "source": {"kind": "modelscope", "model": "Qwen/Qwen3-8B", "revision": "v1"}}
ATTACHED = {"kind": "attached", "name": "hcc", "instanceIds": ["ins-aaaaaaaa", "ins-aaaaaaaa"],
            "keyId": "skey-aaaaaaaa", "gpu": {"type": "H20", "count": 8}}
DRIVER = {"driver": {"name": "d", "version": "1"}, "cuda": {"name": "c", "version": "1"}}


def _cluster(**changes) -> dict:
    raw = tke_config()
    raw["cluster"].update(changes)
    return raw


def _network(**changes) -> dict:
    raw = tke_config()
    raw["cluster"]["network"].update(changes)
    return raw


def _existing(**changes) -> dict:
    raw = existing_config()
    raw["cluster"].update(changes)
    return raw


def _lb(**fields) -> dict:
    return tke_config(exposure={"api": {"kind": "loadBalancer", **fields}})


def _scaled(**autoscaling) -> dict:
    return tke_config(models=[{**MODEL, "autoscaling": {"maxReplicas": 2, **autoscaling}}],
                      monitoring={"prometheus": {"kind": "existing", "url": "http://prom:9090"}})


CASES = {
    "pool names repeat": (tke_config(nodePools=[SYSTEM_POOL, GPU_POOL, GPU_POOL]),
                          "tke-llm:nodePools[2].name: 'gpu' is already used by nodePools[1]"),
    "existing pool on TKE": (tke_config(nodePools=[SYSTEM_POOL, {"kind": "existing", "name": "x",
                                                                 "nodeSelector": {"a": "b"}}]),
                             "tke-llm:nodePools[1].kind: `existing`"),
    "second CPU pool": (tke_config(nodePools=[SYSTEM_POOL, {**SYSTEM_POOL, "name": "cpu2"}, GPU_POOL]),
                        "tke-llm:nodePools[1]: a second CPU system pool"),
    "pool zone without subnet": (tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "zones": ["ap-shanghai-4"]}]),
                                 "tke-llm:nodePools[1].zones[0]: 'ap-shanghai-4' has no subnet"),
    "storage zone without subnet": (tke_config(storage={"kind": "cfs", "zone": "ap-shanghai-4"}),
                                    "tke-llm:storage.zone: 'ap-shanghai-4' has no subnet"),
    "cloud pool on an existing cluster": (existing_config(nodePools=[GPU_POOL]), "tke-llm:nodePools[0].kind: "),
    "cloud storage on an existing cluster": (existing_config(storage={"kind": "cfs"}), "tke-llm:storage.kind: "),
    "turbo capacity": (tke_config(storage={"kind": "cfs-turbo", "capacityGib": 100}),
                       "tke-llm:storage.capacityGib: 100 is not valid for tier TP"),
    "two kubeconfig sources": (_existing(kubeconfigSecret="kc"), "tke-llm:cluster.kubeconfigSecret: "),
    "no kubeconfig source": (_existing(kubeconfigPath=None), "tke-llm:cluster.kubeconfigPath: "),
    "zones repeat": (_network(subnets=[{"zone": "ap-shanghai-5", "cidr": "10.0.1.0/24"},
                                       {"zone": "ap-shanghai-5", "cidr": "10.0.2.0/24"}]),
                     "tke-llm:cluster.network.subnets[1].zone: 'ap-shanghai-5' already has subnets[0]"),
    "subnet id without a VPC": (_network(subnets=[{"zone": "ap-shanghai-5", "id": "subnet-aaaaaaaa"}]),
                                "tke-llm:cluster.network.subnets[0].id: "),
    "subnet outside the VPC": (_network(subnets=[{"zone": "ap-shanghai-5", "cidr": "192.168.1.0/24"}]),
                               "tke-llm:cluster.network.subnets[0].cidr: 192.168.1.0/24 lies outside vpcCidr"),
    "existing egress without a VPC": (_network(egress={"kind": "existing"}), "tke-llm:cluster.network.egress.kind: "),
    "NAT bandwidth": (_network(egress={"bandwidthMbps": 7}), "tke-llm:cluster.network.egress.bandwidthMbps: 7 "),
    "NAT id with kind nat": (_network(egress={"kind": "nat", "natGatewayId": "nat-aaaaaaaa"}),
                             "tke-llm:cluster.network.egress.natGatewayId: "),
    "public endpoint without sources": (_cluster(endpoint={"access": "public"}),
                                        "tke-llm:cluster.endpoint.allowedCidrs: "),
    "endpoint open to the internet": (_cluster(endpoint={"allowedCidrs": ["1.2.3.4/32", "0.0.0.0/0"]}),
                                      "tke-llm:cluster.endpoint.allowedCidrs[1]: "),
    "ranges overlap": (_cluster(clusterCidr="10.0.0.0/16"),
                       "tke-llm:cluster.clusterCidr: 10.0.0.0/16 overlaps network.vpcCidr 10.0.0.0/16"),
    "zone outside the region": (_network(subnets=[{"zone": "ap-beijing-5", "cidr": "10.0.1.0/24"}]),
                                "tke-llm:cluster.network.subnets[0].zone: "),
    "GPU pool disk": (tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "systemDiskGb": 100}]),
                      "tke-llm:nodePools[1].systemDiskGb: 100 is too small"),
    "driver on a native pool": (tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "kind": "native", "gpu": {
        "type": "A10", "count": 1, "software": DRIVER}}]),
        "tke-llm:nodePools[1].gpu.software: "),
    "RDMA on super nodes": (tke_config(nodePools=[SYSTEM_POOL, {"kind": "super", "name": "gpu",
                                                                "gpu": {"type": "A10", "count": 1, "rdma": True}}]),
                            "tke-llm:nodePools[1].gpu.rdma: "),
    "RDMA off with settings": (tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "gpu": {
        "type": "A10", "count": 1, "rdma": {"enabled": False, "hca": "mlx5"}}}]),
        "tke-llm:nodePools[1].gpu.rdma.hca: "),
    "attached ids repeat": (tke_config(nodePools=[SYSTEM_POOL, ATTACHED]),
                            "tke-llm:nodePools[1].instanceIds[1]: 'ins-aaaaaaaa' is already instanceIds[0]"),
    "gateway none with settings": (tke_config(gateway={"kind": "none", "replicas": 3}), "tke-llm:gateway.replicas: "),
    "rate limits with virtual keys": (tke_config(models=[MODEL], gateway={
        "virtualKeys": {"enabled": True}, "rateLimits": [{"model": "M", "rpm": 1}]}), "tke-llm:gateway.rateLimits: "),
    "client namespace": (tke_config(gateway={"clientNamespaces": ["ok", "Bad"]}),
                         "tke-llm:gateway.clientNamespaces[1]: "),
    "rate limits repeat": (tke_config(models=[MODEL], gateway={"rateLimits": [{"model": "M", "rpm": 1},
                                                                              {"model": "M", "tpm": 1}]}),
                           "tke-llm:gateway.rateLimits[1].model: 'M' already has a limit in rateLimits[0]"),
    "too many security groups": (_lb(securityGroupIds=[f"sg-aaaaaaa{i}" for i in range(6)]),
                                 "tke-llm:exposure.api.securityGroupIds: "),
    "CLB TLS without host": (_lb(tls={"certificateId": "8u8DII0l"}), "tke-llm:exposure.api.host: "),
    "plain HTTP meant and restricted": (_lb(allowPublicPlainHttp=True, allowedCidrs=["1.2.3.4/32"]),
                                        "tke-llm:exposure.api.allowPublicPlainHttp: "),
    "min above max replicas": (_scaled(minReplicas=3), "tke-llm:models[0].autoscaling.minReplicas: 3 must be <="),
    "GPU metric through KEDA": (_scaled(metric="gpu", scaler="keda"), "tke-llm:models[0].autoscaling.scaler: "),
    "zero without KEDA": (_scaled(minReplicas=0, scaler="hpa"), "tke-llm:models[0].autoscaling.minReplicas: "),
    "zero without scaling down": (_scaled(minReplicas=0, scaleDown={"enabled": False}),
                                  "tke-llm:models[0].autoscaling.scaleDown.enabled: "),
    "GPU target above 100": (_scaled(metric="gpu", target=150), "tke-llm:models[0].autoscaling.target: "),
    "Ollama source on vLLM": (tke_config(models=[{**MODEL, "source": {"kind": "ollama", "tag": "qwen3:8b"}}]),
                              "tke-llm:models[0].engine: "),
    "Ollama across nodes": (tke_config(models=[{**MODEL, "engine": "ollama", "nodes": 2,
                                                "source": {"kind": "ollama", "tag": "qwen3:8b"}}]),
                            "tke-llm:models[0].nodes: "),
    "queue scaling without monitoring": (tke_config(models=[{**MODEL, "autoscaling": {"maxReplicas": 2}}]),
                                         "tke-llm:monitoring.prometheus.url: "),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_rule_across_keys_names_the_key_to_change(name):
    raw, expected = CASES[name]
    found = config_errors(copy.deepcopy(raw))
    assert any(m.startswith(expected) for m in found), found


def test_every_repeat_is_reported_once_each():
    pools = [SYSTEM_POOL, GPU_POOL, GPU_POOL, {**GPU_POOL, "name": "system"}]
    found = config_errors(tke_config(nodePools=pools))
    assert "tke-llm:nodePools[2].name: 'gpu' is already used by nodePools[1]" in found
    assert "tke-llm:nodePools[3].name: 'system' is already used by nodePools[0]" in found


@pytest.mark.parametrize("raw, expected", [
    (tke_config(models=[{**MODEL, "gpusPerNod": 1}]), "tke-llm:models[0].gpusPerNod: unknown key; did you mean "
                                                      "`gpusPerNode`?"),
    (tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "maxsize": 2}]), "tke-llm:nodePools[1].maxsize: unknown key; "
                                                                      "did you mean `maxSize`?"),
    (tke_config(storage={"kind": "cfs-turbo", "capacityGIB": 20480}), "tke-llm:storage.capacityGIB: unknown key; "
                                                                      "did you mean `capacityGib`?"),
    (tke_config(exposure={"api": {"kind": "loadBalancer", "alowedCidrs": []}}),
     "tke-llm:exposure.api.alowedCidrs: unknown key; did you mean `allowedCidrs`?"),
    (tke_config(gateway={"rateLimits": [{"model": "M", "rmp": 1}]}),
     "tke-llm:gateway.rateLimits[0].rmp: unknown key; did you mean `rpm`?"),
])
def test_an_unknown_key_inside_a_section_suggests_the_nearest(raw, expected):
    assert expected in config_errors(raw)


def test_an_unknown_key_far_from_every_field_gets_no_guess():
    (msg,) = config_errors(tke_config(nodePools=[SYSTEM_POOL, {**GPU_POOL, "zzzzzz": 2}]))
    assert msg.startswith("tke-llm:nodePools[1].zzzzzz: unknown key;") and "did you mean" not in msg


FREE_FORM = {"nodeSelector", "labels", "annotations", "env", "rawValues", "selectorLabels"}
"""Maps whose keys are the user's own (labels, variables): any key is accepted there."""


def _misspellings(node, path=()):
    """(path of a mapping, one of its keys) for every key of a config model in the stack file."""
    if isinstance(node, dict):
        if not path or path[-1] not in FREE_FORM:
            yield from ((path, k) for k in node if k != "kind")  # without its kind a union member is unknown
        for k, v in node.items():
            yield from _misspellings(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _misspellings(v, (*path, i))


@pytest.mark.parametrize("stack", shipped_stacks())
def test_every_key_of_the_shipped_stacks_misspelt_gets_its_spelling(stack):
    raw, secrets = read(stack)
    missed = []
    for path, key in _misspellings(raw):
        if not path and key not in SECTIONS:
            continue  # a secret config key
        mutated = copy.deepcopy(raw)
        parent = mutated
        for part in path:
            parent = parent[part]
        parent[key[:-1]] = parent.pop(key)
        with pytest.raises(ConfigError) as exc:
            checked(mutated, secrets)
        want = f"{key_path((*path, key[:-1]))}: unknown key; did you mean `{key}`?"
        if not any(str(i).startswith(want) for i in exc.value.issues):
            missed.append(want)
    assert not missed
