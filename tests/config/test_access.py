"""The gateway's lists (config/access.py): a fallback list per model, each target once, each client
namespace once; a repeat is refused with its key rather than rendered twice into the gateway config."""

from __future__ import annotations

from checks import checked

from tests.conftest import tke_config

from .helpers import errors

R1 = {"name": "r1", "servedName": "R1", "engine": "vllm", "pool": "gpu",
      "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 16384}}
QWEN = {**R1, "name": "qwen", "servedName": "Qwen3-8B",
        "source": {"kind": "modelscope", "model": "Qwen/Qwen3-8B", "revision": "v1.0.0"}}


def _gateway(**gateway) -> dict:
    pools = tke_config()["nodePools"]
    pools[1]["maxSize"] = 2
    return tke_config(nodePools=pools, models=[R1, QWEN], gateway={"kind": "litellm", **gateway})


def test_two_fallback_entries_for_one_model_are_refused():
    found = errors(_gateway(fallbacks=[{"model": "R1", "to": ["Qwen3-8B"]}, {"model": "R1", "to": ["Qwen3-8B"]}]))
    assert "tke-llm:gateway.fallbacks[1].model: R1 has two fallback entries: the gateway keeps one list per " \
           "model; merge their `to` into one entry" in found, found


def test_one_target_twice_is_refused():
    found = errors(_gateway(fallbacks=[{"model": "R1", "to": ["Qwen3-8B", "Qwen3-8B"]}]))
    assert "tke-llm:gateway.fallbacks[0].to[1]: Qwen3-8B listed twice: the gateway tries each target once, list it " \
           "once" in found, found


def test_a_client_namespace_listed_twice_is_refused():
    found = errors(_gateway(clientNamespaces=["apps", "apps"]))
    assert "tke-llm:gateway.clientNamespaces[1]: apps listed twice; list each namespace once" in found, found


def test_distinct_fallbacks_pass():
    checked(_gateway(fallbacks=[{"model": "R1", "to": ["Qwen3-8B"]}, {"model": "Qwen3-8B", "to": ["R1"]}]))


def test_a_load_balancer_range_or_security_group_listed_twice_is_refused_at_the_repeat():
    """Each range becomes a rule of the CLB's security group and each group is bound once: the repeat is
    named at its index with the fix, like the API server's ranges."""
    lb = {"kind": "loadBalancer", "tls": {"certificateId": "abcd1234"}}
    found = errors(tke_config(exposure={"api": {**lb, "allowedCidrs": ["203.0.113.0/24", "198.51.100.0/24",
                                                                       "203.0.113.0/24"]}}))
    assert "tke-llm:exposure.api.allowedCidrs[2]: 203.0.113.0/24 listed twice (the security group would get " \
           "the same rule twice); list each range once" in found, found
    found = errors(tke_config(exposure={"api": {**lb, "securityGroupIds": ["sg-abcd1234", "sg-abcd1234"]}}))
    assert "tke-llm:exposure.api.securityGroupIds[1]: sg-abcd1234 listed twice; list each security group " \
           "once" in found, found


def test_a_route_hostname_listed_twice_is_refused_at_the_repeat():
    route = {"kind": "httpRoute", "gatewayName": "shared", "gatewayNamespace": "envoy-gateway-system",
             "hostnames": ["llm.example.com", "llm.example.com"]}
    found = errors(tke_config(exposure={"api": route}))
    assert "tke-llm:exposure.api.hostnames[1]: llm.example.com listed twice (the HTTPRoute would match it " \
           "twice); list each hostname once" in found, found
