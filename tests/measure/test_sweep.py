"""The benchmark plan: the long-context prompt from the max length, its sweep bounded by the sequences
preflight says fit, and AIPerf's arguments (tests/behaviour/test_measure.py runs AIPerf with them)."""

from __future__ import annotations

import dataclasses

from measure.expected import Expected
from measure.sweep import LONG_CAP, LONG_CONTEXT, LONG_DEFAULT, SHARED_PREFIX, Settings, aiperf_args, profiles

EXP = Expected(model="m", served_name="M", engine="vllm", gpu="1x1 A10", replicas=2, sequences_per_replica=3,
               max_len=16384, ttft_alert_seconds=5.0, autoscaling_metric="queue", autoscaling_target=5.0, max_replicas=4)


def test_two_profiles_shared_prefix_and_long_context():
    shared, long = profiles(EXP, Settings())
    assert shared.name == SHARED_PREFIX and shared.shared_prefix_tokens == Settings().prefix_tokens
    assert long.name == LONG_CONTEXT and long.shared_prefix_tokens is None
    assert long.input_tokens == 12288, "3/4 of the max length"
    assert long.concurrencies == (1, 2, 4, 8), "up to twice (12) the 6 sequences two replicas hold"
    assert shared.concurrencies == Settings().concurrencies


def test_the_long_prompt_is_capped_and_has_a_default():
    big = dataclasses.replace(EXP, max_len=131072)
    assert profiles(big, Settings())[1].input_tokens == LONG_CAP
    assert profiles(None, Settings())[1].input_tokens == LONG_DEFAULT
    assert profiles(EXP, Settings(long_input_tokens=999))[1].input_tokens == 999


def test_a_model_holding_no_full_sequence_still_gets_one_step():
    none_fit = dataclasses.replace(EXP, sequences_per_replica=0)
    assert profiles(none_fit, Settings())[1].concurrencies == (1,)


def test_the_arguments_carry_key_tokenizer_and_usage_counting():
    args = aiperf_args("M", "http://gw/v1", "sk-app", "/tok", profiles(EXP, Settings())[0], Settings(), "/out")
    pairs = dict(zip(args[1::2], args[2::2]))
    assert args[0] == "profile" and "--streaming" in args and "--use-server-token-count" in args
    assert pairs["--model"] == "M" and pairs["--url"] == "http://gw/v1" and pairs["--endpoint-type"] == "chat"
    assert args[args.index("--api-key") + 1] == "sk-app" and args[args.index("--tokenizer") + 1] == "/tok"
    assert args[args.index("--concurrency") + 1] == "1,2,4,8,16,32"
    assert args[args.index("--shared-system-prompt-length") + 1] == str(Settings().prefix_tokens)
    assert "--api-key" not in aiperf_args("M", "u", None, "/tok", profiles(EXP, Settings())[0], Settings(), "/o")
