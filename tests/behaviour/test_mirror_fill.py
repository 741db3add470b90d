"""The download and upload Jobs with a weight mirror, run for real: the exact rendered scripts, the real `hf`
CLI against the stand-in hub and boto3 (the Jobs' pin) against moto's S3 server on loopback, with the env
the Jobs render and the credentials taken from the rendered Secret's keys. Hub -> volume (the download
Job, the mirror untouched), then volume -> mirror with the marker object last (the upload Job); a second,
empty volume filled from the mirror without a single hub request; a corrupted mirror object detected,
removed and refilled from the hub; a killed upload resumed without sending finished files again; local
storage's seed Job and mirror-only node fill."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest

from render.mirror import ACCESS_KEY, MANIFEST_OBJECT, MARKER_OBJECT, SECRET_KEY, SECRET_NAME, MirrorSpec
from render.engines.spec import ModelVolume
from render.model_cache import (S3_REQUIREMENTS, ModelSource, marker_name, mirror_seed_job, mirror_upload_job,
                                node_downloader_daemonset)
from render.placement import PodPlacement

from tests.behaviour.download_run import MODEL_DIR, JobRun, kill
from tests.standins import s3 as s3_standin
from tests.standins.hub import Hub, generated_model, running_hub
import base64

from tests.standins.s3 import logged_requests, running_s3, s3_get, s3_ops, s3_python, throttled

BUCKET = "tke-llm-weights-1250000000"
SHARD = "model-00002-of-00004.safetensors"
SECRETS = {(SECRET_NAME, ACCESS_KEY): s3_standin.ACCESS_KEY, (SECRET_NAME, SECRET_KEY): s3_standin.SECRET_KEY}


def hub_model() -> Hub:
    return Hub("acme/tiny", "v1.0", generated_model(shards=4, shard_bytes=1 << 20))


def spec(endpoint: str) -> MirrorSpec:
    # moto answers on 127.0.0.1, where a bucket cannot be a host name: path style here; COS's own
    # (virtual-hosted) is the default, asserted in tests/render/test_mirror.py.
    return MirrorSpec(bucket=BUCKET, region="ap-shanghai", endpoint=endpoint, prefix="tke-llm",
                      virtual_addressing=False)


def job(tmp: Path, hub: Hub, endpoint: str, volume: str = "volume", workers: int = 8) -> JobRun:
    src = ModelSource("huggingface", hub.repo, hub.revision, endpoint=hub.url)
    return JobRun(tmp, src, workers, mirror=spec(endpoint), secrets=SECRETS, volume=volume)


def upload(tmp: Path, hub: Hub, endpoint: str, volume: str = "volume", workers: int = 8) -> JobRun:
    """The upload Job's container as rendered, on the same volume as the download Job."""
    src = ModelSource("huggingface", hub.repo, hub.revision, endpoint=hub.url)
    rendered = mirror_upload_job("tiny", "llm", src, mirror=spec(endpoint), model_dir=MODEL_DIR,
                                 volume=ModelVolume(pvc_name="models", host_path=None), placement=PodPlacement({}),
                                 budget_seconds=3600, workers=workers)
    return JobRun(tmp, src, mirror=spec(endpoint), secrets=SECRETS, volume=volume,
                  container=rendered["spec"]["template"]["spec"]["containers"][0])


def filled(tmp: Path, hub: Hub, endpoint: str) -> None:
    """A first stack's cold start: the download Job, then the upload Job."""
    for run in (job(tmp, hub, endpoint), upload(tmp, hub, endpoint)):
        out = run.run()
        assert out.returncode == 0, out.stdout


def object_key(name: str) -> str:
    return f"tke-llm/{MODEL_DIR}/{name}"


def key(name: str) -> str:
    """As moto logs it: path style, with the bucket."""
    return f"/{BUCKET}/{object_key(name)}"


def get(endpoint: str, name: str) -> bytes | None:
    got = s3_get(endpoint, BUCKET, object_key(name))
    return got[0] if got else None


def put_keys(tmp: Path, since: int = 0) -> list[str]:
    """Object keys written (PUT, 200), in order, from the `since`-th logged request on."""
    return [path for method, path, status in logged_requests(tmp)[since:]
            if method == "PUT" and status == 200 and path.startswith(f"/{BUCKET}/")]


def settled(tmp: Path, quiet: float = 3, bound: float = 60) -> None:
    """Wait until moto has logged no new request for `quiet` seconds (at most `bound`)."""
    deadline, seen, since = time.monotonic() + bound, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = len(logged_requests(tmp))
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.2)


def hub_gets(hub: Hub, since: int = 0) -> set[str]:
    return {s.file for s in hub.log[since:] if s.method == "GET"}


@pytest.fixture
def mirror(tmp_path: Path):
    with running_s3(tmp_path) as endpoint:
        assert s3_ops(endpoint, [{"op": "create_bucket", "bucket": BUCKET}]) == [{"ok": True}]
        yield endpoint


def test_the_client_here_is_the_jobs_pin() -> None:
    out = subprocess.run([str(s3_python()), "-c", "import boto3; print(boto3.__version__)"],
                                       capture_output=True, text=True, check=True, timeout=60)
    assert f"boto3=={out.stdout.strip()}" in S3_REQUIREMENTS


def test_hub_to_volume_then_volume_to_mirror_with_the_marker_last(tmp_path: Path, mirror: str) -> None:
    with running_hub(hub_model()) as hub:
        early = upload(tmp_path, hub, mirror).run()
        assert early.returncode == 1 and "the download Job writes it first" in early.stdout, early.stdout
        run = job(tmp_path, hub, mirror)
        out = run.run()
        assert out.returncode == 0, out.stdout
        assert "the mirror holds no complete copy" in out.stdout
        for name, data in hub.files.items():
            assert (run.final / name).read_bytes() == data
        assert (run.final / marker_name(run.source)).is_file()
        assert put_keys(tmp_path) == [], "the download Job leaves the mirror to the upload Job"
        sent = upload(tmp_path, hub, mirror).run()
        assert sent.returncode == 0, sent.stdout
        assert "mirror: 7 of 7 files uploaded, 0 already there" in sent.stdout
        for name, data in hub.files.items():
            body, metadata = s3_get(mirror, BUCKET, object_key(name)) or (None, {})
            assert body == data, name
            assert metadata == {"sha256": hashlib.sha256(data).hexdigest()}
        puts = put_keys(tmp_path)
        assert puts[-2:] == [key(MANIFEST_OBJECT), key(MARKER_OBJECT)], puts
        assert {key(n) for n in hub.files} == set(puts[:-2])
        manifest = json.loads(get(mirror, MANIFEST_OBJECT) or b"{}")["files"]
        assert manifest == {n: {"size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in hub.files.items()}
        again = upload(tmp_path, hub, mirror).run()
        assert again.returncode == 0 and "complete: the mirror holds" in again.stdout, again.stdout
        # The keys never reach the output (nor anything else the Jobs print).
        for text in (out.stdout, sent.stdout):
            assert s3_standin.SECRET_KEY not in text and s3_standin.ACCESS_KEY not in text


def test_a_large_shard_fills_in_parallel_ranges_written_in_order(tmp_path: Path, mirror: str) -> None:
    """A shard above boto3's 8 MiB multipart threshold comes as several ranged GETs at once; the fill hashes
    the bytes as it writes them, so the parts must land in order for the file to match its manifest."""
    big = Hub("acme/big", "v1.0", generated_model(shards=2, shard_bytes=20 << 20))
    with running_hub(big) as hub:
        filled(tmp_path, hub, mirror)
        since = len(logged_requests(tmp_path))
        second = job(tmp_path, hub, mirror, volume="second-stack")
        out = second.run()
        assert out.returncode == 0, out.stdout
        assert "files match the manifest" in out.stdout
        for name, data in hub.files.items():
            assert (second.final / name).read_bytes() == data, name
        shard = next(n for n in hub.files if n.endswith(".safetensors"))
        gets = [p for m, p, status in logged_requests(tmp_path)[since:] if m == "GET" and p == key(shard)]
        assert len(gets) >= 3, gets  # 20 MiB in 8 MiB parts


def test_an_empty_volume_fills_from_the_mirror_without_the_hub(tmp_path: Path, mirror: str) -> None:
    with running_hub(hub_model()) as hub:
        filled(tmp_path, hub, mirror)
        served = len(hub.log)
        second = job(tmp_path, hub, mirror, volume="second-stack")
        out = second.run()
        assert out.returncode == 0, out.stdout
        assert len(hub.log) == served, "a fill from the mirror must not touch the hub"
        assert "mirror: 7 of 7 files match the manifest" in out.stdout
        for name, data in hub.files.items():
            assert (second.final / name).read_bytes() == data
        assert (second.final / marker_name(second.source)).is_file()
        assert not list(second.final.parent.glob("*.partial-*"))


def test_a_corrupted_mirror_object_is_detected_and_refetched(tmp_path: Path, mirror: str) -> None:
    with running_hub(hub_model()) as hub:
        filled(tmp_path, hub, mirror)
        good = hub.files[SHARD]
        bad = good[:100] + bytes([good[100] ^ 0xFF]) + good[101:]
        # Bit rot behind the clients' backs: same size, same sha256 metadata, other bytes.
        assert s3_ops(mirror, [{"op": "put", "bucket": BUCKET, "key": object_key(SHARD), "body": base64.b64encode(bad).decode(),
                                "metadata": {"sha256": hashlib.sha256(good).hexdigest()}}]) == [{"ok": True}]
        served, logged = len(hub.log), len(logged_requests(tmp_path))
        second = job(tmp_path, hub, mirror, volume="lost-volume")
        out = second.run()
        assert out.returncode == 0, out.stdout
        assert f"mirror: {SHARD}: differs from the manifest (try 3 of 3)" in out.stdout
        assert f"mirror: {SHARD}: differs from the manifest's size and sha256; removed from the mirror" in out.stdout
        # Of the weights only the bad shard comes from the hub again: `hf download` hashes the LFS files the
        # mirror already put in place and keeps them; small files, which it has no record of, it fetches.
        again = hub_gets(hub, served)
        assert {n for n in again if n.endswith(".safetensors")} == {SHARD}, again
        assert again - {SHARD} <= {n for n, d in hub.files.items() if not hub.is_lfs(n)}
        assert (second.final / SHARD).read_bytes() == good
        assert put_keys(tmp_path, logged) == [], "the download Job leaves the mirror to the upload Job"
        fixed = upload(tmp_path, hub, mirror, volume="lost-volume").run()
        assert fixed.returncode == 0 and "mirror: 1 of 7 files uploaded, 6 already there" in fixed.stdout, fixed.stdout
        assert get(mirror, SHARD) == good
        assert put_keys(tmp_path, logged) == [key(SHARD), key(MANIFEST_OBJECT), key(MARKER_OBJECT)]


def test_the_state_an_interrupted_upload_leaves_is_resumed(tmp_path: Path, mirror: str) -> None:
    """The state a killed upload leaves: the complete copy on the volume (the servers already read it),
    some objects in the mirror, no manifest, no marker. The upload Job's retry sends only what is missing
    and never asks the hub."""
    with running_hub(hub_model()) as hub:
        filled(tmp_path, hub, mirror)
        missing = [SHARD, "model-00004-of-00004.safetensors"]
        deleted = s3_ops(mirror, [{"op": "delete", "bucket": BUCKET, "key": object_key(n)}
                                  for n in (*missing, MANIFEST_OBJECT, MARKER_OBJECT)])
        assert all(r["ok"] for r in deleted)
        served, logged = len(hub.log), len(logged_requests(tmp_path))
        out = upload(tmp_path, hub, mirror).run()
        assert out.returncode == 0, out.stdout
        assert "mirror: 2 of 7 files uploaded, 5 already there" in out.stdout
        puts = put_keys(tmp_path, logged)
        assert sorted(puts[:-2]) == sorted(key(n) for n in missing), puts
        assert puts[-2:] == [key(MANIFEST_OBJECT), key(MARKER_OBJECT)], puts
        assert len(hub.log) == served
        for name, data in hub.files.items():
            assert get(mirror, name) == data


def test_a_killed_upload_resumes_without_sending_finished_files(tmp_path: Path, mirror: str) -> None:
    """The upload Job killed for real half-way (uploads slowed by a relay, one file at a time), then its
    retry: only the files not yet in the mirror are sent, the marker last; the volume stays complete."""
    with running_hub(hub_model()) as hub, throttled(mirror, 1 << 20) as slow:
        first = job(tmp_path, hub, mirror)
        assert first.run().returncode == 0
        proc = upload(tmp_path, hub, slow, workers=1).start()
        shards = {key(n) for n in hub.files if n.endswith(".safetensors")}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not set(put_keys(tmp_path)) & shards:
            time.sleep(0.05)
        kill(proc)
        settled(tmp_path)  # the relay may still deliver the killed pod's last request, as a network can
        sent = set(put_keys(tmp_path))
        assert sent & shards and shards - sent, sorted(sent)
        assert key(MARKER_OBJECT) not in sent and (first.final / marker_name(first.source)).is_file()
        served, logged = len(hub.log), len(logged_requests(tmp_path))
        out = upload(tmp_path, hub, mirror, workers=1).run()
        assert out.returncode == 0, out.stdout
        puts = put_keys(tmp_path, logged)
        assert not set(puts) & sent, "files already in the mirror were sent again"
        assert set(puts[:-2]) == {key(n) for n in hub.files} - sent
        assert puts[-2:] == [key(MANIFEST_OBJECT), key(MARKER_OBJECT)]
        assert len(hub.log) == served
        for name, data in hub.files.items():
            assert get(mirror, name) == data and (first.final / name).read_bytes() == data


def test_local_storage_the_seed_fills_the_mirror_and_the_nodes_read_only_the_mirror(tmp_path: Path, mirror: str) -> None:
    """storage.kind local: the CPU pool's seed Job (hub -> scratch -> mirror) and a GPU node's DaemonSet
    script (mirror -> its disk), both exactly as rendered. Before the seed a node fails without asking the
    hub; after it, nodes fill with zero hub requests."""
    with running_hub(hub_model()) as hub:
        src = ModelSource("huggingface", hub.repo, hub.revision, endpoint=hub.url)
        nodes = node_downloader_daemonset("tiny", "llm", src, volume=ModelVolume(pvc_name=None, host_path="/data/models"),
                                          model_dir=MODEL_DIR, placement=PodPlacement({}), mirror=spec(mirror))
        seed = mirror_seed_job("tiny", "llm", src, mirror=spec(mirror), model_dir=MODEL_DIR,
                               placement=PodPlacement({}), budget_seconds=3600, scratch_gi=1)
        node = JobRun(tmp_path, src, mirror=spec(mirror), secrets=SECRETS, volume="node-a",
                      container=nodes["spec"]["template"]["spec"]["containers"][0])
        early = node.run(timeout=120)
        assert early.returncode == 1 and "nodes never fetch from the hub" in early.stdout, early.stdout
        assert not hub.log, "a node asked the hub"

        filler = JobRun(tmp_path, src, mirror=spec(mirror), secrets=SECRETS, volume="scratch",
                        container=seed["spec"]["template"]["spec"]["containers"][0])
        out = filler.run()
        assert out.returncode == 0, out.stdout
        assert "mirror: 7 of 7 files uploaded, 0 already there" in out.stdout
        assert put_keys(tmp_path)[-2:] == [key(MANIFEST_OBJECT), key(MARKER_OBJECT)]
        served = len(hub.log)
        again = filler.run()
        assert again.returncode == 0 and "complete: the mirror holds" in again.stdout and len(hub.log) == served

        proc = node.start()  # the DaemonSet's script sleeps once done: wait for the marker, then stop it
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not (node.final / marker_name(src)).is_file():
            time.sleep(0.1)
        kill(proc)
        assert (node.final / marker_name(src)).is_file()
        assert len(hub.log) == served, "a node fill must not touch the hub"
        for name, data in hub.files.items():
            assert (node.final / name).read_bytes() == data


def test_a_bucket_that_cannot_be_used_fails_the_job_before_the_hub(tmp_path: Path) -> None:
    """A missing bucket (or a refused key) is not "no copy yet": the Job stops with the bucket named and
    without the hub, instead of downloading everything and failing at the upload."""
    with running_s3(tmp_path) as endpoint, running_hub(hub_model()) as hub:
        run = job(tmp_path, hub, endpoint)
        out = run.run()
        assert out.returncode == 2, out.stdout
        assert f"mirror: s3://{BUCKET}: An error occurred (404) when calling the HeadBucket operation" in out.stdout
        assert "the mirror cannot be used" in out.stdout
        assert not hub.log and not run.final.exists()
        assert s3_standin.SECRET_KEY not in out.stdout
