"""The models a stack serves: where the weights come from, which engine serves them, on which pool.

Defaults are what a careful operator picks: prefix caching and chunked prefill on for vLLM, dtype
chosen from the GPU (`auto`), 90% of GPU memory for weights and KV cache, and revisions always
pinned so a re-deploy never silently serves different weights.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from catalog.quantization import QUANTIZATIONS
from config.base import ConfigModel
from config.cold_start import ColdStart
from config.errors import AtKey
from config.formats import Annotations, Labels, Quantity, Revision, Url, printable
from config.mirror import MirrorConfig
from config.operations import Autoscaling
from config.routing import Routing
from config.overrides import Env, PullSecrets, Volumes

MODEL_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
ENGINE_NAMES = {"vllm", "sglang", "ollama"}
SERVED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$")
OLLAMA_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
"""`[host/][namespace/]name:tag` as `ollama pull` takes it (deepseek-r1:7b, hf.co/org/repo:Q4_K_M)."""
IMAGE_REF = re.compile(
    r"^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?)/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$")
"""An image reference (distribution/reference grammar): [registry[:port]/]path[:tag][@sha256:digest]."""
MOVING_REVISIONS = {"main", "master", "latest", "HEAD"}


def _pinned(v: str) -> str:
    if v in MOVING_REVISIONS:
        raise ValueError(f"{v!r} moves; pin a commit hash or a release tag so every pod loads the same weights")
    return v


class HuggingFaceSource(ConfigModel):
    kind: Literal["huggingface"]
    repo: str
    """Repository id, e.g. Qwen/Qwen3-14B."""
    revision: Revision
    """Commit hash or tag (never `main`)."""
    endpoint: Url("Hugging Face endpoint", ("https",)) | None = None  # type: ignore[valid-type]
    """A mirror such as https://hf-mirror.com (Hugging Face is unreachable from mainland China)."""
    token_secret: str | None = None
    """Name of a secret config key holding an access token, for gated repositories."""

    @field_validator("repo")
    @classmethod
    def _repo(cls, v: str) -> str:
        if not REPO_ID.fullmatch(v):
            raise ValueError(f"{v!r} is not a repository id such as Qwen/Qwen3-14B")
        return v

    @field_validator("revision")
    @classmethod
    def _rev(cls, v: str) -> str:
        return _pinned(v)

    @property
    def model_id(self) -> str:
        return self.repo


class ModelScopeSource(ConfigModel):
    kind: Literal["modelscope"]
    model: str
    """ModelScope model id, e.g. deepseek-ai/DeepSeek-R1 (the fast source inside mainland China)."""
    revision: Revision
    """A release tag or commit (ModelScope tags look like `v1.0.0`; `master` is refused)."""
    token_secret: str | None = None

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        if not REPO_ID.fullmatch(v):
            raise ValueError(f"{v!r} is not a model id such as deepseek-ai/DeepSeek-R1")
        return v

    @field_validator("revision")
    @classmethod
    def _rev(cls, v: str) -> str:
        return _pinned(v)

    @property
    def model_id(self) -> str:
        return self.model


class OllamaSource(ConfigModel):
    kind: Literal["ollama"]
    tag: str
    """Ollama library tag, e.g. deepseek-r1:7b (a tag, not `latest`)."""

    @field_validator("tag")
    @classmethod
    def _tag(cls, v: str) -> str:
        printable(v, "Ollama tag", 200)
        name, _, tag = v.rpartition(":")
        if not OLLAMA_TAG.fullmatch(v) or ".." in v or tag == "latest":
            raise ValueError(f"{v!r}: give a pinned tag such as deepseek-r1:7b (`[namespace/]name:tag`; letters, "
                             "digits, '.', '_' and '-', not `latest`)")
        return v

    @property
    def model_id(self) -> str:
        return self.tag

    @property
    def revision(self) -> str:
        return self.tag.rpartition(":")[2]

    @property
    def token_secret(self) -> None:
        """The Ollama library needs no token (the other sources take an optional `tokenSecret`)."""
        return None


Source = Annotated[HuggingFaceSource | ModelScopeSource | OllamaSource, Field(discriminator="kind")]


class EngineSettings(ConfigModel):
    max_model_len: int | None = Field(None, ge=128)
    """Context length served. Unset takes the model's native length, which the KV cache often cannot
    hold (pitfall P4): the preflight checks it."""
    gpu_memory_fraction: float = Field(0.9, gt=0.1, le=0.98)
    """Share of each GPU for weights + KV cache (vLLM --gpu-memory-utilization, SGLang --mem-fraction-static)."""
    dtype: Literal["auto", "half", "float16", "bfloat16"] = "auto"
    """`auto` becomes `half` on GPUs without bf16 (V100, T4: pitfall P2)."""
    quantization: str | None = None
    """The engine's `--quantization` method (e.g. fp8, awq), one the pinned engine knows
    (catalog/quantization.py); unset takes the checkpoint's own. Ollama takes none (it is in the tag)."""
    prefix_caching: bool = True
    chunked_prefill: bool = True
    max_num_seqs: int | None = Field(None, ge=1)
    """Concurrent sequences (vLLM --max-num-seqs, SGLang --max-running-requests)."""
    max_batched_tokens: int | None = Field(None, ge=64)
    trust_remote_code: bool = False
    """Runs Python shipped with the model; only for repositories you trust."""
    max_loras: int | None = Field(None, ge=1, le=64)
    """Adapters served in one batch (vLLM --max-loras, SGLang --max-loras-per-batch less the base); default:
    every adapter of the model. Each takes GPU memory the preflight counts."""
    extra_args: list[str] = Field(default_factory=list)
    """Appended to the engine command line as given. Flags the program writes itself (e.g. --port,
    --max-model-len, --tensor-parallel-size, --api-key) are refused: use the settings above. Ollama
    takes none."""

    @field_validator("quantization")
    @classmethod
    def _quantization(cls, v: str | None) -> str | None:
        known = sorted({q for values in QUANTIZATIONS.values() for q in values})
        if v is not None and v not in known:
            raise ValueError(f"{v!r} is not a quantization method the pinned vLLM or SGLang knows (e.g. fp8, awq, "
                             "gptq; catalog/quantization.py lists them); unset it to use the checkpoint's own")
        return v


class Architecture(ConfigModel):
    """The numbers the capacity checks need, for a model the catalog does not know (from its config.json)."""

    params_b: float = Field(gt=0)
    weight_gb: float = Field(gt=0)
    dtype: Literal["bfloat16", "float16", "float8"] = "bfloat16"
    layers: int = Field(ge=1)
    attention_heads: int = Field(ge=1)
    kv_heads: int = Field(ge=1)
    head_dim: int = Field(ge=1)
    context_length: int = Field(ge=128)


ADAPTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
"""What clients send as `model`; no ':' or '/' (SGLang reads `<base>:<adapter>`)."""
MAX_LORA_RANK = 512
"""The largest `--max-lora-rank` vLLM 0.34.0 accepts (vllm/config/lora.py MaxLoRARanks)."""
AdapterSource = Annotated[HuggingFaceSource | ModelScopeSource, Field(discriminator="kind")]


class Adapter(ConfigModel):
    """A LoRA adapter served on top of the model: a model name of its own at the gateway, downloaded once
    beside the base weights (docs/models.md, "LoRA adapters")."""

    name: str
    """The model name clients send for this adapter, e.g. `qwen3-14b-sql` (letters, digits, '.', '_', '@',
    '+', '-'); also its name in the engine's `/v1/models`."""
    source: AdapterSource
    """Where its files come from: `huggingface` (`repo`, `revision`, `endpoint`) or `modelscope` (`model`,
    `revision`), pinned like the base weights. Public repositories only (no `tokenSecret`)."""
    rank: int = Field(16, ge=1, le=MAX_LORA_RANK)
    """The adapter's LoRA rank (`r` in its adapter_config.json): sizes `--max-lora-rank` and the GPU memory
    the preflight reserves for adapters."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not ADAPTER_NAME.fullmatch(v):
            raise ValueError(f"{v!r}: an adapter name is what clients send as `model`; use letters, digits and "
                             "'.', '_', '@', '+', '-' (no ':' or '/', at most 128), e.g. qwen3-14b-sql")
        return v

    @field_validator("source")
    @classmethod
    def _public(cls, v: HuggingFaceSource | ModelScopeSource) -> HuggingFaceSource | ModelScopeSource:
        if v.token_secret is not None:
            raise ValueError("adapters are downloaded without a token: use a public repository (or a mirror) "
                             "and remove tokenSecret")
        return v


class ModelConfig(ConfigModel):
    name: str
    """Key of the model in the stack: names its objects (`<name>-api`, `download-<name>-...`)."""
    served_name: str
    """The model name clients send, e.g. DeepSeek-R1 (letters, digits and . _ : / @ + -, at most 128)."""
    source: Source
    engine: Literal["vllm", "sglang", "ollama"]
    pool: str
    """The GPU pool (by name) the servers run on."""
    gpus_per_node: int = Field(1, ge=1, le=16)
    nodes: int = Field(1, ge=1, le=64)
    """Nodes per replica: 1 is a Deployment, more is a LeaderWorkerSet."""
    replicas: int = Field(1, ge=0, le=64)
    settings: EngineSettings = EngineSettings()
    image: str | None = None
    """Engine image override; the pinned default of the engine otherwise."""
    size_gb: float | None = Field(None, gt=0)
    """Weights on disk (decimal GB); taken from the model catalog when it knows the model or Ollama tag, and
    required otherwise (preflight refuses to guess a size)."""
    cpu: Quantity | None = None
    memory: Quantity | None = None
    architecture: Architecture | None = None
    """Only for models missing from the catalog; without it the capacity checks are skipped (warning)."""
    startup_timeout_seconds: int | None = Field(None, ge=60)
    """Override of the startup-probe budget; refused when shorter than the estimated load time."""
    autoscaling: Autoscaling | None = None
    """Replicas follow load (queue or GPU metric), bounded by the GPU pool; see config/operations.py."""
    routing: Routing = Routing()
    """How the gateway reaches the replicas: through a router per model (prefix-aware by default when the
    model can run two replicas or more), straight to the model's Service (`policy: none`), or through
    the stack's Gateway to an InferencePool (`via: inferencePool`)."""
    cold_start: ColdStart = ColdStart()
    """How long the gateway holds a request while the model has no ready replica; see config/cold_start.py."""
    env: Env = Field(default_factory=dict)
    """Environment variables of the engine container, on every pod of the model (a LeaderWorkerSet's leader
    and workers), e.g. `NCCL_DEBUG: INFO`. Variables the program sets itself (the API key, HF_HUB_OFFLINE,
    the RDMA group's NCCL_*, ...) are refused, naming the key that sets them."""
    image_pull_secrets: PullSecrets = Field(default_factory=list)
    """Secrets (in the stack's namespace) the kubelet uses to pull this model's engine image, after the
    stack-wide `imagePullSecrets`."""
    volumes: Volumes = Field(default_factory=list)
    """Extra volumes mounted into the engine container: `{name, mountPath, readOnly, subPath}` and one of
    `configMap`, `secret`, `persistentVolumeClaim`, `emptyDir`, `hostPath`."""
    pod_annotations: Annotations = Field(default_factory=dict)
    """Annotations on every pod of the model. Those the program writes (super-node GPU type and disk, the
    RDMA networks) are refused."""
    pod_labels: Labels = Field(default_factory=dict)
    """Labels on every pod of the model. The selector labels (`app.kubernetes.io/*`, `role`) and
    LeaderWorkerSet's own are refused."""
    adapters: list[Adapter] = Field(default_factory=list, max_length=64)
    """LoRA adapters on this model (vLLM, SGLang): `[{name, source, rank}]`, each served as its own model name
    at the gateway and routed to this model's replicas."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not MODEL_NAME.fullmatch(v):
            raise ValueError(f"{v!r}: use at most 40 lowercase letters, digits and '-', starting with a letter")
        if v in ENGINE_NAMES:
            raise ValueError(f"{v!r} is an engine name: a Service derived from it would break the engine (P1); "
                             "name the model instead, e.g. qwen3-14b")
        return v

    @field_validator("served_name")
    @classmethod
    def _served(cls, v: str) -> str:
        printable(v, "served name", 128)
        if not SERVED_NAME.fullmatch(v):
            raise ValueError(f"{v!r}: a served name is what clients send as `model`; use letters, digits and "
                             "'.', '_', ':', '/', '@', '+', '-' (no spaces), e.g. DeepSeek-R1 or qwen3:14b")
        return v

    @field_validator("image")
    @classmethod
    def _image(cls, v: str | None) -> str | None:
        if v is not None:
            printable(v, "image", 512)
            if not IMAGE_REF.fullmatch(v):
                raise ValueError(f"{v!r} is not an image reference such as docker.io/vllm/vllm-openai:v0.34.0 "
                                 "([registry/]path:tag or @sha256:digest; lowercase path)")
        if v is not None and (":" not in v.rsplit("/", 1)[-1] and "@sha256:" not in v or v.endswith(":latest")):
            raise ValueError(f"{v!r}: pin the image to a released tag or digest, not latest")
        return v

    @model_validator(mode="after")
    def _engine_source(self) -> "ModelConfig":
        if (self.engine == "ollama") != (self.source.kind == "ollama"):
            raise AtKey("engine", f"{self.engine!r} with `source.kind: {self.source.kind}`: Ollama serves "
                        "`source.kind: ollama` models and only Ollama does")
        if self.engine == "ollama" and self.nodes > 1:
            raise AtKey("nodes", "Ollama cannot serve one model across nodes; use vLLM or SGLang with `nodes` > 1")
        if self.engine == "ollama" and self.adapters:
            raise AtKey("adapters", "Ollama serves no LoRA adapters from the stack (its adapters are baked into a "
                        "Modelfile); serve the model with vLLM or SGLang, or remove adapters")
        names = [a.name for a in self.adapters]
        for j, n in enumerate(names):
            if names.index(n) != j:
                raise AtKey(f"adapters[{j}].name", f"{n!r} is already adapters[{names.index(n)}]")
        if self.settings.max_loras is not None and not self.adapters:
            raise AtKey("settings.maxLoras", "maxLoras sizes the adapters served at once; the model has no adapters")
        return self

    @property
    def multi_node(self) -> bool:
        return self.nodes > 1

    @property
    def total_gpus(self) -> int:
        return self.gpus_per_node * self.nodes


class ModelCacheConfig(ConfigModel):
    bandwidth_mbps: int = Field(200, ge=1)
    """Download bandwidth the timeouts assume (Mbit/s). 642 GB at 100 Mbit/s is about 16 hours."""
    pip_index_url: Url("PyPI index URL") | None = None  # type: ignore[valid-type]
    """A PyPI mirror for the download tools (hf, modelscope), e.g. https://mirrors.cloud.tencent.com/pypi/simple."""
    image_pull_mbps: int = Field(1000, ge=1)
    """Registry-to-node bandwidth the bring-up estimate assumes for engine images (Mbit/s)."""
    download_workers: int = Field(8, ge=1, le=64)
    """Files the download tool fetches at once (`hf download` / `modelscope download` `--max-workers`): a
    hub caps each connection, so several streams fill a wider egress. Hugging Face downloads also run
    Xet's high-performance mode. Measured on a rate-limited stand-in hub: docs/model-cache.md."""
    retries: int = Field(6, ge=0, le=20)
    """How often a failed download pod is retried before the download Job fails (its `backoffLimit`;
    each retry resumes from the partial files, after Kubernetes' back-off of 10 s doubling up to 6 min).
    A failed Job fails `pulumi up` naming the model, and the next `pulumi up` starts it again."""
    mirror: MirrorConfig | None = None
    """A regional weight mirror on COS (config/mirror.py): filled from the hub once per revision, read by
    every other consumer over the intranet."""
    gpu_nodes_after_download: bool = True
    """On shared storage, create GPU node pools only once the weights are downloaded, so no GPU bills
    while it waits. Turn off to bring GPU nodes up in parallel (faster, dearer)."""
