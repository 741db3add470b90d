"""Stand-ins for what cannot run here (GPU engines), shared by the tests that run the real gateway,
router, UI and benchmark tool in front of them; and the real LiteLLM proxy started as the plan renders it."""
