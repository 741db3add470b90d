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


def test_nodes_admit_the_turbo_file_system_on_lustres_port():
    """Tencent's CFS Turbo client docs: port 988 open both ways to the Turbo range (components/network.py)."""
    plan = render_raw(tke_config(storage={"kind": "cfs-turbo", "capacityGib": 10240, "cidrBlock": "10.254.0.0/24"}))
    rules = plan.one("tencentcloud:Security/groupRuleSet:GroupRuleSet", "network-nodes").inputs["ingresses"]
    assert {"action": "ACCEPT", "cidrBlock": "10.254.0.0/24", "protocol": "TCP", "port": "988",
            "description": "CFS-Turbo file system (Lustre LNet)"} in rules
    cfs = render_raw(tke_config()).one("tencentcloud:Security/groupRuleSet:GroupRuleSet", "network-nodes")
    assert not [r for r in cfs.inputs["ingresses"] if r["port"] == "988"]
