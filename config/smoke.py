"""The smoke gate: after each model's servers and the gateway are up, one real answer through the URL
and key apps use before `pulumi up` ends (render/smoke.py, docs/smoke.md)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from config.base import ConfigModel
from config.formats import boolean_shorthand


class SmokeConfig(ConfigModel):
    enabled: bool = True
    """Run the smoke Job per model (`smoke: false` is the short form of `enabled: false`). The wait for
    every replica and every LeaderWorkerSet group stays on either way."""
    timeout_seconds: int | None = Field(None, ge=10)
    """How long the gate waits for a model's answer, and for every pod of its LeaderWorkerSet groups to
    be ready once the leaders are; default derived from the bring-up estimate (weight read and engine
    start-up at the storage's throughput, x1.5, at least 120 s)."""
    completion: list[str] = Field(default_factory=list)
    """Served names of base models (no chat template): the gate sends them a text completion
    (`/v1/completions`) instead of a chat completion."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"enabled": data} if isinstance(data, bool) else boolean_shorthand(data)
