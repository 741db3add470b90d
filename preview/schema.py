"""`python -m preview.schema`: the JSON Schema of `Pulumi.<stack>.yaml`, for editors.

Generated from the pydantic models in `config/` (the only source of truth); committed as
`schema/stack-config.schema.json`, which `tests/preview/test_schema.py` keeps in sync. What it describes and
how to point an editor at it: docs/configuration.md, "Editor schema".

    python -m preview.schema [--check | --undocumented]
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ValidationError

from config import PROJECT, StackConfig
from config.formats import INT32_MAX
from config.namespaces import PROVIDER_NAMESPACES

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "schema" / "stack-config.schema.json"
REGENERATE = "python -m preview.schema  (or: make schema)"

# Wording for fields that several models share and that carry no docstring of their own. A field's own
# docstring always wins; add one there rather than here.
DOCS: dict[str, str] = {
    "kind": "Selects the variant of this section.",
    "name": "Name of this item; used to derive the names of the objects it creates.",
    "minSize": "Fewest nodes the pool scales down to (0 lets a GPU pool cost nothing while idle).",
    "maxSize": "Most nodes the pool scales up to.",
    "autoscaling": "Let the cluster autoscaler move the node count between minSize and maxSize.",
    "labels": "Extra Kubernetes labels put on the pool's nodes.",
    "instanceType": "CVM instance type of the nodes, e.g. PNV4.7XLARGE116 (1x A10) or S5.2XLARGE16 (CPU).",
    "instanceIds": "CVM instance ids (ins-xxxxxxxx) to join to the cluster.",
    "backupInstanceTypes": "Instance types to fall back to when the first one is sold out.",
    "zones": "Availability zones of the pool (each needs a subnet in cluster.network.subnets).",
    "publicBandwidthMbps": "Public outbound bandwidth per node in Mbit/s (0: no public IP; downloads go through NAT).",
    "chargeType": "CVM billing: POSTPAID_BY_HOUR, PREPAID or SPOTPAID.",
    "systemDiskType": "CBS type of the system disk.",
    "dataDiskType": "CBS type of the data disk.",
    "osImage": "Node OS image name.",
    "deletionProtection": "Refuse deletion of this resource in Tencent Cloud until the flag is cleared.",
    "gpuSoftware": "GPU driver, CUDA and cuDNN installed on the nodes.",
    "software": "GPU driver, CUDA and cuDNN installed on the nodes (TKE console names and versions).",
    "driver": "NVIDIA driver package (name and version, as the TKE console lists them).",
    "cuda": "CUDA toolkit package (name and version).",
    "cudnn": "cuDNN package (name, version, docName, devName).",
    "mig": "Enable MIG partitioning on the GPUs.",
    "version": "Version string as the TKE console lists it.",
    "docName": "cuDNN documentation package name.",
    "devName": "cuDNN development package name.",
    "permissionGroupId": "CFS permission group (pgroupbasic allows the VPC).",
    "storageClassName": "Name of the StorageClass the model volume uses.",
    "ccn": "The Cloud Connect Network that CFS-Turbo is reached through.",
    "network": "VPC and subnets of the cluster.",
    "endpoint": "API server access: public (with allowed source ranges) or private.",
    "maxPodsPerNode": "Pod addresses per node (a power of two; the pod range is cut into per-node blocks).",
    "vpcCidr": "Range of a new VPC, e.g. 10.0.0.0/16 (ignored when vpcId names an existing one).",
    "source": "Where the weights come from: huggingface, modelscope or ollama.",
    "engine": "Serving engine: vllm, sglang or ollama.",
    "gpusPerNode": "GPUs each server uses on a node (the tensor-parallel size).",
    "replicas": "Number of servers (each of `nodes` nodes).",
    "settings": "Engine settings: context length, memory fraction, dtype, batching, extra flags.",
    "cpu": "CPU request of each server.",
    "memory": "Memory request and limit of each server.",
    "tokenSecret": "Name of a secret config key holding an access token.",
    "quantization": "Quantization method passed to the engine (e.g. fp8, awq).",
    "prefixCaching": "Reuse the KV cache of shared prompt prefixes.",
    "chunkedPrefill": "Split long prompts into chunks interleaved with decoding.",
    "maxBatchedTokens": "Most tokens the engine batches in one step.",
    "key": "Taint key.",
    "value": "Taint value.",
    "effect": "Taint effect.",
    "cluster": "The Kubernetes cluster: a new TKE cluster (`kind: tke`) or an existing one (`kind: existing`).",
    "nodePools": "Node pools: one CPU system pool plus GPU pools on a new cluster; `kind: existing` GPU node "
                 "selections on an existing one.",
    "storage": "Where the model weights live: cfs, cfs-turbo, local or an existing StorageClass.",
    "models": "The models to download and serve.",
    "modelCache": "How weights are downloaded once, before GPU nodes wait for them.",
    "prometheus": "Which Prometheus scrapes the stack.",
    "alerts": "Thresholds of the default alert rules.",
    "scrapeInterval": "How often Prometheus scrapes the servers.",
    "namespace": "Namespace of the component.",
    "scaleUp": "How fast the autoscaler adds servers.",
    "scaleDown": "How fast the autoscaler removes servers.",
    "pods": "Most pods changed per period.",
    "periodSeconds": "Length of the period, in seconds.",
    "disabled": "Names of default alerts to leave out.",
}

# Typical values for fields whose default, allowed values or docstring give no example.
EXAMPLES: dict[str, Any] = {
    "name": "gpu-a10",
    "region": "ap-shanghai",
    "instanceType": "PNV4.7XLARGE116",
    "instanceIds": ["ins-abcd1234"],
    "backupInstanceTypes": ["PNV4.14XLARGE232"],
    "zones": ["ap-shanghai-5"],
    "zone": "ap-shanghai-5",
    "labels": {"team": "ml"},
    "nodeSelector": {"nvidia.com/gpu.present": "true"},
    "vpcId": "vpc-abcd1234",
    "vpcCidr": "10.0.0.0/16",
    "cidr": "10.0.1.0/24",
    "id": "subnet-abcd1234",
    "allowedCidrs": ["203.0.113.10/32"],
    "securityGroupIds": ["sg-abcd1234"],
    "certificateId": "8u8DII0l",
    "kubeconfigPath": "~/.kube/config",
    "kubeconfigSecret": "kubeconfig",
    "context": "my-cluster",
    "tokenSecret": "hfToken",
    "servedName": "Qwen3-14B",
    "pool": "gpu-a10",
    "repo": "Qwen/Qwen3-14B",
    "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    "revision": "40c069824f4251a91eefaf281ebe4c544efd3e18",
    "tag": "deepseek-r1:7b",
    "endpoint": "https://hf-mirror.com",
    "type": "A10",
    "count": 1,
    "rdma": True,
    "storageClassName": "standard-rwx",
    "capacityGib": 20480,
    "key": "nvidia.com/gpu",
    "value": "present",
    "keyId": "skey-abcd1234",
    "imageId": "img-abcd1234",
    "maxModelLen": 32768,
    "maxNumSeqs": 128,
    "maxBatchedTokens": 8192,
    "quantization": "fp8",
    "extraArgs": ["--enable-auto-tool-choice"],
    "imageRegistry": "ccr.ccs.tencentyun.com/my-mirror",
    "pipIndexUrl": "https://mirrors.cloud.tencent.com/pypi/simple",
    "hostPath": "/data/models",
    "cpu": "8",
    "memory": "64Gi",
    "driver": {"name": "NVIDIA-Linux-x86_64-470.182.03.run", "version": "470.182.03"},
    "cuda": {"name": "cuda_11.4.3_470.82.01_linux.run", "version": "11.4.3"},
    "cudnn": {"name": "cudnn-11.4-linux-x64-v8.2.4.15.tgz", "version": "8.2.4",
              "docName": "libcudnn8-doc_8.2.4.15-1+cuda11.4_amd64.deb",
              "devName": "libcudnn8-dev_8.2.4.15-1+cuda11.4_amd64.deb"},
}

# Whole-section examples shown on the `tke-llm:<section>` keys (a minimal valid value of each).
SECTION_EXAMPLES: dict[str, Any] = {
    "cluster": {"kind": "tke", "region": "ap-shanghai",
                "network": {"vpcCidr": "10.0.0.0/16", "subnets": [{"zone": "ap-shanghai-5", "cidr": "10.0.1.0/24"}]},
                "endpoint": {"access": "public", "allowedCidrs": ["203.0.113.10/32"]}},
    "nodePools": [
        {"name": "system", "kind": "normal", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3},
        {"name": "gpu-a10", "kind": "normal", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2,
         "gpu": {"type": "A10", "count": 1}},
    ],
    "storage": {"kind": "cfs", "tier": "performance", "sizeGi": 200},
    "models": [{"name": "qwen3-14b", "servedName": "Qwen3-14B", "engine": "vllm", "pool": "gpu-a10",
                "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-14B",
                           "revision": "40c069824f4251a91eefaf281ebe4c544efd3e18", "endpoint": "https://hf-mirror.com"}}],
}

SECURE = {
    "type": "object",
    "description": "A secret value, encrypted by the stack's secrets provider: write it with "
                   "`pulumi config set --secret <key> <value>`, never by hand.",
    "properties": {"secure": {"type": "string", "description": "Ciphertext (v1:...).", "examples": ["v1:abc123=="]}},
    "required": ["secure"],
    "additionalProperties": False,
    "examples": [{"secure": "v1:abc123=="}],
}


def _is_auto_title(title: str, key: str) -> bool:
    return title.replace(" ", "").lower() == key.replace("_", "").lower()


def _type_example(prop: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A value of the right shape when nothing better is known."""
    if "const" in prop:
        return prop["const"]
    if prop.get("enum"):
        return prop["enum"][0]
    for alt in prop.get("anyOf") or prop.get("oneOf") or []:
        if alt.get("type") != "null":
            return _type_example(alt, defs)
    if "$ref" in prop:
        target = defs.get(prop["$ref"].rsplit("/", 1)[-1], {})
        return {k: _example_of(k, v, defs) for k, v in (target.get("properties") or {}).items() if k in target.get("required", [])}
    typ = prop.get("type")
    if typ == "boolean":
        return True
    if typ == "integer":
        return int(prop.get("minimum", prop.get("exclusiveMinimum", 0) + 1) or 1)
    if typ == "number":
        return prop.get("minimum", 0.5)
    if typ == "array":
        item = prop.get("items") or {}
        return [_type_example(item, defs)] if item else []
    if typ == "object":
        return {"key": "value"}
    return "value"


def _example_of(key: str, prop: dict[str, Any], defs: dict[str, Any]) -> Any:
    if prop.get("examples"):
        return prop["examples"][0]
    for alt in prop.get("anyOf") or []:  # an optional formatted string carries its own example
        if alt.get("examples"):
            return alt["examples"][0]
    if "const" in prop:
        return prop["const"]
    if prop.get("enum"):
        return prop["enum"][0]
    if prop.get("default") is not None:
        return prop["default"]
    if key in EXAMPLES:
        return EXAMPLES[key]
    return _type_example(prop, defs)


def _ref_description(prop: dict[str, Any], defs: dict[str, Any]) -> str | None:
    refs = [prop] + list(prop.get("anyOf") or []) + list(prop.get("oneOf") or [])
    for r in refs:
        if "$ref" in r:
            desc = defs.get(r["$ref"].rsplit("/", 1)[-1], {}).get("description")
            if desc:
                return desc
    return None


def _describe(key: str, prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if prop.get("description"):
        return prop["description"]
    if key == "kind" and "const" in prop:
        return f"Selects this variant: `kind: {prop['const']}`."
    return _ref_description(prop, defs) or DOCS.get(key) or f"`{key}`."


def _enrich(props: dict[str, Any], defs: dict[str, Any]) -> None:
    for key, prop in props.items():
        if _is_auto_title(prop.get("title", ""), key):
            del prop["title"]
        prop["description"] = _describe(key, prop, defs)
        if not prop.get("examples"):
            example = _example_of(key, prop, defs)
            prop["examples"] = [example]
            enum = prop.get("enum") or []
            if len(enum) > 1:
                prop["examples"] = list(enum)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's annotation names directly (through Optional, unions and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _models_in(a)]
    return []


def _walk_models(root: type[BaseModel]) -> Iterator[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        yield model
        for f in model.model_fields.values():
            stack = [f.annotation]
            while stack:
                a = stack.pop()
                todo += _models_in(a)
                stack += [x for x in typing.get_args(a) if not isinstance(x, (str, int, float, bool))]


def _kinds(model: type[BaseModel]) -> list[str]:
    f = model.model_fields.get("kind")
    return [a for a in typing.get_args(f.annotation) if isinstance(a, str)] if f is not None else []


def shorthands(root: type[BaseModel] = StackConfig) -> dict[tuple[str, str], list[Any]]:
    """(model name, field alias) -> scalar values that a `mode="before"` validator accepts in place of
    the field's mapping (`gateway: litellm`, `webui: true`). The JSON Schema pydantic emits cannot see
    those validators, so each candidate (a `kind` value, true, false) is tried on the real model."""
    found: dict[tuple[str, str], list[Any]] = {}
    for model in _walk_models(root):
        for name, f in model.model_fields.items():
            targets = _models_in(f.annotation)
            if not targets:
                continue
            alias = f.alias or name
            candidates = [k for t in targets for k in _kinds(t)] + [True, False]
            for value in dict.fromkeys(candidates):
                try:
                    model.model_validate({alias: value})
                except ValidationError as err:
                    if any(e["loc"][:1] == (alias,) for e in err.errors()):
                        continue
                found.setdefault((model.__name__, alias), []).append(value)
    return found


def _add_shorthands(prop: dict[str, Any], values: list[Any]) -> dict[str, Any]:
    strings = [v for v in values if isinstance(v, str)]
    alts: list[dict[str, Any]] = []
    if strings:
        alts.append({"type": "string", "enum": strings, "description": "Shorthand for `{kind: <value>}`."})
    bools = [v for v in values if isinstance(v, bool)]
    if bools:
        alts.append({"type": "boolean", "description": "Shorthand: true or false for the section's defaults "
                                                       "switched on or off."} if len(bools) == 2 else
                    {"const": bools[0]})
    shape = {k: v for k, v in prop.items() if k in ("$ref", "anyOf", "oneOf", "discriminator", "type", "properties")}
    rest = {k: v for k, v in prop.items() if k not in shape}
    if list(shape) == ["anyOf"]:
        return {**rest, "anyOf": [*shape["anyOf"], *alts]}
    return {**rest, "anyOf": [shape, *alts]}


def undocumented() -> list[str]:
    """`Model.field` of every field whose description comes from this module, not its own docstring."""
    raw = StackConfig.model_json_schema(by_alias=True)
    found = []
    for name, d in [("StackConfig", raw), *raw.get("$defs", {}).items()]:
        for key, prop in (d.get("properties") or {}).items():
            if not prop.get("description"):
                found.append(f"{name}.{key}")
    return found


def _int32(node: Any) -> None:
    """Every integer is bounded to int32 by the config models (config/base.py); say so."""
    if isinstance(node, dict):
        if node.get("type") == "integer" and "maximum" not in node and "exclusiveMaximum" not in node:
            node["maximum"] = INT32_MAX
        for v in node.values():
            _int32(v)
    elif isinstance(node, list):
        for v in node:
            _int32(v)


def build_schema() -> dict[str, Any]:
    raw = copy.deepcopy(StackConfig.model_json_schema(by_alias=True))
    _int32(raw)
    defs: dict[str, Any] = raw.pop("$defs", {})
    for (model, alias), values in shorthands().items():
        owner = raw if model == StackConfig.__name__ else defs.get(model)
        props = (owner or {}).get("properties") or {}
        if alias in props:
            props[alias] = _add_shorthands(props[alias], values)
    for d in defs.values():
        _enrich(d.get("properties") or {}, defs)
    sections: dict[str, Any] = raw.get("properties") or {}
    _enrich(sections, defs)
    required = set(raw.get("required") or [])

    config_props: dict[str, Any] = {}
    for key, prop in sections.items():
        prop = dict(prop)
        if key in SECTION_EXAMPLES:
            prop["examples"] = [SECTION_EXAMPLES[key]]
        prop["description"] = prop["description"] + (" Required." if key in required else "")
        config_props[f"{PROJECT}:{key}"] = prop
    names = "|".join(re.escape(k) for k in sections)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://tke-llm.local/schema/stack-config.schema.json",
        "title": f"Pulumi.<stack>.yaml of the {PROJECT} project",
        "description": f"A stack file: `config:` holds the `{PROJECT}:<section>` keys (camelCase), provider settings "
                       "such as `tencentcloud:region`, and secrets set with `pulumi config set --secret`. Generated "
                       f"from config/ by `{REGENERATE}`; do not edit by hand.",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "description": f"Stack configuration. Unknown `{PROJECT}:` keys are errors, except secrets that a "
                               "section names (e.g. `tokenSecret: hfToken`, `kubeconfigSecret: kubeconfig`). A key "
                               f"written without a namespace is the project's (`webui: false` is `{PROJECT}:webui`), "
                               "as the Pulumi CLI reads it; keys written twice are refused.",
                "properties": config_props,
                "patternProperties": {
                    # A secret that a section refers to by name: only ever an encrypted value.
                    f"^{PROJECT}:(?!({names})$)[A-Za-z][A-Za-z0-9_]*$": {"$ref": "#/$defs/SecureValue"},
                    # Other namespaces: only the providers the program uses (config/namespaces.py).
                    f"^({'|'.join(PROVIDER_NAMESPACES)}):.+$": {
                        "description": "A provider setting, e.g. `tencentcloud:region: ap-shanghai` (the same "
                                       f"region as `{PROJECT}:cluster.region`). Any other namespace is refused.",
                        "examples": ["ap-shanghai"],
                    },
                },
                "additionalProperties": False,
                "required": [f"{PROJECT}:{k}" for k in sections if k in required],
                # A new TKE cluster needs the provider's region (config/namespaces.py `provider_issues`).
                "if": {"properties": {f"{PROJECT}:cluster": {
                    "description": "Condition: a new TKE cluster, which needs `tencentcloud:region`.",
                    "examples": [{"kind": "tke"}], "required": ["kind"],
                    "properties": {"kind": {"const": "tke", "description": "Condition: `kind: tke`.",
                                            "examples": ["tke"]}}}},
                       "required": [f"{PROJECT}:cluster"]},
                "then": {"required": ["tencentcloud:region"]},
                "examples": [{"tencentcloud:region": "ap-shanghai",
                              **{f"{PROJECT}:{k}": v for k, v in SECTION_EXAMPLES.items()}}],
            },
            "secretsprovider": {"type": "string", "description": "Secrets provider of this stack, e.g. `passphrase`.",
                                "examples": ["passphrase"]},
            "encryptionsalt": {"type": "string", "description": "Salt of the passphrase secrets provider (written by Pulumi).",
                               "examples": ["v1:abcdEFGH=:v1:abcd:abcd"]},
            "encryptedkey": {"type": "string", "description": "Data key of a cloud KMS secrets provider (written by Pulumi).",
                             "examples": ["AQICAHg..."]},
            "environment": {"description": "Pulumi ESC environments imported into this stack.",
                            "examples": [["tke-llm/dev"]]},
        },
        "additionalProperties": False,
        "$defs": {**defs, "SecureValue": SECURE},
    }


def render() -> str:
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m preview.schema", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=SCHEMA_PATH, help=f"where to write (default {SCHEMA_PATH.relative_to(ROOT)})")
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if the file differs")
    ap.add_argument("--undocumented", action="store_true", help="list the fields without a docstring of their own")
    args = ap.parse_args(argv)
    if args.undocumented:
        print("\n".join(undocumented()))
        return 0
    text = render()
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date with config/; regenerate it: {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
