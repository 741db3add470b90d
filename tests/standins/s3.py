"""A local S3-compatible server standing in for COS: moto's server mode (.venv-s3), on loopback, started
as its own process so the clients under test (the Job's boto3, the Run:ai streamer's AWS SDK) talk HTTP
to it exactly as they would to `cos.<region>.myqcloud.com`. Every request is logged by moto on stderr,
which the tests read to count what was fetched."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.standins.net import free_port
from tests.standins.processes import installed, stop

ACCESS_KEY = "AKIDTESTMIRROR"
SECRET_KEY = "test-mirror-secret-key"
"""moto accepts any key pair; tests pass these through the rendered Secret's keys."""


def s3_python() -> Path:
    """The interpreter of .venv-s3 (boto3 for scripts the Job runs, moto for the server)."""
    return installed("TKE_LLM_S3_PYTHON", ".venv-s3", "python", "the S3 stand-in (moto, boto3)")


@contextmanager
def running_s3(workdir: Path, seconds: float = 60) -> Iterator[str]:
    """moto_server on 127.0.0.1:<free port>; yields its endpoint URL; its log is `workdir/s3.log`."""
    server = installed("TKE_LLM_MOTO_SERVER", ".venv-s3", "moto_server", "the S3 stand-in (moto)")
    port = free_port()
    log = (workdir / "s3.log").open("wb")
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not answer on {endpoint}: see {workdir / 's3.log'}")
                time.sleep(0.2)
        yield endpoint
    finally:
        stop(proc)
        log.close()
