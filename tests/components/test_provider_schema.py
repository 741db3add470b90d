"""The provider argument table of tests/components/provider_schema.py against the installed SDK: every
argument it lists is one the SDK sends, and the SDK lists nothing else but the computed attributes."""

from __future__ import annotations

import inspect

import tencentcloud_iac_pulumi as tc
from pydantic.alias_generators import to_camel

from .provider_schema import ADDON, TMP_AGENT, TMP_AGENT_AGENTS, Block

# Through the package, as the components do: importing a submodule by its path first leaves the lazily
# loaded package without its exports (tc.monitor.TmpTkeClusterAgent then fails in later tests).


def _sdk(args_cls) -> set[str]:
    return {to_camel(p) for p in inspect.signature(args_cls.__init__).parameters if p not in ("self", "__self__")}


def _agrees(block: Block, args_cls, sdk_lists_computed: bool) -> None:
    sdk = _sdk(args_cls)
    assert block.arguments <= sdk, f"not in the SDK: {block.arguments - sdk}"
    expected = block.arguments | (block.computed_only if sdk_lists_computed else frozenset())
    assert sdk == expected, f"the SDK has {sdk ^ expected} beyond the table ({block.source})"


def test_addon_table_matches_the_sdk():
    _agrees(ADDON, tc.kubernetes.AddonArgs, sdk_lists_computed=False)


def test_tmp_agent_tables_match_the_sdk():
    _agrees(TMP_AGENT, tc.monitor.TmpTkeClusterAgentArgs, sdk_lists_computed=False)
    # The nested block's computed attributes appear among the SDK's inputs: only the source tells them apart.
    _agrees(TMP_AGENT_AGENTS, tc.monitor.TmpTkeClusterAgentAgentsArgs, sdk_lists_computed=True)
