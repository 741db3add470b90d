"""Stand-ins for what cannot run here (GPU engines), shared by the tests that run the real gateway,
router, UI and benchmark tool in front of them; the real LiteLLM proxy and the real OpenWebUI started as
the plan renders them, and a real headless browser (browser.py) to use the UI."""
