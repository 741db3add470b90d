"""The egress path of the subnets a stack creates: a NAT gateway behind an elastic IP, and a route
table whose default route points at it (or at a NAT gateway the VPC already has).

Provider inputs (tencentcloud-iac-pulumi 0.2.3): docs/cloud-resources.md, "Egress".
"""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from config.egress import Egress

DEFAULT_ROUTE = "0.0.0.0/0"


def route_table(name: str, cfg: Egress, kind: str, *, vpc_id: pulumi.Input[str], tags: dict[str, str],
                opts: pulumi.ResourceOptions) -> pulumi.Output[str] | None:
    """The route table created subnets join, or None when they keep the VPC's default table."""
    if kind == "nat":
        eip = tc.eip.Instance(f"{name}-nat-eip", name=f"{name}-nat", tags=tags, opts=opts)
        nat = tc.nat.Gateway(
            f"{name}-nat", name=f"{name}-nat", vpc_id=vpc_id, nat_product_version=1,
            bandwidth=cfg.bandwidth_mbps, max_concurrent=1000000, assigned_eip_sets=[eip.public_ip],
            tags=tags, opts=opts,
        )
        hub: pulumi.Input[str] = nat.id
    elif kind == "existing" and cfg.nat_gateway_id:
        hub = cfg.nat_gateway_id
    else:
        return None
    table = tc.route.Table(f"{name}-routes", name=f"{name}-egress", vpc_id=vpc_id, tags=tags, opts=opts)
    tc.route.TableEntry(
        f"{name}-default-route", route_table_id=table.id, destination_cidr_block=DEFAULT_ROUTE,
        next_type="NAT", next_hub=hub, description="node egress: image pulls and model downloads", opts=opts,
    )
    return table.id
