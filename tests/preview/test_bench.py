"""The benchmark's synthetic stacks stay stacks the plan accepts: `make bench` broke once when a new
refusal (tencentcloud:region) was not carried into them, and no test noticed."""

from __future__ import annotations

import json

import pytest

from preview.bench import stack_config


@pytest.mark.parametrize("pools", [1, 4])
def test_the_synthetic_stack_renders(tmp_path, capsys, pools):
    from preview.__main__ import main

    (tmp_path / "Pulumi.bench.yaml").write_text(json.dumps({"config": stack_config(pools)}))
    code = main(["bench", "--stack-dir", str(tmp_path), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "out" / "bench" / "resources.json").read_text())
