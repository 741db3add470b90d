"""The offline plan reads a stack file as the real Pulumi CLI and engine do: the same keys (unqualified ones
are the project's), the same values, and the same parse, for the shipped stacks, every documented form
and generated stacks (a property test through the built CLI).

Each comparison writes the file after `pulumi stack init` (init rewrites the file it finds, quoting
`false` as "false"), reads it with `pulumi config --json` and checks the CLI left it as written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checks import load
from config import ConfigError, read_from_pulumi
from preview.stackfile import PLACEHOLDER, StackFileError, engine_values, read, shipped_stacks

from tests.preview.test_stackfile import FORMS, STRUCTURE_VALUES, STRUCTURES

ROOT = Path(__file__).resolve().parents[2]
STACK = "t"

pytestmark = pytest.mark.real_engine


class Cli:
    """One project and stack (initialised once) whose stack file each call replaces."""

    def __init__(self, tools: Path, work: Path):
        self.project = work / "project"
        self.project.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "Pulumi.yaml", self.project / "Pulumi.yaml")
        (work / "state").mkdir(exist_ok=True)
        self.env = {**os.environ, "PULUMI_HOME": str(work / "home"), "PULUMI_BACKEND_URL": f"file://{work / 'state'}",
                    "PULUMI_CONFIG_PASSPHRASE": "x", "PULUMI_SKIP_UPDATE_CHECK": "true"}
        self.pulumi = str(tools / "bin" / "pulumi")
        subprocess.run([self.pulumi, "stack", "init", STACK, "--non-interactive"], cwd=self.project, env=self.env,
                       check=True, capture_output=True)

    @property
    def path(self) -> Path:
        return self.project / f"Pulumi.{STACK}.yaml"

    def config(self, text: str) -> dict[str, dict] | str:
        """`pulumi config --json` of the stack file `text`, or the CLI's error when it refuses the file."""
        self.path.write_text(text)
        done = subprocess.run([self.pulumi, "config", "--json", "-s", STACK], cwd=self.project, env=self.env,
                              capture_output=True, text=True)
        assert self.path.read_text() == text, "the CLI read the file as written"
        return json.loads(done.stdout) if done.returncode == 0 else done.stderr


@pytest.fixture(scope="module")
def cli(tools: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(tools, tmp_path_factory.mktemp("cli"))


def project_values(cli: dict[str, dict]) -> dict[str, object]:
    """The CLI's values of the project's keys: a scalar's string, a mapping's or list's object."""
    return {key.split(":", 1)[1]: entry.get("objectValue", entry["value"])
            for key, entry in cli.items() if key.startswith("tke-llm:")}


def program_read(cli: dict[str, dict]) -> tuple[dict[str, Any], set[str]]:
    """`read_from_pulumi` as under `pulumi up`: the engine passes each key's `value` string (checked by
    test_the_program_receives_the_values_the_cli_reports)."""
    import pulumi

    pulumi.runtime.set_all_config({k: e["value"] for k, e in cli.items()}, [k for k, e in cli.items() if e["secret"]])
    try:
        return read_from_pulumi()
    finally:
        pulumi.runtime.set_all_config({}, [])


def outcome(reader: Callable[[], tuple[dict[str, Any], set[str]]]) -> tuple:
    """What a reader makes of a stack: refused while reading, or the raw keys and then the parse (the
    config and its warnings, or the keyed errors)."""
    try:
        raw, secrets = reader()
    except ConfigError as err:
        return ("refused", [str(i) for i in err.issues])
    try:
        cfg, report = load(raw, secrets)
    except ConfigError as err:
        return ("invalid", raw, [str(i) for i in err.issues])
    return ("valid", raw, cfg, [str(w) for w in report.warnings])


def assert_same(cli: Cli, text: str) -> tuple:
    """The offline reader's strings are the CLI's, and the program's reading of the CLI's values (keys,
    decoded values, parse) equals the offline reader's; returns it."""
    found = cli.config(text)
    if isinstance(found, str):  # the CLI refuses the file: so must the offline reader
        with pytest.raises((StackFileError, ConfigError)):
            read(STACK, cli.project)
        return ("cli refused", found)
    offline = outcome(lambda: read(STACK, cli.project))
    # An encrypted key: the CLI names it secret and shows no value (its ciphertext is for the stack's own
    # secrets provider); the engine would pass the decrypted string, the offline reader its placeholder.
    hidden = {k for k, e in found.items() if e.get("secret")}
    assert all("value" not in found[k] for k in hidden)
    if offline[0] != "refused":
        values, secrets = engine_values(STACK, cli.project)
        assert secrets == {k.split(":", 1)[1] for k in hidden if k.startswith("tke-llm:")}
        assert {k: v for k, v in values.items() if k not in secrets} == \
            {k.split(":", 1)[1]: e["value"] for k, e in found.items() if k.startswith("tke-llm:") and k not in hidden}
    decrypted = {k: {**e, "value": PLACEHOLDER} if k in hidden else e for k, e in found.items()}
    assert outcome(lambda: program_read(decrypted)) == offline
    return offline


def test_the_forms_table_is_what_the_cli_passes(cli: Cli) -> None:
    """tests/preview/test_stackfile.py's table, each form at the top level and inside a mapping."""
    lines = [f"  tke-llm:top{i}: {w}\n  tke-llm:map{i}: {{v: {w}}}\n" for i, (w, _, _) in enumerate(FORMS)]
    found = cli.config("config:\n" + "".join(lines))
    assert isinstance(found, dict), found
    values = project_values(found)
    for i, (written, top, nested) in enumerate(FORMS):
        assert (written, values[f"top{i}"], values[f"map{i}"]) == (written, top, {"v": nested})
    assert_same(cli, "config:\n" + "".join(lines))


def test_the_structures_are_what_the_cli_passes(cli: Cli) -> None:
    found = cli.config(STRUCTURES)
    assert isinstance(found, dict), found
    assert {k.split(":", 1)[1]: e["value"] for k, e in found.items() if k.startswith("tke-llm:")} == STRUCTURE_VALUES
    assert_same(cli, STRUCTURES)


@pytest.mark.parametrize("text", ["  tke-llm:a: {1: x, 1.0: y}\n", "  tke-llm:a: &a [1, *a]\n", "  tke-llm:a: {<<: 1}\n",
                                  "  tke-llm:a: !!bool yes\n", "  tke-llm:a: {? [x]: 1}\n"])
def test_what_the_cli_refuses_the_offline_reader_refuses(cli: Cli, text: str) -> None:
    assert assert_same(cli, "config:\n" + text)[0] == "cli refused"


@pytest.mark.parametrize("value", [".inf", "{a: [.nan]}"])
def test_the_cli_refuses_a_non_finite_number_as_the_offline_reader_does(cli: Cli, value: str) -> None:
    found = cli.config(f"config:\n  tke-llm:probe: {value}\n")
    assert isinstance(found, str) and "json: unsupported value" in found
    assert assert_same(cli, f"config:\n  tke-llm:probe: {value}\n")[0] == "cli refused"


@pytest.mark.parametrize("stack", shipped_stacks())
def test_shipped_stack_reads_the_same_as_the_cli(cli: Cli, stack: str) -> None:
    text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    assert assert_same(cli, text)[0] == "valid"


DEV = (ROOT / "Pulumi.dev.yaml").read_text()
BYO = (ROOT / "Pulumi.byo.yaml").read_text()
WEBUI = "  tke-llm:webui:\n    enabled: true\n"
GATEWAY = "  tke-llm:gateway:\n    kind: litellm\n    clientNamespaces: [llm-apps]\n"
DOCUMENTED = {
    "webui: false": DEV.replace(WEBUI, "  webui: false\n"),
    "webui: true": DEV.replace(WEBUI, "  tke-llm:webui: true\n"),
    "webui: \"false\" (as stack init rewrites it)": DEV.replace(WEBUI, '  tke-llm:webui: "false"\n'),
    "gateway: none": DEV.replace(GATEWAY, "  gateway: none\n"),
    "gateway: litellm": DEV.replace(GATEWAY, "  tke-llm:gateway: litellm\n"),
    "exposure shorthands": DEV.replace("    api: none\n    webui: none\n", "    api: none\n    webui: {kind: none}\n"),
    "namespace of digits": DEV.replace("tke-llm:namespace: llm", "tke-llm:namespace: '123'"),
    "imageRegistry": DEV + "  tke-llm:imageRegistry: ccr.ccs.tencentyun.com/mirror\n",
    "gpu.rdma: true": DEV.replace("        count: 1\n", "        count: 1\n        rdma: true\n"),
    "webui: yes (a string)": DEV.replace(WEBUI, "  webui: yes\n"),
    "maxSize: 1:30 (a string)": BYO.replace("      maxSize: 1\n", "      maxSize: 1:30\n"),
    "maxSize: 010 (octal)": BYO.replace("      maxSize: 1\n", "      maxSize: 010\n"),
    "an empty value": DEV + "  tke-llm:imageRegistry:\n",
}


@pytest.mark.parametrize("name", DOCUMENTED)
def test_documented_forms_read_the_same_as_the_cli(cli: Cli, name: str) -> None:
    assert DOCUMENTED[name] != DEV
    assert assert_same(cli, DOCUMENTED[name])[0] in ("valid", "invalid")


# Generated stacks: the shipped ones with sections and numbers respelled, and probe keys of any form.
BOOLS = ["true", "false", "True", "FALSE", '"false"', "'true'", "yes", "no", "on", "Off", "n", "~", "", "!!str false",
         "1", "0"]
GATEWAYS = ["none", "litellm", '"none"', "None", "~", "false", "{kind: none}", "{kind: litellm, replicas: 3}",
            "{kind: litellm, replicas: 0x3}", "[]"]
NAMESPACES = ["llm", "'123'", "123", "0x10", "true", "llm-2", "1:30", "2001-01-01", "~", "Llm", "'{\"a\": 1}'"]


def spelled_int(n: int) -> st.SearchStrategy[str]:
    sign = "-" if n < 0 else ""
    a = abs(n)
    return st.sampled_from([str(n), f"+{n}" if n >= 0 else str(n), f"{sign}{a:#x}", f"{sign}0o{a:o}", f"{sign}0{a:o}",
                            f"{sign}{a:_}", f"{n}.0", f"{n}e0", f'"{n}"', f"{sign}{a // 60}:{a % 60:02d}",
                            f"{sign}0b{a:b}", f"{sign}{a}_0"])


INTS = st.integers(-3, 200).flatmap(spelled_int)
NUMBERS = st.one_of(
    INTS, st.integers(-(2**70), 2**70).flatmap(spelled_int),
    st.floats(allow_nan=False, allow_infinity=False).flatmap(
        lambda f: st.sampled_from([repr(f), f"{f:e}", f"{f:.3f}", f"{f:g}"])),
)
TIMES = st.datetimes(timezones=st.none()).flatmap(lambda d: st.sampled_from(
    [d.strftime("%Y-%m-%d"), d.strftime("%Y-%m-%dT%H:%M:%SZ"), d.strftime("%Y-%m-%d %H:%M:%S"),
     d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), f"{d.year:04d}-{d.month}-{d.day}"]))
SCALARS = st.one_of(st.sampled_from([w for w, _, _ in FORMS] + BOOLS + GATEWAYS + NAMESPACES), NUMBERS, TIMES)


@st.composite
def stack_files(draw: st.DrawFn) -> str:
    stack = draw(st.sampled_from(["dev", "byo"]))
    text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    section = r"(?m)^  tke-llm:{0}:\n(    .*\n)+"
    import re

    def respell(name: str, forms: st.SearchStrategy[str]) -> None:
        nonlocal text
        if draw(st.booleans()):
            value = draw(forms)
            key = name if draw(st.booleans()) else f"tke-llm:{name}"
            text = re.sub(section.format(name), "", text) + f"  {key}: {value}\n"

    respell("webui", st.sampled_from(BOOLS))
    respell("gateway", st.sampled_from(GATEWAYS))
    if draw(st.booleans()):
        text = text.replace("tke-llm:namespace: llm", f"tke-llm:namespace: {draw(st.sampled_from(NAMESPACES))}")
    for field in ("maxSize", "minSize", "sizeGi", "maxModelLen"):
        if draw(st.booleans()):
            text = re.sub(rf"(?m)^(\s+{field}:) .*$", lambda m: f"{m[1]} {draw(INTS)}", text, count=1)
    for i in range(draw(st.integers(0, 4))):
        value = draw(SCALARS)
        text += f"  tke-llm:probe{i}: {value}\n" if draw(st.booleans()) else f"  tke-llm:probe{i}: {{v: [{value}]}}\n"
    return text


EXAMPLES = int(os.environ.get("CLI_EXAMPLES", "40"))
"""~0.3 s each (one `pulumi config --json`); `CLI_EXAMPLES=500 CLI_RANDOM=1` explores more locally."""
SEEN: list[str] = []


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("CLI_RANDOM"),
          suppress_health_check=[HealthCheck.too_slow])
@given(text=stack_files())
def test_generated_stacks_read_the_same_as_the_cli(cli: Cli, text: str) -> None:
    try:
        yaml.compose(text)
    except yaml.YAMLError:
        return  # not YAML to either reader (tests/config/test_namespaces.py: refused offline with exit 2)
    SEEN.append(assert_same(cli, text)[0])


def test_generated_stacks_reach_every_outcome() -> None:
    """The generator is not stuck on one kind of stack (runs after the property test, same module)."""
    if SEEN:
        assert {"valid", "invalid"} <= set(SEEN), SEEN


def test_the_program_receives_the_values_the_cli_reports(tools: Path, tmp_path: Path) -> None:
    """Under the engine (an inline program through the Automation API), the config map is `config --json`'s
    `value` strings: what `program_read` feeds `read_from_pulumi` above."""
    from e2e.engine import Engine

    text = "config:\n" + "".join(f"  tke-llm:top{i}: {w}\n  tke-llm:map{i}: {{v: {w}}}\n"
                                 for i, (w, _, _) in enumerate(FORMS))
    engine = Engine(tools, tmp_path / "engine")
    seen: dict[str, str] = {}

    def program() -> None:
        from pulumi.runtime import config as rc

        seen.update(rc.CONFIG.get())

    stack = engine.open(STACK, program)  # creates the stack first: init rewrites a file it finds
    path = engine.project / f"Pulumi.{STACK}.yaml"
    kept = [line for line in path.read_text().splitlines() if line.startswith("encryptionsalt:")]
    path.write_text(text + "".join(f"{line}\n" for line in kept))
    stack.preview(color="never")
    done = subprocess.run([str(tools / "bin" / "pulumi"), "config", "--json", "-s", STACK], cwd=engine.project,
                          env={**os.environ, **engine.env}, check=True, capture_output=True, text=True)
    assert seen == {k: e["value"] for k, e in json.loads(done.stdout).items()}
