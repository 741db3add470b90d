"""One TKE add-on through `tencentcloud_kubernetes_addon` (tc.kubernetes.Addon), the only add-on resource:
`tencentcloud_kubernetes_addon_attachment` was deprecated in provider 1.82.1 and removed in 1.82.4
(terraform-provider-tencentcloud CHANGELOG). Inputs and their checks: docs/cloud-resources.md.
"""

from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from derive.addons import AddonSpec

# The provider's add-on timeouts are 3 minutes in v1.82.42 (15 upstream since); CSI add-ons take longer.
ADDON_TIMEOUTS = pulumi.CustomTimeouts(create="15m", update="15m", delete="10m")


def install_addon(resource_name: str, spec: AddonSpec, cluster_id: pulumi.Input[str],
                  opts: pulumi.ResourceOptions) -> tc.kubernetes.Addon:
    """`raw_values` is plain JSON: the provider base64-encodes it itself (resource_tc_kubernetes_addon.go),
    whatever the SDK's docstring says. Servers add default values on read, which v1.82.42 reports as a
    change on every refresh: the values are sent at install and then ignored."""
    return tc.kubernetes.Addon(
        resource_name,
        cluster_id=cluster_id,
        addon_name=spec.name,
        addon_version=spec.version,
        raw_values=spec.raw_values,
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(custom_timeouts=ADDON_TIMEOUTS, ignore_changes=["rawValues"])),
    )
