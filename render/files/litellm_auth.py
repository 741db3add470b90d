"""tke-llm gateway authentication (LiteLLM `custom_auth`), database-less mode.

Admits the master key (admin) and the app key (constant-time compares) and answers 401 for a missing
or wrong key, which LiteLLM without a database cannot do (it answers 400 "No connected db."). The app
key may call only the model API routes in app_routes.json; anything else (admin routes, key and model
management) answers 403. The per-model limits in model_limits.json ride on the caller's identity, where
LiteLLM's rate limiter enforces them (429). Rendered by render/litellm.py; do not edit in the cluster.
"""

import hmac
import json
import os

from litellm.proxy._types import LitellmUserRoles, ProxyErrorTypes, ProxyException, UserAPIKeyAuth

_DIR = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_DIR, "model_limits.json")) as _f:
    _LIMITS = json.load(_f)
with open(os.path.join(_DIR, "app_routes.json")) as _f:
    _APP_ROUTES = frozenset(json.load(_f))


def _is(key, env):
    expected = os.environ.get(env, "")
    return bool(expected) and hmac.compare_digest(key.encode(), expected.encode())


async def user_api_key_auth(request, api_key):
    key = api_key or ""
    if key.startswith("Bearer "):
        key = key[len("Bearer "):]
    metadata = {"model_rpm_limit": _LIMITS.get("rpm", {}), "model_tpm_limit": _LIMITS.get("tpm", {})}
    if key and _is(key, "LITELLM_MASTER_KEY"):
        return UserAPIKeyAuth(api_key=key, user_role=LitellmUserRoles.PROXY_ADMIN, metadata=metadata)
    if key and _is(key, "LITELLM_APP_KEY"):
        if request.url.path.rstrip("/") not in _APP_ROUTES:
            raise ProxyException(
                message="Forbidden: the app key may call only the model API (/v1/chat/completions, "
                        "/v1/completions, /v1/embeddings, /v1/models, /v1/responses)",
                type=ProxyErrorTypes.auth_error,
                param="Authorization",
                code=403,
            )
        return UserAPIKeyAuth(api_key=key, user_role=LitellmUserRoles.INTERNAL_USER, metadata=metadata)
    raise ProxyException(
        message="Authentication Error: missing or invalid API key",
        type=ProxyErrorTypes.auth_error,
        param="Authorization",
        code=401,
    )
