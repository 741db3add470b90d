"""Programs the renderers ship into the cluster as text: the gateway's auth hook (a ConfigMap file),
the SGLang launcher (a `python3 -c` command) and the download check (a heredoc of the download script). They run there, not here; their bytes are part of
the plan, so a reformat rolls the pods that carry them."""

from __future__ import annotations

from importlib import resources


def source(name: str) -> str:
    """The text of one file of this folder, exactly as it ships."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
