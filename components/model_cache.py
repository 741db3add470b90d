"""ModelCache: the weights of one model, downloaded once before any server waits for them.

Shared storage: one Job on the CPU system pool, named by a hash of (source, id, revision); Pulumi waits
for it with a timeout derived from the model size and bandwidth; with a mirror, an upload Job after it.
Local storage: a DaemonSet on the GPU nodes fills each node's disk. See docs/model-cache.md.
"""

from __future__ import annotations

from dataclasses import replace

import pulumi

from components.base import Component
from components.k8s import apply
from derive.mirror import seed_scratch_gi
from derive.serving import ServingPlan
from render.credentials import opaque_secret
from render.meta import image as mirrored
from render.mirror import MirrorSpec
from render.model_cache import (DOWNLOAD_WORKERS, OLLAMA_IMAGE, PYTHON_IMAGE, download_job, mirror_seed_job,
                                mirror_upload_job, node_downloader_daemonset)
from render.placement import PodPlacement


UPLOAD_RESOURCE = "-mirror-upload"
"""Suffix of the upload Job's resource name (after the cache's), by which the bring-up estimate knows it."""


def download_await_seconds(plan: ServingPlan) -> int:
    """How long Pulumi waits for the download: the Job's own deadline (activeDeadlineSeconds) plus
    five minutes for the Job controller to report it, so a download that runs out of time fails as
    `DeadlineExceeded` (and is replaced by the next `up`) rather than as a Pulumi timeout."""
    return plan.download_seconds + 300


class ModelCache(Component):
    ready: pulumi.Resource
    """What a server depends on: the completed download Job (or the DaemonSet on local disks); the upload
    Job when the server streams from the mirror."""
    uploaded: pulumi.Resource | None = None
    """Shared storage with a mirror: the Job that copies the volume's weights into the mirror."""

    def __init__(
        self,
        name: str,
        *,
        plan: ServingPlan,
        placement: PodPlacement,
        hub_token: pulumi.Input[str] | None = None,
        image_registry: str | None = None,
        pip_index_url: str | None = None,
        keep_revisions: tuple[str, ...] | None = None,
        retries: int = 6,
        workers: int = DOWNLOAD_WORKERS,
        mirror: MirrorSpec | None = None,
        mirror_ready: list[pulumi.Resource] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ):
        """`placement`: where CPU work runs (derive/placement.py), for the shared-storage Job and the mirror's
        seed Job. `keep_revisions`: revisions of the same model id other models of the stack are configured
        with, which a new revision must not remove. `mirror`: the weight mirror (none for Ollama), whose
        Secret and bucket (`mirror_ready`) every download waits for."""
        super().__init__("tke-llm:model:ModelCache", name, opts)
        spec, source = plan.spec, plan.source
        deps: list[pulumi.Resource] = []
        if source.token_secret:
            if hub_token is None:
                raise ValueError(f"model {spec.name}: a token secret is configured but no token was given")
            deps.append(apply(
                f"{name}-token", opaque_secret(source.token_secret, spec.namespace, {"token": hub_token}, "model-download"),
                self.child(),
            ))
        deps += mirror_ready or []
        tool_image = mirrored(OLLAMA_IMAGE if source.kind == "ollama" else PYTHON_IMAGE, image_registry)
        timeout = f"{download_await_seconds(plan)}s"
        if spec.volume.pvc_name is not None:
            manifest = download_job(
                spec.name, spec.namespace, source, volume=spec.volume, model_dir=plan.model_dir,
                placement=placement, budget_seconds=plan.download_seconds, image=tool_image,
                pip_index_url=pip_index_url, keep_revisions=keep_revisions, retries=retries, workers=workers,
                adapters=plan.adapters, mirror=mirror,
            )
            self.ready = apply(
                f"{name}-job", manifest,
                self.child( depends_on=deps, delete_before_replace=True,
                    custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
                ),
            )
            if mirror is not None:
                # Apart from the download: servers reading the volume load while it runs; a streaming
                # server reads the mirror, so it waits for this Job instead.
                upload = mirror_upload_job(
                    spec.name, spec.namespace, source, mirror=mirror, volume=spec.volume, model_dir=plan.model_dir,
                    placement=placement, budget_seconds=plan.download_seconds, image=tool_image,
                    pip_index_url=pip_index_url, retries=retries, workers=workers,
                )  # fmt: skip
                self.uploaded = apply(f"{name}{UPLOAD_RESOURCE}", upload, self.child(
                    depends_on=[self.ready, *(mirror_ready or [])], delete_before_replace=True,
                    custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)))
                if spec.stream is not None:
                    self.ready = self.uploaded
        else:
            if mirror is not None:
                # The hub is read once, by a Job on the CPU pool; the nodes then fill from the mirror only.
                seed = mirror_seed_job(
                    spec.name, spec.namespace, source, mirror=mirror, model_dir=plan.model_dir, placement=placement,
                    budget_seconds=plan.download_seconds, scratch_gi=seed_scratch_gi(plan.size_gb),
                    image=tool_image, pip_index_url=pip_index_url, retries=retries, workers=workers,
                )  # fmt: skip
                deps.append(apply(f"{name}-mirror-seed", seed, self.child(
                    depends_on=list(deps), delete_before_replace=True,
                    custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout))))
            manifest = node_downloader_daemonset(
                spec.name, spec.namespace, source, volume=spec.volume, model_dir=plan.model_dir,
                placement=replace(spec.placement.pod_placement, image_pull_secrets=spec.overrides.image_pull_secrets),
                image=tool_image,
                pip_index_url=pip_index_url, keep_revisions=keep_revisions, workers=workers, adapters=plan.adapters,
                mirror=mirror,
            )
            # Pulumi waits until every GPU node's pod is ready, i.e. holds the complete weights (its
            # readiness probe tests the marker): the default 10 minutes would fail any real download.
            self.ready = apply(
                f"{name}-nodes", manifest,
                self.child(depends_on=deps, custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)),
            )
        self.register_outputs({"name": manifest["metadata"]["name"]})
