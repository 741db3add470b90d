"""A model's pod overrides from its config (derive/overrides.py): the stack's pull secrets first, then
the model's, each once; env, volumes, labels and annotations as given."""

from __future__ import annotations

from checks import checked
from derive.overrides import pod_overrides, pull_secrets

from tests.checks.helpers import R1_7B
from tests.conftest import tke_config


def test_pull_secrets_stack_first_then_the_models_each_once():
    cfg = checked(tke_config(imagePullSecrets=["mirror", "vendor"],
                             models=[{**R1_7B, "imagePullSecrets": ["vendor", "own"], "env": {"A": "1"},
                                      "volumes": [{"name": "v", "mountPath": "/v", "secret": "s"}],
                                      "podLabels": {"team": "a"}, "podAnnotations": {"x.io/y": "z"}}]))
    assert pull_secrets(cfg) == ("mirror", "vendor")
    o = pod_overrides(cfg, cfg.models[0])
    assert o.image_pull_secrets == ("mirror", "vendor", "own")
    assert o.env == (("A", "1"),) and o.labels == {"team": "a"} and o.annotations == {"x.io/y": "z"}
    (v,) = o.volumes
    assert (v.name, v.mount_path, v.source, v.read_only) == ("v", "/v", {"secret": {"secretName": "s"}}, True)
