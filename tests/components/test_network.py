"""The network (components/network.py): an existing VPC and its subnets are used, not created."""

from __future__ import annotations

from tests.conftest import render_raw, tke_config

from .helpers import CLUSTER, NODEPOOL


def test_existing_vpc_and_subnets_are_not_created():
    raw = tke_config()
    raw["cluster"]["network"] = {"vpcId": "vpc-0e1x1st1", "subnets": [{"zone": "ap-shanghai-5", "id": "subnet-0e1x1st1"}]}
    plan = render_raw(raw)
    assert not plan.by_type("tencentcloud:Vpc/instance:Instance") and not plan.by_type("tencentcloud:Subnet/instance:Instance")
    assert plan.one(CLUSTER).inputs["vpcId"] == "vpc-0e1x1st1"
    assert plan.one(NODEPOOL, "gpu-pools-gpu").inputs["subnetIds"] == ["subnet-0e1x1st1"]
