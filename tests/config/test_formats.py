"""Value formats the Kubernetes API server and the Tencent Cloud API enforce (config/formats.py): inputs
that used to reach the API server or the cloud API unchecked are refused with a message naming their key."""

from __future__ import annotations

import copy

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


# --- free text that reaches the cloud API or a pod ---------------------------------------------------

R1_7B = {"name": "r1-7b", "servedName": "R1-7B", "engine": "vllm", "pool": "gpu",
         "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "revision": "v1.0.0"},
         "settings": {"maxModelLen": 16384}}
OLLAMA = {"name": "r1", "servedName": "deepseek-r1:7b", "engine": "ollama", "pool": "gpu",
          "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}


def _pool(**fields) -> dict:
    raw = tke_config()
    raw["nodePools"][1].update(fields)
    return raw


def _model(model: dict, path: tuple, value, cfg=tke_config) -> dict:
    m = copy.deepcopy(model)
    node = m
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return cfg(models=[m])


def _key_errors(raw, key: str) -> list[str]:
    found = errors(raw)
    hits = [m for m in found if m.startswith(f"{key}: ")]
    assert hits, found
    return hits


@pytest.mark.parametrize("value", ["x|nc evil 1", "../../etc", "A" * 10_000, "PNV4.7XLARGE116 ", "", "S5 2XLARGE16",
                                   "S5.2XLARGE16\n"])
def test_instance_types_are_the_clouds_format(value):
    (msg,) = _key_errors(_pool(instanceType=value), "tke-llm:nodePools[1].instanceType")
    assert len(msg) < 300, "the message quotes at most the start of a long value"
    (msg,) = _key_errors(_pool(backupInstanceTypes=["PNV4.14XLARGE232", value]),
                         "tke-llm:nodePools[1].backupInstanceTypes[1]")


@pytest.mark.parametrize("value", ["S5.2XLARGE16", "PNV5b.8XLARGE96", "HCCPNV6.96XLARGE2304", "SA2.MEDIUM4", "S5.SMALL1"])
def test_real_instance_types_pass(value):
    checked(_pool(backupInstanceTypes=[value]))


def test_backup_types_listed_twice_are_refused():
    (msg,) = _key_errors(_pool(backupInstanceTypes=["PNV4.7XLARGE116"]),
                         "tke-llm:nodePools[1].backupInstanceTypes[0]")
    assert "PNV4.7XLARGE116 listed twice (or as instanceType too)" in msg


@pytest.mark.parametrize("value, fragment", [("", "is empty"), ("tlinux 3.1", "not a TKE node OS name"),
                                             ("x" * 100, "at most 64")])
def test_os_images_are_checked(value, fragment):
    (msg,) = _key_errors(_pool(osImage=value), "tke-llm:nodePools[1].osImage")
    assert fragment in msg, msg


@pytest.mark.parametrize("value", ["v1 0", "a|b", "../x", "a/../b", "x.lock", "v1\n", "", " v1", "x" * 200, "-x"])
def test_revisions_are_git_refs(value):
    _key_errors(_model(R1_7B, ("source", "revision"), value), "tke-llm:models[0].source.revision")
    hf = {**R1_7B, "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": value}}
    _key_errors(tke_config(models=[hf]), "tke-llm:models[0].source.revision")


@pytest.mark.parametrize("value", ["deepseek-r1:7b x", "deepseek-r1:../x", "a|b:1", "deepseek-r1:", ":7b", "r1:7b\t"])
def test_ollama_tags_are_pull_references(value):
    _key_errors(_model(OLLAMA, ("source", "tag"), value, existing_config), "tke-llm:models[0].source.tag")


@pytest.mark.parametrize("value", ["qwen3:14b-q4_K_M", "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"])
def test_real_ollama_tags_pass(value):
    checked(_model({**OLLAMA, "sizeGb": 9}, ("source", "tag"), value, existing_config))


@pytest.mark.parametrize("value", ["a_b", "abc.", "Letsencrypt", "le prod", "x" * 300])
def test_cert_manager_issuers_are_object_names(value):
    raw = existing_config(exposure={"api": {"kind": "ingress", "host": "llm.example.com", "tls": {"issuer": value}}})
    _key_errors(raw, "tke-llm:exposure.api.tls.issuer")


@pytest.mark.parametrize("value", ["ng inx", "nginx\u200b", "Nginx", ""])
def test_ingress_class_names_are_object_names(value):
    raw = existing_config(exposure={"api": {"kind": "ingress", "host": "llm.example.com", "className": value}})
    _key_errors(raw, "tke-llm:exposure.api.className")


@pytest.mark.parametrize("value", ["int4", "FP8", "fp8 ", "awq; rm -rf"])
def test_quantization_must_be_a_method_an_engine_knows(value):
    _key_errors(_model(R1_7B, ("settings", "quantization"), value), "tke-llm:models[0].settings.quantization")


@pytest.mark.parametrize("section, key", [
    ({"modelCache": {"pipIndexUrl": "not a url"}}, "tke-llm:modelCache.pipIndexUrl"),
    ({"modelCache": {"pipIndexUrl": "ftp://mirrors.example.com/simple"}}, "tke-llm:modelCache.pipIndexUrl"),
    ({"modelCache": {"pipIndexUrl": "https://user:token@pypi.example.com/simple"}}, "tke-llm:modelCache.pipIndexUrl"),
    ({"modelCache": {"pipIndexUrl": "https://pypi.example.com/../simple"}}, "tke-llm:modelCache.pipIndexUrl"),
    ({"monitoring": {"prometheus": {"kind": "existing", "url": "http://prom:99999"}}},
     "tke-llm:monitoring.prometheus.url"),
    ({"monitoring": {"prometheus": {"kind": "existing", "url": "prometheus.monitoring.svc:9090"}}},
     "tke-llm:monitoring.prometheus.url"),
    ({"monitoring": {"prometheus": {"kind": "tke-managed", "instanceId": "prom-abcd1234", "url": "http://a b"}}},
     "tke-llm:monitoring.prometheus.url"),
    ({"imageRegistry": "a..b/mirror"}, "tke-llm:imageRegistry"),
    ({"imageRegistry": "ccr.ccs.tencentyun.com/../x"}, "tke-llm:imageRegistry"),
    ({"imageRegistry": "reg.example.com:99999"}, "tke-llm:imageRegistry"),
])
def test_urls_are_checked(section, key):
    _key_errors(tke_config(**section), key)


def test_real_urls_pass():
    checked(tke_config(modelCache={"pipIndexUrl": "http://mirrors.tencentyun.com/pypi/simple"},
                       imageRegistry="ccr.ccs.tencentyun.com/tke-llm-mirror",
                       monitoring={"prometheus": {"kind": "existing",
                                                  "url": "http://prometheus-operated.monitoring.svc:9090"}}))


def test_the_mirror_endpoint_is_an_https_url():
    hf = {**R1_7B, "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "v1", "endpoint": "https://a b"}}
    _key_errors(tke_config(models=[hf]), "tke-llm:models[0].source.endpoint")


@pytest.mark.parametrize("field, value", [("context", "a\nb"), ("context", ""), ("context", "ctx\u200b"),
                                          ("name", "k: v"), ("name", ""), ("name", "x" * 64),
                                          ("kubeconfigPath", "~/.kube/config\n")])
def test_existing_cluster_text_is_one_visible_line(field, value):
    raw = existing_config()
    raw["cluster"][field] = value
    _key_errors(raw, f"tke-llm:cluster.{field}")


@pytest.mark.parametrize("value", ["k: v", "", "x" * 51, "a b"])
def test_tke_cluster_names_are_checked(value):
    raw = tke_config()
    raw["cluster"]["name"] = value
    _key_errors(raw, "tke-llm:cluster.name")


@pytest.mark.parametrize("value", ["Prom", "prom agent", "a" * 64])
def test_the_agent_namespace_is_a_dns_label(value):
    raw = tke_config(monitoring={"prometheus": {"kind": "tke-managed", "instanceId": "prom-abcd1234",
                                                "agentNamespace": value}})
    _key_errors(raw, "tke-llm:monitoring.prometheus.agentNamespace")


@pytest.mark.parametrize("value", [2**63, 1e12, 100_001])
def test_prices_past_any_plausible_value_are_refused(value):
    (msg,) = _key_errors(_pool(hourlyPrice=value), "tke-llm:nodePools[1].hourlyPrice")
    assert "past any node's price" in msg


@pytest.mark.parametrize("field, value", [("servedName", ""), ("servedName", "a b"), ("servedName", "R1\n"),
                                          ("servedName", 'r1"}'), ("image", "vllm/vllm-openai:v1 x"),
                                          ("image", "x|y:1"), ("image", "Vllm/Vllm:1")])
def test_served_names_and_images_are_checked(field, value):
    _key_errors(tke_config(models=[{**R1_7B, field: value}]), f"tke-llm:models[0].{field}")


@pytest.mark.parametrize("raw, key", [
    # Python's `$` also matches before a final newline: the patterns are full matches now.
    (tke_config(models=[{**R1_7B, "name": "v1\n"}]), "tke-llm:models[0].name"),
    (tke_config(namespace="llm\n"), "tke-llm:namespace"),
    (existing_config(exposure={"api": {"kind": "ingress", "host": "llm.example.com\n"}}), "tke-llm:exposure.api.host"),
    (tke_config(gateway={"kind": "litellm", "clientNamespaces": ["apps\n"]}), "tke-llm:gateway.clientNamespaces"),
    # Any text field: no control or zero-width characters.
    (tke_config(models=[{**R1_7B, "settings": {"extraArgs": ["--enable-log-requests\u200b"]}}]),
     "tke-llm:models[0].settings.extraArgs"),
])
def test_a_final_newline_or_a_hidden_character_is_refused(raw, key):
    _key_errors(raw, key)


def test_a_label_value_with_a_final_newline_is_refused():
    raw = existing_config()
    raw["nodePools"][0]["nodeSelector"] = {"gpu": "true\n"}
    _key_errors(raw, "tke-llm:nodePools[0].nodeSelector")
