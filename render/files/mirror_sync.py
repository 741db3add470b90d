"""Copy one model revision between a local directory and the weight mirror (S3-compatible: COS).
Run by the download script as `python - COMMAND DIR` with boto3 from the Job's tools directory:
  present  exit 0 when the revision's marker object exists (a complete copy), else 1; any command exits 2
           when the bucket cannot be used (missing, key refused, unreachable);
  fetch    mirror -> DIR, each file hashed as it is written and checked against the manifest's size and
           sha256 (3 tries); one that stays wrong is deleted from the mirror with the marker, exit 3 (refill);
  upload   DIR -> mirror, skipping objects whose size and sha256 metadata match; manifest, marker last.
The S3 client reads the AWS_* environment. docs/model-cache.md, "Mirror"."""

import hashlib
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

BLOCK = 8 << 20
TRIES = 3
SHA_KEY = "sha256"
"""User metadata (`x-amz-meta-sha256`) on each object: what a resumed upload compares against."""
SKIPPED = (".cache",)
"""Top-level entries of the directory that are the tools' own bookkeeping, not the model."""


def client():
    virtual = os.environ.get("RUNAI_STREAMER_S3_USE_VIRTUAL_ADDRESSING", "1") != "0"
    return boto3.client("s3", config=Config(
        s3={"addressing_style": "virtual" if virtual else "path"},
        # Only the checksums S3 requires (botocore >= 1.36 adds CRC32 to every PUT by default, which
        # S3-compatible stores need not accept); each file's sha256 is checked here instead.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 8, "mode": "standard"},
        max_pool_connections=32,
    ))


def settings():
    prefix = os.environ["MIRROR_PREFIX"].strip("/")
    return (os.environ["MIRROR_BUCKET"], prefix, f"{prefix}/{os.environ['MIRROR_MARKER']}",
            f"{prefix}/{os.environ['MIRROR_MANIFEST']}", int(os.environ.get("MIRROR_WORKERS", "8")))


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            h.update(block)
    return h.hexdigest()


class Hashing:
    """A file written in order and hashed on the way, so a fill reads each byte once (not write, then read
    back to check). seekable() False: s3transfer 0.19.3 still fetches ranges in parallel, as download_file
    does, and writes them in order, at most 10 parts of 8 MiB held per file (DownloadNonSeekableOutputManager,
    TransferConfig.max_in_memory_download_chunks)."""

    def __init__(self, f):
        self.f, self.sha, self.size = f, hashlib.sha256(), 0

    def seekable(self):
        return False

    def write(self, data):
        self.sha.update(data)
        self.size += len(data)
        return self.f.write(data)


def local_files(root):
    for top, dirs, files in os.walk(root):
        rel_top = os.path.relpath(top, root)
        if rel_top == ".":
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED)
        else:
            dirs.sort()
        for name in sorted(files):
            rel = name if rel_top == "." else f"{rel_top}/{name}"
            if rel_top == "." and name.startswith(".tke-llm-complete"):
                continue  # the volume's own marker is written after this copy
            yield rel.replace(os.sep, "/")


def exists(s3, bucket, key):
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def present(s3):
    bucket, _, marker, _, _ = settings()
    s3.head_bucket(Bucket=bucket)  # a missing bucket or a refused key is an error, not "no copy yet"
    return 0 if exists(s3, bucket, marker) else 1


def upload(s3, root):
    bucket, prefix, marker, manifest_key, workers = settings()

    def one(rel):
        path = os.path.join(root, rel)
        size, digest = os.path.getsize(path), sha256_of(path)
        key = f"{prefix}/{rel}"
        head = exists(s3, bucket, key)
        if head and head["ContentLength"] == size and head.get("Metadata", {}).get(SHA_KEY) == digest:
            return rel, size, digest, False
        s3.upload_file(path, bucket, key, ExtraArgs={"Metadata": {SHA_KEY: digest}})
        return rel, size, digest, True

    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(one, list(local_files(root))))
    sent = sum(1 for *_, new in done if new)
    print(f"mirror: {sent} of {len(done)} files uploaded, {len(done) - sent} already there", flush=True)
    manifest = {"files": {rel: {"size": size, SHA_KEY: digest} for rel, size, digest, _ in done}}
    s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest, sort_keys=True).encode())
    s3.put_object(Bucket=bucket, Key=marker, Body=b"")
    print(f"mirror: s3://{bucket}/{prefix} complete", flush=True)
    return 0


def fetch(s3, root):
    bucket, prefix, marker, manifest_key, workers = settings()
    files = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())["files"]

    def one(item):
        rel, want = item
        path = os.path.join(root, rel)
        if os.path.isfile(path) and os.path.getsize(path) == want["size"] and sha256_of(path) == want[SHA_KEY]:
            return rel, None  # a retried pod keeps what it already fetched
        os.makedirs(os.path.dirname(path), exist_ok=True)
        for attempt in range(1, TRIES + 1):
            try:
                with open(path, "wb") as f:
                    out = Hashing(f)
                    s3.download_fileobj(bucket, f"{prefix}/{rel}", out)
            except ClientError as e:
                return rel, f"cannot be read ({e.response.get('Error', {}).get('Code')})"
            if out.size == want["size"] and out.sha.hexdigest() == want[SHA_KEY]:
                return rel, None
            print(f"mirror: {rel}: differs from the manifest (try {attempt} of {TRIES})", flush=True)
            os.remove(path)
        return rel, "differs from the manifest's size and sha256"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, sorted(files.items())))
    bad = [(rel, why) for rel, why in results if why]
    if not bad:
        print(f"mirror: {len(files)} of {len(files)} files match the manifest", flush=True)
        return 0
    # The mirror is wrong: take it out of service (marker first), drop the bad objects, so the hub refills
    # them and the upload writes them and the marker again.
    s3.delete_object(Bucket=bucket, Key=marker)
    for rel, why in bad:
        print(f"mirror: {rel}: {why}; removed from the mirror, to be fetched from the hub", flush=True)
        s3.delete_object(Bucket=bucket, Key=f"{prefix}/{rel}")
    return 3


def main():
    command = sys.argv[1]
    s3 = client()
    try:
        if command == "present":
            sys.exit(present(s3))
        root = sys.argv[2]
        sys.exit(upload(s3, root) if command == "upload" else fetch(s3, root))
    except (ClientError, BotoCoreError) as e:
        # botocore's messages name the operation and the error code, never the keys.
        print(f"mirror: s3://{os.environ.get('MIRROR_BUCKET')}: {e}", file=sys.stderr, flush=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
