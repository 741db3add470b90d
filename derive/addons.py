"""The TKE add-ons a stack installs, each once, from its config: NetworkPolicy enforcement and the
rdma-agent on the cluster, the CSI driver its storage kind needs. Every one goes through
`tencentcloud_kubernetes_addon` (components/tke_addon.py); names and their sources: catalog/tke_addons.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.tke_addons import ADDONS, RDMA_MODES, AddonFact
from config import StackConfig
from config.cluster import TkeCluster, AddonSettings
from config.node_pools import POOL_LABEL
from derive.rdma import settings


RESOURCE_NAMES = {"networkPolicy": "networkpolicy", "rdmaAgent": "rdmaagent", "cfsCsi": "cfs",
                  "cfsTurboCsi": "cfsturbo"}
"""Per `cluster.addons` field; the CSI ones keep the names their add-ons had before the field existed."""


@dataclass(frozen=True)
class AddonSpec:
    key: str
    """The config key of its settings, e.g. `cluster.addons.networkPolicy`."""
    name: str
    version: str | None
    raw_values: str | None
    """Plain JSON, or None to send no parameters."""
    fact: AddonFact

    @property
    def field(self) -> str:
        """Its field under `cluster.addons`, e.g. `networkPolicy`."""
        return self.key.rsplit(".", 1)[-1]

    @property
    def resource_name(self) -> str:
        """Stable part of its Pulumi resource name (not the add-on name, which the config may change)."""
        return RESOURCE_NAMES[self.field]

    @property
    def name_note(self) -> str:
        """How the name is known, for the plan summary."""
        if self.name != self.fact.name:
            return f"name set by `{self.key}.name` (default `{self.fact.name}`, source: {self.fact.source})"
        state = "confirmed" if self.fact.confirmed else "unconfirmed"
        return f"name {state} (source: {self.fact.source})"


def _spec(key: str, cfg: AddonSettings, name: str) -> AddonSpec:
    return AddonSpec(key=f"cluster.addons.{key}", name=name, version=cfg.version,
                     raw_values=cfg.raw_values_json, fact=ADDONS[key])


def rdma_pools(cfg: StackConfig) -> dict[str, str]:
    """Pools whose RDMA a multi-node model uses (derive/rdma.py `settings`), with their rdma-agent mode
    (`gpu.rdma.mode`: `shared` or `exclusive`): the pools the rdma-agent serves."""
    out: dict[str, str] = {}
    for m in cfg.models:
        r = settings(cfg, m)
        if r is not None:
            out[m.pool] = r.mode
    return dict(sorted(out.items()))


def network_policy_addon(cfg: StackConfig) -> AddonSpec | None:
    c = cfg.cluster
    if not isinstance(c, TkeCluster) or not c.addons.network_policy.install:
        return None
    return _spec("networkPolicy", c.addons.network_policy, c.addons.network_policy.name)


def rdma_agent_addon(cfg: StackConfig) -> AddonSpec | None:
    c = cfg.cluster
    if not isinstance(c, TkeCluster) or not c.addons.rdma_agent.install or not rdma_pools(cfg):
        return None
    return _spec("rdmaAgent", c.addons.rdma_agent, c.addons.rdma_agent.name)


def rdma_node_labels(cfg: StackConfig) -> dict[str, dict[str, str]]:
    """Per pool the stack creates (normal, native), the labels the rdma-agent's DaemonSet selects, for the
    pools it serves; a node pool updates its labels in place. Attached pools are left out: every input of
    an attachment forces a new one, which reinstalls the machine (see `unlabelled_attached_pools`)."""
    c = cfg.cluster
    if rdma_agent_addon(cfg) is None or not isinstance(c, TkeCluster):
        return {}
    return {p: dict(c.addons.rdma_agent.node_labels) for p in rdma_pools(cfg) if cfg.pool(p).kind != "attached"}


def unlabelled_attached_pools(cfg: StackConfig) -> dict[str, dict[str, str]]:
    """Per attached pool the rdma-agent serves, the agent's node labels its own `labels` do not carry:
    the stack does not add them (that would re-attach, i.e. reinstall, the machines), so the nodes must
    be labelled by hand (`label_command`)."""
    c = cfg.cluster
    if rdma_agent_addon(cfg) is None or not isinstance(c, TkeCluster):
        return {}
    out = {}
    for p in rdma_pools(cfg):
        pool = cfg.pool(p)
        missing = {k: v for k, v in c.addons.rdma_agent.node_labels.items() if pool.labels.get(k) != v}
        if pool.kind == "attached" and missing:
            out[p] = missing
    return out


def label_command(pool: str, labels: dict[str, str]) -> str:
    """The kubectl command that labels an attached pool's nodes (they carry the pool label from their attachment)."""
    pairs = " ".join(f"{k}={v}" for k, v in labels.items())
    return f"kubectl label nodes -l {POOL_LABEL}={pool} {pairs} --overwrite"


def csi_addon(cfg: StackConfig) -> AddonSpec | None:
    c = cfg.cluster
    if not isinstance(c, TkeCluster):
        return None
    if cfg.storage.kind == "cfs":
        return _spec("cfsCsi", c.addons.cfs_csi, c.addons.cfs_csi.name)
    if cfg.storage.kind == "cfs-turbo":
        return _spec("cfsTurboCsi", c.addons.cfs_turbo_csi, c.addons.cfs_turbo_csi.name)
    return None


def cluster_addons(cfg: StackConfig) -> list[AddonSpec]:
    """The add-ons the cluster component installs (the CSI add-on belongs to the model storage)."""
    return [a for a in (network_policy_addon(cfg), rdma_agent_addon(cfg)) if a is not None]


def describe_mode(mode: str) -> str:
    return f"{mode} ({RDMA_MODES[mode]})"
