"""`python -m preview <stack> [--out DIR]`: render a stack offline and write the plan.

Exit codes: 0 rendered; 2 the stack config is invalid (every problem listed); 1 anything else, with
the traceback, so a failure in the program can never look like success.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from checks import load
from config import ConfigError
from preview.diff import diff_plans, load_plan, write_outputs
from preview.runner import render
from preview.stackfile import ROOT, StackFileError, read
from preview.summary import resource_counts
from preview.writers import write


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m preview", description=__doc__.splitlines()[0])
    ap.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    ap.add_argument("--out", default="build/plan", type=Path, help="output directory (default build/plan)")
    ap.add_argument("--quiet", action="store_true", help="do not print the summary")
    ap.add_argument("--stack-dir", type=Path, default=ROOT, help="directory of the Pulumi.<stack>.yaml files")
    ap.add_argument("--diff-against", type=Path, metavar="DIR",
                    help="compare with an earlier plan in DIR/<stack>/ (e.g. the base branch's) and print the diff")
    ap.add_argument("--markdown", type=Path, metavar="FILE", help="with --diff-against: write the diff as a PR comment body")
    args = ap.parse_args(argv)
    if args.markdown and not args.diff_against:
        ap.error("--markdown needs --diff-against")
    started = time.perf_counter()
    try:
        raw, secrets = read(args.stack, args.stack_dir)
        cfg, report = load(raw, secrets)
    except StackFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except ConfigError as err:
        print(f"Pulumi.{args.stack}.yaml has {len(err.issues)} config error(s):", file=sys.stderr)
        for issue in err.issues:
            print(f"  {issue}", file=sys.stderr)
        return 2
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)

    try:  # the program itself refuses what only its rendering shows (program/uniqueness.py)
        plan = render(cfg, args.stack, raw, secrets, report)
    except ConfigError as err:
        print(f"Pulumi.{args.stack}.yaml has {len(err.issues)} config error(s):", file=sys.stderr)
        for issue in err.issues:
            print(f"  {issue}", file=sys.stderr)
        return 2
    if args.diff_against:  # read the base first: it may be the directory the new plan is written to
        base = load_plan(args.diff_against, args.stack)
    target = write(plan, args.out)
    if not args.quiet:
        print((target / "summary.md").read_text())
    print(f"plan written to {target}/ ({resource_counts(plan)}; {time.perf_counter() - started:.2f}s)")
    if args.diff_against:
        if base is None:
            print(f"note: no plan for {args.stack} in {args.diff_against}: diffing against an empty plan", file=sys.stderr)
        print()
        write_outputs(diff_plans(args.stack, base, load_plan(args.out, args.stack)), args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
