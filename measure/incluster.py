"""`--in-cluster`: the same benchmark as a Job (render/benchmark.py) in a namespace the gateway admits
(`gateway.clientNamespaces`, as an app), against `apiBaseUrlInCluster` with the app key; the result is
read back from the pod's log through the Kubernetes API and written as the same report."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from config import StackConfig
from derive.placement import cpu_placement
from measure import aiperf, report
from measure.expected import Expected
from measure.kube import Kube, KubeError
from measure.outputs import StackOutputs
from measure.sweep import Profile, Settings, profile_args, profiles
from render import benchmark
from render.meta import image as mirrored
from render.model_cache import PYTHON_IMAGE

ROOT = Path(__file__).resolve().parents[1]
POLL_SECONDS = 10
MARGIN_SECONDS = 600
"""Waited past the Job's own deadline (pulling the image, scheduling) before giving up on it."""


class InClusterError(Exception):
    pass


def job_spec(cfg: StackConfig, outs: StackOutputs, served: str, plan: list[Profile], s: Settings,
             namespace: str, timeout: float) -> benchmark.BenchmarkJobSpec:
    """One Job per model, on the CPU pool (the download Job's placement), image through the stack's mirror."""
    runs = tuple(benchmark.BenchmarkRun(p.name, tuple(profile_args(served, outs.api_base_url_in_cluster, p, s)),
                                        p.concurrencies) for p in plan)
    return benchmark.BenchmarkJobSpec(
        name=f"measure-{report.slug(served).lower().replace('.', '-').replace('_', '-')}"[:52].rstrip("-"),
        namespace=namespace, image=mirrored(PYTHON_IMAGE, cfg.image_registry),
        requirements=(ROOT / "requirements-measure.txt").read_text(),
        tokenizer_script=(ROOT / "measure" / "tokenizer.py").read_text(), runs=runs,
        pip_index_url=cfg.model_cache.pip_index_url,
        placement=cpu_placement(cfg), deadline_seconds=int(timeout) * max(len(runs), 1))


def parse_log(log: str) -> dict[str, dict[int, dict[str, Any]]]:
    """The marker lines (render/benchmark.py MARKER) by profile and concurrency; other lines are progress."""
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for line in log.splitlines():
        if line.startswith(benchmark.MARKER):
            item = json.loads(line[len(benchmark.MARKER):])
            out.setdefault(item["profile"], {})[int(item["concurrency"])] = item["export"]
    return out


def steps_from_log(log: str, plan: list[Profile]) -> list[tuple[Profile, list[aiperf.Step]]]:
    found = parse_log(log)
    runs = []
    for p in plan:
        missing = [c for c in p.concurrencies if c not in found.get(p.name, {})]
        if missing:
            raise InClusterError(f"the Job's log has no result for {p.name} at concurrency {missing}")
        runs.append((p, [aiperf.step(found[p.name][c], c) for c in p.concurrencies]))
    return runs


def namespace_for(cfg: StackConfig, chosen: str | None) -> str:
    if chosen:
        return chosen
    if cfg.gateway.enabled and cfg.gateway.client_namespaces:
        return cfg.gateway.client_namespaces[0]
    raise InClusterError("no namespace the API admits: set gateway.clientNamespaces (the apps' namespace) or "
                         "pass --namespace")


def read_log(kube: Kube, spec: benchmark.BenchmarkJobSpec) -> str | None:
    """The Job's pod's log, or None while there is no started pod."""
    ns = spec.namespace
    pods = kube.request("GET", f"/api/v1/namespaces/{ns}/pods?labelSelector=job-name%3D{spec.name}")["items"]
    if not pods or pods[0].get("status", {}).get("phase") not in ("Running", "Succeeded", "Failed"):
        return None
    return kube.request("GET", f"/api/v1/namespaces/{ns}/pods/{pods[0]['metadata']['name']}/log", raw=True)


def wait_and_read(kube: Kube, spec: benchmark.BenchmarkJobSpec, progress: TextIO | None) -> str:
    """Poll the Job until it completes or fails (bounded by its deadline plus a margin), printing new log
    lines while it runs (a log not readable yet is retried); then read the whole log once more."""
    ns, name, shown = spec.namespace, spec.name, 0
    deadline = time.monotonic() + spec.deadline_seconds + MARGIN_SECONDS
    while time.monotonic() < deadline:
        status = kube.request("GET", f"/apis/batch/v1/namespaces/{ns}/jobs/{name}").get("status", {})
        done = status.get("succeeded") or status.get("failed")
        try:
            log = read_log(kube, spec)
        except KubeError as err:
            if done:
                raise InClusterError(f"Job {ns}/{name} finished, but its pod's log could not be read: {err}") from None
            log = None
        if log is not None and progress is not None:
            new = [ln for ln in log.splitlines()[shown:] if not ln.startswith(benchmark.MARKER)]
            progress.write("".join(f"{ln}\n" for ln in new))
            progress.flush()
            shown = len(log.splitlines())
        if status.get("succeeded"):
            return log or ""
        if status.get("failed"):
            tail = "\n".join((log or "").splitlines()[-30:])
            raise InClusterError(f"Job {ns}/{name} failed:\n{tail}")
        time.sleep(POLL_SECONDS)
    raise InClusterError(f"Job {ns}/{name} did not finish within {spec.deadline_seconds + MARGIN_SECONDS} s")


def main(stack: str, cfg: StackConfig, outs: StackOutputs, expected: dict[str, Expected], models: list[str],
         s: Settings, out: Path, timeout: float, namespace: str | None = None,
         progress: TextIO | None = sys.stdout) -> int:
    kubeconfig = outs.kubeconfig or _kubeconfig_file()
    if kubeconfig is None:
        print("error: no kubeconfig: the stack has no `kubeconfig` output (an existing cluster): set KUBECONFIG",
              file=sys.stderr)
        return 2
    try:
        ns = namespace_for(cfg, namespace)
        kube = Kube(kubeconfig)
        results = []
        for i, served in enumerate(models, 1):
            exp = expected.get(served)
            plan = profiles(exp, s)
            spec = job_spec(cfg, outs, served, plan, s, ns, timeout)
            print(f"[{i}/{len(models)}] {served}: Job {ns}/{spec.name}", flush=True)
            secret = benchmark.key_secret(spec, outs.api_key)
            try:
                for obj in (secret, benchmark.files(spec), benchmark.job(spec)):
                    kube.replace(obj)
                log = wait_and_read(kube, spec, progress)
            finally:
                kube.delete(secret)  # the key does not outlive the run
            (out / "incluster").mkdir(parents=True, exist_ok=True)
            (out / "incluster" / f"{spec.name}.log").write_text(log)
            result = report.ModelResult(served, exp)
            try:
                result.runs.extend(steps_from_log(log, plan))
            except InClusterError as err:
                raise InClusterError(f"Job {ns}/{spec.name}: {err}") from None
            results.append(result)
        data = report.as_json(stack, outs.api_base_url_in_cluster, {"name": "aiperf", "version": _pinned()},
                              {**vars(s), "inCluster": True, "namespace": ns}, results)
        path = report.write(out, data)
    except (InClusterError, KubeError, aiperf.BenchmarkError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {path} (and report.json, plots)")
    return 1 if report.failed(data) else 0


def _kubeconfig_file() -> str | None:
    path = Path(os.environ.get("KUBECONFIG", Path.home() / ".kube" / "config")).expanduser()
    return path.read_text() if path.is_file() else None


def _pinned() -> str:
    """The AIPerf version the Job installs: the pin in requirements-measure.txt."""
    for line in (ROOT / "requirements-measure.txt").read_text().splitlines():
        if line.startswith("aiperf=="):
            return line.split("==", 1)[1]
    return "unknown"
