"""The access layer as apps and people rely on it: the gateway in front of every served model, OpenWebUI
pointed at it, each exposure kind, the NetworkPolicy paths, secrets that never leak into plain
objects, and the outputs an app stack reads."""

from __future__ import annotations

import json

import pytest
import yaml

from render import litellm, smoke, webui
from checks import checked
from config import ConfigError

from components.generated_secret import TYPE as GENERATED_SECRET

from tests.behaviour.helpers import OLLAMA, POOLS, SGLANG, VLLM
from tests.conftest import existing_config, gateway_config_name, render_raw, tke_config

INGRESS = {"kind": "ingress", "host": "llm.example.com", "className": "nginx", "tls": {"issuer": "letsencrypt"}}
UI_INGRESS = {"kind": "ingress", "host": "chat.example.com", "tls": {"secretName": "chat-tls"}}
ROUTE = {"kind": "httpRoute", "gatewayName": "edge", "gatewayNamespace": "envoy-gateway-system",
         "sectionName": "https", "hostnames": ["llm.example.com"]}
LB = {"kind": "loadBalancer", "internalSubnetId": "subnet-abcd1234"}
PUBLIC_LB = {"kind": "loadBalancer", "allowedCidrs": ["203.0.113.0/24"], "host": "llm.example.com",
             "tls": {"certificateId": "8u8DII0l"}}
"""A public CLB as the checks accept it: restricted to a client range, TLS with an SSL certificate id."""
EXPOSURES = {"none": "none", "loadBalancer": LB, "ingress": INGRESS, "httpRoute": ROUTE}


def two_models(**sections):
    return tke_config(nodePools=POOLS, models=[VLLM, SGLANG], **sections)


def kind(plan, k):
    return [r for r in plan.k8s_objects if r.manifest["kind"] == k]


def env_of(container):
    return {e["name"]: e for e in container["env"]}


def errors(raw) -> dict[str, str]:
    with pytest.raises(ConfigError) as exc:
        checked(raw)
    return {i.key: i.message for i in exc.value.issues}


@pytest.fixture(scope="module")
def default_plan():
    return render_raw(two_models(gateway={"fallbacks": [{"model": "Qwen3-8B", "to": ["DeepSeek-R1-Distill-Qwen-7B"]}],
                                          "rateLimits": [{"model": "Qwen3-8B", "rpm": 60, "tpm": 100000}]}))


@pytest.fixture(scope="module", params=list(EXPOSURES))
def exposed(request):
    return request.param, render_raw(two_models(exposure={"api": EXPOSURES[request.param], "webui": UI_INGRESS}))


# --- config ---------------------------------------------------------------------------------------

def test_access_defaults_are_a_gateway_and_a_ui_exposed_nowhere():
    cfg = checked(two_models())
    assert cfg.gateway.kind == "litellm" and cfg.gateway.replicas >= 2 and not cfg.gateway.virtual_keys.enabled
    assert cfg.webui.enabled and cfg.webui.replicas == 1
    assert cfg.exposure.api.kind == cfg.exposure.webui.kind == "none"


def test_shorthands():
    cfg = checked(tke_config(nodePools=POOLS, models=[VLLM], gateway="none", webui=False, exposure={"api": "none"}))
    assert cfg.gateway.kind == "none" and not cfg.webui.enabled


@pytest.mark.parametrize("sections, key, fragment", [
    ({"gateway": {"rateLimits": [{"model": "Nope", "rpm": 5}]}}, "tke-llm:gateway.rateLimits[0].model", "not a served model"),
    ({"gateway": {"rateLimits": [{"model": "Qwen3-8B"}]}}, "tke-llm:gateway.rateLimits[0]", "rpm, tpm or both"),
    ({"gateway": {"rateLimits": [{"model": "Qwen3-8B", "rpm": 0}]}}, "tke-llm:gateway.rateLimits[0].rpm", "greater than or equal to 1"),
    ({"gateway": {"fallbacks": [{"model": "Qwen3-8B", "to": ["Qwen3-8B"]}]}}, "tke-llm:gateway.fallbacks[0].to[0]", "itself"),
    ({"gateway": {"replicas": 1}}, "tke-llm:gateway.replicas", "2"),
    ({"gateway": {"routingStrategy": "random"}}, "tke-llm:gateway.routingStrategy", "simple-shuffle"),
    ({"gateway": "none"}, "tke-llm:gateway.kind", "one base URL"),
    ({"gateway": {"kind": "none", "replicas": 3}}, "tke-llm:gateway.replicas", "no settings"),
    ({"webui": {"replicas": 2}}, "tke-llm:webui.replicas", "redisUrl"),
    ({"webui": {"redisUrl": "redis://user:pw@redis:6379/0", "replicas": 2}}, "tke-llm:webui.redisUrl", "credentials"),
    ({"webui": False, "exposure": {"webui": UI_INGRESS}}, "tke-llm:exposure.webui", "off"),
    ({"exposure": {"api": {**INGRESS, "host": "*.example.com"}}}, "tke-llm:exposure.api.host", "DNS name"),
    ({"exposure": {"api": {**INGRESS, "host": "10.0.0.1"}}}, "tke-llm:exposure.api.host", "DNS name"),
    ({"exposure": {"api": {**INGRESS, "host": "LLM.example.com"}}}, "tke-llm:exposure.api.host", "DNS name"),
    ({"exposure": {"api": {**INGRESS, "tls": {}}}}, "tke-llm:exposure.api.tls", "secretName"),
    ({"exposure": {"api": {**ROUTE, "hostnames": []}}}, "tke-llm:exposure.api.hostnames", "at least 1"),
    ({"exposure": {"api": {**LB, "internalSubnetId": "vpc-1"}}}, "tke-llm:exposure.api.internalSubnetId", "subnet id"),
    ({"exposure": {"api": INGRESS, "webui": {**UI_INGRESS, "host": "llm.example.com"}}}, "tke-llm:exposure.webui", "own host"),
    ({"exposure": {"api": {"kind": "nodePort"}}}, "tke-llm:exposure.api", "kind"),
    ({"gateway": {"virtualKeys": {"enabled": True}, "rateLimits": [{"model": "Qwen3-8B", "rpm": 1}]}}, "tke-llm:gateway.rateLimits",
     "on the keys you generate"),
])
def test_access_config_errors_name_the_key(sections, key, fragment):
    found = errors(two_models(**sections))
    assert key in found, found
    assert fragment.lower() in found[key].lower(), found[key]


def test_ollama_is_not_exposed_without_the_gateway():
    found = errors(existing_config(models=[OLLAMA], gateway="none", exposure={"api": LB}))
    assert "tke-llm:exposure.api" in found and "no API key" in found["tke-llm:exposure.api"]


def test_the_tke_internal_clb_annotation_is_refused_elsewhere():
    found = errors(existing_config(models=[{**OLLAMA, "pool": "gpu"}], exposure={"api": LB}))
    assert "tke-llm:exposure.api.internalSubnetId" in found


# --- gateway --------------------------------------------------------------------------------------

def test_one_model_list_entry_per_served_model_with_keys_from_the_environment(default_plan):
    cm = default_plan.manifest("ConfigMap", gateway_config_name(default_plan))
    cfg = yaml.safe_load(cm["data"][litellm.CONFIG_FILE])
    servers = {m["servedName"]: m for m in default_plan.outputs["modelServers"]}
    assert [e["model_name"] for e in cfg["model_list"]] == ["Qwen3-8B", "DeepSeek-R1-Distill-Qwen-7B"]
    for entry in cfg["model_list"]:
        params = entry["litellm_params"]
        assert params["model"] == f"openai/{entry['model_name']}"
        assert params["api_base"] == servers[entry["model_name"]]["url"] and params["api_base"].endswith("/v1")
        assert params["api_key"].startswith("os.environ/ENGINE_KEY_")
    assert cfg["router_settings"]["routing_strategy"] == "simple-shuffle"
    assert cfg["router_settings"]["fallbacks"] == [{"Qwen3-8B": ["DeepSeek-R1-Distill-Qwen-7B"]}]
    assert cfg["litellm_settings"]["request_timeout"] == 600 and cfg["litellm_settings"]["num_retries"] == 2
    assert cfg["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    assert json.loads(cm["data"][litellm.LIMITS_FILE]) == {"rpm": {"Qwen3-8B": 60}, "tpm": {"Qwen3-8B": 100000}}


def test_every_key_reaches_the_proxy_through_a_secret_reference(default_plan):
    deploy = default_plan.manifest("Deployment", litellm.NAME)
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    env = env_of(container)
    assert env["LITELLM_MASTER_KEY"]["valueFrom"]["secretKeyRef"] == {"name": litellm.MASTER_KEY_SECRET,
                                                                      "key": litellm.MASTER_KEY_FIELD}
    assert env["ENGINE_KEY_QWEN3_8B"]["valueFrom"]["secretKeyRef"] == {"name": "qwen3-8b-api-key", "key": "api-key"}
    assert env["ENGINE_KEY_R1_DISTILL"]["valueFrom"]["secretKeyRef"] == {"name": "r1-distill-api-key", "key": "api-key"}
    assert deploy["spec"]["replicas"] >= 2
    assert ":" in container["image"] and not container["image"].endswith(("latest", ":main"))
    assert deploy["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert litellm.CONFIG_HASH_ANNOTATION in deploy["spec"]["template"]["metadata"]["annotations"]


def test_the_master_key_is_generated_and_the_output_is_secret(default_plan):
    (master,) = [r for r in default_plan.by_type(GENERATED_SECRET)
                 if r.name == "gateway-master-key"]
    assert master.inputs["length"] >= 32
    secret = next(r for r in kind(default_plan, "Secret") if r.manifest["metadata"]["name"] == litellm.MASTER_KEY_SECRET)
    assert secret.raw_inputs["stringData"]["master-key"].startswith("sk-mock-")
    assert secret.manifest["stringData"]["master-key"] == "[secret]"
    assert {"apiKey", "engineApiKeys", "kubeconfig"} <= default_plan.secret_outputs


def test_the_proxy_waits_for_the_engine_keys_not_for_the_engines(default_plan):
    deploy = next(r for r in kind(default_plan, "Deployment") if r.manifest["metadata"]["name"] == litellm.NAME)
    deps = default_plan.dependencies(deploy)
    names = {default_plan.by_urn[d].manifest["metadata"]["name"] for d in deps if default_plan.by_urn[d].is_k8s_object}
    assert {"qwen3-8b-api-key", "r1-distill-api-key", litellm.MASTER_KEY_SECRET, gateway_config_name(default_plan)} <= names
    assert not {"qwen3-8b", "r1-distill"} & names, "a model's hours-long first load does not hold the gateway back"


def test_a_config_change_rolls_the_proxy():
    a = render_raw(two_models()).manifest("Deployment", litellm.NAME)
    b = render_raw(two_models(gateway={"numRetries": 5})).manifest("Deployment", litellm.NAME)
    ann = litellm.CONFIG_HASH_ANNOTATION
    assert a["spec"]["template"]["metadata"]["annotations"][ann] != b["spec"]["template"]["metadata"]["annotations"][ann]


def test_virtual_keys_migrate_the_schema_before_the_proxies_roll_out():
    plan = render_raw(two_models(gateway={"virtualKeys": {"enabled": True}}))
    (job,) = [r for r in kind(plan, "Job") if r.manifest["metadata"]["name"].startswith(f"{litellm.NAME}-migrate-")]
    deploy = next(r for r in kind(plan, "Deployment") if r.manifest["metadata"]["name"] == litellm.NAME)
    assert job.urn in plan.dependencies(deploy), "no new proxy pod before the migration finished"
    assert job.options["deleteBeforeReplace"] and int(job.options["customTimeouts"]["create"][:-1]) >= 600
    env = env_of(deploy.manifest["spec"]["template"]["spec"]["containers"][0])
    assert env["DISABLE_SCHEMA_UPDATE"]["value"] == "true"
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == litellm.DATABASE_SECRET
    cfg = yaml.safe_load(plan.manifest("ConfigMap", gateway_config_name(plan))["data"][litellm.CONFIG_FILE])
    assert cfg["general_settings"]["database_url"] == "os.environ/DATABASE_URL"
    assert "custom_auth" not in cfg["general_settings"]
    (sts,) = kind(plan, "StatefulSet")
    db_env = env_of(sts.manifest["spec"]["template"]["spec"]["containers"][0])
    assert db_env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": litellm.DATABASE_SECRET, "key": "password"}
    passwords = {r.name for r in plan.by_type(GENERATED_SECRET)}
    assert "gateway-db-password" in passwords
    secret = next(r for r in kind(plan, "Secret") if r.manifest["metadata"]["name"] == litellm.DATABASE_SECRET)
    url = secret.raw_inputs["stringData"]["database-url"]
    password = secret.raw_inputs["stringData"]["password"]
    assert password.startswith("mock-") and f":{password}@" in url, "the generated password, never a placeholder"
    policy = plan.manifest("NetworkPolicy", f"{litellm.DB_NAME}-ingress")
    assert policy["spec"]["podSelector"]["matchLabels"] == litellm.db_selector()


def test_nothing_served_means_no_gateway_and_no_ui(dev_like_plan):
    names = {r.manifest["metadata"]["name"] for r in dev_like_plan.k8s_objects}
    assert litellm.NAME not in names and webui.NAME not in names
    assert "apiBaseUrl" not in dev_like_plan.outputs


# --- OpenWebUI ------------------------------------------------------------------------------------

def test_webui_talks_to_the_gateway_with_v1_and_the_gateway_key(default_plan):
    deploy = default_plan.manifest("Deployment", webui.NAME)
    env = env_of(deploy["spec"]["template"]["spec"]["containers"][0])
    assert env["OPENAI_API_BASE_URL"]["value"] == default_plan.outputs["apiBaseUrlInCluster"]
    assert env["OPENAI_API_BASE_URL"]["value"] == f"http://{litellm.NAME}.llm.svc:{litellm.PORT}/v1"
    # The UI only calls the model API: it gets the app key, not the admin (master) key.
    assert env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": litellm.APP_KEY_SECRET,
                                                                  "key": litellm.APP_KEY_FIELD}
    assert env["ENABLE_OLLAMA_API"]["value"] == "False" and env["ENABLE_OPENAI_API"]["value"] == "True"
    assert env["WEBUI_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == webui.SECRET
    assert deploy["spec"]["replicas"] == 1 and deploy["spec"]["strategy"] == {"type": "Recreate"}
    c = deploy["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"]["requests"] and {"startupProbe", "readinessProbe", "livenessProbe"} <= set(c)


def test_webui_data_is_protected_retained_and_on_the_stack_storage(default_plan):
    pvc = next(r for r in kind(default_plan, "PersistentVolumeClaim") if r.manifest["metadata"]["name"] == webui.PVC)
    assert pvc.options["protect"] and pvc.options["retainOnDelete"]
    assert pvc.manifest["spec"]["storageClassName"] == "tke-llm-cfs"
    assert pvc.manifest["spec"]["accessModes"] == ["ReadWriteMany"]
    mounts = default_plan.manifest("Deployment", webui.NAME)["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "data", "mountPath": "/app/backend/data"} in mounts


@pytest.mark.parametrize("storage, sc, mode", [
    ({"kind": "existing", "storageClassName": "nfs"}, "nfs", "ReadWriteMany"),
    # (A ReadWriteOnce model class is refused once a model is served: checks/preflight.py `_storage`.)
    ({"kind": "local"}, None, "ReadWriteOnce"),
])
def test_webui_volume_on_existing_and_local_storage(storage, sc, mode):
    plan = render_raw(existing_config(models=[OLLAMA], storage=storage))
    pvc = plan.manifest("PersistentVolumeClaim", webui.PVC)
    assert pvc["spec"].get("storageClassName") == sc and pvc["spec"]["accessModes"] == [mode]


def test_several_webui_replicas_share_websockets_through_redis():
    plan = render_raw(two_models(webui={"redisUrl": "redis://redis.cache.svc:6379/0", "replicas": 2}))
    deploy = plan.manifest("Deployment", webui.NAME)
    env = env_of(deploy["spec"]["template"]["spec"]["containers"][0])
    assert deploy["spec"]["replicas"] == 2 and deploy["spec"]["strategy"]["type"] == "RollingUpdate"
    assert env["WEBSOCKET_MANAGER"]["value"] == "redis"
    assert env["WEBSOCKET_REDIS_URL"]["value"] == "redis://redis.cache.svc:6379/0"


def test_without_gateway_webui_calls_the_engine_with_its_key():
    plan = render_raw(tke_config(nodePools=POOLS, models=[VLLM], gateway="none"))
    env = env_of(plan.manifest("Deployment", webui.NAME)["spec"]["template"]["spec"]["containers"][0])
    assert env["OPENAI_API_BASE_URL"]["value"] == "http://qwen3-8b-api.llm.svc:8000/v1"
    assert env["OPENAI_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "qwen3-8b-api-key"
    assert env["ENABLE_OLLAMA_API"]["value"] == "False"
    assert litellm.NAME not in {r.manifest["metadata"]["name"] for r in plan.k8s_objects}
    assert plan.outputs["apiBaseUrl"] == "http://qwen3-8b-api.llm.svc:8000/v1"


def test_ollama_alone_without_gateway_uses_the_ollama_api():
    plan = render_raw(existing_config(models=[OLLAMA], gateway="none"))
    env = env_of(plan.manifest("Deployment", webui.NAME)["spec"]["template"]["spec"]["containers"][0])
    assert env["ENABLE_OLLAMA_API"]["value"] == "True" and env["ENABLE_OPENAI_API"]["value"] == "False"
    assert env["OLLAMA_BASE_URL"]["value"] == "http://r1-7b-api.llm.svc:11434"
    assert "OPENAI_API_BASE_URL" not in env


# --- exposure -------------------------------------------------------------------------------------

def test_api_exposure_targets_the_gateway_and_outputs_its_url(exposed):
    kind_name, plan = exposed
    outputs = plan.outputs
    assert outputs["apiBaseUrl"].endswith("/v1") and outputs["apiBaseUrlInCluster"].endswith("/v1")
    assert outputs["models"] == ["Qwen3-8B", "DeepSeek-R1-Distill-Qwen-7B"]
    assert outputs["webuiUrl"] == "https://chat.example.com"
    if kind_name == "none":
        assert outputs["apiBaseUrl"] == outputs["apiBaseUrlInCluster"]
        assert not [r for r in kind(plan, "Service") if r.manifest["spec"]["type"] == "LoadBalancer"]
    elif kind_name == "loadBalancer":
        (svc,) = [r.manifest for r in kind(plan, "Service") if r.manifest["spec"]["type"] == "LoadBalancer"]
        assert svc["spec"]["selector"] == litellm.selector(), "the API exposure reaches the gateway, never an engine"
        assert svc["metadata"]["annotations"] == {
            "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid": "subnet-abcd1234"}
        assert outputs["apiBaseUrl"].startswith("http://") and outputs["apiBaseUrl"] != outputs["apiBaseUrlInCluster"]
    elif kind_name == "ingress":
        ing = plan.manifest("Ingress", litellm.NAME)
        path = ing["spec"]["rules"][0]["http"]["paths"][0]
        assert path["path"] == "/v1" and path["backend"]["service"] == {"name": litellm.NAME, "port": {"number": 4000}}
        assert ing["spec"]["ingressClassName"] == "nginx"
        assert ing["spec"]["tls"] == [{"hosts": ["llm.example.com"], "secretName": f"{litellm.NAME}-tls"}]
        assert ing["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt"
        assert int(ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600
        assert outputs["apiBaseUrl"] == "https://llm.example.com/v1"
    else:
        route = plan.manifest("HTTPRoute", litellm.NAME)
        assert route["spec"]["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge",
                                                "namespace": "envoy-gateway-system", "sectionName": "https"}]
        assert route["spec"]["hostnames"] == ["llm.example.com"]
        rule = route["spec"]["rules"][0]
        assert rule["backendRefs"] == [{"group": "", "kind": "Service", "name": litellm.NAME, "port": 4000}]
        assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/v1"}}]
        assert int(rule["timeouts"]["request"][:-1]) >= 600
        assert outputs["apiBaseUrl"] == "https://llm.example.com/v1"
    ui = plan.manifest("Ingress", webui.NAME)
    assert ui["spec"]["tls"] == [{"hosts": ["chat.example.com"], "secretName": "chat-tls"}]
    assert ui["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == webui.NAME
    ui_env = env_of(plan.manifest("Deployment", webui.NAME)["spec"]["template"]["spec"]["containers"][0])
    assert ui_env["WEBUI_URL"]["value"] == "https://chat.example.com"


def test_without_gateway_the_exposure_reaches_the_engine_directly():
    plan = render_raw(tke_config(nodePools=POOLS, models=[SGLANG], gateway="none", exposure={"api": PUBLIC_LB}))
    (svc,) = [r.manifest for r in kind(plan, "Service") if r.manifest["spec"]["type"] == "LoadBalancer"]
    assert svc["metadata"]["name"] == "r1-distill-api-lb"
    assert svc["spec"]["selector"] == plan.manifest("Service", "r1-distill-api")["spec"]["selector"]
    policy = plan.manifest("NetworkPolicy", "r1-distill-ingress")
    open_rules = [r for r in policy["spec"]["ingress"] if "from" not in r]
    assert open_rules == [{"ports": [{"protocol": "TCP", "port": 30000}]}], "the CLB path reaches the API port only"
    assert plan.outputs["apiBaseUrl"].endswith("/v1")


# --- network policies -----------------------------------------------------------------------------

def test_engines_admit_only_the_gateway(default_plan):
    for name in ("qwen3-8b", "r1-distill"):
        policy = default_plan.manifest("NetworkPolicy", f"{name}-ingress")
        api_rule = policy["spec"]["ingress"][0]
        assert api_rule["from"] == [{"podSelector": {"matchLabels": litellm.selector()}}]
    assert default_plan.manifest("NetworkPolicy", "default-deny-ingress")["spec"]["podSelector"] == {}


def test_gateway_admits_the_ui_and_the_exposure_path(exposed):
    kind_name, plan = exposed
    rules = plan.manifest("NetworkPolicy", f"{litellm.NAME}-ingress")["spec"]["ingress"]
    assert {"from": [{"podSelector": {"matchLabels": webui.selector()}}],
            "ports": [{"protocol": "TCP", "port": litellm.PORT}]} in rules
    smoke_rule = {"from": [{"podSelector": {"matchLabels": smoke.peer()}}],
                  "ports": [{"protocol": "TCP", "port": litellm.PORT}]}
    assert rules[-1] == smoke_rule, "the smoke Job calls the gateway as apps do (docs/smoke.md)"
    rules = rules[:-1]
    if kind_name == "none":
        assert len(rules) == 1
    elif kind_name == "httpRoute":
        (path,) = [r for r in rules if r not in rules[:1]]
        assert path["from"][0]["namespaceSelector"]["matchExpressions"][0]["values"] == ["envoy-gateway-system"]
    else:  # a CLB (Service or TKE Ingress) reaches the pods from addresses that cannot be listed
        assert {"ports": [{"protocol": "TCP", "port": litellm.PORT}]} in rules
    ui_rules = plan.manifest("NetworkPolicy", f"{webui.NAME}-ingress")["spec"]["ingress"]
    assert ui_rules == [{"ports": [{"protocol": "TCP", "port": webui.PORT}]}]


def test_every_pod_the_access_layer_runs_is_hardened(default_plan):
    for name in (litellm.NAME, webui.NAME):
        pod = default_plan.manifest("Deployment", name)["spec"]["template"]["spec"]
        assert pod["enableServiceLinks"] is False and pod["automountServiceAccountToken"] is False
        assert pod["nodeSelector"] == {"tke-llm.io/pool": "system"}
        sc = pod["containers"][0]["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"]


# --- secrets never in plain objects ----------------------------------------------------------------

def _secret_strings(plan) -> set[str]:
    """Every value the rendered Secrets carry (the mocks' generated keys and passwords)."""
    values: set[str] = set()
    for r in kind(plan, "Secret"):
        for v in (r.raw_inputs.get("stringData") or {}).values():
            values.add(v)
            if v.startswith("sk-"):
                values.add(v[3:])
    return {v for v in values if isinstance(v, str) and len(v) >= 16}


@pytest.mark.parametrize("sections", [
    {},
    {"exposure": {"api": INGRESS, "webui": UI_INGRESS}},
    {"exposure": {"api": LB}},
    {"exposure": {"api": ROUTE}},
    {"gateway": {"virtualKeys": {"enabled": True}}},
])
def test_no_secret_value_outside_a_secret(sections):
    plan = render_raw(two_models(**sections))
    secrets = _secret_strings(plan)
    assert len(secrets) >= 4
    for r in plan.k8s_objects:
        if r.manifest["kind"] == "Secret":
            continue
        text = json.dumps(r.raw_inputs)
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{r.manifest['kind']}/{r.manifest['metadata']['name']} carries a secret value"
    outputs = json.dumps(plan.outputs)
    assert not [s for s in secrets if s in outputs], "secret outputs are masked"
    assert {"apiKey", "engineApiKeys", "kubeconfig"} <= plan.secret_outputs


# --- the variants no shipped stack renders pass the same independent checks ------------------------

@pytest.mark.parametrize("name, raw", [
    ("virtual-keys", two_models(gateway={"virtualKeys": {"enabled": True}},
                                exposure={"api": {**ROUTE, "scheme": "http", "sectionName": None}})),
    ("no-gateway", tke_config(nodePools=POOLS, models=[SGLANG], gateway="none",
                              exposure={"api": {"kind": "ingress", "host": "r1.example.com"}, "webui": LB})),
    ("public-clb", two_models(exposure={"api": PUBLIC_LB, "webui": {**PUBLIC_LB, "host": "chat.example.com",
                                                                    "tls": {"certificateId": "8u8DII0l",
                                                                            "protocol": "HTTPS"}}})),
])
def test_variants_pass_the_schemas_and_checkov(name, raw, tmp_path):
    from preview.writers import write

    from tests.validators import load_manifests, run_checkov, validate_builtin, validate_custom

    plan = render_raw(raw)
    manifests = write(plan, tmp_path) / "manifests.yaml"
    docs = load_manifests(manifests)
    errors = validate_builtin(docs, plan.config.cluster.kubernetes_version) + validate_custom(docs)
    assert not errors, "\n".join(errors)
    errors = run_checkov(manifests)
    assert not errors, "\n".join(errors)
