"""The processes the local control plane starts and the TLS material they serve with: shared by the
control plane (cluster.py), the LeaderWorkerSet controller (lws.py) and KEDA (keda.py), which import it
and not each other. Everything listens on loopback; every process started here is stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"
SHARED_CRDS = Path(__file__).resolve().parents[2] / "shared" / "crds"
"""The upstream CRDs the stacks' custom resources need (ServiceMonitor, PrometheusRule, HTTPRoute,
ScaledObject, and LeaderWorkerSet v0.10.0, the stack's chart release)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def openssl(cwd: Path, *args: str) -> None:
    """One openssl command in `cwd` (relative key and certificate paths are under it)."""
    subprocess.run(["openssl", *args], check=True, cwd=cwd, capture_output=True)


def sign_serving_cert(ca_dir: Path, workdir: Path, name: str, san: str = f"IP:{HOST}") -> Path:
    """A serving key and certificate for `san` signed by ca_dir's ca.crt/ca.key: `workdir`/certs/tls.key
    and tls.crt (the request and its extensions beside them in `workdir`). Returns the certs directory."""
    workdir = workdir.resolve()  # openssl runs in ca_dir
    certs = workdir / "certs"
    certs.mkdir(parents=True, exist_ok=True)
    (workdir / "san.cnf").write_text(f"subjectAltName={san}\n")
    openssl(ca_dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
            "-keyout", str(certs / "tls.key"), "-out", str(workdir / "tls.csr"))
    openssl(ca_dir, "x509", "-req", "-in", str(workdir / "tls.csr"), "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", str(workdir / "san.cnf"), "-out", str(certs / "tls.crt"))
    return certs


class Processes:
    """Processes started in one directory, each logging to `<name>.log` there, stopped by PID in reverse
    order of their start."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        """`env`: variables set for this process on top of the test run's own."""
        out = open(self.dir / f"{name}.log", "wb")
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=self.dir, start_new_session=True, env={**os.environ, **(env or {})})
        self.procs.append((name, proc))
        return proc

    def check_alive(self) -> None:
        """Raises with the tail of its log when a started process has exited."""
        for name, proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.logs(name)[-3000:]}")

    def logs(self, name: str) -> str:
        return (self.dir / f"{name}.log").read_text(errors="replace")

    def kill(self, name: str, proc: subprocess.Popen) -> None:
        """Stop one process at once and forget it (a stalled start to be tried again)."""
        proc.kill()
        proc.wait()
        self.procs.remove((name, proc))

    def stop(self, timeout: float = 15) -> None:
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
