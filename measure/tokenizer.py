"""A tokenizer made on this machine, for machines without hub access (AIPerf's `builtin` one downloads
tiktoken's BPE file at first use: aiperf/common/tokenizer.py at 0.13.0). Byte-level BPE trained on the
corpus AIPerf itself ships for synthetic prompts, saved as a transformers tokenizer directory. Token
counts then approximate the model's own (docs/measure.md#tokens); run it with the measure venv."""

from __future__ import annotations

import sys
from pathlib import Path

VOCAB = 8000


def corpus() -> Path:
    import aiperf  # deferred: only the measure venv has it; this module runs there alone
    return Path(aiperf.__file__).parent / "dataset" / "generator" / "assets" / "shakespeare.txt"


def build(out: Path) -> Path:
    """Write the tokenizer into `out` (once: an existing one is reused) and return it."""
    if (out / "tokenizer.json").is_file():
        return out
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # deferred: measure venv only
    from transformers import PreTrainedTokenizerFast  # deferred: measure venv only
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|endoftext|>"], show_progress=False)
    tok.train([str(corpus())], trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")
    out.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out))
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
