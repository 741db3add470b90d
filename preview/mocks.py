"""Mock outputs that look like what Tencent Cloud returns, so the plan shows realistic values (ids with
the right prefixes, a CFS-Turbo mount-point id that is not the `cfs-xxx` id) and the program's own
use of computed outputs is exercised. Values are derived from the resource name: plans are stable
across runs, which makes them diffable."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pulumi
from pulumi.runtime import mocks as pm
from pulumi.runtime import rpc

from components.generated_secret import TYPE as GENERATED_SECRET
from components.namespace_owner import TYPE as NAMESPACE_OWNER

SECRET_MASK = "[secret]"


def _h(name: str, n: int = 8) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:n]


FAKE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: {cid}
  cluster: {{server: 'https://{cid}.ccs.tencent-cloud.com', certificate-authority-data: bW9jaw==}}
contexts:
- name: {cid}-context-default
  context: {{cluster: {cid}, user: admin}}
current-context: {cid}-context-default
users:
- name: admin
  user: {{token: mock-token}}
"""


_REGION = "ap-guangzhou"
"""The tencentcloud provider's default region (provider.py: ap-guangzhou) for mock URLs; ids do not use it."""


def _cloud_outputs(typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    h = _h(name)
    prefixes = {
        "tencentcloud:Vpc/instance:Instance": "vpc-",
        "tencentcloud:Subnet/instance:Instance": "subnet-",
        "tencentcloud:Security/group:Group": "sg-",
        "tencentcloud:Kubernetes/cluster:Cluster": "cls-",
        "tencentcloud:Kubernetes/nodePool:NodePool": "np-",
        "tencentcloud:Kubernetes/nativeNodePool:NativeNodePool": "np-",
        "tencentcloud:Kubernetes/serverlessNodePool:ServerlessNodePool": "np-",
        "tencentcloud:Ccn/instance:Instance": "ccn-",
        "tencentcloud:Cfs/fileSystem:FileSystem": "cfs-",
        "tencentcloud:Eip/instance:Instance": "eip-",
        "tencentcloud:Nat/gateway:Gateway": "nat-",
        "tencentcloud:Route/table:Table": "rtb-",
    }
    out = dict(inputs)
    rid = prefixes.get(typ, "") + h
    if typ == "tencentcloud:Kubernetes/clusterEndpoint:ClusterEndpoint":
        cid = inputs.get("clusterId") or "cls-mock"
        out["kubeConfig"] = FAKE_KUBECONFIG.format(cid=cid)
        out["kubeConfigIntranet"] = FAKE_KUBECONFIG.format(cid=cid)
        rid = cid
    elif typ == "tencentcloud:Cfs/fileSystem:FileSystem":
        # The mount-point id and IP the CSI StorageClass needs; deliberately unlike the resource id.
        out["fsId"] = _h("fsid" + name)
        out["mountIp"] = inputs.get("mountIp") or f"11.0.{int(h[:2], 16)}.7"
    elif typ == "tencentcloud:Eip/instance:Instance":
        out["publicIp"] = f"198.51.100.{int(h[:2], 16) % 250 + 1}"  # documentation range (RFC 5737)
    elif typ == "tencentcloud:Cos/bucket:Bucket":
        # The provider's id is the bucket name; its URL the virtual-hosted domain of the default provider's
        # region (a bucket in another region has a provider of its own, which the mock does not see).
        rid = inputs.get("bucket") or rid
        region = pulumi.Config("tencentcloud").get("region") or _REGION
        out["cosBucketUrl"] = f"{rid}.cos.{region}.myqcloud.com"
    elif typ == "tencentcloud:Kubernetes/addon:Addon":
        rid = f"{inputs.get('clusterId')}#{inputs.get('addonName')}"
        out["phase"] = "Succeeded"
    elif typ == "tencentcloud:Kubernetes/clusterAttachment:ClusterAttachment":
        rid = f"{inputs.get('instanceId')}_{inputs.get('clusterId')}"
    elif typ == NAMESPACE_OWNER:
        # As the real provider: the namespace is the id, how the cluster is reached is no output.
        rid, out = inputs["namespace"], {k: inputs.get(k) for k in ("namespace", "owner", "adopt")}
    elif typ.startswith("pulumi-python:dynamic"):
        out.pop("__provider", None)
    if typ == GENERATED_SECRET:
        # A rotated key (`keys.rotate`) is a different value, as the real provider generates one.
        rotation = int(inputs.get("rotation") or 0)
        out["result"] = "mock-" + _h(f"{name}#{rotation}" if rotation else name, 40)
    return rid, out


class CloudMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pm.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ.startswith("kubernetes:"):
            return f"{args.name}-id", dict(args.inputs)
        return _cloud_outputs(args.typ, args.name, args.inputs)

    def call(self, args: pm.MockCallArgs) -> dict[str, Any]:
        raise NotImplementedError(f"the program made an invoke ({args.token}); the plan has no mock for it")


def unwrap(value: Any, mask: bool) -> Any:
    """Strip Pulumi's wire envelopes: secrets become `[secret]` (or their value when `mask` is off),
    and whole floats (every number arrives as a float) become ints."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _mask(unwrap(value.get("value"), mask)) if mask else unwrap(value.get("value"), mask)
        return {k: unwrap(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v, mask) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _mask(value: Any) -> Any:
    """Mask the leaves of a secret, keeping its shape: a Secret's `stringData` stays a map."""
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return SECRET_MASK


class RecordingMonitor(pm.MockMonitor):
    """Sees each registration request, options included (MockResourceArgs carries no options)."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.requests: list[tuple[str, Any]] = []
        self._thread_loops: set[asyncio.AbstractEventLoop] = set()

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        self.requests.append((response.urn, request))
        # The base class gives each executor thread an event loop it never closes; remember them so
        # `close` can, instead of the interpreter complaining about them at exit.
        try:
            self._thread_loops.add(asyncio.get_event_loop())
        except RuntimeError:  # the Stack registration creates none
            pass
        return response

    def close(self) -> None:
        for loop in self._thread_loops:
            if not loop.is_running() and not loop.is_closed():
                loop.close()
        self._thread_loops.clear()
