"""The download Job's script, run for real: `hf` (huggingface_hub 1.33.0) and `modelscope`
(modelscope-hub 0.5.1) download a generated model in several safetensors shards from the stand-in hub
on loopback (tests/standins/hub.py), with the environment the Job renders. Every file is verified
against the hub's listing; a corrupted shard is detected and fetched again; a killed download resumes
without fetching finished files again; the completion marker is written last, after the check."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from render.model_cache import HF_REQUIREMENTS, MODELSCOPE_REQUIREMENTS, ModelSource, download_id, marker_name

from tests.behaviour.download_run import JobRun, installed_versions, kill
from tests.standins.hub import Hub, generated_model, running_hub

KINDS = ("huggingface", "modelscope")
SHARD = "model-00002-of-00004.safetensors"


def source(kind: str, hub: Hub) -> ModelSource:
    return ModelSource(kind, hub.repo, hub.revision, endpoint=hub.url)  # type: ignore[arg-type]


def hub_model() -> Hub:
    return Hub("acme/tiny", "v1.0", generated_model(shards=4, shard_bytes=1 << 20))


def test_the_tools_here_are_the_pinned_ones() -> None:
    """The Job pip-installs exactly these; the tests below run these."""
    assert installed_versions() == dict(r.split("==") for r in (*HF_REQUIREMENTS, *MODELSCOPE_REQUIREMENTS))


@pytest.mark.parametrize("kind", KINDS)
def test_download_is_verified_and_marked_complete(tmp_path: Path, kind: str) -> None:
    with running_hub(hub_model()) as hub:
        src = source(kind, hub)
        job = JobRun(tmp_path, src)
        out = job.run()
        assert out.returncode == 0, out.stdout
        assert "verify: 7 of 7 files match the hub's listing" in out.stdout
        for name, data in hub.files.items():
            assert (job.final / name).read_bytes() == data
            assert len(hub.fetched(name)) == 1, name
        assert (job.final / marker_name(src)).is_file()
        assert not list(job.final.parent.glob("*.partial-*"))
        # A second run (a Job retry after success) touches nothing: no listing, no download.
        served = len(hub.log)
        again = job.run()
        assert again.returncode == 0 and "complete:" in again.stdout and len(hub.log) == served


@pytest.mark.parametrize("kind", KINDS)
def test_a_corrupted_shard_is_detected_and_fetched_again(tmp_path: Path, kind: str) -> None:
    """`hf` checks sizes only, so the script's own check catches the bad bytes and removes the file;
    `modelscope` hashes what it downloads and retries by itself. Either way the good shard lands."""
    with running_hub(hub_model()) as hub:
        hub.corrupt[SHARD] = 1
        job = JobRun(tmp_path, source(kind, hub))
        out = job.run()
        assert out.returncode == 0, out.stdout
        assert (job.final / SHARD).read_bytes() == hub.files[SHARD]
        assert len(hub.fetched(SHARD)) == 2
        assert all(len(hub.fetched(n)) == 1 for n in hub.files if n != SHARD)
        if kind == "huggingface":
            assert f"verify: {SHARD}: sha256 differs from the hub's; removed" in out.stdout


@pytest.mark.parametrize("kind", KINDS)
def test_a_shard_that_stays_corrupt_fails_the_job_without_a_marker(tmp_path: Path, kind: str) -> None:
    with running_hub(hub_model()) as hub:
        hub.corrupt[SHARD] = 100
        src = source(kind, hub)
        job = JobRun(tmp_path, src)
        out = job.run()
        assert out.returncode != 0
        assert not job.final.exists(), "servers must never see an unverified model"
        assert not list(job.root.rglob(marker_name(src)))
        if kind == "huggingface":
            assert "files still differ from the hub's listing after 3 download(s)" in out.stdout


@pytest.mark.parametrize("kind", KINDS)
def test_a_killed_download_resumes_without_fetching_finished_files(tmp_path: Path, kind: str) -> None:
    with running_hub(hub_model()) as hub:
        hub.stream_bytes_per_s = 1 << 20
        job = JobRun(tmp_path, source(kind, hub), workers=2)
        proc = job.start()
        staging = job.final.parent / f"{job.final.name}.partial-{download_id(job.source)}"

        def progress() -> tuple[set[str], set[str]]:
            """(files in place in the staging directory, files the hub has started to send but are not)"""
            done = {n for n in hub.files if (staging / n).is_file()}
            with hub.lock:
                # A quarter of a shard sent: past any client buffer, so on the client's disk too.
                started = {s.file for s in hub.log if s.method == "GET" and s.bytes >= 1 << 18}
            return done, started - done

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            done, partial = progress()
            if any(n.endswith(".safetensors") for n in done) and partial:
                break
            time.sleep(0.05)
        kill(proc)
        done, partial = progress()
        assert done and partial, (done, partial)
        assert not job.final.exists()
        before = len(hub.log)
        hub.stream_bytes_per_s = None
        out = job.run()
        assert out.returncode == 0, out.stdout
        after = [s for s in hub.log[before:] if s.method == "GET"]
        assert not {s.file for s in after} & done, "finished files were fetched again"
        for name in partial:
            again = [s for s in after if s.file == name]
            # modelscope-hub resumes the partial file; huggingface_hub 1.33.0 starts it over (its partial
            # files are unique per process), and the script removed the killed run's leftovers.
            assert len(again) == 1 and (again[0].start > 0) == (kind == "modelscope"), (name, again)
        assert not list(job.final.rglob("*.incomplete"))
        for name, data in hub.files.items():
            assert (job.final / name).read_bytes() == data
