"""The option strings `vllm serve` registers, and the variables vllm/envs.py reads, from the pinned
wheel's own source.

vLLM's parser cannot be imported without torch and its model layers (building the defaults of its
config dataclasses registers custom ops), so instead of running it the test reads, with `ast`, exactly
what `make_arg_parser` (vllm/entrypoints/common/cli_args.py) registers at the pinned release (0.34.0):

- every literal option string of an `add_argument(...)` call in vllm/engine/arg_utils.py and
  vllm/entrypoints/common/cli_args.py (EngineArgs.add_cli_args and the serve-only flags such as
  `--headless`);
- the frontend flags, which `BaseFrontendArgs.add_cli_args` derives from the dataclass fields of
  `BaseFrontendArgs` / `FrontendArgs` as `--<field-with-dashes>` (`--host`, `--port`, ...);
- the `--no-<flag>` forms, which `_compute_kwargs` adds (argparse.BooleanOptionalAction) for fields
  typed `bool`: accepted when the EngineArgs / frontend field behind `--<flag>` is annotated `bool`
  (optionally `| None`).

Also returns each `Literal[...]` alias of vllm/config/parallel.py, for the values of choice flags, and
the variables of vllm/envs.py: the keys of its `environment_variables` table (what `envs.<NAME>` can
read) and the defaults its `if TYPE_CHECKING:` block declares.
"""

from __future__ import annotations

import ast
from pathlib import Path

SOURCES = ("vllm/engine/arg_utils.py", "vllm/entrypoints/common/cli_args.py")
FRONTEND_CLASSES = ("BaseFrontendArgs", "FrontendArgs")


def _annotations(tree: ast.Module, classes: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in classes:
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    out[item.target.id] = ast.unparse(item.annotation)
    return out


def _is_bool(annotation: str | None) -> bool:
    if annotation is None:
        return False
    parts = {p.strip() for p in annotation.split("|")}
    return "bool" in parts and parts <= {"bool", "None"}


def options(src: Path) -> set[str]:
    trees = {name: ast.parse((src / name).read_text()) for name in SOURCES}
    found: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("-"):
                        found.add(arg.value)
    frontend = _annotations(trees["vllm/entrypoints/common/cli_args.py"], FRONTEND_CLASSES)
    found |= {"--" + name.replace("_", "-") for name in frontend}
    fields = {**_annotations(trees["vllm/engine/arg_utils.py"], ("EngineArgs",)), **frontend}
    for flag in list(found):
        if flag.startswith("--") and _is_bool(fields.get(flag[2:].replace("-", "_"))):
            found.add("--no-" + flag[2:])
    return found


def literal_choices(src: Path, alias: str, module: str = "vllm/config/parallel.py") -> tuple[str, ...]:
    for node in ast.parse((src / module).read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == alias for t in targets) and node.value is not None:
            return tuple(ast.literal_eval(node.value.slice))  # `X = Literal[...]` or `X: TypeAlias = Literal[...]`
    raise LookupError(f"{alias} not in {module}")


ENVS = "vllm/envs.py"


def env_names(src: Path) -> set[str]:
    """The keys of `environment_variables` in vllm/envs.py: every variable `envs.<NAME>` resolves."""
    for node in ast.parse((src / ENVS).read_text()).body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and target.id == "environment_variables" and isinstance(node.value, ast.Dict):
            return {k.value for k in node.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    raise LookupError(f"environment_variables not in {ENVS}")


def env_default(src: Path, name: str) -> object:
    """The default vllm/envs.py declares for `name` in its `if TYPE_CHECKING:` block."""
    for node in ast.parse((src / ENVS).read_text()).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.target.id == name:
                    return ast.literal_eval(item.value) if item.value is not None else None
    raise LookupError(f"{name} not declared in {ENVS}")
