"""`make try-local` under the real engine: every pool kind's fake nodes take its models' pods (normal,
native, super, attached in one TKE stack; existing through the command itself), a three-node model gets
three nodes, and SIGTERM destroys the stack and stops every process the command started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from e2e.cluster import SUPER_NODE_LABELS, LocalCluster
from e2e.engine import Engine
from e2e.kube import Kube
from e2e.local_stack import local_stack
from e2e.try_local import READY, bring_up, succeeded

pytestmark = pytest.mark.real_engine

STACKS = Path(__file__).parent / "stacks"
ROOT = Path(__file__).resolve().parents[2]
LWS_NAME = "leaderworkerset.sigs.k8s.io/name"


def server_pods(kube: Kube, ns: str, model: str) -> list[dict]:
    """The model's server pods (not its download Job's)."""
    return [p for p in kube.list("v1", "Pod", ns) if p["metadata"].get("labels", {}).get("app.kubernetes.io/name") == model
            and "job-name" not in p["metadata"]["labels"]]


def test_every_cloud_pool_kind_takes_its_models_pods(tools: Path, tmp_path: Path) -> None:
    """tests/e2e/stacks/Pulumi.kinds.yaml, converted and shaped as try-local does: the servers of each
    model run on nodes of its pool (a super-node pool's virtual nodes carry TKE's eklet label), and the
    three-node model on the A10 pool (no desiredSize, minSize 0) gets three nodes, one pod each."""
    with LocalCluster(tools, tmp_path / "cluster", lws=True) as cluster:
        local = local_stack("kinds", cluster.kubeconfig, STACKS)
        st, result, steps = bring_up(cluster, local, Engine(tools, tmp_path / "engine"))
        assert succeeded(result), (result, steps.diagnostics)
        k, cfg = cluster.kube, local.stack
        kinds = {}
        for m in cfg.models:
            pool = cfg.pool(m.pool)
            selector = ",".join(f"{key}={value}" for key, value in pool.node_labels.items())
            nodes = {n["metadata"]["name"]: n for n in k.list("v1", "Node", label_selector=selector)}
            pods = server_pods(k, cfg.namespace, m.name)
            assert len(pods) == m.replicas * m.nodes, (m.name, [p["metadata"]["name"] for p in pods])
            for p in pods:
                assert p["spec"].get("nodeName") in nodes, (m.name, p["metadata"]["name"], p["status"])
                assert p["status"]["phase"] == "Running", (m.name, p["status"])
                assert p["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == str(m.gpus_per_node)
            kinds[pool.kind] = (nodes, pods)
        assert set(kinds) == {"normal", "native", "super", "attached"}

        virtual, _ = kinds["super"]
        assert all(SUPER_NODE_LABELS.items() <= n["metadata"]["labels"].items() for n in virtual.values())
        assert not any(SUPER_NODE_LABELS.items() <= n["metadata"]["labels"].items()
                       for kind in ("normal", "native", "attached") for n in kinds[kind][0].values())

        group = [p for p in server_pods(k, cfg.namespace, "qwen3-8b-mn") if LWS_NAME in p["metadata"]["labels"]]
        assert len(group) == 3 and len({p["spec"]["nodeName"] for p in group}) == 3
        assert len(kinds["normal"][0]) == 3  # the A10 pool: what its model needs, not maxSize 4


def descendants(pid: int) -> dict[int, str]:
    """pid -> its start time, for every process under `pid` (start times tell a reused pid apart)."""
    parents: dict[int, list[int]] = {}
    start: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
        start[int(entry.name)] = fields[19]
    out, todo = {}, [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out[child] = start[child]
            todo.append(child)
    return out


def alive(procs: dict[int, str]) -> list[int]:
    left = []
    for pid, started in procs.items():
        try:
            if (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19] == started:
                left.append(pid)
        except OSError:
            continue
    return left


class TryLocal:
    """`python -m e2e.try_local nodes --stack-dir tests/e2e/stacks` as a user runs it, in its own session;
    whatever it leaves is killed afterwards, by PID."""

    def __init__(self, tmp_path: Path):
        self.log = tmp_path / "out.log"
        self.work = tmp_path / "work"
        self.proc = subprocess.Popen([sys.executable, "-m", "e2e.try_local", "nodes", "--stack-dir", str(STACKS),
                                      "--dir", str(self.work)], cwd=ROOT, stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.started: dict[int, str] = {}

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.proc.poll() is None, self.output()[-3000:]
            assert time.monotonic() < deadline, self.output()[-3000:]
            time.sleep(0.5)
        self.started = descendants(self.proc.pid)

    def terminate(self) -> int:
        """SIGTERM, then its exit status; asserts it left no process it started."""
        assert len(self.started) >= 6, self.started  # etcd, API server, controllers, scheduler, kwok, LWS
        os.kill(self.proc.pid, signal.SIGTERM)
        code = self.proc.wait(timeout=180)
        deadline = time.monotonic() + 10
        while alive(self.started) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not alive(self.started), (alive(self.started), self.output()[-3000:])
        assert "Traceback" not in self.output()
        return code

    def kube(self) -> Kube:
        kubeconfig = self.work / "cluster" / "kubeconfig"
        kc = yaml.safe_load(kubeconfig.read_text())
        return Kube(kc["clusters"][0]["cluster"]["server"], kc["users"][0]["user"]["token"],
                    kubeconfig.parent / "ca.crt")

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in alive(self.started):  # only what the command started, by PID
            os.kill(pid, signal.SIGKILL)


def test_sigterm_destroys_and_stops_every_process(tmp_path: Path) -> None:
    """On an existing-cluster stack its three replicas run on the existing pool's three fake nodes;
    SIGTERM, as Ctrl-C, destroys the stack, stops the cluster and exits 0, leaving no process."""
    run = TryLocal(tmp_path)
    try:
        run.wait_for(READY)
        kube = run.kube()
        pods = server_pods(kube, "nodes", "r1-7b")
        nodes = {n["metadata"]["name"] for n in kube.list("v1", "Node", label_selector="nvidia.com/gpu.present=true")}
        assert len(pods) == 3 and len(nodes) == 3
        assert {p["spec"]["nodeName"] for p in pods} == nodes
        assert all(p["status"]["phase"] == "Running" for p in pods)

        assert run.terminate() == 0, run.output()[-3000:]
        destroy = run.output().split(READY, 1)[1]
        assert "Destroying (nodes)" in destroy and "r1-7b-deployment deleted" in destroy, destroy[-3000:]
    finally:
        run.cleanup()


def test_sigterm_during_the_up_cancels_it_and_destroys(tmp_path: Path) -> None:
    """SIGTERM while `pulumi up` runs reaches the CLI as Ctrl-C would: the update is canceled, what it
    created is destroyed, the cluster stops; exit 130, no process left."""
    run = TryLocal(tmp_path)
    try:
        run.wait_for("Updating (nodes)")
        # The API server is paused until the signal is in: the update cannot finish first, however fast it is.
        (api,) = [pid for pid in run.started if b"kube-apiserver" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        os.kill(api, signal.SIGSTOP)
        threading.Timer(3, os.kill, (api, signal.SIGCONT)).start()
        assert run.terminate() == 130, run.output()[-3000:]
        out = run.output()
        assert READY not in out and "update canceled" in out and "Destroying (nodes)" in out, out[-3000:]
    finally:
        run.cleanup()
