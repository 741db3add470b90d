"""Engine image versus GPU driver: a CUDA 13 image on a node whose driver predates R580 fails at the
first CUDA call, after the GPUs are billed and the image is pulled. Preflight compares each model's
image with its pool's driver.

The CUDA major comes from the catalog, a `cuNNN` tag suffix, or an unsuffixed vLLM tag's release (CUDA
13 from 0.20.0). A driver TKE chooses cannot be checked offline (a warning for CUDA 13 images); Ollama
images pick their runner: never checked. More: docs/engines.md, "Engine image versus GPU driver".
"""

from __future__ import annotations

import re

from catalog.images import CUDA13_UNSUFFIXED_SINCE, CUDA_MIN_DRIVER, ENGINE_IMAGES, IMAGE_CUDA_MAJOR
from config import StackConfig

CUDA_TAG = re.compile(r"(?:^|[-_.])cu(\d{2})\d(?:$|[-_.])")
DRIVER = re.compile(r"(\d{3})\.(\d{1,3})(?:\.(\d{1,3}))?")
# vLLM's unsuffixed (CUDA 13.0) release tags: `v<ver>`, `v<ver>-<arch>`, `v<ver>[-<arch>]-ubuntu2404`, and
# `latest...`; each has a CUDA 12.9 twin with `-cu129` after the arch (vllm
# .buildkite/scripts/publish-release-images.sh, e.g. `v${RELEASE_VERSION}-x86_64-cu129-ubuntu2404`).
UNSUFFIXED_TAG = re.compile(
    r"^(?P<release>v(?P<version>\d+\.\d+\.\d+)|latest)(?P<arch>-(?:x86_64|aarch64))?(?P<os>-ubuntu2404)?$"
)


def _repository_and_tag(image: str) -> tuple[str, str]:
    """`mirror:5000/vllm/vllm-openai:v1@sha256:..` -> (`mirror:5000/vllm/vllm-openai`, `v1`)."""
    head, _, last = image.partition("@")[0].rpartition("/")
    name, _, tag = last.partition(":")
    return (f"{head}/{name}" if head else name), tag


def _unsuffixed(image: str) -> tuple[str, re.Match[str], tuple[int, int, int]] | None:
    """(repository, tag match, first CUDA 13 release) for an unsuffixed tag of CUDA13_UNSUFFIXED_SINCE."""
    repository, tag = _repository_and_tag(image)
    for known, since in CUDA13_UNSUFFIXED_SINCE.items():
        if repository == known or repository.endswith("/" + known):
            found = UNSUFFIXED_TAG.match(tag)
            return (repository, found, since) if found else None
    return None


def cuda_major(image: str) -> int | None:
    """CUDA major release an engine image is built on, or None when neither catalog nor tag says."""
    for known, major in IMAGE_CUDA_MAJOR.items():
        if image == known or image.endswith("/" + known):
            return major
    found = CUDA_TAG.search(_repository_and_tag(image)[1])
    if found:
        return int(found.group(1))
    unsuffixed = _unsuffixed(image)
    if unsuffixed is None:
        return None
    _, tag, since = unsuffixed
    if tag["version"] is None:  # latest
        return 13
    return 13 if tuple(int(n) for n in tag["version"].split(".")) >= since else None


def cuda12_twin(image: str) -> str | None:
    """The same release's CUDA 12.9 build of an unsuffixed CUDA 13 vLLM tag, e.g.
    `vllm/vllm-openai:v0.34.0` -> `vllm/vllm-openai:v0.34.0-cu129`; None for any other image."""
    unsuffixed = _unsuffixed(image)
    if unsuffixed is None or cuda_major(image) != 13:
        return None
    repository, tag, _ = unsuffixed
    return f"{repository}:{tag['release']}{tag['arch'] or ''}-cu129{tag['os'] or ''}"


def driver_version(text: str) -> tuple[int, int, int] | None:
    """`535.161.08` or a package name such as `NVIDIA-Linux-x86_64-570.133.20.run` -> (570, 133, 20)."""
    found = DRIVER.search(text)
    if not found:
        return None
    return int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)


def _dotted(v: tuple[int, ...]) -> str:
    return f"{v[0]}.{v[1]:02d}.{v[2]:02d}" if len(v) == 3 else ".".join(map(str, v))


def check(cfg: StackConfig, out) -> None:
    """Adds the findings to `out` (a preflight.Preflight)."""
    for i, m in enumerate(cfg.models):
        if m.engine == "ollama" or not cfg.has_pool(m.pool) or cfg.pool(m.pool).gpu is None:
            continue
        j, pool = cfg.pool_index(m.pool), cfg.pool(m.pool)
        image = m.image or ENGINE_IMAGES[m.engine]
        major = cuda_major(image)
        if major is None:
            out.warn(f"models[{i}].image", f"cannot tell which CUDA release {image} is built on, so its driver "
                     f"requirement is unchecked; CUDA 13 builds need an NVIDIA driver >= "
                     f"{_dotted(CUDA_MIN_DRIVER[13])} on pool {pool.name}")
            continue
        need = CUDA_MIN_DRIVER.get(major)
        if need is None:
            continue
        twin = cuda12_twin(image)
        same_release = f"{twin}, the same release built on CUDA 12.9" if twin else None
        software = pool.gpu.software
        if software is None:
            if major >= 13:
                out.warn(f"nodePools[{j}].gpu.software", f"{image} (model {m.name}) is a CUDA {major} build and needs "
                         f"an NVIDIA driver >= {_dotted(need)}; pool {pool.name} leaves the driver to TKE, which "
                         "preflight cannot see: set gpu.software.driver to an R580 or newer driver, or set "
                         f"models[{i}].image to " + (same_release or "the engine's -cu129 build"))
            continue
        have = driver_version(software.driver.version) or driver_version(software.driver.name)
        if have is None:
            out.warn(f"nodePools[{j}].gpu.software.driver.version", f"{software.driver.version!r} is not an NVIDIA "
                     f"driver version (e.g. 570.133.20); {image} needs >= {_dotted(need)}")
        elif have < need:
            out.error(f"nodePools[{j}].gpu.software.driver.version",
                      f"driver {_dotted(have)} cannot run {image} (model {m.name}), a CUDA {major} build that needs "
                      f">= {_dotted(need)}: set gpu.software.driver to a newer driver, or models[{i}].image to "
                      + (same_release or "a build for an older CUDA (the engines publish -cu129 tags)"))
