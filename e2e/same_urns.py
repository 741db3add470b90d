"""URN stability across revisions: an earlier revision's program brings a stack up, this checkout's previews it.

    python -m e2e.same_urns <base-rev> [--stack byo]

Both run against one state and one local cluster, each revision in its own interpreter
(e2e/revision.py). Exit 0 only when this checkout's `pulumi preview --expect-no-changes` has no changes
and both register the same URNs; the report goes to <dir>/report.json. More: e2e/README.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .cluster import LocalCluster
from .engine import Engine
from .toolchain import tools_dir
from .local_stack import local_stack

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "revision.py"
UNCHANGED = {"same", "read"}


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def program_of(root: Path) -> str:
    """`module:program` as the revision's __main__.py imports it (`from stacks.program import program`
    before the restructure, `from program.entry import program` after)."""
    for node in ast.walk(ast.parse((root / "__main__.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and any(a.name == "program" for a in node.names):
            return f"{node.module}:program"
    raise SystemExit(f"{root / '__main__.py'} imports no `program`")


@contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """`rev` in a temporary detached worktree, removed (with its git metadata) afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="tke-llm-same-urns-"))
    path = parent / "base"
    git("worktree", "add", "--detach", str(path), rev)
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)
        git("worktree", "prune")


def run_revision(root: Path, tools: Path, engine: Engine, stack: str, label: str,
                 runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The runs of one revision's program in a child interpreter (e2e/revision.py); its report."""
    spec = {"root": str(root), "program": program_of(root), "tools": str(tools), "workdir": str(engine.dir),
            "stack": stack, "runs": runs, "out": str(engine.dir / f"{label}.report.json")}
    spec_file = engine.dir / f"{label}.spec.json"
    spec_file.write_text(json.dumps(spec, indent=1))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(CHILD), str(spec_file)], cwd=root, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{label} ({spec['program']} in {root}) failed:\n{proc.stderr[-4000:]}")
    report = json.loads(Path(spec["out"]).read_text())
    if report["foreign_modules"]:
        raise RuntimeError(f"{label} loaded modules of this checkout: {report['foreign_modules']}")
    return report


def registered(run: dict[str, Any]) -> set[str]:
    """The URNs a run's program registered: every step but the deletes of what it no longer declares."""
    return {urn for urn, op in run["ops"].items() if op != "delete"}


def changes(run: dict[str, Any]) -> dict[str, str]:
    return {urn: op for urn, op in run["ops"].items() if op not in UNCHANGED}


def describe(run: dict[str, Any]) -> str:
    counts = run.get("summary") or {}
    text = ", ".join(f"{op} {n}" for op, n in sorted(counts.items()))
    return f"{run['result']} ({text})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m e2e.same_urns", description=__doc__.splitlines()[0])
    ap.add_argument("base", help="the revision whose program brings the stack up first (e.g. 4ad5c89)")
    ap.add_argument("--stack", default="byo")
    ap.add_argument("--dir", type=Path, default=ROOT / "build" / "same-urns")
    args = ap.parse_args(argv)

    base_sha = git("rev-parse", "--verify", f"{args.base}^{{commit}}")
    head_sha = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    head_label = f"{head_sha[:7]}{' + uncommitted changes' if dirty else ''}"
    if args.dir.exists():
        shutil.rmtree(args.dir)
    tools = tools_dir()
    started = time.perf_counter()
    with checkout(base_sha) as base_root:
        cluster = LocalCluster(tools, args.dir / "cluster", lws=True)
        cluster.start()
        try:
            local = local_stack(args.stack, cluster.kubeconfig)
            cluster.prepare(local.config, local.storage_classes, local.stack)
            engine = Engine(tools, args.dir / "engine")
            engine.write_config(args.stack, local.config)
            if local.secrets:
                engine.encrypt(engine.open(args.stack, lambda: None), local.config, local.secrets)
            base = run_revision(base_root, tools, engine, args.stack, "base", [
                {"label": "base-up", "verb": "up"},
                {"label": "base-preview", "verb": "preview", "kwargs": {"expect_no_changes": True, "diff": True}}])
            head = run_revision(ROOT, tools, engine, args.stack, "head", [
                {"label": "head-preview", "verb": "preview", "kwargs": {"expect_no_changes": True, "diff": True}}])
        finally:
            cluster.stop()
    elapsed = time.perf_counter() - started

    up, control = base["runs"]
    (preview,) = head["runs"]
    base_urns, head_urns = registered(up), registered(preview)
    state = set(base["state_urns"])
    head_changes = changes(preview)
    same = base_urns == head_urns
    ok = up["result"] == "succeeded" and preview["result"] == "succeeded" and not head_changes and same

    print(f"same_urns {args.stack}: base {base_sha[:7]} ({base['program']}) -> head {head_label} "
          f"({head['program']}), {elapsed:.0f} s")
    print(f"  base pulumi up: {describe(up)}; {len(state)} URNs in the state")
    print(f"  base pulumi preview --expect-no-changes (control): "
          f"{'no changes' if not changes(control) and control['result'] == 'succeeded' else describe(control)}")
    print(f"  head pulumi preview --expect-no-changes: "
          f"{'no changes' if not head_changes and preview['result'] == 'succeeded' else describe(preview)}")
    print(f"  URNs: base {len(base_urns)}, head {len(head_urns)}: {'equal' if same else 'DIFFERENT'}")
    if state != base_urns:
        print(f"  note: the state holds {len(state)} URNs, the base up registered {len(base_urns)}")
    for title, urns in (("only in base", base_urns - head_urns), ("only in head", head_urns - base_urns)):
        for urn in sorted(urns):
            print(f"    {title}: {urn}")
    for urn, op in sorted(head_changes.items()):
        detail = preview["replaces"].get(urn) or preview["diffs"].get(urn) or []
        print(f"    head {op}: {urn} {detail if detail else ''}".rstrip())
    if preview.get("error") and not head_changes:
        print(f"    head preview error: {preview['error'][-2000:]}")
    for diag in preview["diagnostics"]:
        if diag.startswith("error"):
            print(f"    {diag[:500]}")
    verdict = [f"{len(head_changes)} changes" if head_changes else "no changes",
               f"{len(head_urns)} URNs equal" if same else
               f"URNs differ ({len(base_urns - head_urns)} only in base, {len(head_urns - base_urns)} only in head)"]
    print(f"  {'OK' if ok else 'FAILED'}: {', '.join(verdict)}")

    (args.dir / "report.json").write_text(json.dumps({
        "stack": args.stack, "base": base_sha, "head": head_sha, "head_dirty": dirty, "ok": ok,
        "base_urns": sorted(base_urns), "head_urns": sorted(head_urns), "state_urns": sorted(state),
        "base_up": up, "base_control": control, "head_preview": preview}, indent=1, sort_keys=True))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
