"""A model's pod overrides from its config: the stack-wide pull secrets that go with `imageRegistry`,
then the model's own, and its env, volumes, pod labels and annotations, as the renderer's PodOverrides."""

from __future__ import annotations

from config import StackConfig
from config.models import ModelConfig
from render.engines.overrides import ExtraVolume, PodOverrides


def pull_secrets(cfg: StackConfig, extra: list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """The stack's `imagePullSecrets`, then `extra` (a model's own), each once, in that order."""
    return tuple(dict.fromkeys([*cfg.image_pull_secrets, *extra]))


def pod_overrides(cfg: StackConfig, m: ModelConfig) -> PodOverrides:
    return PodOverrides(
        env=tuple(m.env.items()),
        image_pull_secrets=pull_secrets(cfg, m.image_pull_secrets),
        volumes=tuple(ExtraVolume(name=v.name, mount_path=v.mount_path, source=v.source, read_only=v.read_only,
                                  sub_path=v.sub_path) for v in m.volumes),
        annotations=dict(m.pod_annotations),
        labels=dict(m.pod_labels),
    )
