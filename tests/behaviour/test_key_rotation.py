"""Rotating a generated key (`keys.rotate`) rolls exactly the pods that read it: each pod template
carries the sha256 of the key Secrets it reads, rendered under the mocks with the key before and after
the rotation (preview/mocks.py generates a different value for a rotated key, as the provider does)."""

from __future__ import annotations

import json

import pytest

from components.generated_secret import TYPE as GENERATED_SECRET
from preview.mocks import SECRET_MASK
from render import litellm, webui
from render.credentials import KEYS_CHECKSUM_ANNOTATION

from tests.conftest import existing_config, render_raw, tke_config

VLLM = {"name": "qwen3-8b", "servedName": "Qwen3-8B", "engine": "vllm", "pool": "gpu",
        "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "b968826d9c46dd6066d109eabc6255188de91218"},
        "settings": {"maxModelLen": 8192}}
R1 = {"name": "deepseek-r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "h20", "gpusPerNode": 8,
      "nodes": 2, "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 32768}}
OLLAMA = {"name": "r1-7b", "servedName": "deepseek-r1:7b", "engine": "ollama", "pool": "gpu",
          "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
POOLS = [{"kind": "normal", "name": "system", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3},
         {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2,
          "gpu": {"type": "A10", "count": 1}},
         {"kind": "attached", "name": "h20", "instanceIds": ["ins-0000000a", "ins-0000000b"], "keyId": "skey-00000001",
          "gpu": {"type": "H20", "count": 8, "rdma": True}}]

PODS = {
    "engine": ("Deployment", VLLM["name"], "template"),
    "leader": ("LeaderWorkerSet", R1["name"], "leaderTemplate"),
    "worker": ("LeaderWorkerSet", R1["name"], "workerTemplate"),
    "gateway": ("Deployment", litellm.NAME, "template"),
    "webui": ("Deployment", webui.NAME, "template"),
}


def stack(**rotate: int):
    return tke_config(nodePools=POOLS, models=[VLLM, R1], storage={"kind": "cfs", "sizeGi": 1000},
                      keys={"rotate": rotate})


def template(plan, pod: str) -> dict:
    kind, name, part = PODS[pod]
    spec = plan.manifest(kind, name)["spec"]
    return spec["template"] if part == "template" else spec["leaderWorkerTemplate"][part]


def checksums(plan) -> dict[str, str | None]:
    return {pod: (template(plan, pod)["metadata"].get("annotations") or {}).get(KEYS_CHECKSUM_ANNOTATION)
            for pod in PODS}


def secret_value(plan, name: str) -> dict[str, str]:
    (r,) = [r for r in plan.k8s_objects if r.manifest["kind"] == "Secret" and r.manifest["metadata"]["name"] == name]
    return r.raw_inputs["stringData"]


@pytest.fixture(scope="module")
def base():
    return render_raw(stack())


def test_every_pod_that_reads_a_generated_key_carries_the_checksum(base):
    sums = checksums(base)
    assert sums["worker"] is None, "the LWS worker reads no key (the leader's template change rolls the group)"
    for pod in ("engine", "leader", "gateway", "webui"):
        assert sums[pod] is not None and len(sums[pod]) == 64, pod
    assert len({sums[p] for p in ("engine", "leader", "gateway", "webui")}) == 4, "each covers its own keys"


def test_the_checksum_is_shown_in_previews_and_leaks_no_key(base):
    """Not a secret (the masked inputs carry it as is: a Deployment's spec stays readable in a diff), and
    neither a key nor part of one."""
    keys = [v for r in base.k8s_objects if r.manifest["kind"] == "Secret" for v in r.raw_inputs["stringData"].values()]
    assert len(keys) >= 5
    for pod, value in checksums(base).items():
        if value is None:
            continue
        assert value != SECRET_MASK, pod
        assert not any(k in value or value in k or k.removeprefix("sk-")[:16] in value for k in keys), pod
        text = json.dumps(template(base, pod))
        assert not any(k in text for k in keys), f"{pod}: a key in the pod template"


@pytest.mark.parametrize("rotate, secrets, rolled", [
    ({"appKey": 1}, {litellm.APP_KEY_SECRET}, {"gateway", "webui"}),
    ({"masterKey": 1}, {litellm.MASTER_KEY_SECRET}, {"gateway"}),
    ({"engineKeys": 1}, {f"{VLLM['name']}-api-key", f"{R1['name']}-api-key"}, {"engine", "leader", "gateway"}),
    ({"webuiSecretKey": 1}, {webui.SECRET}, {"webui"}),
    ({"appKey": 2, "webuiSecretKey": 7}, {litellm.APP_KEY_SECRET, webui.SECRET}, {"gateway", "webui"}),
])
def test_a_rotated_key_changes_its_secret_and_rolls_exactly_its_readers(base, rotate, secrets, rolled):
    after = render_raw(stack(**rotate))
    names = {r.manifest["metadata"]["name"] for r in base.k8s_objects if r.manifest["kind"] == "Secret"}
    changed = {n for n in names if secret_value(base, n) != secret_value(after, n)}
    assert changed == secrets
    before_sums, after_sums = checksums(base), checksums(after)
    assert {p for p in PODS if before_sums[p] != after_sums[p]} == rolled
    rotated = {r.name: r.inputs.get("rotation") for r in after.by_type(GENERATED_SECRET) if r.inputs.get("rotation")}
    assert len(rotated) == len(secrets) and set(rotated.values()) == set(rotate.values()), rotated


def test_an_unrotated_stack_writes_no_rotation_so_existing_keys_keep_their_inputs(base):
    assert all("rotation" not in r.inputs for r in base.by_type(GENERATED_SECRET))


def test_the_same_counter_renders_the_same_checksums():
    assert checksums(render_raw(stack(appKey=3))) == checksums(render_raw(stack(appKey=3)))


def test_with_virtual_keys_the_ui_rolls_with_the_master_key():
    before = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway={"virtualKeys": {"enabled": True}}))
    after = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway={"virtualKeys": {"enabled": True}},
                                  keys={"rotate": {"masterKey": 1}}))
    for name in (litellm.NAME, webui.NAME):
        a, b = (p.manifest("Deployment", name)["spec"]["template"]["metadata"]["annotations"] for p in (before, after))
        assert a[KEYS_CHECKSUM_ANNOTATION] != b[KEYS_CHECKSUM_ANNOTATION], name


def test_without_a_gateway_the_ui_rolls_with_the_engine_key():
    raw = dict(nodePools=POOLS[:2], models=[VLLM], gateway="none")
    before, after = render_raw(tke_config(**raw)), render_raw(tke_config(**raw, keys={"rotate": {"engineKeys": 1}}))
    for name in (VLLM["name"], webui.NAME):
        a, b = (p.manifest("Deployment", name)["spec"]["template"]["metadata"]["annotations"] for p in (before, after))
        assert a[KEYS_CHECKSUM_ANNOTATION] != b[KEYS_CHECKSUM_ANNOTATION], name


def test_an_ollama_server_reads_no_key_and_is_not_restarted_by_a_rotation():
    raw = existing_config(models=[OLLAMA])
    before, after = render_raw(raw), render_raw({**raw, "keys": {"rotate": {"engineKeys": 1}}})
    for plan in (before, after):
        assert KEYS_CHECKSUM_ANNOTATION not in (plan.manifest("Deployment", OLLAMA["name"])["spec"]["template"]
                                                ["metadata"].get("annotations") or {})
    gw = [p.manifest("Deployment", litellm.NAME)["spec"]["template"]["metadata"]["annotations"]
          for p in (before, after)]
    assert gw[0][KEYS_CHECKSUM_ANNOTATION] != gw[1][KEYS_CHECKSUM_ANNOTATION], "the gateway still sends the new key"


@pytest.mark.parametrize("rotate, key", [
    ({"appKey": -1}, "tke-llm:keys.rotate.appKey"),
    ({"dbPassword": 1}, "tke-llm:keys.rotate.dbPassword"),
])
def test_rotation_counters_are_checked(rotate, key):
    from tests.conftest import config_errors

    found = config_errors(stack(**rotate))
    assert any(key in e for e in found), found
