"""Stack pieces the access and gateway-proxy behaviour tests share."""

POOLS = [{"kind": "normal", "name": "system", "instanceType": "S5.2XLARGE16", "minSize": 1, "maxSize": 3},
         {"kind": "normal", "name": "gpu", "instanceType": "PNV4.7XLARGE116", "minSize": 0, "maxSize": 2,
          "gpu": {"type": "A10", "count": 1}}]
VLLM = {"name": "qwen3-8b", "servedName": "Qwen3-8B", "engine": "vllm", "pool": "gpu",
        "source": {"kind": "huggingface", "repo": "Qwen/Qwen3-8B", "revision": "b968826d9c46dd6066d109eabc6255188de91218"},
        "settings": {"maxModelLen": 8192}}
SGLANG = {"name": "r1-distill", "servedName": "DeepSeek-R1-Distill-Qwen-7B", "engine": "sglang", "pool": "gpu",
          "source": {"kind": "modelscope", "model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "revision": "v1.0.0"},
          "settings": {"maxModelLen": 8192}}
OLLAMA = {"name": "r1-7b", "servedName": "deepseek-r1:7b", "engine": "ollama", "pool": "gpu",
          "source": {"kind": "ollama", "tag": "deepseek-r1:7b"}}
