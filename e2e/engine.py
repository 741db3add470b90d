"""The real Pulumi engine, driven through the Automation API with the program as an inline program.

The CLI and provider are the ones e2e/tools/build.sh builds; the Python language host is not served as
a Go module, so the program runs in-process (the SDK's own language server): same engine, providers,
state and secrets as `pulumi up`. Nothing is downloaded (no update check, no plugin acquisition).
Imports nothing of the program at module level: e2e/revision.py loads it beside another revision's.
Details: e2e/README.md.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml
from pulumi import automation as auto

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "tke-llm-local"  # the local state's passphrase: a throwaway state on a throwaway cluster


@dataclass
class Steps:
    """What the engine planned or did, per resource URN: same, create, update, replace, delete, ..."""

    ops: dict[str, str] = field(default_factory=dict)
    diffs: dict[str, list[str]] = field(default_factory=dict)
    replaces: dict[str, list[str]] = field(default_factory=dict)
    diagnostics: list[str] = field(default_factory=list)

    def on_event(self, event: auto.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None:
            md = pre.metadata
            op = md.op.value if hasattr(md.op, "value") else str(md.op)
            # A replacement is a sequence of steps (create-replacement, replace, delete-replaced): keep
            # the one that names it.
            if md.urn not in self.ops or op in ("replace", "create-replacement"):
                self.ops[md.urn] = "replace" if op in ("create-replacement", "delete-replaced") else op
            self.diffs[md.urn] = list(md.diffs or [])
            self.replaces[md.urn] = list(md.keys or []) if self.ops[md.urn] == "replace" else []
        diag = event.diagnostic_event
        if diag is not None and diag.severity in ("error", "warning"):
            self.diagnostics.append(f"{diag.severity}: {diag.urn or ''}: {diag.message.strip()}")

    def by_name(self) -> dict[str, str]:
        """URN -> op keyed by `<type>::<name>` (the last two URN parts), which is what tests compare."""
        return {urn.split("::", 2)[2]: op for urn, op in self.ops.items()}

    def changed(self) -> dict[str, str]:
        return {k: v for k, v in self.by_name().items() if v not in ("same", "read")}

    def count(self) -> Counter[str]:
        return Counter(self.ops.values())


class Engine:
    """One project directory, state backend and PULUMI_HOME per test run. `root` is the checkout whose
    modules the program and the dynamic-provider host import (this one unless another revision's)."""

    def __init__(self, tools: Path, workdir: Path, root: Path = ROOT):
        self.tools = tools
        self.dir = workdir
        self.project = workdir / "project"
        (workdir / "state").mkdir(parents=True, exist_ok=True)
        (workdir / "home").mkdir(parents=True, exist_ok=True)
        self.project.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "Pulumi.yaml", self.project / "Pulumi.yaml")
        self.env = {
            "PATH": f"{tools / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_HOME": str(workdir / "home"),
            "PULUMI_BACKEND_URL": f"file://{workdir / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
            # The dynamic-provider host (components/generated_secret.py) runs with this interpreter and
            # imports the program's modules from the repository.
            "PULUMI_PYTHON_CMD": sys.executable,
            "PYTHONPATH": str(root),
        }

    def stack(self, name: str, config: dict[str, Any], secrets: Iterable[str] = ()) -> auto.Stack:
        """`config` is the stack file's `config:` mapping (keys with their project prefix); the keys in
        `secrets` are stored encrypted (`pulumi config set --secret`)."""
        self.write_config(name, config)
        from program.entry import program  # deferred: e2e/revision.py loads this module with another revision's program

        st = self.open(name, program)
        self.encrypt(st, config, secrets)
        return st

    @staticmethod
    def encrypt(stack: auto.Stack, config: dict[str, Any], secrets: Iterable[str]) -> None:
        """Store the `secrets` keys of `config` encrypted with the local passphrase, as the stack file
        stores them with its own secrets provider."""
        values = {key: auto.ConfigValue(str(config[key]), secret=True) for key in secrets}
        if values:
            stack.set_all_config(values)

    def open(self, name: str, program: Callable[[], None]) -> auto.Stack:
        """The stack with the config already written, running `program` inline."""
        ws = auto.LocalWorkspaceOptions(
            work_dir=str(self.project), pulumi_home=self.env["PULUMI_HOME"], env_vars=self.env,
            pulumi_command=auto.PulumiCommand(root=str(self.tools), skip_version_check=True),
            secrets_provider="passphrase")
        return auto.create_or_select_stack(stack_name=name, project_name="tke-llm", program=program, opts=ws)

    def write_config(self, name: str, config: dict[str, Any]) -> None:
        path = self.project / f"Pulumi.{name}.yaml"
        doc = yaml.safe_load(path.read_text()) if path.exists() else {}
        doc = doc or {}
        doc["config"] = config
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

    def state_file(self, stack: str) -> Path:
        return self.dir / "state" / ".pulumi" / "stacks" / "tke-llm" / f"{stack}.json"


def run(stack: auto.Stack, verb: str, steps: Steps | None = None, **kwargs: Any) -> tuple[Any, Steps]:
    """Run up / preview / destroy, collecting the engine's steps and diagnostics (into `steps` when given:
    it keeps those seen before a failure)."""
    steps = Steps() if steps is None else steps
    fn = getattr(stack, verb)
    result = fn(on_event=steps.on_event, color="never", **kwargs)
    return result, steps
