"""Value formats the Kubernetes API server and the Tencent Cloud API enforce (config/formats.py): inputs
that used to reach the API server or the cloud API unchecked are refused with a message naming their key."""

from __future__ import annotations

import pytest

from checks import checked

from tests.conftest import existing_config, tke_config

from .helpers import _hf_model, errors


# --- values that reach manifests --------------------------------------------------------------------

@pytest.mark.parametrize("value", ["500m", "2", "0.5", "1e3", "512Mi", "16Gi", "1.5G", "+1", "100n"])
def test_kubernetes_quantities_pass(value):
    checked(tke_config(gateway={"kind": "litellm", "cpu": value}))


@pytest.mark.parametrize("value", ["2 cores", "1GB", "-1", "16gi", "Gi", "1.2.3", "1e", "99999999999Ei", ""])
def test_malformed_quantities_are_refused_with_the_key(value):
    found = errors(tke_config(gateway={"kind": "litellm", "memory": value}))
    assert any(m.startswith("tke-llm:gateway.memory:") for m in found), found


@pytest.mark.parametrize("section, key", [
    ({"webui": {"storage": {"storageClassName": "Bad_Name"}}}, "tke-llm:webui.storage.storageClassName"),
    ({"storage": {"kind": "cfs", "storageClassName": "a..b"}}, "tke-llm:storage.storageClassName"),
    ({"storage": {"kind": "cfs", "provisioner": "cfs driver"}}, "tke-llm:storage.provisioner"),
    ({"storage": {"kind": "cfs", "permissionGroupId": "basic"}}, "tke-llm:storage.permissionGroupId"),
    ({"exposure": {"api": {"kind": "loadBalancer", "annotations": {"bad key!": "x"}}}},
     "tke-llm:exposure.api.annotations"),
    ({"storage": {"kind": "cfs", "sizeGi": 2**40}}, "tke-llm:storage.sizeGi"),
    ({"gateway": {"kind": "litellm", "requestTimeoutSeconds": 10**30}}, "tke-llm:gateway.requestTimeoutSeconds"),
])
def test_names_keys_and_integers_the_api_server_rejects_are_refused(section, key):
    found = errors(tke_config(**section))
    assert any(m.startswith(f"{key}:") for m in found), found


def test_label_keys_and_values_of_pools_are_checked():
    raw = existing_config()
    raw["nodePools"][0]["nodeSelector"] = {"gpu": "yes please"}
    assert any(m.startswith("tke-llm:nodePools[0].nodeSelector: label value 'yes please'") for m in errors(raw))


def test_infinite_sizes_are_refused():
    raw = tke_config(models=[{**_hf_model(), "sizeGb": float("inf")}])
    assert any(m.startswith("tke-llm:models[0].sizeGb:") for m in errors(raw))


# --- values that reach the cloud API ----------------------------------------------------------------

@pytest.mark.parametrize("network, key", [
    ({"vpcId": "vpc-1", "subnets": [{"zone": "ap-shanghai-5", "id": "subnet-abcd1234"}]}, "network.vpcId"),
    ({"vpcId": "vpc-abcd1234", "subnets": [{"zone": "ap-shanghai-5", "id": ""}]}, "network.subnets[0].id"),
    ({"subnets": [{"zone": "shanghai", "cidr": "10.0.1.0/24"}]}, "network.subnets[0].zone"),
])
def test_malformed_ids_and_zones_are_refused(network, key):
    raw = tke_config()
    raw["cluster"]["network"] = network
    assert any(m.startswith(f"tke-llm:cluster.{key}:") for m in errors(raw)), errors(raw)


def test_zones_outside_the_region_are_refused():
    raw = tke_config()
    raw["cluster"]["network"] = {"subnets": [{"zone": "ap-guangzhou-3", "cidr": "10.0.1.0/24"}]}
    found = errors(raw)
    assert any(m.startswith("tke-llm:cluster.network.subnets[0].zone: 'ap-guangzhou-3' is not in region ap-shanghai")
               for m in found), found


def test_attached_instance_ids_are_checked():
    pool = {"kind": "attached", "name": "h20", "instanceIds": ["ins-abcd1234", "i-1"], "keyId": "skey-abcd1234",
            "gpu": {"type": "H20", "count": 8}}
    raw = tke_config(nodePools=[tke_config()["nodePools"][0], pool])
    assert any(m.startswith("tke-llm:nodePools[1].instanceIds[1]: 'i-1' is not a Tencent Cloud id") for m in errors(raw))
