"""The security group a CLB exposure is restricted by: `exposure.<api|webui>.allowedCidrs` on the
listener's port, bound to the CLB by TKE's security-groups annotation (render/exposure.py).

Only ACCEPT rules: a CLB may carry several groups (the stack's and `securityGroupIds`) matched in
order, so a DROP here would shadow the next group's rules; what no group admits is refused, as in any
group ("If a security group has no rules, it will reject all traffic by default", Tencent Cloud
"Security Group", intl.cloud.tencent.com/document/product/213/18197). See docs/gateway.md."""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from components.base import Component


class ClbSecurityGroup(Component):
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, *, group_name: str, cidrs: list[str], port: int, endpoint: str,
                 tags: dict[str, str], after: list[pulumi.Resource] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        """`after`: the cluster, so `pulumi destroy` removes the group only once the cluster (and the CLBs
        TKE made for it) is gone; a group still bound to a CLB cannot be deleted."""
        super().__init__("tke-llm:cloud:ClbSecurityGroup", name, opts)
        child = self.cloud_child(depends_on=after or [])
        sg = tc.security.Group(name, name=group_name, description=f"tke-llm {endpoint} CLB clients",
                               tags=tags, opts=child)
        rules = tc.security.GroupRuleSet(name, security_group_id=sg.id, ingresses=ingress_rules(cidrs, port, endpoint),
                                         opts=child)
        # The id as the rule set reports it: whoever binds the group waits for its rules, so the CLB never
        # carries the empty group (which refuses every client).
        self.security_group_id = rules.security_group_id
        self.register_outputs({"securityGroupId": sg.id})


def ingress_rules(cidrs: list[str], port: int, endpoint: str) -> list[dict[str, str]]:
    """One ACCEPT per client range on the listener's TCP port (the provider's GroupRuleSet ingress block)."""
    return [{"action": "ACCEPT", "cidr_block": c, "protocol": "TCP", "port": str(port),
             "description": f"{endpoint} clients (allowedCidrs)"} for c in cidrs]
