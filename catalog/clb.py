"""TKE's CLB Service annotations: how a LoadBalancer Service asks TKE's service controller for a
private CLB, security groups and a TLS listener. Sources (docs/gateway.md, "CLB exposure"): the
TKE "Service Annotation" and "Service extension protocol" docs (cloud.tencent.com/document/product/457/51258
and /51259, intlcloud-documents `Service Annotation 说明_intl_zh.md` L23-28, L183-214; `Service
扩展协议_intl_zh.md` L32-76) and imroc/tke-guide (`docs/networking/ingress-nginx/waf.md` L13-56,
`docs/networking/cilium/gateway-api.md` L136-138). TKE documents no `spec.loadBalancerSourceRanges`."""

from __future__ import annotations

INTERNAL_SUBNET = "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid"
"""A private CLB in this subnet (value `subnet-xxxxxxxx`)."""
EXISTING_LB = "service.kubernetes.io/tke-existed-lbid"
"""Reuse an existing CLB (`lb-xxxxxxxx`); pass-to-target does not work with it (imroc, gateway-api.md)."""
SECURITY_GROUPS = "service.cloud.tencent.com/security-groups"
"""Comma-separated security-group ids bound to the CLB, at most `MAX_SECURITY_GROUPS`."""
PASS_TO_TARGET = "service.cloud.tencent.com/pass-to-target"
"""`"true"`: the CLB's own security groups filter clients, the backends' groups do not re-check them."""
SPECIFY_PROTOCOL = "service.cloud.tencent.com/specify-protocol"
"""JSON map of listener port -> protocol (TCP_SSL with `tls`, or HTTPS with `hosts` -> `tls`)."""
CERT_ID_KEY = "qcloud_cert_id"
"""The key of the Opaque Secret `tls` names: an SSL certificate id from the SSL Certificates console."""
MAX_SECURITY_GROUPS = 5
TLS_PROTOCOLS = ("TCP_SSL", "HTTPS")
"""TCP_SSL: TLS ends at a layer-4 listener, no host rules. HTTPS: a layer-7 listener per host name."""
