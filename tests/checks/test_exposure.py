"""The CLB exposure checks (checks/exposure.py): a public CLB that nothing restricts or encrypts is
refused with its fixes, `allowedCidrs` needs a new TKE cluster, and the plan summary says what
restricts each exposed endpoint."""

from __future__ import annotations

import pytest

from checks import checked
from checks.exposure import exposure_lines
from checks.preflight import preflight

from tests.conftest import existing_config, tke_config

from .helpers import R1_7B, errors

TLS = {"host": "llm.example.com", "tls": {"certificateId": "8u8DII0l"}}
OLLAMA = {"name": "r1", "servedName": "r1", "engine": "ollama", "pool": "gpu",
          "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}


def _lb(**fields):
    return {"kind": "loadBalancer", **fields}


@pytest.mark.parametrize("key", ["api", "webui"])
def test_a_public_plain_http_clb_is_refused_with_its_fixes(key):
    found = errors(tke_config(models=[R1_7B], exposure={key: _lb()}))
    (message,) = [m for m in found if m.startswith(f"tke-llm:exposure.{key}: ")]
    for fix in (f"exposure.{key}.allowedCidrs", "securityGroupIds", f"exposure.{key}.tls.certificateId",
                f"exposure.{key}.internalSubnetId", f"exposure.{key}.allowPublicPlainHttp: true"):
        assert fix in message, fix
    assert "loadBalancerSourceRanges" in message, "says why the usual Kubernetes field is not offered"


@pytest.mark.parametrize("fields", [
    {"allowedCidrs": ["203.0.113.0/24"]},
    {"securityGroupIds": ["sg-abcd1234"]},
    TLS,
    {"internalSubnetId": "subnet-abcd1234"},
    {"annotations": {"service.kubernetes.io/qcloud-loadbalancer-internal-subnetid": "subnet-abcd1234"}},
    {"allowPublicPlainHttp": True},
])
def test_each_fix_is_accepted(fields):
    checked(tke_config(models=[R1_7B], exposure={"api": _lb(**fields)}))


def test_meant_public_plain_http_is_still_a_warning():
    cfg = checked(tke_config(models=[R1_7B], exposure={"api": _lb(allowPublicPlainHttp=True)}))
    found = [str(w) for w in preflight(cfg).warnings]
    assert any(w.startswith("tke-llm:exposure.api: a public CLB over plain HTTP") for w in found), found
    restricted = checked(tke_config(models=[R1_7B], exposure={"api": _lb(allowedCidrs=["203.0.113.0/24"], **TLS)}))
    assert not [w for w in preflight(restricted).warnings if "exposure" in w.key]


def test_allowed_cidrs_need_the_cloud_provider_of_a_new_cluster():
    model = {**OLLAMA}
    found = errors(existing_config(models=[model], exposure={"webui": _lb(allowedCidrs=["203.0.113.0/24"])}))
    (message,) = [m for m in found if m.startswith("tke-llm:exposure.webui.allowedCidrs: ")]
    assert "existing cluster" in message and "exposure.webui.securityGroupIds" in message
    # An existing TKE cluster binds groups created outside the stack.
    checked(existing_config(models=[model], exposure={"webui": _lb(securityGroupIds=["sg-abcd1234"])}))


@pytest.mark.parametrize("fields, key, fragment", [
    ({"allowedCidrs": ["0.0.0.0/0"]}, "exposure.api.allowedCidrs", "allowPublicPlainHttp"),
    ({"allowedCidrs": ["203.0.113.1/24"]}, "exposure.api.allowedCidrs", "host bits"),
    ({"allowedCidrs": ["2001:db8::/32"]}, "exposure.api.allowedCidrs", "IPv6"),
    ({"securityGroupIds": ["sg-1"]}, "exposure.api.securityGroupIds[0]", "sg-abcd1234"),
    ({"allowedCidrs": ["10.0.0.0/8"], "securityGroupIds": [f"sg-0000000{i}" for i in range(1, 6)]},
     "exposure.api.securityGroupIds", "at most 5"),
    ({"tls": {"certificateId": "8u8DII0l"}}, "exposure.api.host", "required with `tls`"),
    ({"host": "llm.example.com", "tls": {"certificateId": "-----BEGIN CERTIFICATE-----"}},
     "exposure.api.tls.certificateId", "SSL certificate id"),
    ({"host": "llm.example.com", "tls": {"certificateId": "8u8DII0l", "protocol": "HTTP"}},
     "exposure.api.tls.protocol", "TCP_SSL"),
    ({"allowPublicPlainHttp": True, **TLS}, "exposure.api.allowPublicPlainHttp", "drop allowPublicPlainHttp"),
    ({"securityGroupIds": ["sg-abcd1234"], "annotations": {"service.kubernetes.io/tke-existed-lbid": "lb-abcd1234"}},
     "exposure.api.securityGroupIds", "pass-to-target"),
    ({"allowPublicPlainHttp": True, "annotations": {"service.cloud.tencent.com/security-groups": "sg-abcd1234"}},
     "exposure.api.annotations", "securityGroupIds"),
    ({**TLS, "annotations": {"service.cloud.tencent.com/specify-protocol": "{}"}}, "exposure.api.annotations", "tls"),
])
def test_clb_settings_errors_name_the_key(fields, key, fragment):
    found = errors(tke_config(models=[R1_7B], exposure={"api": _lb(**fields)}))
    hits = [m for m in found if m.startswith(f"tke-llm:{key}: ")]
    assert hits and fragment in hits[0], found


def test_summary_says_what_restricts_each_endpoint():
    cfg = checked(tke_config(models=[R1_7B], exposure={
        "api": _lb(allowedCidrs=["203.0.113.0/24"], securityGroupIds=["sg-abcd1234"], **TLS),
        "webui": _lb(allowPublicPlainHttp=True)}))
    api, webui = [line for line in exposure_lines(cfg) if line.startswith("- ")]
    assert api.startswith("- `exposure.api`: a public CLB, TLS TCP_SSL on port 443 with SSL certificate `8u8DII0l`")
    assert "the security group the stack creates (`api-clb`) admitting 203.0.113.0/24" in api
    assert "`sg-abcd1234`" in api
    assert webui == ("- `exposure.webui`: a public CLB, plain HTTP on port 80; open to every address "
                     "(`allowPublicPlainHttp: true`)")
    tls_only = checked(tke_config(models=[R1_7B], exposure={"api": _lb(**TLS)}))
    assert "open to every address; the API key is the gate" in exposure_lines(tls_only)[2]


def test_an_existing_tke_cluster_may_ask_for_a_private_clb_and_the_gpu_metric():
    """`cluster.provider: tke` says the existing cluster is TKE: its internal-CLB annotation and its GPU
    metric apply, as the refusal of a public plain-HTTP CLB recommends."""
    model = {**OLLAMA, "autoscaling": {"metric": "gpu", "minReplicas": 1, "maxReplicas": 1}}
    plain = existing_config(models=[model], exposure={"api": _lb(internalSubnetId="subnet-abcd1234")})
    found = errors(plain)
    assert any(m.startswith("tke-llm:exposure.api.internalSubnetId: the internal-CLB annotation is TKE's: on an "
                            "existing TKE cluster set `tke-llm:cluster.provider: tke`") for m in found), found
    assert any(m.startswith("tke-llm:models[0].autoscaling.metric: ") and "cluster.provider: tke" in m for m in found)
    plain["cluster"]["provider"] = "tke"
    cfg = checked(plain)
    assert cfg.on_tke and not cfg.is_tke
    assert "a private CLB (VPC only)" in "\n".join(exposure_lines(cfg))


def test_the_public_clb_refusal_on_an_existing_cluster_names_the_provider_key():
    found = errors(existing_config(models=[OLLAMA], exposure={"api": _lb()}))
    (msg,) = [m for m in found if m.startswith("tke-llm:exposure.api: ")]
    assert "an existing TKE cluster says `cluster.provider: tke`" in msg, msg
