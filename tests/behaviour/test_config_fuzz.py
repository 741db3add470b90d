"""A config fuzzer over the shipped stacks: one value replaced, a key removed, one added or a list item
repeated, anywhere in the stack file. Every outcome must be one a user can act on: exit 2 with messages
that name a key, or a plan whose objects pass the Kubernetes schemas (strict) and the CRD schemas with no
clashing names. Never a traceback; never an input of a known bad class (BAD) accepted.

Deterministic (`derandomize`): CI sees the same cases every run. `FUZZ_EXAMPLES=500 FUZZ_RANDOM=1` explores more
locally; a failure prints the mutation to add to tests/config/test_formats.py as a named case.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks import checked

from config import ConfigError
from preview import render
from preview.stackfile import read, shipped_stacks, stack_path
from program.uniqueness import DuplicateObjects, collisions, plan_objects

from tests.validators import validate_builtin, validate_custom

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))

URLS = ["not a url", "ftp://mirror.example.com/x", "https://user:pw@mirror.example.com/x",
        "https://mirror.example.com/../x", "https://a b"]
BAD: dict[str, list[Any]] = {
    # Free text that reaches the cloud API or a pod: each class of the key's own bad values.
    r"nodePools\.\d+\.(instanceType|backupInstanceTypes\.\d+)": ["x|nc evil 1", "../../etc", "A" * 10_000, ""],
    r"nodePools\.\d+\.osImage": ["", "tlinux 3.1", "os\n"],
    r"nodePools\.\d+\.hourlyPrice": [2**63, 1e12],
    r"models\.\d+\.source\.revision": ["v1 0", "a|b", "a..b", "../x", "v1\n", ""],
    r"models\.\d+\.source\.tag": ["r1:7b x", "r1|x:1", "r1:../x", ""],
    r"models\.\d+\.source\.endpoint": URLS,
    r"models\.\d+\.settings\.quantization": ["int3", "awq; rm -rf /", "FP8"],
    r"models\.\d+\.servedName": ["", "a b", "R1\n"],
    r"models\.\d+\.image": ["vllm/vllm-openai:v1 x", "x|y:1"],
    r"modelCache\.pipIndexUrl": URLS,
    r"monitoring\.prometheus\.url": URLS,
    r"monitoring\.prometheus\.agentNamespace": ["Prom", "a_b", "a" * 64],
    r"imageRegistry": ["a..b/mirror", "https://ccr.ccs.tencentyun.com", "x/../y"],
    r"exposure\.(api|webui)\.tls\.issuer": ["a_b", "abc.", "Le Prod"],
    r"exposure\.(api|webui)\.className": ["ng inx", "nginx\u200b", "Nginx"],
    r"cluster\.context": ["ctx\nother", ""],
    r"cluster\.name": ["k: v", "", "x" * 64],
    # Namespaces every cluster has, or where a configured controller runs.
    r"namespace": ["kube-system", "kube-public", "kube-node-lease", "default"],
}
"""Per key (a regex over the dotted path), values that must be refused whatever the rest of the stack."""
INJECT: dict[str, list[tuple]] = {
    # Optional keys the shipped stacks leave unset: where to set them so each class is exercised.
    "dev": [("nodePools", 1, "osImage"), ("nodePools", 1, "backupInstanceTypes", 0), ("nodePools", 1, "hourlyPrice"),
            ("models", 0, "settings", "quantization"), ("models", 0, "image"), ("cluster", "name")],
    "prod": [("monitoring", "prometheus", "url"), ("monitoring", "prometheus", "agentNamespace")],
    "byo": [("cluster", "context"), ("exposure", "api", "className")],
}
CONTROLLER_NAMESPACES = {"prod": ["envoy-gateway-system", "llm-apps", "prom-prodllm1"], "byo": ["ingress-nginx"],
                         "dev": ["llm-apps"]}
"""The namespaces the shipped stacks' controllers and client apps run in: never the stack's own."""

ODD_VALUES: list[Any] = [
    None, "", " ", "x" * 300, "Bad Name!", "../etc", "ünïcode", "1e999", "-1", "0", "1.5", "16Gi", "2 cores",
    "vpc-1", "ap-guangzhou-3", "default", "monitoring", "llm-gateway", "--port=1", "main",
    0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 0.5, -0.5, float("nan"), float("inf"), True, False,
    [], ["x"], {}, {"kind": "none"}, {"unknown": 1},
    *sorted({repr(v): v for values in BAD.values() for v in values}.values(), key=repr),
    "envoy-gateway-system", "ingress-nginx", "kube-system", "ReadWriteOnce",
]


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


def _dotted(path: tuple) -> str:
    return ".".join(map(str, path))


def must_refuse(path: tuple, value: Any) -> bool:
    """`value` at `path` is of a known bad class (BAD)."""
    return any(re.fullmatch(key, _dotted(path)) and any(value == v and type(value) is type(v) for v in values)
               for key, values in BAD.items())


def _mutate(raw: dict, path: tuple, op: str, value: Any) -> dict:
    raw = copy.deepcopy(raw)
    parent = raw
    for j, part in enumerate(path[:-1]):
        # A missing mapping or list on the way (an INJECT path) is created.
        parent = parent.setdefault(part, [] if isinstance(path[j + 1], int) else {}) if isinstance(parent, dict) \
            else parent[part]
    last = path[-1]
    if op == "duplicate":
        parent.append(copy.deepcopy(parent[last]))
    elif isinstance(parent, list) and last == len(parent):
        parent.append(value)
    elif op == "delete":
        if isinstance(parent, list):
            parent.pop(last)
        else:
            del parent[last]
    elif op == "add" and isinstance(parent, dict):
        parent[f"{last}X"] = value
    else:
        parent[last] = value
    return raw


def refusal(raw: dict, secrets: set[str]) -> list[str] | None:
    """The keyed issues a config is refused with before rendering; None when it is accepted."""
    try:
        checked(raw, secrets)
    except ConfigError as err:
        return [str(i) for i in err.issues]
    return None


def outcome(stack: str, raw: dict, secrets: set[str]) -> str:
    try:
        cfg = checked(raw, secrets)
    except ConfigError as err:
        assert err.issues, "a refusal lists what to fix"
        for issue in err.issues:
            assert issue.key.startswith(("tke-llm:", "tencentcloud:")), f"unkeyed: {issue}"
            assert issue.key != "tke-llm:", f"keyed to the whole stack: {issue}"
            assert issue.message.strip(), f"no message: {issue}"
        return "refused"
    try:
        plan = render(cfg, stack, raw, secrets)
    except DuplicateObjects as err:
        assert all(i.key.startswith("tke-llm:") for i in err.issues), err
        return "refused"
    assert not collisions(cfg, plan_objects(plan)), "the program let two objects share a name"
    docs = [r.manifest for r in plan.k8s_objects if r.manifest.get("kind")]
    errors = validate_builtin(docs, cfg.cluster.kubernetes_version) + validate_custom(docs)
    assert not errors, "a plan the API server would reject:\n" + "\n".join(errors)
    return "rendered"


@pytest.mark.parametrize("stack", shipped_stacks())
@settings(max_examples=EXAMPLES, deadline=None, derandomize="FUZZ_RANDOM" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_stacks_are_refused_with_a_key_or_render_valid_objects(stack, data):
    raw, secrets = read(stack)
    present = _paths(raw)
    path = data.draw(st.sampled_from(present + INJECT.get(stack, [])), label="path")
    ops = (["replace", "replace", "delete", "add"] + (["duplicate"] if isinstance(path[-1], int) else [])
           if path in present else ["replace"])
    op = data.draw(st.sampled_from(ops), label="op")
    value = data.draw(st.one_of(st.sampled_from(ODD_VALUES), st.integers(-(2**70), 2**70),
                                st.text(max_size=12)), label="value")
    result = outcome(stack, _mutate(raw, path, op, value), secrets)
    if op == "duplicate":
        assert result == "refused", f"a repeated {_dotted(path[:-1])} entry was accepted"
    if op == "replace" and must_refuse(path, value):
        assert result == "refused", f"{_dotted(path)}: {value!r} was accepted"


def _bad_cases() -> list[tuple[str, tuple, Any]]:
    """Every BAD value at every place of its key in the shipped stacks (their own keys and INJECT)."""
    cases = []
    for stack in shipped_stacks():
        raw, _ = read(stack)
        paths = [p for p in _paths(raw) if not isinstance(p[-1], int) or p[-2] == "backupInstanceTypes"]
        for path in paths + INJECT.get(stack, []):
            for key, values in BAD.items():
                if re.fullmatch(key, _dotted(path)):
                    cases += [(stack, path, v) for v in values]
        cases += [(stack, ("namespace",), ns) for ns in CONTROLLER_NAMESPACES.get(stack, [])]
    return cases


@pytest.mark.parametrize("stack, path, value", _bad_cases(), ids=lambda x: repr(x)[:40])
def test_each_bad_input_class_is_refused_with_its_key(stack, path, value):
    """The classes a stack file must never get through with: refused before anything renders, keyed to
    the field (the value's own key, or its list) and saying what to write."""
    raw, secrets = read(stack)
    found = refusal(_mutate(raw, path, "replace", value), secrets)
    assert found is not None, f"{stack}: {_dotted(path)} = {value!r} was accepted"
    camel = "tke-llm:" + re.sub(r"\.(\d+)", r"[\1]", _dotted(path))
    keys = (f"{camel}: ", f"{camel.rsplit('[', 1)[0]}: ") if isinstance(path[-1], int) else (f"{camel}: ",)
    assert any(f.startswith(keys) for f in found), found


@pytest.mark.parametrize("stack", shipped_stacks())
def test_every_repeated_list_entry_is_refused(stack):
    """Repeats are mistakes in every list of the shipped stacks: two pools or models of one name, a
    zone's subnet twice, a duplicate security-group rule, two fallbacks for one model or to one target."""
    raw, secrets = read(stack)
    lists = [p for p in _paths(raw) if isinstance(p[-1], int) and p[-1] == 0]
    assert lists
    for path in lists:
        assert refusal(_mutate(raw, path, "duplicate", None), secrets) is not None, \
            f"{stack}: {_dotted(path[:-1])} repeated was accepted"


@pytest.mark.parametrize("stack", [s for s in shipped_stacks() if read(s)[0]["cluster"]["kind"] == "tke"])
def test_a_tke_stack_without_the_provider_region_or_with_another_is_refused(stack, tmp_path):
    text = stack_path(stack).read_text()
    region = re.search(r"^  tencentcloud:region: (\S+)\n", text, re.M)
    assert region, "a TKE stack ships tencentcloud:region"
    for changed in (text.replace(region.group(0), ""), text.replace(region.group(0), "  tencentcloud:region: eu-frankfurt\n")):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(changed)
        with pytest.raises(ConfigError) as exc:
            read(stack, tmp_path)
        assert [i.key for i in exc.value.issues] == ["tencentcloud:region"]


def test_a_read_write_once_model_volume_is_refused():
    """Without the class's provisioner the program cannot tell a network disk from a node-local one: the
    refusal asks for `storage.provisioner` and offers a ReadWriteMany class; a node-local provisioner is
    refused at the access mode itself."""
    raw, secrets = read("byo")
    rwo = _mutate(raw, ("storage", "accessMode"), "replace", "ReadWriteOnce")
    found = refusal(rwo, secrets)
    assert found and any(f.startswith("tke-llm:storage.provisioner: ") and "storage.accessMode: ReadWriteMany" in f
                         for f in found), found
    found = refusal(_mutate(rwo, ("storage", "provisioner"), "replace", "rancher.io/local-path"), secrets)
    assert found and any(f.startswith("tke-llm:storage.accessMode: ") and "node-local" in f for f in found), found


@pytest.mark.parametrize("path, value", [
    (("models", 0, "memory"), "1GB"),
    (("models", 0, "cpu"), "-2"),
    (("storage", "sizeGi"), 2**62),
    (("nodePools", 0, "labels"), {"bad key!": "x"}),
    (("namespace",), "default"),
    (("cluster", "region"), "ap-guangzhou"),
])
def test_known_classes_are_refused_on_the_dev_stack(path, value):
    raw, secrets = read("dev")
    assert outcome("dev", _mutate(raw, path, "replace", value), secrets) == "refused"


def test_every_bad_class_is_exercised():
    covered = {key for key in BAD for _, path, _ in _bad_cases() if re.fullmatch(key, _dotted(path))}
    assert covered == set(BAD), f"no shipped stack or INJECT path reaches {sorted(set(BAD) - covered)}"
