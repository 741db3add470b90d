"""Argument facts of the Tencent Cloud resources whose inputs tests/components checks, read from the
provider's source at the version the SDK bridges (tencentcloud-iac-pulumi 0.2.3 = terraform-provider-
tencentcloud v1.82.42). Wire (camelCase) names. The SDK cannot tell an argument from a computed-only
attribute of a nested block (it lists both as inputs), hence this table; test_provider_schema.py keeps
it in step with the installed SDK."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    source: str
    required: frozenset[str]
    optional: frozenset[str]
    computed_only: frozenset[str] = frozenset()
    """Attributes the provider sets (`Computed` without `Optional`): never inputs."""

    @property
    def arguments(self) -> frozenset[str]:
        return self.required | self.optional


ADDON = Block(
    "tencentcloud/services/tke/resource_tc_kubernetes_addon.go v1.82.42 L34-72",
    required=frozenset({"clusterId", "addonName"}),
    optional=frozenset({"addonVersion", "rawValues"}),
    computed_only=frozenset({"phase", "reason"}),
)
TMP_AGENT = Block(
    "tencentcloud/services/tmp/resource_tc_monitor_tmp_tke_cluster_agent.go v1.82.42 L25-38",
    required=frozenset({"instanceId", "agents"}),
    optional=frozenset(),
)
TMP_AGENT_AGENTS = Block(
    "tencentcloud/services/tmp/resource_tc_monitor_tmp_tke_cluster_agent.go v1.82.42 L33-162 (agents; "
    "cluster_name L153-157 and status L158-162 are Computed only)",
    required=frozenset({"region", "clusterType", "clusterId", "enableExternal"}),
    optional=frozenset({"inClusterPodConfig", "externalLabels", "notInstallBasicScrape", "notScrape",
                        "openDefaultRecord"}),
    computed_only=frozenset({"clusterName", "status"}),
)


def misfits(block: Block, inputs: dict) -> list[str]:
    """What is wrong with a resource's (or block's) inputs against the provider's arguments."""
    sent = set(inputs) - {"__defaults"}
    return ([f"{k}: computed by the provider, not an input ({block.source})" for k in sorted(sent & block.computed_only)]
            + [f"{k}: not an argument ({block.source})" for k in sorted(sent - block.arguments - block.computed_only)]
            + [f"{k}: required, missing ({block.source})" for k in sorted(block.required - sent)])
