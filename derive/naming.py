"""Names several objects share, derived once from the stack name and config and passed as values."""

from __future__ import annotations

from dataclasses import dataclass

from config import StackConfig
from config.cluster import TkeCluster


@dataclass(frozen=True)
class Names:
    stack: str
    namespace: str
    cluster: str
    model_pvc: str = "models"

    @property
    def tags(self) -> dict[str, str]:
        """Tencent Cloud tags on every billed resource, so cost reports split by stack."""
        return {"tke-llm-stack": self.stack, "managed-by": "pulumi"}


def derive(cfg: StackConfig, stack: str) -> Names:
    cluster = cfg.cluster.name if cfg.cluster.name else f"tke-llm-{stack}"
    if isinstance(cfg.cluster, TkeCluster) and len(cluster) > 50:
        cluster = cluster[:50]
    return Names(stack=stack, namespace=cfg.namespace, cluster=cluster)
