"""Stacks the checks' tests share: a 7B model on the A10 pool, DeepSeek-R1 on two attached 8x H20 RDMA
machines, and the keyed errors a config is refused with."""

from __future__ import annotations

from tests.conftest import config_errors

R1_7B = {"name": "r1-7b", "servedName": "R1-7B", "engine": "vllm", "pool": "gpu",
         "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "revision": "v1.0.0"},
         "settings": {"maxModelLen": 16384}}
H20 = {"kind": "attached", "name": "h20", "instanceIds": ["ins-0000000a", "ins-0000000b"], "keyId": "skey-00000001",
       "gpu": {"type": "H20", "count": 8, "rdma": True}}
R1 = {"name": "r1", "servedName": "DeepSeek-R1", "engine": "sglang", "pool": "h20", "gpusPerNode": 8, "nodes": 2,
      "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1", "revision": "v1.0.0"},
      "settings": {"maxModelLen": 32768}}


errors = config_errors
