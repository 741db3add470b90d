"""How the nodes of a new cluster reach the internet (downloads, image pulls).

TKE nodes get no public address unless a pool asks for bandwidth, and a new VPC has no NAT gateway, so
without an egress path every pull from ModelScope, Hugging Face, PyPI, ghcr.io, quay.io or
registry.k8s.io fails (reference pitfall P8). The default gives a new VPC a NAT gateway.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from config.base import ConfigModel
from config.errors import AtKey
from config.formats import NatGatewayId

NAT_BANDWIDTHS = (20, 50, 100, 200, 500, 1000, 2000, 5000)
"""The traditional NAT gateway's `bandwidth` values (tencentcloud_nat_gateway, provider v1.82.42 docs)."""


class Egress(ConfigModel):
    kind: Literal["nat", "existing", "publicIp", "none"] | None = None
    """`nat`: a NAT gateway with an elastic IP and a default route for the subnets the stack creates
    (the default for a new VPC). `existing`: the given VPC already routes to the internet (the default
    when `vpcId` is set; with `natGatewayId`, created subnets are routed through that gateway).
    `publicIp`: no NAT; the pools that download carry `publicBandwidthMbps` (preflight checks it).
    `none`: no egress; preflight refuses it unless every source and image is inside Tencent's network."""
    bandwidth_mbps: int = 100
    """NAT gateway bandwidth (Mbit/s): 20, 50, 100, 200, 500, 1000, 2000 or 5000."""
    nat_gateway_id: NatGatewayId | None = None
    """An existing NAT gateway (nat-xxxxxxxx) to route created subnets through (`kind: existing`)."""

    @model_validator(mode="after")
    def _check(self) -> "Egress":
        if self.bandwidth_mbps not in NAT_BANDWIDTHS:
            raise AtKey("bandwidth_mbps", f"{self.bandwidth_mbps} is not a NAT gateway bandwidth; use one of "
                        f"{', '.join(map(str, NAT_BANDWIDTHS))}")
        if self.nat_gateway_id is not None and self.kind not in (None, "existing"):
            raise AtKey("nat_gateway_id", f"goes with `kind: existing` (route through a gateway you already "
                        f"have), not `kind: {self.kind}`")
        return self
