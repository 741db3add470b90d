"""Download the engine wheels at the pinned releases (no dependencies) and unpack their Python sources
into `<dir>/<name>-<version>/`.

Run by `make engines-venv`: `python tests/engine_parsers/fetch.py <dir>`. The versions come from
catalog/images.py, so the parsers the tests run are the ones of the images the stack deploys.
Only `.py` files are unpacked (the tests never load the compiled kernels); the wheel is deleted after.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# images.py is plain constants; read on its own, without the catalog package (pydantic, pulumi).
ENGINE_VERSIONS: dict[str, str] = runpy.run_path(str(ROOT / "catalog" / "images.py"))["ENGINE_VERSIONS"]

PACKAGES = ("vllm", "sglang")


def main(dest: str) -> None:
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    for name in PACKAGES:
        version = ENGINE_VERSIONS[name]
        src = out / f"{name}-{version}"
        if (src / name / "__init__.py").exists():
            continue
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--only-binary=:all:", f"{name}=={version}", "-d", str(out)], check=True)
        (wheel,) = out.glob(f"{name}-{version}-*.whl")
        with zipfile.ZipFile(wheel) as z:
            z.extractall(src, [n for n in z.namelist() if n.startswith(f"{name}/") and n.endswith(".py")])
        wheel.unlink()


if __name__ == "__main__":
    main(sys.argv[1])
