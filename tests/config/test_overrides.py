"""The overrides' formats (config/overrides.py): each volume has one source and normalized absolute paths,
environment names a shell can read, values as strings."""

from __future__ import annotations

import pytest

from config.models import ModelConfig

from tests.checks.helpers import R1_7B, errors
from tests.conftest import tke_config


@pytest.mark.parametrize("volume, text", [
    ({"name": "a", "mountPath": "/a"}, "exactly one of configMap"),
    ({"name": "a", "mountPath": "/a", "emptyDir": {}, "secret": "s"}, "exactly one of configMap"),
    ({"name": "a", "mountPath": "a", "emptyDir": {}}, "absolute"),
    ({"name": "a", "mountPath": "/a/../b", "emptyDir": {}}, "normalized"),
    ({"name": "A", "mountPath": "/a", "emptyDir": {}}, "volume name"),
    ({"name": "a", "mountPath": "/a", "configMap": "c", "readOnly": False}, "always read-only"),
])
def test_malformed_volumes_are_refused_in_config(volume, text):
    found = errors(tke_config(models=[{**R1_7B, "volumes": [volume]}]))
    assert any(m.startswith("tke-llm:models[0].volumes[0]") and text in m for m in found), found



def test_env_values_are_strings_and_names_identifiers():
    m = ModelConfig.model_validate({**R1_7B, "env": {"NCCL_IB_QPS_PER_CONNECTION": 4, "A_B": "x"}})
    assert m.env == {"NCCL_IB_QPS_PER_CONNECTION": "4", "A_B": "x"}
    found = errors(tke_config(models=[{**R1_7B, "env": {"1BAD": "x"}}]))
    assert any(f.startswith("tke-llm:models[0].env") and "not an environment variable name" in f for f in found), found


def test_pull_secrets_are_secret_names():
    found = errors(tke_config(imagePullSecrets=["Bad_Name"], models=[R1_7B]))
    assert any(f.startswith("tke-llm:imagePullSecrets[0]") for f in found), found
