"""The comparison with preflight: where requests start to queue, the concurrency the TTFT alert allows,
the queue target suggested from them; the report's tables; a failed step fails the command."""

from __future__ import annotations

import dataclasses

from measure.aiperf import Step, step
from measure.expected import Expected
from measure.report import ModelResult, as_json, compare, failed, markdown, queue_knee, within
from measure.sweep import Settings, profiles

EXP = Expected(model="m", served_name="M", engine="vllm", gpu="1x1 A10", replicas=1, sequences_per_replica=4,
               max_len=16384, ttft_alert_seconds=2.0, autoscaling_metric="queue", autoscaling_target=5.0, max_replicas=2)


def st(c: int, ttft_ms: float, p95_ms: float | None = None, errors: int = 0) -> Step:
    return Step(concurrency=c, completed=10, errors=errors, ttft_p50_ms=ttft_ms, ttft_p95_ms=p95_ms or ttft_ms * 1.2,
                itl_p50_ms=20, latency_p50_ms=1000, latency_p95_ms=1200, output_tokens_per_s=50.0 * c,
                output_tokens_per_s_per_request_p50=50, requests_per_s=c / 1.0, input_tokens_avg=100,
                output_tokens_avg=64)


QUEUEING = [st(1, 300), st(2, 320), st(4, 350), st(8, 1500), st(16, 4000)]


def test_the_knee_is_where_ttft_jumps():
    assert queue_knee(QUEUEING) == 8
    assert queue_knee([st(1, 300), st(2, 320)]) is None
    assert queue_knee([st(1, 10), st(2, 25)]) is None, "a jump under 50 ms is noise, not queueing"


def test_within_the_alert_stops_at_the_first_step_past_it():
    assert within(QUEUEING, 2.0) == 8
    assert within([st(1, 300, p95_ms=4000), st(2, 300)], 2.0) is None, "a later good step does not count"
    assert within(QUEUEING, None) is None
    assert within([st(1, 300), st(2, 300, errors=1)], 2.0) == 1, "a step with errors is not within"


def run_result(long_steps: list[Step], exp: Expected = EXP) -> ModelResult:
    shared, long = profiles(exp, Settings(concurrencies=(1, 2, 4, 8, 16)))
    r = ModelResult("M", exp)
    r.runs += [(shared, [st(c, 200) for c in shared.concurrencies]), (long, long_steps)]
    return r


def test_compare_puts_measured_beside_preflight():
    cmp_ = compare(run_result(QUEUEING))
    assert cmp_["sequences_at_max_length"] == {"preflight": 4, "measured_queueing_from": 8,
                                               "measured_no_queueing_up_to": 4}
    assert cmp_["ttft_alert_seconds"]["preflight"] == 2.0
    assert cmp_["ttft_alert_seconds"]["within_up_to_concurrency"] == {"shared-prefix": 16, "long-context": 8}
    # 8 in flight within the alert, 4 of them running: 4 waiting per replica when the alert is near.
    assert cmp_["autoscaling"] == {"metric": "queue", "target": 5.0, "suggested_queue_target": 4.0}


def test_no_suggestion_without_queueing_or_for_the_gpu_metric():
    assert compare(run_result(QUEUEING[:3]))["autoscaling"]["suggested_queue_target"] is None
    gpu = dataclasses.replace(EXP, autoscaling_metric="gpu", autoscaling_target=80.0)
    assert compare(run_result(QUEUEING, gpu))["autoscaling"]["suggested_queue_target"] is None


def test_the_markdown_has_the_comparison_and_every_step():
    data = as_json("dev", "http://127.0.0.1:4000/v1", {"name": "aiperf", "version": "0.13.0"}, {},
                   [run_result(QUEUEING)])
    md = markdown(data)
    assert "| sequences at max length (16384 tokens) | 4 | requests queue from concurrency 8" in md
    assert "| TTFT p95 alert threshold | 2 s | within it up to concurrency 16 (shared prefix), 8 (long context) |" in md
    assert "| autoscaling target (queue) | 5 | suggested queue target 4 |" in md
    assert md.count("| 16 | 4000 |") == 1 and "![TTFT](M-ttft.png)" in md
    assert not failed(data)


def test_a_step_with_failed_requests_fails_the_run(capsys):
    r = run_result([st(1, 300), st(2, 300, errors=3)])
    assert failed(as_json("dev", "u", {"name": "aiperf", "version": "x"}, {}, [r]))
    assert "M long-context at concurrency 2: 3 failed" in capsys.readouterr().err


def test_a_step_is_read_from_aiperfs_export():
    export = {"time_to_first_token": {"unit": "ms", "p50": 310.0, "p95": 400.0}, "request_count": {"avg": 4.0},
              "inter_token_latency": {"p50": 21.0}, "output_token_throughput": {"avg": 90.0},
              "output_token_throughput_per_user": {"p50": 47.6}, "output_sequence_length": {"avg": 16.0},
              "error_summary": [{"error_details": {"code": 401}, "count": 2}]}
    s = step(export, 4)
    assert (s.concurrency, s.completed, s.errors, s.ttft_p50_ms, s.ttft_p95_ms) == (4, 4, 2, 310.0, 400.0)
    assert s.output_tokens_per_s_per_request_p50 == 47.6 and s.latency_p50_ms is None
