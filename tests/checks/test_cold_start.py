"""`models[].coldStart` across sections (checks/cold_start.py): the hold is the gateway's and must fit in
its request timeout; each refusal names the key and the fix."""

from __future__ import annotations

from checks import checked

from tests.conftest import tke_config

from .helpers import R1_7B, errors


def test_a_hold_longer_than_the_gateways_request_timeout_is_refused():
    raw = tke_config(models=[{**R1_7B, "coldStart": {"holdSeconds": 700}}], gateway={"requestTimeoutSeconds": 600})
    assert errors(raw) == ["tke-llm:models[0].coldStart.holdSeconds: 700 is longer than the gateway's request timeout "
                           "(600 s, `gateway.requestTimeoutSeconds`): hold at most that long, or raise the timeout"]


def test_a_hold_up_to_the_timeout_is_taken():
    raw = tke_config(models=[{**R1_7B, "coldStart": {"holdSeconds": 600}}], gateway={"requestTimeoutSeconds": 600})
    assert checked(raw).models[0].cold_start.hold_seconds == 600


def test_without_a_gateway_nothing_holds_so_cold_start_is_refused():
    raw = tke_config(models=[{**R1_7B, "coldStart": {"retryAfterSeconds": 5}}], gateway="none")
    (msg,) = errors(raw)
    assert msg.startswith("tke-llm:models[0].coldStart.retryAfterSeconds: the gateway holds requests")
    assert "`gateway.kind` is none" in msg
    # unset, the section is fine without a gateway
    assert checked(tke_config(models=[R1_7B], gateway="none")).models[0].cold_start.hold_seconds is None


def test_a_hold_on_a_model_with_a_fallback_is_refused():
    """The hold runs before LiteLLM's router: a held request would never reach the fallback (docs/gateway.md)."""
    other = {**R1_7B, "name": "other", "servedName": "Other"}
    raw = tke_config(models=[{**R1_7B, "coldStart": {"holdSeconds": 60}}, other],
                     gateway={"fallbacks": [{"model": "R1-7B", "to": ["Other"]}]})
    (msg,) = errors(raw)
    assert msg.startswith("tke-llm:models[0].coldStart.holdSeconds: a held request never reaches the model's "
                          "fallback"), msg
    ok = tke_config(models=[{**R1_7B, "coldStart": {"holdSeconds": 0}}, other],
                    gateway={"fallbacks": [{"model": "R1-7B", "to": ["Other"]}]})
    assert checked(ok).models[0].cold_start.hold_seconds == 0
