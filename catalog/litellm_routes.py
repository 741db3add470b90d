"""LiteLLM facts the gateway's app key depends on, for the pinned proxy (requirements-gateway.txt,
litellm 1.102.4; the image tag in catalog/images.py). Re-check them when LiteLLM is bumped.

- With `general_settings.custom_auth`, `user_api_key_auth` returns the custom function's result without
  LiteLLM's own route checks (unless `enable_post_custom_auth_checks`): litellm/proxy/auth/
  user_api_key_auth.py. So the custom auth module itself must refuse non-API routes to the app key.
- The OpenAI routes below are the model-calling subset of `LiteLLMRoutes.openai_routes` in
  litellm/proxy/_types.py (each with and without the `/v1` prefix).
"""

APP_ROUTES = (
    "/v1/chat/completions", "/chat/completions",
    "/v1/completions", "/completions",
    "/v1/embeddings", "/embeddings",
    "/v1/models", "/models",
    "/v1/responses", "/responses",
)
"""What the app key may call: the models and their completions, nothing administrative."""
