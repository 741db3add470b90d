"""`python -m measure <stack>` (`make measure STACK=<stack>`): read the stack's outputs, benchmark every
served model through the API with the app key, write build/measure/<stack>/. Exit 2: the stack file or the
outputs cannot be used (the keyed error); 1: the benchmark failed or requests failed; 0: measured."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config import ConfigError
from measure import aiperf, incluster, report
from measure.expected import from_stack
from measure.outputs import OutputsError, StackOutputs, from_file, from_pulumi
from measure.sweep import Settings, profiles
from preview.stackfile import ROOT, StackFileError


def _ints(text: str) -> tuple[int, ...]:
    values = tuple(int(v) for v in text.split(",") if v.strip())
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: a comma-separated list of positive integers")
    return tuple(sorted(set(values)))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m measure", description=__doc__.splitlines()[0])
    p.add_argument("stack")
    p.add_argument("--stack-dir", type=Path, default=ROOT, help="where Pulumi.<stack>.yaml (and Pulumi.yaml) are")
    p.add_argument("--outputs", type=Path, help="a file with what `pulumi stack output --json --show-secrets` "
                   "printed, instead of running the Pulumi CLI")
    p.add_argument("--base-url", help="call this URL instead of apiBaseUrl (e.g. a port-forward: "
                   "http://127.0.0.1:4000/v1)")
    p.add_argument("--in-cluster", action="store_true", help="run the benchmark as a Job in the stack's "
                   "namespace against apiBaseUrlInCluster and read its result back (private endpoints)")
    p.add_argument("--namespace", help="--in-cluster: the Job's namespace (default: the first of "
                   "gateway.clientNamespaces, which the gateway admits)")
    p.add_argument("--out", type=Path, help="default: build/measure/<stack>")
    p.add_argument("--models", help="comma-separated served names (default: every one in `models`)")
    d = Settings()
    p.add_argument("--concurrency", type=_ints, default=d.concurrencies, help="the sweep, e.g. 1,2,4,8")
    p.add_argument("--requests", type=int, default=d.requests, help="requests per concurrency step")
    p.add_argument("--input-tokens", type=int, default=d.input_tokens)
    p.add_argument("--output-tokens", type=int, default=d.output_tokens)
    p.add_argument("--prefix-tokens", type=int, default=d.prefix_tokens, help="the shared system prompt")
    p.add_argument("--long-input-tokens", type=int, help="default: 3/4 of the model's max length, at most 32768")
    p.add_argument("--long-output-tokens", type=int, default=d.long_output_tokens)
    p.add_argument("--tokenizer", type=Path, help="a tokenizer directory (e.g. the model's own, with "
                   "tokenizer.json) instead of the one made locally; shapes the prompts' lengths only")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per profile before AIPerf is stopped")
    p.add_argument("--quiet", action="store_true", help="AIPerf's progress to its log file only")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    s = Settings(concurrencies=args.concurrency, requests=args.requests, input_tokens=args.input_tokens,
                 output_tokens=args.output_tokens, prefix_tokens=args.prefix_tokens,
                 long_input_tokens=args.long_input_tokens, long_output_tokens=args.long_output_tokens)
    try:
        cfg, expected = from_stack(args.stack, args.stack_dir)
        outs: StackOutputs = from_file(args.outputs) if args.outputs else from_pulumi(args.stack, args.stack_dir)
    except (ConfigError, StackFileError, OutputsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    models = [m for m in outs.models if not args.models or m in args.models.split(",")]
    if not models:
        print(f"error: none of --models {args.models} is served (models: {', '.join(outs.models)})", file=sys.stderr)
        return 2
    out = args.out or ROOT / "build" / "measure" / args.stack
    if args.in_cluster:
        return incluster.main(args.stack, cfg, outs, expected, models, s, out, args.timeout, args.namespace,
                              progress=None if args.quiet else sys.stdout)
    url = args.base_url or outs.api_base_url
    if outs.in_cluster_only and not args.base_url:
        print(f"error: apiBaseUrl {outs.api_base_url} is reachable only inside the cluster: use --in-cluster, or "
              "port-forward the gateway and pass --base-url http://127.0.0.1:4000/v1", file=sys.stderr)
        return 2
    try:
        tok = args.tokenizer.resolve() if args.tokenizer else aiperf.tokenizer(out)
        results = []
        for i, served in enumerate(models, 1):
            result = report.ModelResult(served, expected.get(served))
            for prof in profiles(result.expected, s):
                print(f"[{i}/{len(models)}] {served}: {prof.name}, {prof.input_tokens} input tokens, concurrency "
                      f"{','.join(map(str, prof.concurrencies))}", flush=True)
                steps = aiperf.run(served, url, outs.api_key, tok, prof, s, out / "aiperf" / report.slug(served)
                                   / prof.name, progress=None if args.quiet else sys.stdout, timeout=args.timeout)
                result.runs.append((prof, steps))
            results.append(result)
        data = report.as_json(args.stack, url, {"name": "aiperf", "version": aiperf.version()},
                              {k: v for k, v in vars(s).items()}, results)
        path = report.write(out, data)
    except aiperf.BenchmarkError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path} (and report.json, plots)")
    return 1 if report.failed(data) else 0


if __name__ == "__main__":
    sys.exit(main())
