"""A local S3-compatible server standing in for COS: moto's server mode (.venv-s3), on loopback, started
as its own process so the clients under test (the Job's boto3, the Run:ai streamer's AWS SDK) talk HTTP
to it exactly as they would to `cos.<region>.myqcloud.com`. Every request is logged by moto on stderr,
which the tests read to count what was fetched."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

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


_OPS = """
import base64, json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
endpoint, ops = sys.argv[1], json.load(sys.stdin)
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=sys.argv[2],
                  aws_secret_access_key=sys.argv[3], config=Config(s3={"addressing_style": "path"}))
out = []
for op in ops:
    try:
        if op["op"] == "create_bucket":
            s3.create_bucket(Bucket=op["bucket"]); out.append({"ok": True})
        elif op["op"] == "get":
            r = s3.get_object(Bucket=op["bucket"], Key=op["key"])
            out.append({"ok": True, "body": base64.b64encode(r["Body"].read()).decode(), "metadata": r["Metadata"]})
        elif op["op"] == "put":
            s3.put_object(Bucket=op["bucket"], Key=op["key"], Body=base64.b64decode(op["body"]),
                          Metadata=op.get("metadata", {})); out.append({"ok": True})
        elif op["op"] == "delete":
            s3.delete_object(Bucket=op["bucket"], Key=op["key"]); out.append({"ok": True})
        elif op["op"] == "list":
            keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=op["bucket"])
                    for o in p.get("Contents", [])]
            out.append({"ok": True, "keys": keys})
    except ClientError as e:
        out.append({"ok": False, "error": e.response.get("Error", {}).get("Code")})
json.dump(out, sys.stdout)
"""


def s3_ops(endpoint: str, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run `ops` (create_bucket, get, put, delete, list; bodies base64) with boto3 from .venv-s3, signed
    with the stand-in keys: how a test prepares the bucket, reads what the Job wrote, or damages an object
    behind the clients' backs. Returns one result per op (`ok`, and `body`/`metadata`/`keys`/`error`)."""
    out = subprocess.run([str(s3_python()), "-c", _OPS, endpoint, ACCESS_KEY, SECRET_KEY], input=json.dumps(ops),
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"S3 ops failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def s3_get(endpoint: str, bucket: str, key: str) -> tuple[bytes, dict[str, str]] | None:
    """An object's bytes and user metadata, or None when it does not exist."""
    r = s3_ops(endpoint, [{"op": "get", "bucket": bucket, "key": key}])[0]
    return (base64.b64decode(r["body"]), r["metadata"]) if r["ok"] else None


ANSI = re.compile(r"\x1b\[[0-9;]*m")
LOGGED = re.compile(r'"(?P<method>GET|PUT|HEAD|POST|DELETE) (?P<path>\S+) HTTP/[0-9.]+" (?P<status>\d{3})')


def logged_requests(workdir: Path) -> list[tuple[str, str, int]]:
    """(method, path without the query, status) of every request moto logged, in order. Werkzeug colours
    some lines (a 206 answer to a ranged GET) with ANSI escapes, removed first."""
    text = ANSI.sub("", (workdir / "s3.log").read_text(errors="replace"))
    return [(m["method"], urllib.parse.unquote(m["path"].split("?")[0]), int(m["status"]))
            for m in LOGGED.finditer(text)]


@contextmanager
def throttled(endpoint: str, bytes_per_s: float) -> Iterator[str]:
    """A TCP relay on loopback in front of `endpoint` that passes what clients send at `bytes_per_s` per
    connection (answers unthrottled): uploads become slow enough to kill one half-way, as a pod's
    deletion would. Yields the relay's endpoint."""
    host, port = urllib.parse.urlsplit(endpoint).hostname, urllib.parse.urlsplit(endpoint).port
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stopping = threading.Event()

    def pipe(src: socket.socket, dst: socket.socket, rate: float | None) -> None:
        try:
            while not stopping.is_set():
                chunk = src.recv(16384)
                if not chunk:
                    break
                dst.sendall(chunk)
                if rate:
                    time.sleep(len(chunk) / rate)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def accept() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except (socket.timeout, OSError):
                continue
            upstream = socket.create_connection((host, port))
            threading.Thread(target=pipe, args=(client, upstream, bytes_per_s), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client, None), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        thread.join(timeout=5)
        listener.close()


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
