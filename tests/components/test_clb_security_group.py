"""The CLB security group (components/clb_security_group.py) and the exposure that binds it: cloud
inputs as the provider's resources name them, the stack's tags, and the order that keeps the CLB from
ever carrying a group without its rules."""

from __future__ import annotations

import inspect
import json

import pytest
import tencentcloud_iac_pulumi as tc
from pydantic.alias_generators import to_camel

from tests.conftest import render_raw, tke_config

from .helpers import CLUSTER

GROUP = "tencentcloud:Security/group:Group"
RULES = "tencentcloud:Security/groupRuleSet:GroupRuleSet"
MODEL = {"name": "r1-7b", "servedName": "R1-7B", "engine": "vllm", "pool": "gpu",
         "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "revision": "v1.0.0"},
         "settings": {"maxModelLen": 16384}}
API = {"kind": "loadBalancer", "allowedCidrs": ["203.0.113.0/24", "198.51.100.7/32"], "securityGroupIds": ["sg-abcd1234"],
       "host": "llm.example.com", "tls": {"certificateId": "8u8DII0l"}}


@pytest.fixture(scope="module")
def plan():
    return render_raw(tke_config(models=[MODEL], exposure={"api": API}), stack="dev")


def _service(plan, name="llm-gateway-lb"):
    (svc,) = [r for r in plan.k8s_objects if r.manifest["kind"] == "Service" and r.manifest["metadata"]["name"] == name]
    return svc


def _fields(cls) -> set[str]:
    """The camelCase inputs a provider Args class takes (its constructor's parameters)."""
    return {to_camel(p) for p in inspect.signature(cls.__init__).parameters if p != "__self__"}


def test_group_and_rules_take_only_the_providers_inputs(plan):
    group, rules = plan.one(GROUP, "api-clb"), plan.one(RULES, "api-clb")
    assert set(group.inputs) <= _fields(tc.security.GroupArgs)
    assert set(rules.inputs) <= _fields(tc.security.GroupRuleSetArgs)
    ingress_fields = {to_camel(k) for k in tc.security.GroupRuleSetIngressArgsDict.__annotations__}
    for rule in rules.inputs["ingresses"]:
        assert set(rule) <= ingress_fields, rule


def test_group_admits_the_allowed_ranges_on_the_listener_port_only(plan):
    group, rules = plan.one(GROUP, "api-clb"), plan.one(RULES, "api-clb")
    assert group.inputs["name"] == "tke-llm-dev-api-clb"
    assert group.inputs["tags"] == {"tke-llm-stack": "dev", "managed-by": "pulumi"}
    assert rules.inputs["ingresses"] == [
        {"action": "ACCEPT", "cidrBlock": c, "protocol": "TCP", "port": "443", "description": "api clients (allowedCidrs)"}
        for c in ("203.0.113.0/24", "198.51.100.7/32")]
    assert "egresses" not in rules.inputs
    assert not [r for r in rules.inputs["ingresses"] if r["action"] != "ACCEPT"], \
        "a DROP would shadow the rules of the groups bound after this one"


def test_the_clb_binds_the_created_group_first_and_waits_for_its_rules(plan):
    svc, rules = _service(plan), plan.one(RULES, "api-clb")
    annotations = svc.manifest["metadata"]["annotations"]
    assert annotations["service.cloud.tencent.com/security-groups"] == f"{rules.inputs['securityGroupId']},sg-abcd1234"
    assert annotations["service.cloud.tencent.com/pass-to-target"] == "true"
    assert rules.urn in svc.depends_on
    secret = [r for r in plan.k8s_objects if r.manifest["kind"] == "Secret"
              and r.manifest["metadata"]["name"] == "llm-gateway-clb-cert"]
    assert secret and secret[0].urn in svc.depends_on, "the certificate Secret exists before the listener names it"
    assert json.loads(annotations["service.cloud.tencent.com/specify-protocol"])["443"]["tls"] == "llm-gateway-clb-cert"
    assert plan.outputs["apiBaseUrl"] == "https://llm.example.com/v1"


def test_the_group_is_a_cloud_resource_that_outlives_the_cluster(plan):
    """Created with the cluster (never after Kubernetes objects), deleted after it: a group still bound to
    the CLB TKE made cannot be deleted."""
    group = plan.one(GROUP, "api-clb")
    assert plan.one(CLUSTER).urn in group.depends_on
    assert not [d for d in group.depends_on if "kubernetes:" in d]


def test_no_group_without_allowed_cidrs():
    plan = render_raw(tke_config(models=[MODEL], exposure={"api": {"kind": "loadBalancer",
                                                                   "securityGroupIds": ["sg-abcd1234"]}}))
    assert "api-clb" not in [g.name for g in plan.by_type(GROUP)]
    assert _service(plan).manifest["metadata"]["annotations"]["service.cloud.tencent.com/security-groups"] == "sg-abcd1234"
