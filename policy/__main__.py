"""The tke-llm CrossGuard policy pack: `pulumi preview --policy-pack policy` (from the repository root).

The pack runs in its own virtualenv (`../.venv-policy`, created by `make policy-venv`): pulumi-policy pins
protobuf 5.x, the program's virtualenv has protobuf 6. Every policy is mandatory; an organisation can
lower one with `--policy-pack-config`, e.g. `{"no-plain-secrets": "advisory"}`.
"""

from pulumi_policy import PolicyPack

from tke_llm_pack import PACK_NAME, policies

PolicyPack(name=PACK_NAME, policies=policies())
