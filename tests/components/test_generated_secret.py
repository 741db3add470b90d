"""The generated-key provider's lifecycle as the engine drives it: what makes a new key (a changed
length or rotation counter), and that keys created before the counter existed are left alone."""

from __future__ import annotations

from components.generated_secret import _Provider


def _created(**props):
    result = _Provider().create({"result": None, **props})
    return result.outs


def test_a_key_is_alphanumeric_of_its_length_and_records_its_rotation():
    outs = _created(length=48.0, rotation=3.0)  # numbers arrive as floats from the engine
    assert len(outs["result"]) == 48 and outs["result"].isalnum()
    assert outs["rotation"] == 3
    assert "rotation" not in _created(length=32)


def test_a_changed_rotation_replaces_the_key():
    olds = _created(length=48, rotation=1)
    diff = _Provider().diff("id", olds, {"length": 48.0, "rotation": 2.0})
    assert diff.changes and diff.replaces == ["rotation"] and diff.delete_before_replace is False
    back = _Provider().diff("id", olds, {"length": 48.0})
    assert back.changes and back.replaces == ["rotation"], "back to 0 is a change too"


def test_a_key_from_before_rotation_existed_is_rotation_zero():
    olds = {"length": 48, "result": "x" * 48}  # the state of a key created before `rotation`
    assert not _Provider().diff("id", olds, {"length": 48.0, "result": None}).changes
    diff = _Provider().diff("id", olds, {"length": 48.0, "rotation": 1.0, "result": None})
    assert diff.changes and diff.replaces == ["rotation"]


def test_the_same_inputs_keep_the_key_and_a_new_length_replaces_it():
    olds = _created(length=48, rotation=2)
    same = _Provider().diff("id", olds, {"length": 48.0, "rotation": 2.0, "result": None})
    assert not same.changes and same.replaces == [] and same.stables == ["result"]
    assert _Provider().diff("id", olds, {"length": 64.0, "rotation": 2.0}).replaces == ["length"]
