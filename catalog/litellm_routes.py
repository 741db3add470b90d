"""LiteLLM facts the gateway's app key depends on, for the pinned proxy (requirements-gateway.txt,
litellm 1.110.2; the image tag in catalog/images.py). Re-check them when LiteLLM is bumped.

With `custom_auth`, LiteLLM runs none of its own route checks, so the custom auth module must refuse
non-API routes to the app key; the routes below are the model-calling subset of LiteLLM's
`openai_routes`. Sources: docs/gateway.md, "The app key's routes".
"""

APP_ROUTES = (
    "/v1/chat/completions", "/chat/completions",
    "/v1/completions", "/completions",
    "/v1/embeddings", "/embeddings",
    "/v1/models", "/models",
    "/v1/responses", "/responses",
)
"""What the app key may call: the models and their completions, nothing administrative."""
