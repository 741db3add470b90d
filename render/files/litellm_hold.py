"""tke-llm gateway: hold requests through a model's cold start (a LiteLLM callback, pre-call hook).

While no backend of a model (api_base in config.yaml beside this file) answers its probePath
(cold_hold.json: the engine's /v1/models, a router's /readiness) with 200, a request for it waits here,
polling, up to the model's holdSeconds, then goes on; past the bound: 503 with Retry-After. The gauge
tke_llm_gateway_requests_held counts held requests for the scale-from-zero trigger. Rendered by
render/cold_hold.py; do not edit in the cluster.
"""

import asyncio
import json
import logging
import os
import time

import httpx
import yaml
from litellm.integrations.custom_logger import CustomLogger
from litellm.proxy._types import ProxyException
from prometheus_client import REGISTRY, Gauge

_DIR = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_DIR, "cold_hold.json")) as _f:
    _TABLE = json.load(_f)
with open(os.path.join(_DIR, "config.yaml")) as _f:
    _MODEL_LIST = yaml.safe_load(_f).get("model_list") or []

POLL_SECONDS = 0.5
PROBE_TIMEOUT_SECONDS = 2.0
READY_TRUST_SECONDS = 10.0
_log = logging.getLogger("tke_llm_hold")


def _gauge():
    name = "tke_llm_gateway_requests_held"
    try:
        return Gauge(name, "Requests the gateway holds while their model has no ready replica",
                     ["requested_model"], multiprocess_mode="livesum")
    except ValueError:  # loaded twice in one process: reuse the registered gauge
        return REGISTRY._names_to_collectors[name]


HELD = _gauge()


class ColdStartHoldExpired(ProxyException):
    """503 for a request whose model did not answer within its hold; the class names the metric label."""


def _targets(model, probe_path="/v1/models"):
    """(probe URL, key env var) of every deployment LiteLLM may send the model's requests to."""
    out = []
    for entry in _MODEL_LIST:
        params = entry.get("litellm_params") or {}
        if entry.get("model_name") == model and params.get("api_base"):
            key = str(params.get("api_key") or "")
            base = params["api_base"].rstrip("/")
            origin = base[:-len("/v1")] if base.endswith("/v1") else base
            out.append((origin + probe_path,
                        key[len("os.environ/"):] if key.startswith("os.environ/") else None))
    return out


class _Backend:
    def __init__(self, model, entry):
        self.model = model
        self.targets = _targets(model, entry.get("probePath", "/v1/models"))
        self.hold = float(entry["holdSeconds"])
        self.retry_after = int(entry["retryAfterSeconds"])
        self.ready_until = 0.0
        self.probed_at = -POLL_SECONDS
        self.lock = asyncio.Lock()

    async def _answers(self, client, timeout):
        for url, key_env in self.targets:
            key = os.environ.get(key_env, "") if key_env else ""
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            try:
                if (await client.get(url, headers=headers, timeout=timeout)).status_code == 200:
                    return True
            except (httpx.HTTPError, OSError):
                continue
        return False

    async def ready(self, client, timeout):
        """True when a probe (shared by concurrent requests, at most one per poll) found it answering."""
        async with self.lock:
            now = time.monotonic()
            if now < self.ready_until:
                return True
            if now - self.probed_at < POLL_SECONDS:
                return False
            ok = await self._answers(client, max(0.1, min(PROBE_TIMEOUT_SECONDS, timeout)))
            self.probed_at = time.monotonic()
            if ok:
                self.ready_until = self.probed_at + READY_TRUST_SECONDS
            return ok

    def expired(self):
        return ColdStartHoldExpired(
            message=f"Model {self.model!r} is starting (scaling from zero, or its replicas are still loading) "
                    f"and did not answer within {self.hold:g} s; retry after {self.retry_after} s",
            type="service_unavailable", param="model", code=503, openai_code="model_starting",
            headers={"Retry-After": str(self.retry_after)})


class ColdStartHold(CustomLogger):
    def __init__(self, table):
        super().__init__()
        self.backends = {model: _Backend(model, entry) for model, entry in table.items() if _targets(model)}
        self._client = None

    def client(self):
        if self._client is None:
            self._client = httpx.AsyncClient(trust_env=False)
        return self._client

    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        backend = self.backends.get(data.get("model")) if isinstance(data, dict) else None
        if backend is None:
            return data
        deadline = time.monotonic() + backend.hold
        try:
            if await backend.ready(self.client(), backend.hold):
                return data
        except Exception:  # the hold must never break a request it cannot judge
            _log.exception("probe of %s failed; not holding", backend.model)
            return data
        held = HELD.labels(requested_model=backend.model)
        held.inc()
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise backend.expired()
                await asyncio.sleep(min(POLL_SECONDS, remaining))
                remaining = deadline - time.monotonic()
                if remaining > 0 and await asyncio.wait_for(backend.ready(self.client(), remaining), remaining):
                    return data
        except asyncio.TimeoutError:
            raise backend.expired() from None
        except ColdStartHoldExpired:
            raise
        except Exception:
            _log.exception("probe of %s failed; not holding", backend.model)
            return data
        finally:
            held.dec()


hold = ColdStartHold(_TABLE)
