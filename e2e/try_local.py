"""Try a stack without a cloud: a local control plane with fake nodes shaped like the stack's node pools,
then `pulumi up` of the stack on it with the real engine and providers; Ctrl-C or SIGTERM destroys it.

    python -m e2e.try_local byo [--once] [--stack-dir DIR]

The stack is checked first. Exit 2: its keyed errors, before anything starts; 0 up and destroyed; 1 a
failed up or destroy; 130 interrupted before the up ended (what it created is destroyed). e2e/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from pulumi.automation import errors

from config import ConfigError
from preview.stackfile import StackFileError

from .cluster import LocalCluster
from .engine import Engine, Steps, run
from .local_stack import ROOT, LocalStack, local_stack
from .toolchain import tools_dir

READY = "Ctrl-C or SIGTERM destroys the stack and stops the cluster."
"""Printed once the up is done and try-local waits (tests wait for this line)."""


class Interrupts:
    """SIGINT and SIGTERM end a run the same way, whenever they come. While the cluster starts they raise
    KeyboardInterrupt (it stops what it started). During the up they mark the run as interrupted: Ctrl-C
    in a terminal reached the Pulumi CLI too, and SIGTERM is passed on to it as SIGINT, so it finishes
    the operations in flight and stops. Then, as after the wait, the stack is destroyed and the cluster
    stopped; a further signal does not cut that short."""

    NOTES = {"up": "pulumi up stops after the operations in flight, then the stack is destroyed",
             "wait": "destroying the stack", "destroy": "the destroy goes on, then the cluster stops",
             "stop": "the cluster is stopping"}

    def __init__(self) -> None:
        self.received: int | None = None
        self.phase: str | None = None
        """`up`, `wait`, `destroy` or `stop` (a signal then does not raise); None while starting."""
        self.cluster_pids: set[int] = set()

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._handle)
        signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, _frame: Any) -> None:
        self.received = signum
        name = signal.Signals(signum).name
        if self.phase is None:
            raise KeyboardInterrupt(name)
        print(f"\n{name}: {self.NOTES[self.phase]}", file=sys.stderr, flush=True)
        if signum != signal.SIGINT and self.phase == "up":
            for pid in _cli_children(self.cluster_pids):
                os.kill(pid, signal.SIGINT)

    def wait(self) -> None:
        """Until a signal comes."""
        self.phase = "wait"
        while self.received is None:
            time.sleep(0.2)


def _cli_children(exclude: set[int]) -> list[int]:
    """The Pulumi CLI processes this process started (not the cluster's)."""
    me, out = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        try:
            stat = (entry / "stat").read_text()
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == me and comm.startswith("pulumi"):
            out.append(int(entry.name))
    return out


def print_error(stack: str, err: Exception) -> None:
    if isinstance(err, ConfigError):
        print(f"Pulumi.{stack}.yaml has {len(err.issues)} config error(s):", file=sys.stderr)
        for issue in err.issues:
            print(f"  {issue}", file=sys.stderr)
    else:
        print(f"error: {err}", file=sys.stderr)


def bring_up(cluster: LocalCluster, local: LocalStack, engine: Engine, stop: Interrupts | None = None,
             on_output=None) -> tuple[Any, Any, Any]:
    """Shape `cluster` for the stack and run `pulumi up` of its local config: (stack, up result or the
    engine's error, steps). The real-engine tests run this same path."""
    cluster.prepare(local.config, local.storage_classes, local.stack)
    st = engine.stack(local.name, local.config, local.secrets)
    return (st, *_engine(st, "up", stop, on_output))


def _engine(st: Any, verb: str, stop: Interrupts | None, on_output, **kwargs: Any) -> tuple[Any, Any]:
    steps = Steps()
    if stop is not None:
        stop.phase = verb
    try:
        result, _ = run(st, verb, steps, on_output=on_output, **kwargs)
        return result, steps
    except errors.CommandError as err:
        return err, steps


def succeeded(result: Any) -> bool:
    return getattr(getattr(result, "summary", None), "result", None) == "succeeded"


def show_pods(cluster: LocalCluster) -> None:
    for pod in sorted(cluster.kube.list("v1", "Pod"), key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])):
        m, s = pod["metadata"], pod["spec"]
        print(f"  {m['namespace']:<16} {m['name']:<48} {pod['status'].get('phase', ''):<10} {s.get('nodeName', '-')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m e2e.try_local", description=__doc__.splitlines()[0])
    ap.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    ap.add_argument("--stack-dir", type=Path, default=ROOT, help="directory of the Pulumi.<stack>.yaml files "
                    "(default: the checkout)")
    ap.add_argument("--dir", type=Path, default=ROOT / "build" / "local",
                    help="work directory: the cluster's files and logs, the local state (emptied first)")
    ap.add_argument("--once", action="store_true", help="destroy and stop right after the up, without waiting")
    args = ap.parse_args(argv)

    stop = Interrupts()
    stop.install()
    try:
        local = local_stack(args.stack, args.dir / "cluster" / "kubeconfig", args.stack_dir)
    except (StackFileError, ConfigError) as err:
        print_error(args.stack, err)
        return 2
    except KeyboardInterrupt:
        return 130
    print(f"try-local {args.stack}: the local cluster stands in for", flush=True)
    for line in local.stands_in_for:
        print(f"  - {line}", flush=True)

    cluster = None
    try:
        if args.dir.exists():
            shutil.rmtree(args.dir)
        cluster = LocalCluster(tools_dir(), args.dir / "cluster", lws=True, keda=local.keda)
        assert cluster.kubeconfig == args.dir / "cluster" / "kubeconfig"
        cluster.start()
        stop.cluster_pids = {p.pid for _, p in cluster.processes.procs}
        print(f"local cluster: KUBECONFIG={cluster.kubeconfig}", flush=True)
        engine = Engine(cluster.tools, args.dir / "engine")
        echo = lambda line: print(line, flush=True)  # noqa: E731
        started = time.perf_counter()
        st, result, _ = bring_up(cluster, local, engine, stop, echo)
        up_ok = succeeded(result)
        print(f"\npulumi up: {'succeeded' if up_ok else 'failed'} in {time.perf_counter() - started:.1f} s",
              flush=True)
        interrupted_up = stop.received is not None
        if not interrupted_up:
            show_pods(cluster)
            if not args.once:
                print(f"\n{READY}", flush=True)
                stop.wait()
        destroyed, _ = _engine(st, "destroy", stop, echo, exclude_protected=True)
        if not succeeded(destroyed):
            print(f"pulumi destroy: failed ({destroyed})", file=sys.stderr, flush=True)
        if interrupted_up:
            return 130
        return 0 if up_ok and succeeded(destroyed) else 1
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the cluster", file=sys.stderr, flush=True)
        return 130
    finally:
        stop.phase = "stop"
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
