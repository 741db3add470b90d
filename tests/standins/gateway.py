"""The real LiteLLM proxy (the PyPI release of the pinned image, in .venv-gateway) started as the plan's
gateway pod runs it: the rendered config file, auth module, limits and arguments, every environment
variable with Secret references resolved from the rendered Secrets. The only rewrite is each backend's
in-cluster URL, pointed at a loopback stand-in (or at whatever `api_base_for` returns, e.g. a router)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from render import litellm

from tests.conftest import gateway_config_name
from tests.standins.engine import StandinEngine
from tests.standins.net import free_port, wait_until_answers
from tests.standins.processes import installed, stop

STARTUP_SECONDS = 90


def litellm_bin() -> Path:
    return installed("LITELLM_BIN", ".venv-gateway", "litellm", "the LiteLLM proxy")


def secret_values(plan: Any) -> dict[str, dict[str, str]]:
    """Every rendered Secret's stringData by name."""
    return {r.raw_inputs["metadata"]["name"]: r.raw_inputs.get("stringData", {})
            for r in plan.k8s_objects if r.manifest["kind"] == "Secret"}


def container_env(container: dict[str, Any], secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """A rendered container's environment with `secretKeyRef`s resolved, as the kubelet would set it."""
    env = {}
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        else:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def rendered_model_list(plan: Any) -> list[dict[str, Any]]:
    cm = plan.manifest("ConfigMap", gateway_config_name(plan))
    return yaml.safe_load(cm["data"][litellm.CONFIG_FILE])["model_list"]


@dataclass
class RunningProxy:
    base: str
    engines: dict[str, StandinEngine]
    keys: dict[str, str]
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return (self.workdir / "proxy.log").read_text()[-6000:]

    def __iter__(self):  # (base, engines, keys), as the gateway tests unpack it
        return iter((self.base, self.engines, self.keys))


@contextlib.contextmanager
def running_proxy(plan: Any, workdir: Path, *, engines: dict[str, StandinEngine] | None = None,
                  api_base_for: Callable[[dict[str, Any]], str] | None = None,
                  engine_options: dict[str, Any] | None = None) -> Iterator[RunningProxy]:
    """Start the proxy as the plan renders it; yield a RunningProxy and always stop it (and the
    stand-ins it created). Backends go to `api_base_for(entry)` when given, else to `engines` (by
    model name; one StandinEngine each, created with `engine_options`, when not given)."""
    secrets = secret_values(plan)
    config_map = plan.manifest("ConfigMap", gateway_config_name(plan))
    container = plan.manifest("Deployment", litellm.NAME)["spec"]["template"]["spec"]["containers"][0]
    owned = engines is None and api_base_for is None
    if engines is None:
        engines = {} if api_base_for else {e["model_name"]: StandinEngine(e["model_name"], **(engine_options or {}))
                                           for e in rendered_model_list(plan)}
    config_dir = workdir / "config"
    config_dir.mkdir(parents=True)
    for fname, content in config_map["data"].items():
        if fname == litellm.CONFIG_FILE:
            cfg = yaml.safe_load(content)
            for entry in cfg["model_list"]:  # the only rewrite: in-cluster URL -> loopback
                base = entry["litellm_params"].get("api_base", "")
                assert ".svc:" in base, f"{entry['model_name']} points at an in-cluster Service: {base}"
                entry["litellm_params"]["api_base"] = (api_base_for(entry) if api_base_for
                                                       else engines[entry["model_name"]].url)
            content = yaml.safe_dump(cfg, sort_keys=False)
        (config_dir / fname).write_text(content)

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir), "TMPDIR": str(workdir),
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
           **container_env(container, secrets)}
    port = free_port()
    args = [a.replace(litellm.CONFIG_DIR, str(config_dir)) for a in container["args"]]
    args[args.index("--port") + 1] = str(port)
    log = (workdir / "proxy.log").open("w")
    proc = subprocess.Popen([str(litellm_bin()), *args, "--host", "127.0.0.1"], cwd=workdir, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base}/health/liveliness", STARTUP_SECONDS, alive=lambda: proc.poll() is None,
                           log=lambda: (workdir / "proxy.log").read_text()[-4000:])
        keys = {"master": env[litellm.MASTER_KEY_ENV], "app": env[litellm.APP_KEY_ENV]}
        for m in plan.config.models:
            keys[m.served_name] = secrets[f"{m.name}-api-key"]["api-key"] if f"{m.name}-api-key" in secrets else ""
        yield RunningProxy(base, engines, keys, workdir, env)
    finally:
        stop(proc)
        log.close()
        if owned:
            for e in engines.values():
                e.close()
