"""The router renderer (render/router.py): flags per router and policy, discovery, probes, RBAC,
placement, budget and policy; every object passes kubernetes-validate --strict."""

from __future__ import annotations

import pytest

from render import router as rt
from render.placement import PodPlacement
from tests.validators.builtin import validate_builtin

ENGINE = {"app.kubernetes.io/name": "qwen", "app.kubernetes.io/component": "model-server"}
ON_SYSTEM = PodPlacement(node_selector={"tke-llm/pool": "system"})


def spec(**kw) -> rt.RouterSpec:
    base = dict(model="qwen", namespace="llm", router="vllm-router", image="vllm/vllm-router:v0.1.17",
                policy="prefix-aware", engine_selector=ENGINE, engine_port=8000, served_name="Qwen3-8B",
                min_replicas=1, max_replicas=3, placement=ON_SYSTEM)
    return rt.RouterSpec(**{**base, **kw})


def flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


@pytest.mark.parametrize("router,policy,expected", [
    ("vllm-router", "prefix-aware", "cache_aware"), ("vllm-router", "round-robin", "round_robin"),
    ("vllm-router", "session", "consistent_hash"), ("vllm-router", "least-load", "power_of_two"),
    ("sglang-router", "prefix-aware", "cache_aware"), ("sglang-router", "round-robin", "round_robin"),
    ("sglang-router", "least-load", "power_of_two"),
])
def test_each_policy_is_the_routers_own_flag(router, policy, expected):
    args = rt.args(spec(router=router, policy=policy, engine_port=30000 if router == "sglang-router" else 8000))
    assert flag(args, "--policy") == expected
    # The prefix tree is bounded only where there is one.
    assert ("--max-tree-size" in args) == (policy == "prefix-aware")


def test_sglang_has_no_session_policy():
    with pytest.raises(ValueError, match="sglang-router has no 'session' policy"):
        spec(router="sglang-router", policy="session")


def test_discovery_by_the_engine_pods_labels_in_the_routers_namespace_on_the_engine_port():
    args = rt.args(spec())
    assert "--service-discovery" in args and "--worker-urls" not in args
    i = args.index("--selector")
    assert args[i + 1:i + 3] == ["app.kubernetes.io/component=model-server", "app.kubernetes.io/name=qwen"]
    assert flag(args, "--service-discovery-namespace") == "llm"
    assert flag(args, "--service-discovery-port") == "8000"
    assert flag(args, "--port") == str(rt.PORT) and flag(args, "--host") == "0.0.0.0"
    # Prometheus binds 127.0.0.1 unless told: the ServiceMonitor could not scrape it.
    assert flag(args, "--prometheus-host") == "0.0.0.0" and flag(args, "--prometheus-port") == str(rt.METRICS_PORT)
    assert flag(args, "--health-check-interval-secs") == "10"


def test_static_workers_replace_discovery_for_loopback_tests():
    args = rt.args(spec(), worker_urls=["http://127.0.0.1:1", "http://127.0.0.1:2"], host="127.0.0.1",
                   port=5000, metrics_port=5001)
    assert "--service-discovery" not in args and "--selector" not in args
    i = args.index("--worker-urls")
    assert args[i + 1:i + 3] == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    assert flag(args, "--prometheus-host") == "127.0.0.1" and flag(args, "--prometheus-port") == "5001"


def test_command_is_each_images_entry_point():
    assert rt.command(spec()) == ["vllm-router"]
    assert rt.command(spec(router="sglang-router")) == ["python3", "-m", "sglang_router.launch_router"]


def test_deployment_probes_resources_placement_and_token():
    d = rt.deployment(spec())
    pod = d["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/readiness"
    assert c["livenessProbe"]["httpGet"]["path"] == "/liveness"
    assert c["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}
    assert pod["nodeSelector"] == {"tke-llm/pool": "system"}
    assert pod["serviceAccountName"] == "qwen-router"
    # No automounted token anywhere; the router container alone mounts the projected one.
    assert pod["automountServiceAccountToken"] is False
    assert c["volumeMounts"] == [{"name": "kube-api-access", "mountPath": rt.TOKEN_DIR, "readOnly": True}]
    sources = pod["volumes"][0]["projected"]["sources"]
    assert sources[0]["serviceAccountToken"]["path"] == "token"
    assert c["securityContext"]["runAsNonRoot"] is True and c["securityContext"]["readOnlyRootFilesystem"] is True
    assert d["spec"]["replicas"] == 1
    assert d["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"http": rt.PORT, "metrics": rt.METRICS_PORT}


def test_a_model_that_scales_to_zero_keeps_its_router_ready():
    """/readiness is 503 with no healthy replica: the router of a model at zero would leave the Service."""
    (c,) = rt.deployment(spec(min_replicas=0))["spec"]["template"]["spec"]["containers"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/liveness"


def test_role_reads_pods_in_its_namespace_only():
    role = rt.role(spec())
    assert role["kind"] == "Role" and role["metadata"]["namespace"] == "llm"
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]
    binding = rt.role_binding(spec())
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "qwen-router"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "qwen-router", "namespace": "llm"}]


def test_network_policy_admits_the_callers_on_the_api_port_only():
    caller = {"app.kubernetes.io/name": "llm-gateway", "app.kubernetes.io/component": "gateway"}
    p = rt.network_policy(spec(), [caller])
    assert p["spec"]["podSelector"]["matchLabels"] == rt.selector(spec())
    assert p["spec"]["ingress"] == [{"from": [{"podSelector": {"matchLabels": caller}}],
                                     "ports": [{"protocol": "TCP", "port": rt.PORT}]}]


def test_service_selects_the_router_pods_and_names_both_ports():
    svc = rt.service(spec())
    assert svc["spec"]["selector"] == rt.selector(spec())
    assert [p["name"] for p in svc["spec"]["ports"]] == ["http", "metrics"]
    assert spec().url == f"http://qwen-router.llm.svc:{rt.PORT}/v1"


def test_every_object_is_valid_for_the_cluster_version():
    caller = {"app.kubernetes.io/name": "llm-gateway"}
    objects = rt.manifests(spec(), [caller], k8s_minor=30)
    assert [o["kind"] for o in objects] == ["ServiceAccount", "Role", "RoleBinding", "Deployment", "Service",
                                            "PodDisruptionBudget", "NetworkPolicy"]
    assert validate_builtin(objects, "1.30") == []
    pdb = objects[5]
    assert pdb["spec"]["maxUnavailable"] == 1 and pdb["spec"]["selector"]["matchLabels"] == rt.selector(spec())


@pytest.mark.parametrize("bad,message", [
    (dict(engine_selector={}), "labels to discover"),
    (dict(replicas=0), "router replicas"),
    (dict(min_replicas=3, max_replicas=2), "not a range"),
    (dict(router="envoy"), "not one of"),
])
def test_spec_refuses_what_the_cluster_or_router_would(bad, message):
    with pytest.raises(ValueError, match=message):
        spec(**bad)
