"""Comparing two offline plans: what `pulumi up` would create, replace, change and delete.

`python -m preview <stack> --diff-against DIR` compares with the plan in `DIR/<stack>/` (or `DIR/`);
`python -m preview.diff OLD NEW` compares two plan directories. Resources match by URN; the force-new
table below decides replaced, refused or changed; replacements cascade; protected resources come
first. Secrets and provider defaults are not seen. See docs/delivery.md, "Pull requests and environments".
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal

import yaml

from components.generated_secret import TYPE as GENERATED_SECRET
from preview.mocks import _cloud_outputs

Outcome = Literal["replace", "refused"]

# Sources of the rules, cited once; rules and reports name them by key. Paths are input paths in wire
# form (camelCase), `[*]` any list index.
SOURCES = {
    "k8s": "pulumi-kubernetes provider/pkg/provider/diff.go, the forceNew table (every kind also replaces on "
           "metadata.name and metadata.namespace)",
    "k8s-provider": "pulumi-kubernetes provider: a new clusterIdentifier replaces the provider and every object on it",
    "k8s-mutable-secret": "pulumi-kubernetes v4.32.0 provider/pkg/provider/diff.go: with the provider's "
                          "enableSecretMutable (components/k8s_provider.py) a Secret's data is updated in place; "
                          "only its type replaces it",
    "tc-cluster": "terraform-provider-tencentcloud tencentcloud/services/tke/resource_tc_kubernetes_cluster.go (ForceNew)",
    "tc-nodepool": "terraform-provider-tencentcloud tencentcloud/services/tke/resource_tc_kubernetes_node_pool.go (ForceNew)",
    "tc-cfs": "terraform-provider-tencentcloud tencentcloud/services/cfs/resource_tc_cfs_file_system.go (ForceNew)",
    "tc-cfs-immutable": "terraform-provider-tencentcloud v1.82.42 (bridged by tencentcloud-iac-pulumi 0.2.3): the "
                        "cfs_file_system update fails with 'argument cannot be changed' for capacity, ccn_id, cidr_block, "
                        "net_interface (shared/reference/pulumi-notes.md §4.7, §13)",
    "tc-endpoint": "terraform-provider-tencentcloud kubernetes_cluster_endpoint: the intranet subnet cannot be "
                   "modified once set (shared/reference/pulumi-notes.md §4.3)",
    "tc": "terraform-provider-tencentcloud resource schemas (ForceNew on ids, zones and CIDRs)",
    "tc-attachment": "terraform-provider-tencentcloud tencentcloud/services/tke/resource_tc_kubernetes_cluster_attachment.go: "
                     "every input is ForceNew and there is no Update; a re-attach reinstalls the machine",
    "tc-nat": "terraform-provider-tencentcloud v1.82.42 tencentcloud/services/vpc/resource_tc_nat_gateway.go: "
              "ForceNew vpc_id, subnet_id, nat_product_version, stock_public_ip_addresses_bandwidth_out; the Update "
              "fails with 'argument `zone` cannot be changed'",
    "tc-eip": "terraform-provider-tencentcloud v1.82.42 tencentcloud/services/cvm/resource_tc_eip.go: ForceNew type, "
              "anycast_zone, internet_service_provider; the Update fails with 'update on <field> is not support yet' "
              "for bandwidth_package_id, anti_ddos_package_id, egress",
    "tc-route-table": "terraform-provider-tencentcloud v1.82.42 tencentcloud/services/vpc/resource_tc_route_table.go: "
                      "ForceNew vpc_id (name and tags are updated)",
    "tc-route-entry": "terraform-provider-tencentcloud v1.82.42 tencentcloud/services/vpc/resource_tc_route_table_entry.go: "
                      "every input is ForceNew but disabled (the only field the Update changes)",
    "tc-addon": "terraform-provider-tencentcloud v1.82.42 tencentcloud/services/tke/resource_tc_kubernetes_addon.go: "
                "ForceNew cluster_id and addon_name; addon_version and raw_values are updated in place (UpdateAddon)",
    "tc-tmp-agent": "terraform-provider-tencentcloud v1.82.42 tencentcloud/services/tmp/"
                    "resource_tc_monitor_tmp_tke_cluster_agent.go: ForceNew instance_id; the Update sends only the "
                    "agent's external labels (ModifyPrometheusAgentExternalLabels)",
    "tc-cos-bucket": "terraform-provider-tencentcloud tencentcloud/services/cos/resource_tc_cos_bucket.go (the stored "
                     "snapshot, commit 0393cf42): ForceNew bucket, multi_az and cdc_id; the bucket is created in its "
                     "provider's region (no region argument), so another region is another provider",
    "random": "components/generated_secret.py: a new length or rotation (`keys.rotate`) replaces the generated "
              "secret (a new value)",
    "replaceOnChanges": "the resource's own replaceOnChanges option",
    "provider-move": "a resource moved to another provider instance is replaced",
}
K8S, K8S_PROVIDER, TC_CLUSTER, TC_POOL, TC_CFS = "k8s", "k8s-provider", "tc-cluster", "tc-nodepool", "tc-cfs"
TC_CFS_IMMUTABLE, TC_ENDPOINT, TC_OTHER, RANDOM = "tc-cfs-immutable", "tc-endpoint", "tc", "random"


@dataclass(frozen=True)
class Rule:
    path: str
    source: str
    outcome: Outcome = "replace"


def _rules(source: str, *paths: str, outcome: Outcome = "replace") -> list[Rule]:
    return [Rule(p, source, outcome) for p in paths]


_K8S_META = _rules(K8S, "metadata.name", "metadata.namespace")
_SELECTOR = ("spec.selector",)
_CONTAINER_FIELDS = ("args", "command", "env", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "ports",
                     "readinessProbe", "resources", "securityContext", "stdin", "stdinOnce", "terminationMessagePath",
                     "terminationMessagePolicy", "tty", "volumeDevices", "volumeMounts", "workingDir")
_POD_FIELDS = ("affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy", "enableServiceLinks",
               "hostAliases", "hostIPC", "hostNetwork", "hostPID", "hostname", "imagePullSecrets", "nodeName",
               "nodeSelector", "overhead", "preemptionPolicy", "priority", "priorityClassName", "readinessGates",
               "restartPolicy", "runtimeClassName", "schedulerName", "securityContext", "serviceAccount",
               "serviceAccountName", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds", "volumes")

FORCE_NEW: dict[str, list[Rule]] = {
    # --- Kubernetes (every kind also replaces on metadata.name / metadata.namespace, see rules_for) ---
    "kubernetes:apps/v1:Deployment": _rules(K8S, *_SELECTOR),
    "kubernetes:apps/v1:DaemonSet": _rules(K8S, *_SELECTOR),
    "kubernetes:apps/v1:StatefulSet": _rules(K8S, "spec.podManagementPolicy", "spec.revisionHistoryLimit",
                                             "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"),
    "kubernetes:batch/v1:Job": _rules(K8S, "spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    "kubernetes:core/v1:ConfigMap": _rules(K8S, "binaryData", "data"),
    "kubernetes:core/v1:Secret": _rules("k8s-mutable-secret", "type"),
    "kubernetes:core/v1:Service": _rules(K8S, "spec.clusterIP"),
    # A bigger claim is an update (the API server expands it where the StorageClass allows expansion and
    # refuses it otherwise): confirmed by the real engine in tests/e2e/test_byo_real_engine.py.
    "kubernetes:core/v1:PersistentVolumeClaim": _rules(K8S, "spec.accessModes", "spec.selector",
                                                       "spec.storageClassName", "spec.volumeName"),
    "kubernetes:core/v1:Pod": _rules(K8S, *[f"spec.{f}" for f in _POD_FIELDS],
                                     *[f"spec.{c}[*].{f}" for c in ("containers", "initContainers") for f in _CONTAINER_FIELDS]),
    "kubernetes:core/v1:ResourceQuota": _rules(K8S, "spec.scopes"),
    "kubernetes:storage.k8s.io/v1:StorageClass": _rules(K8S, "parameters", "provisioner"),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": _rules(K8S, "roleRef"),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": _rules(K8S, "roleRef"),
    "pulumi:providers:kubernetes": _rules(K8S_PROVIDER, "clusterIdentifier"),
    # --- Tencent Cloud ---
    "tencentcloud:Kubernetes/cluster:Cluster": _rules(
        TC_CLUSTER, "vpcId", "clusterCidr", "serviceCidr", "clusterMaxPodNum", "clusterMaxServiceNum", "networkType",
        "clusterDeployType", "containerRuntime", "clusterOsType", "clusterIpvs", "nodeNameType", "isNonStaticIpMode",
        "ignoreClusterCidrConflict", "ignoreServiceCidrConflict", "clusterSubnetId", "isDualStack", "dataPlaneV2",
        "basePodNum", "clusterExtraArgs", "masterConfigs", "workerConfigs"),
    "tencentcloud:Kubernetes/nodePool:NodePool": [
        *_rules(TC_POOL, "clusterId", "vpcId", "subnetIds", "retryPolicy", "scalingMode",
                "autoScalingConfig.instanceType", "autoScalingConfig.dataDisks[*].snapshotId",
                "nodeConfig.gpuArgs", "nodeConfig.extraArgs", "nodeConfig.dataDisks", "nodeConfig.mountTarget",
                "nodeConfig.dockerGraphPath", "nodeConfig.userData", "nodeConfig.preStartUserScript",
                "nodeConfig.isSchedule", "nodeConfig.desiredPodNum"),
    ],
    "tencentcloud:Kubernetes/clusterEndpoint:ClusterEndpoint": [
        *_rules(TC_OTHER, "clusterId"),
        *_rules(TC_ENDPOINT, "clusterIntranetSubnetId", outcome="refused"),
    ],
    "tencentcloud:Kubernetes/clusterAttachment:ClusterAttachment": _rules("tc-attachment", "*"),
    "tencentcloud:Kubernetes/addon:Addon": _rules("tc-addon", "clusterId", "addonName"),
    "tencentcloud:Cfs/fileSystem:FileSystem": [
        *_rules(TC_CFS, "availabilityZone", "protocol", "storageType", "vpcId", "subnetId", "mountIp", "encrypted"),
        *_rules(TC_CFS_IMMUTABLE, "capacity", "ccnId", "cidrBlock", "netInterface", outcome="refused"),
    ],
    "tencentcloud:Cos/bucket:Bucket": _rules("tc-cos-bucket", "bucket", "multiAz", "cdcId"),
    "tencentcloud:Vpc/instance:Instance": _rules(TC_OTHER, "cidrBlock"),
    "tencentcloud:Subnet/instance:Instance": _rules(TC_OTHER, "vpcId", "cidrBlock", "availabilityZone"),
    "tencentcloud:Ccn/attachmentV2:AttachmentV2": _rules(TC_OTHER, "ccnId", "instanceId", "instanceRegion", "instanceType"),
    # The egress path (components/egress.py) and the managed Prometheus association.
    "tencentcloud:Nat/gateway:Gateway": [
        *_rules("tc-nat", "vpcId", "subnetId", "natProductVersion", "stockPublicIpAddressesBandwidthOut"),
        *_rules("tc-nat", "zone", outcome="refused"),
    ],
    "tencentcloud:Eip/instance:Instance": [
        *_rules("tc-eip", "type", "anycastZone", "internetServiceProvider"),
        *_rules("tc-eip", "bandwidthPackageId", "antiDdosPackageId", "egress", outcome="refused"),
    ],
    "tencentcloud:Route/table:Table": _rules("tc-route-table", "vpcId"),
    "tencentcloud:Route/tableEntry:TableEntry": _rules(
        "tc-route-entry", "routeTableId", "destinationCidrBlock", "nextType", "nextHub", "description"),
    # `agents` (region, cluster type and id, ...) is not ForceNew: a change is an in-place update, which the
    # provider applies to the external labels only.
    "tencentcloud:Monitor/tmpTkeClusterAgent:TmpTkeClusterAgent": _rules("tc-tmp-agent", "instanceId"),
    GENERATED_SECRET: _rules(RANDOM, "length", "rotation"),
}


def rules_for(typ: str) -> list[Rule]:
    rules = list(FORCE_NEW.get(typ, []))
    if typ.startswith("kubernetes:") and typ != "pulumi:providers:kubernetes":
        rules = _K8S_META + rules
    return rules


# --- paths -----------------------------------------------------------------------------------------

_TOKEN = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|([^.\[\]]+)|\[(\d+|\*)\]')
_PLAIN_KEY = re.compile(r"^[^.\[\]\"]+$")


def split_path(path: str) -> list[str]:
    """`spec.template.metadata.labels["app.kubernetes.io/name"]` -> keys, and `[n]` / `[*]` for indices."""
    out = []
    for m in _TOKEN.finditer(path):
        if m.group(1) is not None:
            out.append(json.loads(f'"{m.group(1)}"'))
        elif m.group(2) is not None:
            out.append(m.group(2))
        else:
            out.append(f"[{m.group(3)}]")
    return out


def _key(prefix: str, key: str) -> str:
    """A path step: `.key`, or `["app.kubernetes.io/name"]` for keys that hold dots or brackets."""
    if _PLAIN_KEY.match(key):
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{json.dumps(key)}]"


def _match(a: list[str], b: list[str]) -> bool:
    """The common prefix of two paths matches (`[*]` matches any index)."""
    for x, y in zip(a, b):
        if x == y or (x == "[*]" and y.startswith("[")) or (y == "[*]" and x.startswith("[")):
            continue
        return False
    return True


def rule_hit(rule: Rule, changed: str) -> bool:
    """A changed path forces the rule when it lies under the rule's path, or contains it (the whole
    object holding the field was added, removed or rewritten)."""
    if rule.path == "*":
        return True
    return _match(split_path(rule.path), split_path(changed))


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Leaf paths whose values differ. Lists of different lengths count as changed as a whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            sub = _key(prefix, str(key))
            if key not in old or key not in new:
                out.append(sub)
            else:
                out += changed_paths(old[key], new[key], sub)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out += changed_paths(a, b, f"{prefix}[{i}]")
        return out
    return [] if old == new else [prefix or "(inputs)"]


def _ignored(changed: str, ignore_changes: list[str]) -> bool:
    """The changed path lies under one of the resource's `ignoreChanges` paths: Pulumi keeps the old
    value there, so no update is sent for it."""
    path = split_path(changed)
    return any(len(path) >= len(split_path(i)) and _match(split_path(i), path) for i in ignore_changes)


def get_path(obj: Any, path: str) -> Any:
    node = obj
    for tok in split_path(path):
        if tok.startswith("["):
            idx = int(tok[1:-1])
            if not isinstance(node, list) or idx >= len(node):
                return None
            node = node[idx]
        else:
            if not isinstance(node, dict) or tok not in node:
                return None
            node = node[tok]
    return node


def show(value: Any, limit: int = 60) -> str:
    if value is None:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the diff --------------------------------------------------------------------------------------

@dataclass
class Reason:
    path: str
    old: Any
    new: Any
    source: str
    outcome: Outcome = "replace"

    def text(self) -> str:
        verb = "is refused by the provider (the update fails)" if self.outcome == "refused" else "forces replacement"
        return f"`{self.path}` {show(self.old)} → {show(self.new)} {verb} [{self.source}]"


@dataclass
class Change:
    action: Literal["create", "delete", "replace", "update"]
    urn: str
    type: str
    name: str
    label: str
    """What a reviewer recognises: `Kind/name` for Kubernetes objects, the Pulumi name otherwise."""
    protected: bool = False
    """Protected in the base plan (the state as it is before this change)."""
    paths: list[str] = field(default_factory=list)
    """Changed input paths (and `options.*` for resource options)."""
    reasons: list[Reason] = field(default_factory=list)
    cascade: str | None = None
    """Why a resource is replaced although its own inputs did not force it."""
    cascade_source: str | None = None
    refused: bool = False
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None

    @property
    def dangerous(self) -> bool:
        return self.protected and (self.action in ("delete", "replace") or self.refused)


@dataclass
class PlanDiff:
    stack: str
    base_found: bool
    changes: list[Change]
    manifests_diff: str
    unchanged: int
    moved: list[tuple[Change, Change]] = field(default_factory=list)
    """(deleted, created) pairs of the same type and object name: likely a move that an alias keeps."""

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def protected_hits(self) -> list[Change]:
        return [c for c in self.changes if c.dangerous]

    @property
    def refused(self) -> list[Change]:
        return [c for c in self.changes if c.refused]

    @property
    def counts(self) -> dict[str, int]:
        return {a: len(self.of(a)) for a in ("create", "update", "replace", "delete")}

    @property
    def sources(self) -> list[str]:
        used = {r.source for c in self.changes for r in c.reasons} | {c.cascade_source for c in self.changes if c.cascade_source}
        return [k for k in SOURCES if k in used]

    @property
    def empty(self) -> bool:
        return not self.changes and not self.manifests_diff


def _label(rec: dict[str, Any]) -> str:
    inputs = rec.get("inputs") or {}
    if rec["type"].startswith("kubernetes:") and isinstance(inputs.get("metadata"), dict) and inputs.get("kind"):
        return f"{inputs['kind']}/{inputs['metadata'].get('name', rec['name'])}"
    return rec["name"]


def _opts(rec: dict[str, Any]) -> dict[str, Any]:
    return rec.get("options") or {}


def load_plan(path: Path, stack: str) -> tuple[list[dict[str, Any]], str] | None:
    """Resources and manifests of a plan: `path/<stack>/` or `path/` itself. None if neither exists."""
    for d in (path / stack, path):
        if (d / "resources.json").is_file():
            manifests = d / "manifests.yaml"
            return json.loads((d / "resources.json").read_text()), manifests.read_text() if manifests.is_file() else ""
    return None


def canonical_manifests(text: str) -> str:
    """The documents of a manifests.yaml, each kept verbatim, ordered by kind, namespace and name.

    The plan writes objects in dependency order, and objects that do not depend on one another may
    come out in either order from one render to the next; sorting keeps that out of the diff."""
    docs: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip("\n") == "---" or not docs:
            docs.append([])
        docs[-1].append(line)

    def key(doc: list[str]) -> tuple[str, str, str]:
        try:
            obj = yaml.safe_load("".join(doc)) or {}
        except yaml.YAMLError:
            return ("~", "", "".join(doc))
        meta = obj.get("metadata") or {} if isinstance(obj, dict) else {}
        return (str(obj.get("kind", "")) if isinstance(obj, dict) else "", str(meta.get("namespace", "")), str(meta.get("name", "")))

    return "".join("".join(d) for d in sorted(docs, key=key))


# Inputs that hold another resource's id; a route's `nextHub` holds its gateway's (the NAT gateway's).
_ID_FIELD = re.compile(r"(Id|Ids|Identifier|^nextHub)$")


def diff_plans(
    stack: str,
    base: tuple[list[dict[str, Any]], str] | None,
    head: tuple[list[dict[str, Any]], str],
) -> PlanDiff:
    old_res, old_manifests = base if base is not None else ([], "")
    new_res, new_manifests = head
    old = {r["urn"]: r for r in old_res}
    new = {r["urn"]: r for r in new_res}
    changes: dict[str, Change] = {}
    unchanged = 0

    for urn, rec in new.items():
        if urn not in old:
            changes[urn] = Change("create", urn, rec["type"], rec["name"], _label(rec), new=rec)
    for urn, rec in old.items():
        if urn not in new:
            changes[urn] = Change("delete", urn, rec["type"], rec["name"], _label(rec),
                                  protected=bool(_opts(rec).get("protect")), old=rec)
    for urn in new.keys() & old.keys():
        before, after = old[urn], new[urn]
        paths = [p for p in changed_paths(before.get("inputs") or {}, after.get("inputs") or {})
                 if not _ignored(p, _opts(after).get("ignoreChanges") or [])]
        # A change of customTimeouts alone is no step in the engine (seen in tests/e2e/test_byo_real_engine.py:
        # a Service whose timeouts follow the model size shows no update): it rides along with real changes.
        opt_paths = [f"options.{p}" for p in changed_paths(_opts(before), _opts(after))
                     if paths or not p.startswith("customTimeouts")]
        if after.get("provider") != before.get("provider"):
            opt_paths.append("provider")
        if not paths and not opt_paths:
            unchanged += 1
            continue
        rules = rules_for(after["type"]) + [
            Rule(p, "replaceOnChanges") for p in _opts(after).get("replaceOnChanges") or []
        ]
        reasons: list[Reason] = []
        for p in paths:  # the first rule that a changed path hits explains it
            rule = next((r for r in rules if rule_hit(r, p)), None)
            if rule is not None:
                shown = p if len(split_path(p)) >= len(split_path(rule.path)) or rule.path == "*" else rule.path
                if all(r.path != shown for r in reasons):
                    reasons.append(Reason(shown, get_path(before.get("inputs"), shown),
                                          get_path(after.get("inputs"), shown), rule.source, rule.outcome))
        replaced = [r for r in reasons if r.outcome == "replace"]
        if "provider" in opt_paths:
            replaced.append(Reason("provider", before.get("provider"), after.get("provider"), "provider-move"))
        changes[urn] = Change(
            "replace" if replaced else "update", urn, after["type"], after["name"], _label(after),
            protected=bool(_opts(before).get("protect")), paths=paths + opt_paths,
            reasons=replaced + [r for r in reasons if r.outcome == "refused"],
            refused=any(r.outcome == "refused" for r in reasons), old=before, new=after,
        )

    _new_values(changes, new, old)
    _cascade(changes, new, old)
    moved = _moves(changes)
    order = {"replace": 0, "delete": 1, "update": 2, "create": 3}
    ordered = sorted(changes.values(), key=lambda c: (not c.dangerous, order[c.action], c.type, c.name))
    manifests_diff = "".join(difflib.unified_diff(
        canonical_manifests(old_manifests).splitlines(keepends=True),
        canonical_manifests(new_manifests).splitlines(keepends=True),
        fromfile=f"base/{stack}/manifests.yaml", tofile=f"head/{stack}/manifests.yaml",
    ))
    return PlanDiff(stack, base is not None, ordered, manifests_diff, unchanged, moved)


def _mock_id(rec: dict[str, Any]) -> str | None:
    """The id the offline plan gave a cloud resource (derived from its type and name, see mocks.py), when
    it is an id of its own (`cls-…`, `vpc-…`), not one borrowed from another resource."""
    if not rec["type"].startswith("tencentcloud:"):
        return None
    rid, _ = _cloud_outputs(rec["type"], rec["name"], dict(rec.get("inputs") or {}))
    return rid if re.fullmatch(r"[a-z]+-[0-9a-f]{8}", rid or "") else None


def _new_values(changes: dict[str, Change], new: dict[str, dict[str, Any]], old: dict[str, dict[str, Any]]) -> None:
    """A Secret filled from a replaced generated key gets its new value, which the plan masks (`[secret]`):
    an update of its `stringData`, in place (k8s-mutable-secret), as the engine shows it."""
    regenerated = {u for u, c in changes.items() if c.type == GENERATED_SECRET and c.action == "replace"}
    for urn, rec in new.items():
        if urn in changes or urn not in old or rec["type"] != "kubernetes:core/v1:Secret":
            continue
        if regenerated & set(rec.get("dependsOn") or []):
            changes[urn] = Change("update", urn, rec["type"], rec["name"], _label(rec),
                                  protected=bool(_opts(old[urn]).get("protect")), paths=["stringData"],
                                  old=old[urn], new=rec)


def _cascade(changes: dict[str, Change], new: dict[str, dict[str, Any]], old: dict[str, dict[str, Any]]) -> None:
    """A replaced (or newly created) resource has a new id: a resource that holds that id in a
    force-new input (`clusterId`, `vpcId`, the Kubernetes provider's `clusterIdentifier`) is replaced
    too, and so is every object on a replaced provider. The real ids are unknown offline; the plan's
    mock ids are stable per resource, so the id a resource holds tells which one it came from."""
    while True:
        fresh = {u: c for u, c in changes.items() if c.action in ("replace", "create")}
        ids = {}
        for u, c in fresh.items():
            rid = _mock_id(c.new or {"type": c.type, "name": c.name})
            if rid:
                ids[rid] = c
        grew = False
        for urn, rec in new.items():
            current = changes.get(urn)
            if current is not None and current.action in ("replace", "create"):
                continue
            cause = None
            source = K8S_PROVIDER
            if rec.get("provider") in fresh:
                cause = f"its provider `{fresh[rec['provider']].name}` is replaced"
            else:
                for rule in rules_for(rec["type"]):
                    if rule.outcome != "replace" or not _ID_FIELD.search(split_path(rule.path)[-1]):
                        continue
                    value = get_path(rec.get("inputs"), rule.path)
                    held = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
                    src = next((ids[v] for v in held if v in ids), None)
                    if src is not None:
                        verb = "replaced" if src.action == "replace" else "new"
                        cause = f"`{src.name}` is {verb}, so `{rule.path}` gets a new id, which forces replacement [{rule.source}]"
                        source = rule.source
                        break
            if cause is None:
                continue
            if current is None:
                before = old.get(urn, rec)
                current = changes[urn] = Change("update", urn, rec["type"], rec["name"], _label(rec),
                                                protected=bool(_opts(before).get("protect")), old=before, new=rec)
            current.action = "replace"
            current.cascade, current.cascade_source = cause, source
            grew = True
        if not grew:
            return


def _moves(changes: dict[str, Change]) -> list[tuple[Change, Change]]:
    created = [c for c in changes.values() if c.action == "create"]
    pairs = []
    for d in (c for c in changes.values() if c.action == "delete"):
        twin = next((c for c in created if c.type == d.type and c.label == d.label), None)
        if twin is not None:
            pairs.append((d, twin))
    return pairs


# --- rendering -------------------------------------------------------------------------------------

_SYMBOL = {"create": "+", "delete": "-", "replace": "±", "update": "~"}
MAX_PATHS = 12
MAX_MANIFEST_DIFF = 12_000
"""Characters of the manifests diff per stack in a PR comment: GitHub caps a comment at 65,536 and one
comment carries every stack; the full diff is in the printed output and the workflow's artifact."""


def _why(c: Change) -> str:
    if c.cascade:
        return c.cascade
    if c.reasons:
        return "; ".join(r.text() for r in c.reasons)
    if c.action == "delete":
        return "no longer in the program"
    return ""


def _paths(c: Change) -> str:
    shown = c.paths[:MAX_PATHS]
    more = f" (+{len(c.paths) - MAX_PATHS} more)" if len(c.paths) > MAX_PATHS else ""
    return ", ".join(f"`{p}`" for p in shown) + more


def _protected_line(c: Change) -> str:
    what = {"delete": "would be DELETED", "replace": "would be REPLACED", "update": "gets an update the provider refuses"}[c.action]
    return f"{c.type} `{c.name}` ({c.label}) {what}: {_why(c)}"


def _headline(d: PlanDiff) -> str:
    n = d.counts
    return f"+{n['create']} to create, ~{n['update']} to change, ±{n['replace']} to replace, -{n['delete']} to delete, {d.unchanged} unchanged"


def render_text(d: PlanDiff) -> str:
    lines = [f"Plan diff for stack `{d.stack}`: {_headline(d)}"]
    if not d.base_found:
        lines.append("  (no base plan: the stack is new, every resource is created)")
    if d.protected_hits:
        lines.append("")
        lines.append(f"!!! {len(d.protected_hits)} PROTECTED resource(s) hit: `pulumi up` refuses until they are unprotected, "
                     "and their data is lost if they are:")
        lines += [f"!!!   {_protected_line(c)}" for c in d.protected_hits]
    for action, title in (("replace", "Replace"), ("delete", "Delete"), ("update", "Change in place"), ("create", "Create")):
        items = d.of(action)
        if not items:
            continue
        lines += ["", f"{title} ({len(items)}):"]
        for c in items:
            lines.append(f"  {_SYMBOL[action]} {c.type} {c.name} ({c.label})")
            if action == "replace":
                lines.append(f"      why: {_why(c)}")
            if c.refused and action != "replace":
                lines.append(f"      refused: {_why(c)}")
            if action in ("update", "replace") and c.paths:
                lines.append(f"      changed: {_paths(c)}")
    if d.moved:
        lines += ["", "Deleted and created with the same object name (a move? an alias keeps the resource; without one the "
                  "provider adopts the object on create (upsertExistingObjects), then deletes it with the old resource):"]
        lines += [f"  {a.urn}\n    -> {b.urn}" for a, b in d.moved]
    if d.sources:
        lines += ["", "Sources of the replacement rules:"] + [f"  [{k}] {SOURCES[k]}" for k in d.sources]
    lines += ["", "manifests.yaml:" if d.manifests_diff else "manifests.yaml: no change"]
    if d.manifests_diff:
        lines.append(d.manifests_diff.rstrip("\n"))
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: PlanDiff) -> str:
    out = [f"### Stack `{d.stack}`", "", f"**{_headline(d)}**", ""]
    if not d.base_found:
        out += ["_No base plan: the stack is new, every resource is created._", ""]
    if d.protected_hits:
        out += ["> [!CAUTION]",
                f"> **{len(d.protected_hits)} protected resource(s) would be replaced or deleted.** `pulumi up` refuses "
                "until they are unprotected (`pulumi state unprotect`), and the data on them is lost if they are.", ">"]
        out += [f"> - {_protected_line(c)}" for c in d.protected_hits]
        out.append("")
    elif d.refused:
        out += ["> [!WARNING]", "> The provider refuses some of these updates (the change needs a manual migration):", ">"]
        out += [f"> - {c.type} `{c.name}`: {_why(c)}" for c in d.refused]
        out.append("")
    rows = [c for c in d.changes if c.action != "create"]
    if rows:
        out += ["| | resource | what changes | why |", "|---|---|---|---|"]
        for c in rows:
            what = _paths(c) if c.paths else ("removed" if c.action == "delete" else "")
            flag = " 🔒" if c.protected else ""
            out.append(f"| {_SYMBOL[c.action]} {c.action} | `{_md_escape(c.label)}`{flag}<br/><sub>{_md_escape(c.type)}</sub> "
                       f"| {_md_escape(what)} | {_md_escape(_why(c))} |")
        out.append("")
    created = d.of("create")
    if created:
        out += [f"<details><summary>{len(created)} to create</summary>", ""]
        out += [f"- `{c.label}` <sub>{c.type}</sub>" for c in created]
        out += ["", "</details>", ""]
    if d.moved:
        out += ["Deleted and created under the same object name — if this is a move, an `alias` keeps the resource "
                "(without one the provider adopts the object on create, `upsertExistingObjects`, then deletes it with the "
                "old resource):", ""]
        out += [f"- `{a.label}`: `{a.urn}` → `{b.urn}`" for a, b in d.moved]
        out.append("")
    if d.sources:
        out += ["<sub>Replacement rules: " + "; ".join(f"[{k}] {SOURCES[k]}" for k in d.sources) + "</sub>", ""]
    if d.manifests_diff:
        body = d.manifests_diff
        note = ""
        if len(body) > MAX_MANIFEST_DIFF:
            body = body[:MAX_MANIFEST_DIFF].rsplit("\n", 1)[0] + "\n"
            note = f"\n_Cut at {MAX_MANIFEST_DIFF} characters; the full diff is in the workflow's plan artifact._\n"
        fence = "````" if "```" in body else "```"
        out += ["<details><summary>Kubernetes manifests (unified diff)</summary>", "", f"{fence}diff", body.rstrip("\n"),
                fence, note, "</details>", ""]
    elif not d.changes:
        out += ["No change.", ""]
    return "\n".join(out)


def compare_dirs(stack: str, base_dir: Path, head_dir: Path) -> PlanDiff:
    head = load_plan(head_dir, stack)
    if head is None:
        raise FileNotFoundError(f"no plan for stack {stack!r} in {head_dir}")
    return diff_plans(stack, load_plan(base_dir, stack), head)


def write_outputs(d: PlanDiff, markdown: Path | None, stream=None) -> None:
    (stream or sys.stdout).write(render_text(d))
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(render_markdown(d))


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m preview.diff", description="Compare two offline plans of a stack.")
    ap.add_argument("base", type=Path, help="the earlier plan directory (holding <stack>/ or resources.json)")
    ap.add_argument("head", type=Path, help="the new plan directory")
    ap.add_argument("--stack", required=True)
    ap.add_argument("--markdown", type=Path, help="also write a pull-request comment body here")
    args = ap.parse_args(list(argv) if argv is not None else None)
    try:
        d = compare_dirs(args.stack, args.base, args.head)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    write_outputs(d, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
