"""What preflight said about each served model, read from the stack file as the plan reads it: the capacity
table's sequences at max length (checks/preflight.py, derive/capacity.py), the TTFT alert threshold
(config/operations.py AlertsConfig, rendered by render/monitoring.py) and the autoscaling target."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from checks import load
from config import StackConfig
from preview.stackfile import read

TTFT_ALERT = "LLMTimeToFirstTokenHigh"


@dataclass(frozen=True)
class Expected:
    model: str
    served_name: str
    engine: str
    gpu: str | None
    replicas: int
    sequences_per_replica: int | None
    max_len: int | None
    ttft_alert_seconds: float | None
    autoscaling_metric: str | None
    autoscaling_target: float | None
    max_replicas: int | None

    @property
    def sequences(self) -> int | None:
        """Sequences at max length the whole deployment holds at once (replicas x per replica)."""
        if self.sequences_per_replica is None:
            return None
        return self.sequences_per_replica * max(self.replicas, 1)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "sequences": self.sequences}


def from_config(cfg: StackConfig, capacity: list[Any]) -> dict[str, Expected]:
    """By served name (what the benchmark sends as `model`)."""
    rows = {r.model: r for r in capacity}
    alerts = cfg.monitoring.alerts if cfg.monitoring else None
    ttft = alerts.ttft_p95_seconds if alerts and TTFT_ALERT not in alerts.disabled else None
    out = {}
    for m in cfg.models:
        row = rows.get(m.name)
        scaling = m.autoscaling
        out[m.served_name] = Expected(
            model=m.name, served_name=m.served_name, engine=m.engine, gpu=row.gpu if row else None,
            replicas=m.replicas, sequences_per_replica=row.sequences if row else None,
            max_len=row.max_len if row else None, ttft_alert_seconds=ttft,
            autoscaling_metric=scaling.metric if scaling else None,
            autoscaling_target=scaling.effective_target if scaling else None,
            max_replicas=scaling.max_replicas if scaling else None)
    return out


def from_stack(stack: str, stack_dir: Path) -> tuple[StackConfig, dict[str, Expected]]:
    """Checked as `pulumi preview` checks it: a config error stops here (ConfigError, keyed)."""
    raw, secrets = read(stack, stack_dir)
    cfg, report = load(raw, secrets)
    return cfg, from_config(cfg, report.capacity)
