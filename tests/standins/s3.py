"""A local S3-compatible server standing in for COS: moto's server mode (.venv-s3), on loopback, started
as its own process so the clients under test (the Job's boto3, the Run:ai streamer's AWS SDK) talk HTTP
to it exactly as they would to `cos.<region>.myqcloud.com`. Every request is logged by moto on stderr,
which the tests read to count what was fetched."""

from __future__ import annotations

import base64
import json
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


UPLOAD = """
import base64, json, sys
import boto3
from botocore.config import Config
req = json.load(sys.stdin)
s3 = boto3.client("s3", endpoint_url=req["endpoint"], region_name=req["region"], aws_access_key_id=req["key"],
                  aws_secret_access_key=req["secret"], config=Config(s3={"addressing_style": "path"}))
if req["bucket"] not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
    s3.create_bucket(Bucket=req["bucket"], CreateBucketConfiguration={"LocationConstraint": req["region"]})
for key, data in req["objects"].items():
    s3.put_object(Bucket=req["bucket"], Key=key, Body=base64.b64decode(data))
"""


def put_objects(endpoint: str, bucket: str, objects: dict[str, bytes], region: str = "ap-shanghai") -> None:
    """Create `bucket` if missing and upload `objects` (key -> bytes) with boto3 from .venv-s3, path-style
    (the stand-in's host is an IP address)."""
    req = {"endpoint": endpoint, "region": region, "key": ACCESS_KEY, "secret": SECRET_KEY, "bucket": bucket,
           "objects": {k: base64.b64encode(v).decode() for k, v in objects.items()}}
    subprocess.run([str(s3_python()), "-c", UPLOAD], input=json.dumps(req), text=True, check=True, timeout=120,
                   capture_output=True)
