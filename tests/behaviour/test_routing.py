"""A stack with routed models as the cluster gets it: the gateway sends each routed model to its router,
engines admit their router only, the router admits the gateway only and is scraped, and the plan
summary says who routes what."""

from __future__ import annotations

import pytest
import yaml

from preview.summary import summary
from preview.writers import write
from render import litellm
from render import router as rt
from tests.behaviour.helpers import POOLS, SGLANG, VLLM
from tests.conftest import gateway_config_name, render_raw, tke_config
from tests.standins.gateway import running_proxy
from tests.standins.net import chat, request
from tests.validators import load_manifests, run_checkov, validate_builtin, validate_custom

ROUTED_VLLM = {**VLLM, "replicas": 2}
AUTOSCALED_SGLANG = {**SGLANG, "replicas": 1, "autoscaling": {"minReplicas": 0, "maxReplicas": 2}}
POOLS_5 = [POOLS[0], {**POOLS[1], "maxSize": 5}]


@pytest.fixture(scope="module")
def plan():
    return render_raw(tke_config(nodePools=POOLS_5, models=[ROUTED_VLLM, AUTOSCALED_SGLANG, {
        **VLLM, "name": "single", "servedName": "Single"}], monitoring={"prometheus": {"kind": "in-cluster"}}))


def test_gateway_sends_each_routed_model_to_its_router(plan):
    config = yaml.safe_load(plan.manifest("ConfigMap", gateway_config_name(plan))["data"][litellm.CONFIG_FILE])
    bases = {e["model_name"]: e["litellm_params"]["api_base"] for e in config["model_list"]}
    ns = plan.config.namespace
    assert bases == {"Qwen3-8B": f"http://qwen3-8b-router.{ns}.svc:{rt.PORT}/v1",
                     "DeepSeek-R1-Distill-Qwen-7B": f"http://r1-distill-router.{ns}.svc:{rt.PORT}/v1",
                     "Single": f"http://single-api.{ns}.svc:8000/v1"}
    # The gateway still sends each engine's own key (the router passes the Authorization header on).
    keys = {e["model_name"]: e["litellm_params"]["api_key"] for e in config["model_list"]}
    assert keys["Qwen3-8B"] == "os.environ/ENGINE_KEY_QWEN3_8B"


def test_engines_admit_their_router_only_and_routers_the_gateway_only(plan):
    engine = plan.manifest("NetworkPolicy", "qwen3-8b-ingress")["spec"]["ingress"][0]
    assert engine["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "qwen3-8b-router",
                                                               "app.kubernetes.io/component": "router"}}}]
    unrouted = plan.manifest("NetworkPolicy", "single-ingress")["spec"]["ingress"][0]
    assert unrouted["from"] == [{"podSelector": {"matchLabels": litellm.selector()}}]
    router = plan.manifest("NetworkPolicy", "qwen3-8b-router-ingress")["spec"]["ingress"]
    assert router == [{"from": [{"podSelector": {"matchLabels": litellm.selector()}}],
                       "ports": [{"protocol": "TCP", "port": rt.PORT}]}]


def test_each_router_discovers_its_own_models_pods(plan):
    for model, engine_port in (("qwen3-8b", "8000"), ("r1-distill", "30000")):
        d = plan.manifest("Deployment", f"{model}-router")
        args = d["spec"]["template"]["spec"]["containers"][0]["args"]
        i = args.index("--selector")
        assert args[i + 1:i + 3] == ["app.kubernetes.io/component=model-server", f"app.kubernetes.io/name={model}"]
        assert args[args.index("--service-discovery-port") + 1] == engine_port
        assert d["spec"]["template"]["spec"]["nodeSelector"] == plan.manifest(
            "Deployment", litellm.NAME)["spec"]["template"]["spec"]["nodeSelector"]
    sglang = plan.manifest("Deployment", "r1-distill-router")["spec"]["template"]["spec"]["containers"][0]
    assert sglang["image"] == "lmsysorg/sglang-router:v0.3.2"
    assert sglang["readinessProbe"]["httpGet"]["path"] == "/liveness"  # scales to zero


def test_router_is_scraped_and_has_rbac_and_a_budget(plan):
    monitor = plan.manifest("ServiceMonitor", "qwen3-8b-router")
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["spec"]["selector"]["matchLabels"] == rt.pod_labels(plan_spec(plan))
    scrape = plan.manifest("NetworkPolicy", "qwen3-8b-router-scrape")
    assert scrape["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": rt.METRICS_PORT}]
    for kind in ("ServiceAccount", "Role", "RoleBinding", "PodDisruptionBudget", "Service"):
        assert plan.manifest(kind, "qwen3-8b-router")
    assert not [r for r in plan.k8s_objects if r.manifest["metadata"]["name"] == "single-router"]


def plan_spec(plan) -> rt.RouterSpec:
    return rt.RouterSpec(model="qwen3-8b", namespace=plan.config.namespace, router="vllm-router", image="x:1",
                         policy="prefix-aware", engine_selector={"a": "b"}, engine_port=8000, served_name="Qwen3-8B",
                         min_replicas=2, max_replicas=2)


def test_summary_has_a_routing_section(plan):
    text = summary(plan)
    section = text[text.index("## Routing"):text.index("## Preflight")]
    assert ("| qwen3-8b | vllm-router `qwen3-8b-router` | prefix-aware (`--policy cache_aware`) | 2 replica(s), "
            "fixed | 1 x 500m CPU / 1Gi |") in section
    assert ("| r1-distill | sglang-router `r1-distill-router` | prefix-aware (`--policy cache_aware`) | 0-2 "
            "replica(s), autoscaled from zero | 1 x 500m CPU / 1Gi |") in section
    assert "| single | none: the gateway calls `single-api` | - | 1 replica(s), fixed | - |" in section
    assert "- routers (2): request 1 CPU and 2 GiB in total on the CPU system pool `system`" in text
    capacity = text[text.index("### Capacity"):text.index("## Bring-up")]
    assert "| router (CPU pool) |" in capacity and "| 1 x 500m CPU / 1Gi |" in capacity


def test_manifests_pass_the_schemas_the_crds_and_checkov(plan, tmp_path):
    """The SGLang router (not in any shipped stack) and the routers' ServiceMonitors included."""
    target = write(plan, tmp_path) / "manifests.yaml"
    docs = load_manifests(target)
    assert validate_builtin(docs, plan.config.cluster.kubernetes_version) == []
    assert validate_custom(docs) == []
    assert run_checkov(target) == []


SESSION_HEADERS = ("x-session-id", "x-user-id", "x-tenant-id", "x-correlation-id", "x-request-id", "x-trace-id")
"""vllm-router's consistent_hash reads these before the body (src/policies/hash_key.rs SESSION_HEADER_NAMES)."""


def test_through_the_real_gateway_a_session_header_reaches_the_router(tmp_path):
    """`session`: the router keys on `x-session-id`, which the real LiteLLM proxy, as rendered, passes on
    for that model only; it drops the OpenAI `user` field (not a key to rely on) and adds no per-request
    header of its own the router would key on instead. The engine key reaches the router's backend, and
    a wrong app key stops at the gateway."""
    plan = render_raw(tke_config(nodePools=POOLS, models=[
        {**VLLM, "replicas": 2, "routing": {"policy": "session"}},
        {**SGLANG, "replicas": 2}]))
    with running_proxy(plan, tmp_path) as proxy:
        router = proxy.engines["Qwen3-8B"]  # stands where the router is: the gateway's backend for the model
        status, _ = request(f"{proxy.base}/v1/chat/completions", proxy.keys["app"],
                            {"model": "Qwen3-8B", "messages": [{"role": "user", "content": "hi"}], "user": "alice"},
                            headers={"x-session-id": "conversation-7"})
        assert status == 200, proxy.log()
        (call,) = router.calls
        sent = {k.lower(): v for k, v in call["headers"].items()}
        assert sent["x-session-id"] == "conversation-7"
        assert call["user"] is None
        status, _ = chat(proxy.base, proxy.keys["app"], "Qwen3-8B")
        assert status == 200
        assert not {k.lower() for k in router.calls[1]["headers"]} & set(SESSION_HEADERS)
        assert call["authorization"] == f"Bearer {proxy.keys['Qwen3-8B']}"
        # The prefix-aware model gets no caller headers.
        status, _ = request(f"{proxy.base}/v1/chat/completions", proxy.keys["app"],
                            {"model": "DeepSeek-R1-Distill-Qwen-7B", "messages": [{"role": "user", "content": "hi"}]},
                            headers={"x-session-id": "conversation-7"})
        assert status == 200
        (other,) = proxy.engines["DeepSeek-R1-Distill-Qwen-7B"].calls
        assert "x-session-id" not in {k.lower() for k in other["headers"]}
        status, _ = chat(proxy.base, "not-the-key", "Qwen3-8B")
        assert status == 401 and len(router.calls) == 2


def test_an_adapter_of_a_session_routed_model_passes_the_session_header_on_too(tmp_path):
    """An adapter's requests go to its base model's router, which keys on `x-session-id` for a `session`
    model; LiteLLM forwards callers' headers per model group, and an adapter is a group of its own."""
    adapter = {"name": "qwen3-8b-sql", "rank": 16, "source": {
        "kind": "huggingface", "repo": "org/qwen3-8b-sql-lora", "revision": "0123456789abcdef0123456789abcdef01234567"}}
    plan = render_raw(tke_config(nodePools=POOLS, models=[
        {**VLLM, "replicas": 2, "routing": {"policy": "session"}, "adapters": [adapter]}]))
    with running_proxy(plan, tmp_path) as proxy:
        router = proxy.engines["qwen3-8b-sql"]  # stands where the router is, for the adapter's entry
        status, _ = request(f"{proxy.base}/v1/chat/completions", proxy.keys["app"],
                            {"model": "qwen3-8b-sql", "messages": [{"role": "user", "content": "hi"}]},
                            headers={"x-session-id": "conversation-7"})
        assert status == 200, proxy.log()
        (call,) = router.calls
        assert call["model"] == "qwen3-8b-sql"
        assert {k.lower(): v for k, v in call["headers"].items()}.get("x-session-id") == "conversation-7"
