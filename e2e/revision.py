"""One revision's Pulumi program under the real engine, in an interpreter of its own.

    python e2e/revision.py <spec.json>

e2e/same_urns.py runs it once per revision, with that checkout first on sys.path so two revisions'
packages never mix. The spec (root, program, tools, workdir, stack, runs, out) and the report it
writes are described in e2e/README.md, "URN stability across revisions".
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import traceback
from pathlib import Path

from pulumi import automation as auto

HARNESS = Path(__file__).resolve().parent.parent


def load_engine():
    """e2e/engine.py of the harness, by path (the revision's own `e2e` package may differ or be absent)."""
    spec = importlib.util.spec_from_file_location("tke_llm_harness_engine", HARNESS / "e2e" / "engine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def foreign_modules(root: Path) -> list[str]:
    """Modules loaded from the harness's checkout when the program is another revision's: none is expected
    but this file and the engine module."""
    if root == HARNESS:
        return []
    harness_files = {Path(__file__).resolve(), HARNESS / "e2e" / "engine.py"}
    out = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        p = Path(path).resolve()
        installed = any(p.is_relative_to(Path(prefix).resolve()) for prefix in {sys.prefix, sys.base_prefix})
        if p.is_relative_to(HARNESS) and not p.is_relative_to(root) and p not in harness_files and not installed:
            out.append(f"{name} ({p})")
    return sorted(out)


def main(spec_file: str) -> int:
    spec = json.loads(Path(spec_file).read_text())
    root = Path(spec["root"]).resolve()
    sys.path[0] = str(root)  # instead of this file's directory
    engine_mod = load_engine()

    module_name, fn_name = spec["program"].split(":")
    module = importlib.import_module(module_name)
    program_file = Path(module.__file__).resolve()
    if not program_file.is_relative_to(root):
        raise SystemExit(f"{spec['program']} was imported from {program_file}, not from {root}")
    program = getattr(module, fn_name)

    workdir = Path(spec["workdir"])
    engine = engine_mod.Engine(Path(spec["tools"]), workdir, root=root)
    stack = engine.open(spec["stack"], program)
    report: dict = {"root": str(root), "program": spec["program"], "program_file": str(program_file), "runs": []}
    for item in spec["runs"]:
        steps = engine_mod.Steps()
        run: dict = {"label": item["label"], "verb": item["verb"], "kwargs": item.get("kwargs", {})}
        with open(workdir / f"{item['label']}.log", "w") as log:
            try:
                result, _ = engine_mod.run(stack, item["verb"], steps, on_output=log.write, **run["kwargs"])
                if hasattr(result, "change_summary"):  # preview
                    run["result"], summary = "succeeded", result.change_summary
                else:
                    run["result"], summary = result.summary.result, result.summary.resource_changes
                run["summary"] = {getattr(k, "value", k): v for k, v in (summary or {}).items()}
            except auto.CommandError as err:  # e.g. --expect-no-changes with changes: the steps seen are kept
                run["result"] = "failed"
                run["error"] = str(err)[-6000:]
                run["summary"] = dict(steps.count())
        run["ops"] = steps.ops
        run["diffs"] = {urn: d for urn, d in steps.diffs.items() if d}
        run["replaces"] = {urn: k for urn, k in steps.replaces.items() if k}
        run["diagnostics"] = steps.diagnostics
        report["runs"].append(run)
    deployment = stack.export_stack().deployment or {}
    report["state_urns"] = sorted(r["urn"] for r in deployment.get("resources", []))
    report["foreign_modules"] = foreign_modules(root)
    Path(spec["out"]).write_text(json.dumps(report, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1]))
    except Exception:
        traceback.print_exc()
        sys.exit(1)
