"""The validators themselves: each must reject a known-bad manifest and accept a known-good one.

A validator that can only pass proves nothing, so every check here comes as a pair. checkov is slow
(seconds per run), so it runs exactly twice, on one file, in a module-scoped fixture.
"""

from __future__ import annotations

import copy
import re
import stat
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.validators import (
    SkipListError,
    is_builtin,
    load_manifests,
    load_skips,
    resolve_version,
    run_checkov,
    validate_builtin,
    validate_custom,
)
from tests.validators.checkov_runner import DEFAULT_SKIPS_FILE, find_checkov, parse_report

K8S = "1.30"


def joined(errors: list[str]) -> str:
    return "\n".join(errors)


# --- objects ------------------------------------------------------------------------------------


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "vllm", "namespace": "llm", "labels": {"app.kubernetes.io/name": "vllm"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "vllm"}},
            "template": {
                "metadata": {"labels": {"app": "vllm"}},
                "spec": {"containers": [{
                    "name": "vllm", "image": "vllm/vllm-openai:v0.11.0",
                    "resources": {"limits": {"nvidia.com/gpu": "1"}},
                }]},
            },
        },
    }


def leader_worker_set() -> dict[str, Any]:
    return {
        "apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet",
        "metadata": {"name": "llama-70b", "namespace": "llm"},
        "spec": {
            "replicas": 1,
            "leaderWorkerTemplate": {
                "size": 2,
                "leaderTemplate": {"spec": {"containers": [{"name": "leader", "image": "vllm/vllm-openai:v0.11.0"}]}},
                "workerTemplate": {"spec": {"containers": [{
                    "name": "worker", "image": "vllm/vllm-openai:v0.11.0",
                    "resources": {"limits": {"nvidia.com/gpu": 8}},
                }]}},
            },
        },
    }


def http_route() -> dict[str, Any]:
    # Two parentRefs that differ only by namespace: the sectionName rules read `namespace` as
    # `__namespace__`, so this passes only if field-name escaping works. `path.type` is omitted
    # on purpose: the rules read it, so this passes only if CRD defaulting (PathPrefix) works.
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "vllm", "namespace": "llm"},
        "spec": {
            "parentRefs": [{"name": "gateway", "namespace": "gw-a"}, {"name": "gateway", "namespace": "gw-b"}],
            "rules": [{
                "matches": [{"path": {"value": "/v1"}}],
                "backendRefs": [{"name": "vllm", "port": 8000}],
                "timeouts": {"request": "300s", "backendRequest": "240s"},
            }],
        },
    }


def prometheus_rule() -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": "vllm", "namespace": "llm"},
        "spec": {"groups": [{
            "name": "vllm.rules", "interval": "30s",
            "partial_response_strategy": "warn",  # pattern ^(?i)(abort|warn)?$ needs RE2
            "rules": [{
                "alert": "VllmQueueBacklog", "expr": 'sum(vllm:num_requests_waiting{namespace="llm"}) > 10',
                "for": "5m", "labels": {"severity": "warning"}, "annotations": {"summary": "requests are queueing"},
            }],
        }]},
    }


def scaled_object() -> dict[str, Any]:
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "vllm", "namespace": "llm"},
        "spec": {
            "scaleTargetRef": {"name": "vllm"},
            "minReplicaCount": 1, "maxReplicaCount": 4, "cooldownPeriod": 600,
            "triggers": [{"type": "prometheus", "metadata": {
                "serverAddress": "http://prometheus.monitoring:9090",
                "query": "sum(vllm:num_requests_waiting)", "threshold": "5",
            }}],
        },
    }


def service_monitor() -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
        "metadata": {"name": "vllm", "namespace": "llm", "labels": {"release": "kube-prometheus-stack"}},
        "spec": {
            "selector": {"matchLabels": {"app": "vllm"}},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": "15s"}],
        },
    }


# --- built-in kinds -----------------------------------------------------------------------------


def test_builtin_valid_deployment_passes() -> None:
    assert not (errors := validate_builtin([deployment()], K8S)), joined(errors)


def test_builtin_unknown_field_fails_with_its_path() -> None:
    doc = deployment()
    doc["spec"]["template"]["spec"]["enableServiceLink"] = False  # the real field is enableServiceLinks
    errors = validate_builtin([doc], K8S)
    assert errors == ["Deployment/vllm: spec.template.spec.enableServiceLink: unknown field"]


def test_builtin_wrong_type_and_bad_metadata_fail() -> None:
    doc = deployment()
    doc["spec"]["replicas"] = "two"
    doc["metadata"]["labels"]["tier"] = "gpu/a10"  # label values may not contain '/'
    errors = joined(validate_builtin([doc], K8S))
    assert "Deployment/vllm: spec.replicas: 'two' is not of type" in errors
    assert 'metadata.labels["tier"]: invalid label value' in errors


@pytest.mark.parametrize(("kind", "name", "problem"), [
    ("Deployment", "Llama", "is not a DNS-1123 subdomain"),
    ("Service", "8000-vllm", "is not a DNS-1035 label"),
    ("Namespace", "llm.prod", "is not a DNS-1123 label"),
    ("ClusterRole", "tke-llm:metrics-reader", None),  # RBAC names are path segments
    ("ConfigMap", "vllm.chat-template", None),
])
def test_builtin_name_rules_follow_the_kind(kind: str, name: str, problem: str | None) -> None:
    group = "rbac.authorization.k8s.io/v1" if kind == "ClusterRole" else "apps/v1" if kind == "Deployment" else "v1"
    doc = deployment() if kind == "Deployment" else {"apiVersion": group, "kind": kind, "metadata": {}}
    doc["metadata"]["name"] = name
    doc["metadata"].pop("namespace", None)
    errors = validate_builtin([doc], K8S)
    if problem is None:
        assert not errors, joined(errors)
    else:
        assert len(errors) == 1 and errors[0].startswith(f"{kind}/{name}: metadata.name: {name!r} {problem}"), errors


def test_builtin_api_not_served_by_target_version_fails() -> None:
    hpa = {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "vllm"},
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "vllm"}, "maxReplicas": 2}}
    errors = validate_builtin([hpa], K8S)
    assert len(errors) == 1 and "is not served by Kubernetes 1.30" in errors[0]
    hpa["apiVersion"] = "autoscaling/v2"
    assert not (errors := validate_builtin([hpa], K8S)), joined(errors)


def test_builtin_leaves_custom_kinds_alone() -> None:
    assert validate_builtin([leader_worker_set(), {"apiVersion": "example.com/v1", "kind": "Widget"}], K8S) == []
    assert is_builtin(deployment()) and is_builtin({"apiVersion": "v1", "kind": "Service"})
    assert not is_builtin(http_route())  # gateway.networking.k8s.io ends in .k8s.io but is a CRD group
    assert not is_builtin({"apiVersion": "apps.example.com/v1", "kind": "Deployment"})


def test_version_resolution_never_picks_a_newer_minor() -> None:
    assert resolve_version("1.30") == resolve_version("v1.30.7") == "1.30.0"
    with pytest.warns(UserWarning, match="validating against 1.37.0"):
        assert resolve_version("1.99") == "1.37.0"
    with pytest.warns(UserWarning, match="validating against 1.25.0"):
        assert resolve_version("1.20") == "1.25.0"  # nothing older is bundled
    with pytest.raises(ValueError):
        resolve_version("latest")


# --- custom resources ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", [leader_worker_set, http_route, prometheus_rule, scaled_object, service_monitor])
def test_custom_valid_objects_pass(make: Any) -> None:
    assert not (errors := validate_custom([make()])), joined(errors)


def test_prometheus_rule_pattern_needs_re2() -> None:
    """The valid PrometheusRule above only passes because patterns run on RE2."""
    with pytest.raises(re.error):
        re.compile("^(?i)(abort|warn)?$")
    doc = prometheus_rule()
    doc["spec"]["groups"][0]["partial_response_strategy"] = "ignore"
    errors = validate_custom([doc])
    assert errors == ["PrometheusRule/vllm: spec.groups[0].partial_response_strategy: "
                      "'ignore' does not match '^(?i)(abort|warn)?$'"]


def test_lws_wrong_type_and_unknown_field_fail() -> None:
    doc = leader_worker_set()
    doc["spec"]["leaderWorkerTemplate"]["size"] = "two"
    doc["spec"]["leaderWorkerTemplate"]["workerTemplate"]["spec"]["containers"][0]["gpus"] = 8
    errors = validate_custom([doc])
    assert errors == [
        "LeaderWorkerSet/llama-70b: spec.leaderWorkerTemplate.size: 'two' is not of type 'integer'",
        "LeaderWorkerSet/llama-70b: spec.leaderWorkerTemplate.workerTemplate.spec.containers[0].gpus: unknown field",
    ]


def test_custom_kind_without_crd_fails() -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert validate_custom([widget]) == ["Widget/w: no CRD schema for example.com/v1 Widget"]
    lws = leader_worker_set()
    lws["apiVersion"] = "leaderworkerset.x-k8s.io/v2"
    assert validate_custom([lws]) == ["LeaderWorkerSet/llama-70b: no CRD schema for leaderworkerset.x-k8s.io/v2 "
                                      "LeaderWorkerSet (served versions: v1)"]


def test_http_route_cel_rules_fail_with_their_messages() -> None:
    doc = http_route()
    doc["spec"]["rules"][0]["matches"][0]["path"] = {"type": "PathPrefix", "value": "v1"}
    doc["spec"]["rules"][0]["timeouts"] = {"request": "10s", "backendRequest": "1m"}
    errors = joined(validate_custom([doc]))
    assert ("HTTPRoute/vllm: spec.rules[0].matches[0].path: value must be an absolute path and start with '/' "
            "when type one of ['Exact', 'PathPrefix']") in errors
    assert "spec.rules[0].timeouts: backendRequest timeout cannot be longer than request timeout" in errors

    same_parent = http_route()
    same_parent["spec"]["parentRefs"][1]["namespace"] = "gw-a"
    errors = joined(validate_custom([same_parent]))
    assert "spec.parentRefs: sectionName must be unique when parentRefs includes 2 or more references" in errors


def test_scaled_object_cel_and_service_monitor_schema_fail() -> None:
    scaled = scaled_object()
    scaled["spec"]["minReplicaCount"] = 5
    assert validate_custom([scaled]) == [
        "ScaledObject/vllm: spec: minReplicaCount must be less than or equal to maxReplicaCount "
        "(CEL rule: !has(self.minReplicaCount) || self.minReplicaCount <= "
        "(has(self.maxReplicaCount) ? self.maxReplicaCount : 100))"]
    monitor = service_monitor()
    monitor["spec"]["endpoints"][0]["scrapeInterval"] = "15s"
    monitor["metadata"]["name"] = "vLLM"
    assert validate_custom([monitor]) == [
        "ServiceMonitor/vLLM: metadata.name: 'vLLM' is not a DNS-1123 subdomain "
        "(<= 253 chars of lowercase alphanumerics, '-' and '.')",
        "ServiceMonitor/vLLM: spec.endpoints[0].scrapeInterval: unknown field",
    ]


def test_duplicate_list_map_key_fails() -> None:
    doc = prometheus_rule()
    doc["spec"]["groups"].append(copy.deepcopy(doc["spec"]["groups"][0]))
    errors = validate_custom([doc])
    assert errors == ["PrometheusRule/vllm: spec.groups[1]: duplicate key {'name': 'vllm.rules'} "
                      "(also at index 0; x-kubernetes-list-type: map)"]


WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              x-kubernetes-validations:
                - rule: "self.replicas <= 10"
                  message: replicas must be at most 10
                - rule: "self.replicas >= oldSelf.replicas"
                  message: transition rules are skipped
                - rule: "self.tags.isSorted()"
                  message: isSorted is a Kubernetes CEL extension cel-python lacks
              properties:
                replicas: {type: integer}
                port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                note: {type: string, nullable: true}
                tags: {type: array, items: {type: string}}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
                limits:
                  type: object
                  additionalProperties:
                    type: integer
                    x-kubernetes-validations:
                      - rule: "self > 0"
                        message: limits must be positive
"""


def test_openapi_extensions_and_unevaluable_cel_rule(tmp_path: Path) -> None:
    (tmp_path / "widgets.yaml").write_text(WIDGET_CRD)
    widget = {
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"replicas": 3, "port": "http", "note": None, "tags": ["a"], "extra": {"any": [1, {"x": 2}]},
                 "limits": {"gpu": 1}},
    }
    errors = validate_custom([widget], crd_dir=tmp_path)
    # Only the rule cel-python cannot run is reported; it is not allowed to pass silently.
    assert len(errors) == 1, joined(errors)
    assert errors[0].startswith("Widget/w: spec: CEL rule could not be evaluated (")
    assert "rule: self.tags.isSorted()" in errors[0]

    bad = copy.deepcopy(widget)
    bad["spec"].update(replicas=11, port=1.5, limits={"gpu": 0})
    errors = joined(validate_custom([bad], crd_dir=tmp_path))
    assert "spec.port: 1.5 is not of type 'integer', 'string'" in errors
    bad["spec"]["port"] = 8000
    errors = joined(validate_custom([bad], crd_dir=tmp_path))
    assert "Widget/w: spec: replicas must be at most 10" in errors
    assert "Widget/w: spec.limits.gpu: limits must be positive" in errors
    assert "transition rules are skipped" not in errors


# --- load_manifests -----------------------------------------------------------------------------


def test_load_manifests_reads_files_and_directories(tmp_path: Path) -> None:
    wrapped = {"apiVersion": "v1", "kind": "List", "items": [service_monitor()]}
    (tmp_path / "a.yaml").write_text("---\n" + yaml.safe_dump(deployment()) + "---\n---\n" + yaml.safe_dump(wrapped))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text(yaml.safe_dump(http_route()))
    assert [d["kind"] for d in load_manifests(tmp_path / "a.yaml")] == ["Deployment", "ServiceMonitor"]
    assert [d["kind"] for d in load_manifests(tmp_path)] == ["Deployment", "ServiceMonitor", "HTTPRoute"]
    (tmp_path / "c.yaml").write_text("- just\n- a list\n")
    with pytest.raises(ValueError, match="not a Kubernetes object"):
        load_manifests(tmp_path / "c.yaml")


# --- checkov ------------------------------------------------------------------------------------

INSECURE = textwrap.dedent("""
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: insecure, namespace: llm}
    spec:
      selector: {matchLabels: {app: insecure}}
      template:
        metadata: {labels: {app: insecure}}
        spec:
          containers:
            - name: app
              image: vllm/vllm-openai:latest
              securityContext: {privileged: true}
    """)

HARDENED = textwrap.dedent("""
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: hardened, namespace: llm}
    spec:
      selector: {matchLabels: {app: hardened}}
      template:
        metadata: {labels: {app: hardened}}
        spec:
          automountServiceAccountToken: false
          securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
          containers:
            - name: app
              image: "registry.example.com/llm/api:1.2.3@sha256:{digest}"
              imagePullPolicy: Always
              readinessProbe: {httpGet: {path: /health, port: 8000}}
              livenessProbe: {httpGet: {path: /health, port: 8000}}
              resources: {requests: {cpu: 500m, memory: 512Mi}, limits: {cpu: "1", memory: 512Mi}}
              securityContext:
                allowPrivilegeEscalation: false
                readOnlyRootFilesystem: true
                runAsNonRoot: true
                runAsUser: 10001
                capabilities: {drop: [ALL]}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: hardened, namespace: llm}
    spec:
      podSelector: {matchLabels: {app: hardened}}
      policyTypes: [Ingress]
      ingress: [{from: [{podSelector: {}}]}]
    """).replace("{digest}", "0" * 64)


def write_skips(path: Path, entries: list[dict[str, str]]) -> Path:
    path.write_text(yaml.safe_dump(entries))
    return path


@pytest.fixture(scope="module")
def checkov_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """The same file scanned without skips and with CKV_K8S_16 skipped: the only two checkov runs."""
    find_checkov()  # raises if checkov is missing: a missing scanner must not look like a pass
    tmp = tmp_path_factory.mktemp("checkov")
    manifests = tmp / "manifests.yaml"
    manifests.write_text(INSECURE + "---\n" + HARDENED)
    unskipped = run_checkov(manifests, write_skips(tmp / "none.yaml", []))
    skipped = run_checkov(manifests, write_skips(tmp / "skips.yaml", [
        {"id": "CKV_K8S_16", "why": "test: the privileged container is the point of this fixture"}]))
    return unskipped, skipped


def test_checkov_reports_insecure_deployment(checkov_runs: tuple[list[str], list[str]]) -> None:
    unskipped, _ = checkov_runs
    assert "CKV_K8S_16 Container should not be privileged on Deployment.llm.insecure" in unskipped
    assert "CKV_K8S_14 Image Tag should be fixed - not latest or blank on Deployment.llm.insecure" in unskipped
    assert all(line.startswith("CKV") for line in unskipped), joined(unskipped)  # no crash/parse problems


def test_checkov_passes_hardened_deployment(checkov_runs: tuple[list[str], list[str]]) -> None:
    unskipped, _ = checkov_runs
    assert not [line for line in unskipped if "hardened" in line], joined(unskipped)


def test_checkov_skip_list_removes_only_listed_id(checkov_runs: tuple[list[str], list[str]]) -> None:
    unskipped, skipped = checkov_runs
    assert skipped == [line for line in unskipped if not line.startswith("CKV_K8S_16 ")]
    assert len(skipped) < len(unskipped)


def test_project_skip_list_is_valid() -> None:
    skips = load_skips(DEFAULT_SKIPS_FILE)
    assert all(why.strip() for why in skips.values())


@pytest.mark.parametrize("entries", [
    [{"id": "CKV_K8S_43"}],
    [{"id": "CKV_K8S_43", "why": "  "}],
    [{"id": "CKV_K8S_43", "why": "ok"}, {"id": "CKV_K8S_43", "why": "again"}],
    [{"id": "K8S_43", "why": "not a check id"}],
    {"CKV_K8S_43": "a mapping, not a list"},
])
def test_malformed_skip_list_raises(tmp_path: Path, entries: Any) -> None:
    with pytest.raises(SkipListError):
        load_skips(write_skips(tmp_path / "skips.yaml", entries))


def fake_checkov(tmp_path: Path, script: str) -> str:
    path = tmp_path / "checkov"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.parametrize(("script", "expected"), [
    ("echo 'Traceback (most recent call last):' >&2; exit 2", "checkov crashed (exit 2)"),
    ("echo 'not json'; exit 0", "checkov output is not a JSON report"),
    ('echo \'{"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}\'',
     "checkov scanned 0 resources but the manifests hold 1 built-in objects"),
    ('echo \'{"check_type": "kubernetes", "results": {"failed_checks": []}, '
     '"summary": {"resource_count": 1, "parsing_errors": 0}}\'; exit 1', "exited 1 without reporting"),
])
def test_checkov_crash_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, expected: str) -> None:
    monkeypatch.setenv("CHECKOV_BIN", fake_checkov(tmp_path, script))
    manifests = tmp_path / "m.yaml"
    manifests.write_text(yaml.safe_dump(deployment()))
    errors = run_checkov(manifests, write_skips(tmp_path / "skips.yaml", []))
    assert any(expected in line for line in errors), joined(errors)


def test_checkov_unparseable_input_is_an_error(tmp_path: Path) -> None:
    manifests = tmp_path / "broken.yaml"
    manifests.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n")
    errors = run_checkov(manifests, write_skips(tmp_path / "skips.yaml", []))
    assert len(errors) == 1 and "not valid Kubernetes YAML" in errors[0]
    assert parse_report("", "", 1, 0)[1]  # exit 1 with no report at all is not a pass either


def test_missing_checkov_binary_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHECKOV_BIN", str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError):
        find_checkov()
