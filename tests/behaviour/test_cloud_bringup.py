"""Cloud bring-up on TKE as a user relies on it: cloud storage starts with the cluster (not behind
Kubernetes objects), the plan's dependency model is the engine's, the nodes can reach the internet,
the node security group admits what TKE needs, and the summary states the assumptions."""

from __future__ import annotations

import pytest

from tests.conftest import SYSTEM_POOL, config_errors, gateway_config_name, render_raw, tke_config

TURBO = {"kind": "cfs-turbo", "capacityGib": 20480, "sizeGi": 1000}
H20_POOL = {"kind": "attached", "name": "h20", "instanceIds": ["ins-aaaaaaaa", "ins-bbbbbbbb"], "keyId": "skey-11111111",
            "gpu": {"type": "H20", "count": 8, "rdma": True}}
R1 = {"name": "deepseek-r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "h20", "gpusPerNode": 8,
      "nodes": 2, "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 32768}}


@pytest.fixture(scope="module")
def turbo_plan():
    return render_raw(tke_config(nodePools=[SYSTEM_POOL, H20_POOL], storage=TURBO, models=[R1]))


def _expanded(plan, r):
    """What `r` waits for, a component standing for all its children (as the engine reads it)."""
    out, todo = set(), list(plan.dependencies(r))
    while todo:
        d = todo.pop()
        kids = [c.urn for c in plan.resources if c.parent == d]
        if kids:
            todo.extend(kids)
        else:
            out.add(d)
    return out


def _cloud(plan):
    return [r for r in plan.resources if r.custom and r.type.startswith("tencentcloud:")]


def test_cloud_resources_never_wait_for_kubernetes_objects(turbo_plan):
    by_urn = turbo_plan.by_urn
    for r in _cloud(turbo_plan):
        waits = [by_urn[d] for d in _expanded(turbo_plan, r)]
        k8s = [d.name for d in waits if d.type.startswith("kubernetes:")]
        # GPU pools wait for their models' downloads on purpose (gpuNodesAfterDownload).
        if r.name.startswith("gpu-pools-"):
            continue
        assert not k8s, f"{r.type} {r.name} waits for Kubernetes objects {k8s}"


def test_plan_dependencies_are_the_registered_ones(turbo_plan):
    """Children do not inherit a parent's depends_on in the engine; the plan must not pretend so."""
    for r in turbo_plan.resources:
        assert turbo_plan.dependencies(r) == {d for d in r.depends_on if d in turbo_plan.by_urn and d != r.urn}



# Egress ---------------------------------------------------------------------------------------------

from checks import checked  # noqa: E402
from preview.summary import summary  # noqa: E402

MS_MODEL = {"name": "r1-7b", "servedName": "R1-7B", "engine": "vllm", "pool": "gpu",
            "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "revision": "v1.0.0"},
            "settings": {"maxModelLen": 16384}}


_errors = config_errors


def _net(**egress):
    return {"kind": "tke", "region": "ap-shanghai",
            "network": {"subnets": [{"zone": "ap-shanghai-5", "cidr": "10.0.1.0/24"}], **egress}}


def test_new_vpc_gets_a_nat_gateway_and_a_default_route():
    plan = render_raw(tke_config(models=[MS_MODEL]))
    eip = plan.one("tencentcloud:Eip/instance:Instance")
    nat = plan.one("tencentcloud:Nat/gateway:Gateway")
    table = plan.one("tencentcloud:Route/table:Table")
    entry = plan.one("tencentcloud:Route/tableEntry:TableEntry")
    subnet = plan.one("tencentcloud:Subnet/instance:Instance")
    (address,) = nat.inputs["assignedEipSets"]
    assert address.startswith("198.51.100.") and eip.urn in nat.depends_on, "the gateway carries the EIP"
    assert nat.inputs["bandwidth"] == 100 and nat.inputs["vpcId"].startswith("vpc-")
    assert entry.inputs["destinationCidrBlock"] == "0.0.0.0/0" and entry.inputs["nextType"] == "NAT"
    assert entry.inputs["nextHub"].startswith("nat-")
    assert subnet.inputs["routeTableId"].startswith("rtb-") and table.urn in subnet.depends_on
    assert "Egress `nat`: a NAT gateway" in summary(plan)
    assert "pool `system` downloads the weights from outside Tencent Cloud: " in summary(plan)


def test_existing_vpc_reuses_its_egress():
    raw = tke_config(cluster={**_net(), "network": {"vpcId": "vpc-11111111", "subnets": [{"zone": "ap-shanghai-5", "id": "subnet-11111111"}]}},
                     models=[MS_MODEL])
    plan = render_raw(raw)
    assert not plan.by_type("tencentcloud:Nat/gateway:Gateway") and not plan.by_type("tencentcloud:Route/table:Table")
    assert "Egress `existing`: the existing VPC's own routes" in summary(plan)


def test_existing_nat_gateway_routes_created_subnets():
    raw = tke_config(cluster={**_net(), "network": {"vpcId": "vpc-11111111", "egress": {"natGatewayId": "nat-abcd1234"},
                                                    "subnets": [{"zone": "ap-shanghai-5", "cidr": "10.0.9.0/24"}]}})
    plan = render_raw(raw)
    assert not plan.by_type("tencentcloud:Nat/gateway:Gateway")
    assert plan.one("tencentcloud:Route/tableEntry:TableEntry").inputs["nextHub"] == "nat-abcd1234"


def test_a_new_vpc_has_no_egress_to_reuse():
    found = _errors(tke_config(cluster=_net(egress={"kind": "existing"})))
    assert any(e.startswith("tke-llm:cluster.network") and "use `nat`" in e for e in found), found


def test_bad_nat_bandwidth_names_the_key():
    found = _errors(tke_config(cluster=_net(egress={"bandwidthMbps": 30})))
    assert any("tke-llm:cluster.network.egress" in e and "20, 50, 100" in e for e in found), found


def test_preflight_refuses_a_stack_without_egress():
    found = _errors(tke_config(cluster=_net(egress={"kind": "none"}), models=[MS_MODEL]))
    assert any(e.startswith("tke-llm:cluster.network.egress.kind: pool system downloads the weights")
               and "www.modelscope.cn" in e and "use `nat`" in e for e in found), found


def test_public_ip_egress_needs_bandwidth_on_the_downloading_pool():
    found = _errors(tke_config(cluster=_net(egress={"kind": "publicIp"}), models=[MS_MODEL]))
    assert any(e.startswith("tke-llm:nodePools[0].publicBandwidthMbps: pool system downloads") for e in found), found
    pools = [{**SYSTEM_POOL, "publicBandwidthMbps": 100},
             {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2,
              "publicBandwidthMbps": 50, "gpu": {"type": "A10", "count": 1}}]
    checked(tke_config(cluster=_net(egress={"kind": "publicIp"}), nodePools=pools, models=[MS_MODEL]))


def test_no_egress_is_fine_when_everything_is_inside_tencent_cloud():
    model = {**MS_MODEL, "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}, "engine": "ollama"}
    raw = tke_config(cluster=_net(egress={"kind": "none"}), models=[model], imageRegistry="ccr.ccs.tencentyun.com/m")
    found = _errors(raw)
    assert any("registry.ollama.ai" in e for e in found), "Ollama's registry is outside Tencent Cloud"
    checked(tke_config(cluster=_net(egress={"kind": "none"}), imageRegistry="ccr.ccs.tencentyun.com/m"))


def test_node_security_group_admits_pods_services_and_clb_health_checks():
    plan = render_raw(tke_config())
    rules = plan.one("tencentcloud:Security/groupRuleSet:GroupRuleSet", "network-nodes").inputs["ingresses"]
    sources = {r["cidrBlock"]: r for r in rules}
    assert {"10.0.0.0/16", "172.16.0.0/16", "172.31.0.0/22", "100.64.0.0/10"} <= set(sources), sources
    assert all(r["action"] == "ACCEPT" for r in rules)


# Storage lifecycle and billing ----------------------------------------------------------------------


def test_cfs_class_tags_its_file_system_and_promises_no_expansion():
    plan = render_raw(tke_config(), stack="dev")
    sc = plan.manifest("StorageClass", "tke-llm-cfs")
    assert sc["parameters"]["resourcetags"] == "managed-by:pulumi,tke-llm-stack:dev"
    assert "allowVolumeExpansion" not in sc, "the CFS CSI driver does not implement expansion"
    text = summary(plan)
    assert "the CFS file system the CSI driver created for the model volume" in text


def test_attached_machines_bill_from_purchase_in_either_order(turbo_plan):
    from preview.bringup import estimate

    (r1,) = estimate(turbo_plan).models
    hours = r1.first_token_s / 3600
    assert r1.gpu_hours == pytest.approx(16 * hours, abs=0.1), "16 GPUs billed from the start of `pulumi up`"
    assert r1.reference_gpu_hours == pytest.approx(16 * r1.reference_first_token_s / 3600, abs=0.1)
    text = summary(turbo_plan)
    assert "- pool `h20` (attached): bills from purchase" in text
    assert "gpuNodesAfterDownload: none: the machines bill from purchase, so they are attached while the weights download" in text
    assert "the attached machines of pool `h20` (ins-aaaaaaaa, ins-bbbbbbbb): detached, not terminated" in text


def test_node_pools_bill_from_creation_and_save_by_waiting():
    from preview.bringup import estimate

    plan = render_raw(tke_config(models=[MS_MODEL]))
    (m,) = estimate(plan).models
    assert m.gpu_hours < m.reference_gpu_hours
    assert "- pool `gpu` (normal): bills from creation" in summary(plan)


def test_super_nodes_bill_per_pod():
    from preview.bringup import estimate

    pools = [SYSTEM_POOL, {"kind": "super", "name": "gpu", "rootDiskGb": 100, "gpu": {"type": "A10", "count": 1}}]
    plan = render_raw(tke_config(nodePools=pools, models=[MS_MODEL]))
    (m,) = estimate(plan).models
    # Only the pod's own start-up bills, whichever order the pool comes in: pulling the 28 GB image
    # (224 s), loading 15 GB from CFS (51 s) and initialising (83 s), about 6 minutes on one A10.
    assert m.gpu_hours == m.reference_gpu_hours == 0.1
    assert "(super): bills per pod" in summary(plan)


# Attached machines ----------------------------------------------------------------------------------


def test_attachments_are_protected_without_ignored_timeouts(turbo_plan):
    atts = turbo_plan.by_type("tencentcloud:Kubernetes/clusterAttachment:ClusterAttachment")
    assert len(atts) == 2
    for a in atts:
        assert a.options["protect"] is True
        assert not a.options.get("customTimeouts"), "the attachment has no timeouts block"
    text = summary(turbo_plan)
    assert "- warning: tke-llm:nodePools[1]: pool h20 attaches 2 bought machine(s) (ins-aaaaaaaa, ins-bbbbbbbb)" in text
    assert "reinstalls the machines" in text


def test_any_change_to_an_attachment_is_a_protected_replacement(tmp_path):
    from preview.diff import diff_plans, load_plan, render_text
    from preview.writers import write

    def rendered(pool, sub):
        write(render_raw(tke_config(nodePools=[SYSTEM_POOL, pool], storage=TURBO, models=[R1]), stack="s"),
              tmp_path / sub)
        return load_plan(tmp_path / sub, "s")

    base = rendered(H20_POOL, "a")
    head = rendered({**H20_POOL, "labels": {"team": "infer"}}, "b")
    d = diff_plans("s", base, head)
    hits = [c for c in d.protected_hits if c.type.endswith("ClusterAttachment")]
    assert {c.name for c in hits} == {"gpu-pools-h20-ins-aaaaaaaa", "gpu-pools-h20-ins-bbbbbbbb"}
    assert all(c.action == "replace" for c in hits)
    assert render_text(d).splitlines()[2].startswith("!!! 2 PROTECTED")


# Isolation and gateway clients ----------------------------------------------------------------------


def _gateway_policy(plan):
    return next(r.manifest for r in plan.k8s_objects if r.manifest["kind"] == "NetworkPolicy"
                and r.manifest["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/name") == "llm-gateway")


def test_gateway_admits_the_listed_client_namespaces_only():
    plan = render_raw(tke_config(models=[MS_MODEL], gateway={"clientNamespaces": ["llm-apps", "batch"]}))
    policy = _gateway_policy(plan)
    peers = [p for rule in policy["spec"]["ingress"] for p in rule.get("from", [])]
    ns_peers = [p["namespaceSelector"] for p in peers if "namespaceSelector" in p]
    assert ns_peers == [{"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In",
                                               "values": ["batch", "llm-apps"]}]}]
    assert all(rule["ports"] == [{"protocol": "TCP", "port": 4000}] for rule in policy["spec"]["ingress"])
    text = summary(plan)
    assert "the gateway admits in-cluster callers from the namespaces `llm-apps`, `batch`" in text


def test_no_client_namespaces_no_namespace_peer():
    policy = _gateway_policy(render_raw(tke_config(models=[MS_MODEL])))
    assert not [p for rule in policy["spec"]["ingress"] for p in rule.get("from", []) if "namespaceSelector" in p]


def test_client_namespace_must_be_a_name():
    found = _errors(tke_config(models=[MS_MODEL], gateway={"clientNamespaces": ["Apps_1"]}))
    assert any(e.startswith("tke-llm:gateway") and "'Apps_1' is not a namespace name" in e for e in found), found


def test_plan_says_who_enforces_the_policies_and_what_is_unconfirmed(turbo_plan):
    text = summary(turbo_plan)
    assert ("enforced by TKE's NetworkPolicy add-on (kube-router, DaemonSet `kube-system/networkpolicy`), which the "
            "stack installs as `NetworkPolicy` (`cluster.addons.networkPolicy`)") in text
    assert "That add-on name is not confirmed by Tencent or the provider" in text
    assert "`deepseek-r1` runs on the host network (RDMA): no NetworkPolicy applies" in text
    assert "admits its engine port from the cluster's pods only" in text


def test_plan_does_not_claim_isolation_when_the_addon_is_off():
    from checks.preflight import preflight

    raw = tke_config(models=[MS_MODEL])
    raw["cluster"]["addons"] = {"networkPolicy": {"install": False}}
    text = summary(render_raw(raw))
    assert "NetworkPolicies are rendered (default deny, then each caller) but NOT enforced" in text
    assert "`cluster.addons.networkPolicy.install` is false" in text and "enforced by TKE's" not in text
    found = [str(w) for w in preflight(checked(raw)).warnings]
    assert any(w.startswith("tke-llm:cluster.addons.networkPolicy.install: TKE's NetworkPolicy add-on is off")
               for w in found), found


def test_shipped_dev_is_not_exposed_and_admits_the_example_app():
    from preview.stackfile import read

    raw, secrets = read("dev")
    plan = render_raw(raw, stack="dev", secrets=secrets)
    assert not [r for r in plan.k8s_objects if r.manifest["kind"] == "Service"
                and r.manifest["spec"].get("type") == "LoadBalancer"], "no public plain-HTTP CLB as shipped"
    assert not [r for r in plan.k8s_objects if r.manifest["kind"] in ("Ingress", "HTTPRoute")]
    values = [e["values"] for rule in _gateway_policy(plan)["spec"]["ingress"] for p in rule.get("from", [])
              for e in p.get("namespaceSelector", {}).get("matchExpressions", [])]
    assert values == [["llm-apps"]], "examples/app's default namespace may call the in-cluster gateway"


# Managed Prometheus ---------------------------------------------------------------------------------


def test_managed_prometheus_is_associated_before_the_monitoring_objects():
    from preview.stackfile import read

    raw, secrets = read("prod")
    plan = render_raw(raw, stack="prod", secrets=secrets)
    agent = plan.one("tencentcloud:Monitor/tmpTkeClusterAgent:TmpTkeClusterAgent")
    assert agent.inputs["instanceId"] == "prom-prodllm1"
    a = agent.inputs["agents"]
    assert (a["clusterType"], a["region"], a["enableExternal"]) == ("tke", "ap-shanghai", False)
    assert a["clusterId"].startswith("cls-")
    system = plan.one("tencentcloud:Kubernetes/nodePool:NodePool", "tke-pools-system")
    assert system.urn in _expanded(plan, agent), "the agent's pods need a node"
    crs = [r for r in plan.k8s_objects if r.manifest["kind"] in ("ServiceMonitor", "PrometheusRule")]
    assert crs and all(agent.urn in plan.dependencies(r) for r in crs), \
        "the CRDs exist only once the instance is associated"


def test_in_cluster_prometheus_needs_no_association():
    plan = render_raw(tke_config(models=[MS_MODEL], monitoring={"prometheus": {"kind": "in-cluster"}}))
    assert not plan.by_type("tencentcloud:Monitor/tmpTkeClusterAgent:TmpTkeClusterAgent")


# Gateway keys ---------------------------------------------------------------------------------------


def test_apps_get_the_app_key_and_the_admin_key_is_a_separate_secret_output():
    from render import litellm

    plan = render_raw(tke_config(models=[MS_MODEL]))
    assert {"apiKey", "adminKey"} <= plan.secret_outputs
    secrets = {r.manifest["metadata"]["name"]: r.raw_inputs["stringData"] for r in plan.k8s_objects
               if r.manifest["kind"] == "Secret"}
    app = secrets[litellm.APP_KEY_SECRET][litellm.APP_KEY_FIELD]
    master = secrets[litellm.MASTER_KEY_SECRET][litellm.MASTER_KEY_FIELD]
    assert app.startswith("sk-") and app != master
    deploy = plan.manifest("Deployment", litellm.NAME)
    env = {e["name"]: e for e in deploy["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env[litellm.APP_KEY_ENV]["valueFrom"]["secretKeyRef"] == {"name": litellm.APP_KEY_SECRET,
                                                                     "key": litellm.APP_KEY_FIELD}
    files = plan.manifest("ConfigMap", gateway_config_name(plan))["data"]
    assert "/key/generate" not in files[litellm.APP_ROUTES_FILE] and "/v1/chat/completions" in files[litellm.APP_ROUTES_FILE]


def test_cluster_os_matches_the_system_pool():
    plan = render_raw(tke_config(nodePools=[{**SYSTEM_POOL, "osImage": "ubuntu22.04x86_64"},
                                            {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116",
                                             "minSize": 0, "maxSize": 2, "gpu": {"type": "A10", "count": 1}}]))
    cluster = plan.one("tencentcloud:Kubernetes/cluster:Cluster")
    pool = plan.one("tencentcloud:Kubernetes/nodePool:NodePool", "tke-pools-system")
    assert cluster.inputs["clusterOs"] == pool.inputs["nodeOs"] == "ubuntu22.04x86_64"


def test_host_network_engine_ports_admit_only_pods(turbo_plan):
    rules = turbo_plan.one("tencentcloud:Security/groupRuleSet:GroupRuleSet", "network-hostnet").inputs["ingresses"]
    first, second = rules[0], rules[1]
    assert (first["action"], first["cidrBlock"], first["protocol"], first["port"]) == ("ACCEPT", "172.16.0.0/16", "TCP", "30000")
    assert (second["action"], second["cidrBlock"], second["port"]) == ("DROP", "0.0.0.0/0", "30000"), \
        "the rest of the VPC cannot reach the SGLang API on the host network"
    group = turbo_plan.one("tencentcloud:Security/group:Group", "network-hostnet")
    group_id = turbo_plan.one("tencentcloud:Security/groupRuleSet:GroupRuleSet", "network-hostnet").inputs["securityGroupId"]
    for att in turbo_plan.by_type("tencentcloud:Kubernetes/clusterAttachment:ClusterAttachment"):
        assert att.inputs["securityGroups"] == [group_id] and group.urn in att.depends_on
    assert "hostnet" not in str(turbo_plan.one("tencentcloud:Kubernetes/nodePool:NodePool", "tke-pools-system").inputs)


def test_no_host_network_no_extra_group():
    plan = render_raw(tke_config(models=[MS_MODEL]))
    assert "network-hostnet" not in [g.name for g in plan.by_type("tencentcloud:Security/group:Group")]


def test_existing_cluster_isolation_depends_on_its_cni():
    from tests.conftest import existing_config

    model = {**MS_MODEL, "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}, "engine": "ollama",
             "settings": {}}
    text = summary(render_raw(existing_config(models=[model])))
    assert "whether they are enforced depends on the existing cluster's CNI" in text
    assert "Existing cluster: its nodes' own path to the internet is assumed." in text
