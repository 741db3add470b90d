"""The rules of the tke-llm policy pack, as pure functions of a resource's type, inputs and options.

No import of pulumi_policy here: `tke_llm_pack.py` adapts these to CrossGuard policies, and the tests
call them directly. Inputs are the engine's wire form, wrapped in read-only Mapping/Sequence proxies
during preview, so nothing checks for `dict`/`list` exactly. The heuristics (GPU container, engine
Service, secret-looking name): docs/policy.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml

COMPONENT = "app.kubernetes.io/component"
ENGINE_COMPONENT = "model-server"
GPU_RESOURCE = re.compile(r"^(nvidia\.com/(gpu|mig-.+)|amd\.com/gpu|tke\.cloud\.tencent\.com/qgpu-(core|memory))$")
GPU_IMAGE = re.compile(r"(^|/)(vllm-openai|vllm|sglang|ollama|text-generation-inference|tritonserver|lmdeploy)(:|@|$)")
GPU_NODE_HINT = re.compile(r"gpu", re.IGNORECASE)
SUPER_NODE_GPU = "eks.tke.cloud.tencent.com/gpu-type"
MODEL_FS = "tencentcloud:Cfs/fileSystem:FileSystem"
MODEL_BUCKET = "tencentcloud:Cos/bucket:Bucket"
"""The weight mirror (components/model_mirror.py): every later stack in the region fills from it."""
DATA_PVC_COMPONENTS = {"model-storage", "webui", "open-webui"}


@dataclass
class Res:
    """What a policy sees of one resource."""

    type: str
    props: Mapping[str, Any]
    name: str = ""
    urn: str = ""
    protect: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.type.rsplit(":", 1)[-1] if self.type.startswith("kubernetes:") else ""

    @property
    def meta(self) -> Mapping[str, Any]:
        return _map(self.props.get("metadata"))

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.meta.get('name', self.name)}" if self.kind else self.name


def _map(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _seq(v: Any) -> Sequence[Any]:
    return v if isinstance(v, Sequence) and not isinstance(v, (str, bytes)) else ()


# --- walking Kubernetes objects -------------------------------------------------------------------

def pod_templates(r: Res) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """(where, pod metadata, pod spec) of every pod the object runs."""
    spec = _map(r.props.get("spec"))
    kind = r.kind
    if kind == "Pod":
        yield "spec", r.meta, spec
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"):
        t = _map(spec.get("template"))
        yield "spec.template", _map(t.get("metadata")), _map(t.get("spec"))
    elif kind == "CronJob":
        t = _map(_map(_map(spec.get("jobTemplate")).get("spec")).get("template"))
        yield "spec.jobTemplate.spec.template", _map(t.get("metadata")), _map(t.get("spec"))
    elif kind == "LeaderWorkerSet":
        lwt = _map(spec.get("leaderWorkerTemplate"))
        for part in ("leaderTemplate", "workerTemplate"):
            t = _map(lwt.get(part))
            if t:
                yield f"spec.leaderWorkerTemplate.{part}", _map(t.get("metadata")), _map(t.get("spec"))


def containers(pod: Mapping[str, Any], with_init: bool = True) -> Iterator[tuple[str, Mapping[str, Any]]]:
    groups = ("containers", "initContainers", "ephemeralContainers") if with_init else ("containers",)
    for group in groups:
        for c in _seq(pod.get(group)):
            c = _map(c)
            yield f"{group}[{c.get('name', '?')}]", c


def _labels(meta: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(meta.get("labels"))


# --- 1. GPU containers set GPU limits ------------------------------------------------------------

def _gpu_keys(resources: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if GPU_RESOURCE.match(str(k))}


def targets_gpu_nodes(meta: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    if any(GPU_NODE_HINT.search(str(k)) for k in _map(pod.get("nodeSelector"))):
        return True
    if any(GPU_RESOURCE.match(str(_map(t).get("key", ""))) for t in _seq(pod.get("tolerations"))):
        return True
    if SUPER_NODE_GPU in _map(meta.get("annotations")):
        return True
    return any(GPU_NODE_HINT.search(json.dumps(_plain(e), default=str)) for e in _attracting(pod))


def _attracting(pod: Mapping[str, Any]) -> Iterator[Any]:
    """Node-affinity expressions that draw the pod to nodes (In, Exists, Gt, Lt), required or
    preferred; NotIn and DoesNotExist keep it away (the CPU pods' off-GPU preference on an existing
    cluster, derive/placement.py) and say nothing about running on GPU nodes."""
    na = _map(_map(pod.get("affinity")).get("nodeAffinity"))
    terms = list(_seq(_map(na.get("requiredDuringSchedulingIgnoredDuringExecution")).get("nodeSelectorTerms")))
    terms += [_map(p).get("preference") for p in _seq(na.get("preferredDuringSchedulingIgnoredDuringExecution"))]
    for term in terms:
        term = _map(term)
        for e in [*_seq(term.get("matchExpressions")), *_seq(term.get("matchFields"))]:
            if str(_map(e).get("operator")) not in ("NotIn", "DoesNotExist"):
                yield e


def gpu_limits(r: Res) -> list[str]:
    out = []
    for where, meta, pod in pod_templates(r):
        on_gpu_nodes = targets_gpu_nodes(meta, pod)
        engine_pod = _labels(meta).get(COMPONENT) == ENGINE_COMPONENT
        for cname, c in containers(pod, with_init=False):
            res = _map(c.get("resources"))
            requests, limits = _gpu_keys(_map(res.get("requests"))), _gpu_keys(_map(res.get("limits")))
            for key, value in requests.items():
                if str(limits.get(key)) != str(value):
                    out.append(f"{r.label} {where}.{cname}: requests {key}={value} without the same limit "
                               "(GPUs are assigned by limits; set limits equal to requests)")
            engine_image = bool(GPU_IMAGE.search(str(c.get("image", ""))))
            gpu_container = bool(requests) or (on_gpu_nodes and (engine_pod or engine_image))
            if gpu_container and not limits:
                out.append(f"{r.label} {where}.{cname}: a GPU container without a GPU limit (e.g. "
                           "`resources.limits: {nvidia.com/gpu: 1}`); without it the device plugin assigns no GPU, "
                           "or the container sees every GPU of the node")
    return out


# --- 2. images pinned ----------------------------------------------------------------------------

def image_problem(image: str) -> str | None:
    """None when the reference names a digest or a tag other than `latest`."""
    if not image:
        return "no image"
    if "@sha256:" in image or "@sha512:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"{image!r} has no tag (it means :latest)"
    tag = last.split(":", 1)[1]
    if tag.lower() == "latest" or not tag:
        return f"{image!r} uses the moving tag `latest`"
    return None


def _chart_images(values: Any, path: str = "values") -> Iterator[tuple[str, str]]:
    if isinstance(values, Mapping):
        for k, v in values.items():
            sub = f"{path}.{k}"
            if k == "image" and isinstance(v, str):
                yield sub, v
            elif k == "tag" and isinstance(v, str) and v.lower() == "latest":
                yield sub, f"repository:{v}"
            else:
                yield from _chart_images(v, sub)
    elif isinstance(values, Sequence) and not isinstance(values, (str, bytes)):
        for i, v in enumerate(values):
            yield from _chart_images(v, f"{path}[{i}]")


def images_pinned(r: Res) -> list[str]:
    out = []
    for where, _, pod in pod_templates(r):
        for cname, c in containers(pod):
            problem = image_problem(str(c.get("image") or ""))
            if problem:
                out.append(f"{r.label} {where}.{cname}: {problem}; pin a version tag or a digest")
    if r.type.startswith("kubernetes:helm.sh/"):
        if not r.props.get("version"):
            out.append(f"Chart {r.name}: no chart `version`: every preview may install a different chart")
        for where, image in _chart_images(r.props.get("values")):
            problem = image_problem(image)
            if problem:
                out.append(f"Chart {r.name} {where}: {problem}; pin a version tag or a digest")
    return out


# --- 3. engines stay inside the cluster ----------------------------------------------------------

def is_engine_service(r: Res) -> bool:
    if r.kind != "Service":
        return False
    selector = _map(_map(r.props.get("spec")).get("selector"))
    return _labels(r.meta).get(COMPONENT) == ENGINE_COMPONENT or selector.get(COMPONENT) == ENGINE_COMPONENT


def engine_service_internal(r: Res) -> list[str]:
    if not is_engine_service(r):
        return []
    spec = _map(r.props.get("spec"))
    out = []
    kind = spec.get("type") or "ClusterIP"
    if kind in ("LoadBalancer", "NodePort"):
        out.append(f"{r.label}: an engine Service of type {kind} exposes the model server outside the cluster, "
                   "past the gateway's keys and rate limits; keep it ClusterIP and expose the gateway")
    if _seq(spec.get("externalIPs")):
        out.append(f"{r.label}: an engine Service with externalIPs is reachable from outside the cluster")
    return out


def _route_backends(r: Res) -> Iterator[tuple[str, str]]:
    """(namespace, service name) of every backend an Ingress or a Gateway API route sends to."""
    ns = str(r.meta.get("namespace") or "default")
    spec = _map(r.props.get("spec"))
    if r.kind == "Ingress":
        backends = [_map(spec.get("defaultBackend"))]
        for rule in _seq(spec.get("rules")):
            for p in _seq(_map(_map(rule).get("http")).get("paths")):
                backends.append(_map(_map(p).get("backend")))
        for b in backends:
            name = _map(b.get("service")).get("name") or b.get("serviceName")
            if name:
                yield ns, str(name)
    elif r.type.startswith("kubernetes:gateway.networking.k8s.io/") and r.kind.endswith("Route"):
        for rule in _seq(spec.get("rules")):
            for ref in _seq(_map(rule).get("backendRefs")):
                ref = _map(ref)
                if (ref.get("kind") or "Service") == "Service" and (ref.get("group") or "") == "" and ref.get("name"):
                    yield str(ref.get("namespace") or ns), str(ref["name"])


def engine_not_routed(resources: Sequence[Res]) -> list[tuple[str, str]]:
    """(urn, message) for every Ingress or route whose backend is an engine Service of the stack."""
    engines = {(str(r.meta.get("namespace") or "default"), str(r.meta.get("name"))): r
               for r in resources if is_engine_service(r)}
    out = []
    for r in resources:
        for key in _route_backends(r):
            if key in engines:
                out.append((r.urn, f"{r.label} routes to the engine Service {key[0]}/{key[1]}: it bypasses the "
                                   "gateway (keys, rate limits); route to the gateway instead"))
    return out


# --- 4. secrets never in ConfigMaps or plain env -------------------------------------------------

_SECRET_WORDS = {"KEY", "KEYS", "TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PWD", "APIKEY",
                 "CREDENTIAL", "CREDENTIALS", "PASSPHRASE"}
_NOT_A_SECRET_END = {"FILE", "PATH", "DIR", "NAME", "REF", "ID", "URL", "ENV", "HEADER"}
_SECRET_VALUE = re.compile(
    r"(hf_[A-Za-z0-9]{30,}|sk-[A-Za-z0-9_-]{20,}|AKID[0-9A-Za-z]{32}|-----BEGIN [A-Z ]*PRIVATE KEY-----|"
    r"ghp_[A-Za-z0-9]{36}|xox[bap]-[A-Za-z0-9-]{10,})")
_REFERENCE = re.compile(r"^(os\.environ/|\$\(|\$\{|\{\{|secretKeyRef|env:|vault:)")
_FLAG = re.compile(r"^--?(api[-_]key|hf[-_]token|token|password|secret|admin[-_]password)(=(.*))?$", re.IGNORECASE)


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w.upper() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def secret_looking(name: str) -> bool:
    words = _words(str(name))
    if not words or not _SECRET_WORDS & set(words):
        return False
    if words[-1] in _NOT_A_SECRET_END or "PUBLIC" in words:
        return False
    return True


def _literal(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    text = str(value).strip()
    return bool(text) and text.lower() not in ("true", "false", "[secret]") and not _REFERENCE.match(text)


def _walk_config(obj: Any, path: str) -> Iterator[str]:
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            sub = f"{path}.{k}"
            if isinstance(v, (Mapping, list)):
                yield from _walk_config(v, sub)
            elif secret_looking(str(k)) and _literal(v):
                yield sub
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_config(v, f"{path}[{i}]")


_STRUCTURED = (".yaml", ".yml", ".json")
_ENV_FILES = (".env", ".properties", ".ini", ".cfg", ".conf")


def _config_value_findings(key: str, value: str) -> list[str]:
    """Credential-looking values in any file; secret-looking settings in clear in the formats that are
    settings (YAML/JSON, env and properties files), not in code (a `.py` or `.sh` names keys freely)."""
    found = []
    if _SECRET_VALUE.search(value):
        found.append(f"data.{key} holds what looks like a credential")
    ext = ("." + key.rsplit(".", 1)[1].lower()) if "." in key else ""
    parsed = None
    if ext in _STRUCTURED or ext == "":
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed = None
    if isinstance(parsed, (Mapping, list)):
        found += [f"data.{key}: `{p.split('.', 1)[1]}` is set in clear" for p in _walk_config(parsed, key)]
    elif ext in _ENV_FILES or ext == "":
        for line in value.splitlines():  # KEY=value files
            m = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$", line)
            if m and secret_looking(m.group(1)) and _literal(m.group(2).strip("'\"")):
                found.append(f"data.{key}: `{m.group(1)}` is set in clear")
    return found


def no_plain_secrets(r: Res) -> list[str]:
    out = []
    if r.kind == "ConfigMap":
        for section in ("data", "binaryData"):
            for key, value in _map(r.props.get(section)).items():
                if secret_looking(str(key)) and _literal(value):
                    out.append(f"{r.label} {section}.{key}: a secret-looking key in a ConfigMap; put it in a Secret")
                elif section == "data" and isinstance(value, str):
                    out += [f"{r.label} {f}; put it in a Secret" for f in _config_value_findings(str(key), value)]
    for where, _, pod in pod_templates(r):
        for cname, c in containers(pod):
            for env in _seq(c.get("env")):
                env = _map(env)
                if secret_looking(str(env.get("name", ""))) and "valueFrom" not in env and _literal(env.get("value")):
                    out.append(f"{r.label} {where}.{cname}: env {env.get('name')} has a literal value; use "
                               "valueFrom.secretKeyRef")
                elif _literal(env.get("value")) and _SECRET_VALUE.search(str(env.get("value"))):
                    out.append(f"{r.label} {where}.{cname}: env {env.get('name')} holds what looks like a credential")
            argv = [str(a) for a in [*_seq(c.get("command")), *_seq(c.get("args"))]]
            for i, arg in enumerate(argv):
                m = _FLAG.match(arg)
                if not m:
                    continue
                value = m.group(3) if m.group(2) else (argv[i + 1] if i + 1 < len(argv) else None)
                if _literal(value):
                    out.append(f"{r.label} {where}.{cname}: `{arg.split('=')[0]}` is given a literal on the command "
                               "line (visible in the pod spec and `ps`); pass $(ENV_VAR) from a Secret")
    return out


# --- 5. model data protected ---------------------------------------------------------------------

def is_data_volume(r: Res) -> bool:
    if r.type in (MODEL_FS, MODEL_BUCKET):
        return True
    if r.kind != "PersistentVolumeClaim":
        return False
    name = str(r.meta.get("name") or "")
    return _labels(r.meta).get(COMPONENT) in DATA_PVC_COMPONENTS or name == "models" or "webui" in name


def data_protected(r: Res) -> list[str]:
    if is_data_volume(r) and not r.protect:
        return [f"{r.label}: holds model weights or WebUI data but is not `protect`ed; a replacement or "
                "`pulumi destroy` would delete it (ResourceOptions(protect=True))"]
    return []


# --- the pack's table ----------------------------------------------------------------------------

RESOURCE_RULES = {
    "gpu-containers-set-gpu-limits": (gpu_limits, "GPU containers set GPU limits (nvidia.com/gpu or qGPU)."),
    "images-pinned": (images_pinned, "Container images and Helm charts are pinned: a version tag or digest, never `latest`."),
    "engine-service-internal": (engine_service_internal,
                                "Engine Services (component model-server) are ClusterIP: no LoadBalancer, NodePort or externalIPs."),
    "no-plain-secrets": (no_plain_secrets,
                         "Secrets never appear in ConfigMaps, literal env values or command-line flags."),
    "model-data-protected": (data_protected,
                             "The model file system, the weight mirror bucket and the model/WebUI volumes are protected from deletion and replacement."),
}
STACK_RULES = {
    "engine-not-routed": (engine_not_routed, "No Ingress or Gateway API route sends traffic straight to an engine Service."),
}


def check_all(resources: Sequence[Res]) -> list[tuple[str, str, str]]:
    """(policy, urn, message) of every violation in a set of resources (the plan's, in tests)."""
    out = []
    for r in resources:
        for policy, (rule, _) in RESOURCE_RULES.items():
            out += [(policy, r.urn, m) for m in rule(r)]
    for policy, (rule, _) in STACK_RULES.items():
        out += [(policy, urn, m) for urn, m in rule(resources)]
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, Sequence) and not isinstance(v, (str, bytes)):
        return [_plain(x) for x in v]
    return v
