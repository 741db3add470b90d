"""The CLB exposure renderer (render/exposure.py): TKE's security-group, pass-to-target and
specify-protocol annotations, and the certificate Secret the listener names (catalog/clb.py)."""

from __future__ import annotations

import json

import pytest

from render import exposure as expose

EP = expose.Endpoint(name="llm-gateway", namespace="llm", service="llm-gateway", port=4000,
                     selector={"app": "gw"}, component="gateway", path="/v1")
TLS = expose.LoadBalancer(port=443, host="llm.example.com", tls=expose.ClbTls("8u8DII0l"), pass_to_target=True)


def _annotations(manifest):
    return manifest["metadata"].get("annotations") or {}


def test_tcp_ssl_listener_names_an_opaque_secret_with_the_certificate_id():
    secret, svc = expose.manifests(EP, TLS)
    assert secret == {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "llm-gateway-clb-cert", "namespace": "llm", "labels": secret["metadata"]["labels"]},
        "stringData": {"qcloud_cert_id": "8u8DII0l"},
    }
    protocol = json.loads(_annotations(svc)["service.cloud.tencent.com/specify-protocol"])
    assert protocol == {"443": {"protocol": ["TCP_SSL"], "tls": "llm-gateway-clb-cert"}}
    assert svc["metadata"]["namespace"] == secret["metadata"]["namespace"], "TKE reads the Secret beside the Service"
    assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "http", "protocol": "TCP"}]


def test_https_listener_puts_the_certificate_under_the_host_rule():
    exp = expose.LoadBalancer(port=8443, host="llm.example.com", tls=expose.ClbTls("8u8DII0l", "HTTPS"))
    protocol = json.loads(_annotations(expose.load_balancer(EP, exp))["service.cloud.tencent.com/specify-protocol"])
    assert protocol == {"8443": {"protocol": ["HTTPS"], "hosts": {"llm.example.com": {"tls": "llm-gateway-clb-cert"}}}}


def test_plain_clb_has_no_certificate_secret_and_no_protocol_override():
    (svc,) = expose.manifests(EP, expose.LoadBalancer(internal_subnet_id="subnet-abcd1234"))
    assert _annotations(svc) == {"service.kubernetes.io/qcloud-loadbalancer-internal-subnetid": "subnet-abcd1234"}
    assert svc["spec"]["ports"][0]["name"] == "http"


def test_security_groups_and_pass_to_target():
    existing = expose.LoadBalancer(security_group_ids=("sg-aaaaaaa1", "sg-aaaaaaa2"), pass_to_target=True)
    annotations = _annotations(expose.load_balancer(EP, existing))
    assert annotations == {"service.cloud.tencent.com/security-groups": "sg-aaaaaaa1,sg-aaaaaaa2",
                           "service.cloud.tencent.com/pass-to-target": "true"}
    created = expose.LoadBalancer(allowed_cidrs=("203.0.113.0/24",), security_group_ids=("sg-aaaaaaa1",),
                                  pass_to_target=True)
    annotations = _annotations(expose.load_balancer(EP, created, security_groups="sg-0000new0,sg-aaaaaaa1"))
    assert annotations["service.cloud.tencent.com/security-groups"] == "sg-0000new0,sg-aaaaaaa1"
    with pytest.raises(ValueError, match="allowed_cidrs"):
        expose.load_balancer(EP, created)  # the created group's id is not known to the renderer


def test_urls_follow_host_scheme_and_port():
    assert expose.static_url(TLS, "/v1") == "https://llm.example.com/v1"
    assert expose.static_url(expose.LoadBalancer(port=8443, host="llm.example.com", tls=TLS.tls)) == \
        "https://llm.example.com:8443"
    assert expose.static_url(expose.LoadBalancer(), "/v1") is None, "the address TKE assigns is read from the status"
    status = {"loadBalancer": {"ingress": [{"ip": "198.51.100.4"}]}}
    assert expose.lb_url(status, 80, "/v1") == "http://198.51.100.4/v1"
    assert expose.lb_url(status, 443, "", "https") == "https://198.51.100.4"
