"""Engine image versus GPU driver: a CUDA 13 image on a node whose driver predates R580 fails at the
first CUDA call, after the GPUs are billed and the image is pulled. Preflight compares each model's
image with its pool's driver.

The image's CUDA major comes from the catalog or a `cuNNN` tag suffix. A driver TKE chooses cannot be
checked offline (a warning for CUDA 13 images); Ollama images pick their runner: never checked. More:
docs/engines.md, "Engine image versus GPU driver".
"""

from __future__ import annotations

import re

from catalog.images import CUDA_MIN_DRIVER, ENGINE_IMAGES, IMAGE_CUDA_MAJOR
from config import StackConfig

CUDA_TAG = re.compile(r"(?:^|[-_.])cu(\d{2})\d(?:$|[-_.])")
DRIVER = re.compile(r"(\d{3})\.(\d{1,3})(?:\.(\d{1,3}))?")


def cuda_major(image: str) -> int | None:
    """CUDA major release an engine image is built on, or None when neither catalog nor tag says."""
    for known, major in IMAGE_CUDA_MAJOR.items():
        if image == known or image.endswith("/" + known):
            return major
    tag = image.rsplit("/", 1)[-1].partition("@")[0].partition(":")[2]
    found = CUDA_TAG.search(tag)
    return int(found.group(1)) if found else None


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
        software = pool.gpu.software
        if software is None:
            if major >= 13:
                out.warn(f"nodePools[{j}].gpu.software", f"{image} (model {m.name}) is a CUDA {major} build and needs "
                         f"an NVIDIA driver >= {_dotted(need)}; pool {pool.name} leaves the driver to TKE, which "
                         "preflight cannot see: set gpu.software.driver to an R580 or newer driver, or set "
                         f"models[{i}].image to the engine's -cu129 build")
            continue
        have = driver_version(software.driver.version) or driver_version(software.driver.name)
        if have is None:
            out.warn(f"nodePools[{j}].gpu.software.driver.version", f"{software.driver.version!r} is not an NVIDIA "
                     f"driver version (e.g. 570.133.20); {image} needs >= {_dotted(need)}")
        elif have < need:
            out.error(f"nodePools[{j}].gpu.software.driver.version",
                      f"driver {_dotted(have)} cannot run {image} (model {m.name}), a CUDA {major} build that needs "
                      f">= {_dotted(need)}: set gpu.software.driver to a newer driver, or models[{i}].image to a "
                      "build for an older CUDA (the engines publish -cu129 tags)")
