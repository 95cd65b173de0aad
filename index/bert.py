"""A minimal BERT encoder for mean-pooled sentence-transformers models (e.g. all-MiniLM-L6-v2).

Importing `transformers` and `sentence_transformers` costs ~5 s on this class of
machine, which alone breaks a 6 s cold start. This module runs the same network
with plain torch (≈1.5 s to import) from the model folder's own files:
`config.json`, `model.safetensors` and `tokenizer.json` (Rust `tokenizers`).
`supports(folder)` says whether a folder is such a model; anything else goes
through sentence-transformers. tests/test_real_model.py checks that both paths
give the same vectors.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np


def supports(folder: str | Path) -> bool:
    """BERT with absolute positions, GELU, mean pooling, safetensors and a fast tokenizer."""
    folder = Path(folder)
    try:
        config = json.loads((folder / "config.json").read_text())
        modules = json.loads((folder / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((folder / (modules[1]["path"]) / "config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return False
    return (
        config.get("model_type") == "bert"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and config.get("hidden_act") == "gelu"
        and kinds[:2] == ["Transformer", "Pooling"]
        and set(kinds[2:]) <= {"Normalize"}
        and pooling.get("pooling_mode_mean_tokens") is True
        and not any(v for k, v in pooling.items() if k.startswith("pooling_mode") and k != "pooling_mode_mean_tokens")
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


class BertFiles:
    """A BERT model folder's config and tokenizer, read alike by BertEncoder (torch) and
    index.npbert.NumpyBert (numpy)."""

    def _read_folder(self, folder: Path, max_length: int | None) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.config = json.loads((folder / "config.json").read_text())
        st_config = folder / "sentence_bert_config.json"
        limit = json.loads(st_config.read_text()).get("max_seq_length") if st_config.exists() else None
        self.max_length = int(max_length or limit or self.config.get("max_position_embeddings", 512))
        self.dim = int(self.config["hidden_size"])
        self.heads = int(self.config["num_attention_heads"])
        self.layers = int(self.config["num_hidden_layers"])
        self.eps = float(self.config.get("layer_norm_eps", 1e-12))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_length)
        self.tokenizer.no_padding()

    def _tokenize(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Token ids, token types, attention mask and character offsets, padded to the longest text."""
        encs = self.tokenizer.encode_batch(texts)
        n = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), n), dtype=np.int64)
        types = np.zeros((len(encs), n), dtype=np.int64)
        mask = np.zeros((len(encs), n), dtype=np.int64)
        offsets = np.zeros((len(encs), n, 2), dtype=np.int64)
        for i, e in enumerate(encs):
            k = len(e.ids)
            ids[i, :k] = e.ids
            types[i, :k] = e.type_ids
            mask[i, :k] = 1
            offsets[i, :k] = e.offsets
        return ids, types, mask, offsets


class BertEncoder(BertFiles):
    """Token vectors for a batch of texts, plus character offsets of each token."""

    def __init__(self, folder: str | Path, max_length: int | None = None) -> None:
        import torch
        from safetensors.torch import load_file

        folder = Path(folder)
        self._read_folder(folder, max_length)
        weights = load_file(str(folder / "model.safetensors"))
        prefix = "bert." if any(k.startswith("bert.") for k in weights) else ""
        self.w = {k[len(prefix) :]: v.float() for k, v in weights.items() if k.startswith(prefix)}
        self.torch = torch
        self._int8: dict[str, object] | None = None

    def _quantized_layers(self) -> dict[str, object]:
        """int8 (per-channel, dynamic) copies of the encoder's linear layers, built once.

        torch 2.13 (pinned) marks its quantized-tensor constructors deprecated; if a later
        torch drops them, questions simply run in float32 ({} here)."""
        if self._int8 is None:
            torch = self.torch
            layers: dict[str, object] = {}
            try:
                from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    for key, weight in self.w.items():
                        name = key.removesuffix(".weight")
                        if not (key.startswith("encoder.") and key.endswith(".weight") and weight.dim() == 2):
                            continue
                        dense = torch.nn.Linear(weight.shape[1], weight.shape[0])
                        dense.weight.data, dense.bias.data = weight, self.w[f"{name}.bias"]
                        dense.qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
                        layers[name] = DynamicLinear.from_float(dense)
            except (ImportError, AttributeError, RuntimeError):
                layers = {}
            self._int8 = layers
        return self._int8

    def _layer_norm(self, x, name: str):
        return self.torch.nn.functional.layer_norm(
            x, (self.dim,), self.w[f"{name}.weight"], self.w[f"{name}.bias"], self.eps
        )

    def _linear(self, x, name: str, int8: dict[str, object] | None):
        if int8:
            return int8[name](x)
        return self.torch.nn.functional.linear(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    def encode(self, texts: list[str], *, int8: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hidden states [batch, tokens, dim], attention mask [batch, tokens], offsets [batch, tokens, 2]).

        `int8` runs the linear layers quantized (3x faster for one short question; the
        vectors keep ~0.98 cosine to the exact ones, and retrieval hit rates on the
        benchmark questions stay within noise: bench/README.md). Passages never use it.

        The choice travels with the call, never on the instance: a passage batch encoded in
        one thread while a question is encoded in another stays exact.
        """
        layers = self._quantized_layers() if int8 else None
        torch = self.torch
        ids, types, mask, offsets = self._tokenize(texts)
        with torch.inference_mode():
            hidden = self._forward(torch.from_numpy(ids), torch.from_numpy(types), torch.from_numpy(mask), layers)
        return hidden.numpy(), mask, offsets

    def token_counts(self, texts: list[str]) -> list[int]:
        """Tokens of each text as `encode` cuts it (special tokens included)."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts)] if texts else []

    def _forward(self, ids, types, mask, int8: dict[str, object] | None = None):
        torch = self.torch
        batch, n = ids.shape
        positions = torch.arange(n).unsqueeze(0)
        x = (
            self.w["embeddings.word_embeddings.weight"][ids]
            + self.w["embeddings.position_embeddings.weight"][positions]
            + self.w["embeddings.token_type_embeddings.weight"][types]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        head = self.dim // self.heads
        keys = mask[:, None, None, :].bool()  # [batch, 1, 1, n]: which tokens are attended to
        for i in range(self.layers):
            p = f"encoder.layer.{i}"

            def split(t):
                return t.view(batch, n, self.heads, head).transpose(1, 2)

            q = split(self._linear(x, f"{p}.attention.self.query", int8))
            k = split(self._linear(x, f"{p}.attention.self.key", int8))
            v = split(self._linear(x, f"{p}.attention.self.value", int8))
            # softmax(q k^T / sqrt(head) + mask) v, fused: the [batch, heads, n, n] scores are never
            # held whole (at 64 x 256 tokens they were 200 MB a copy) and it takes ~25% less CPU
            ctx = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=keys)
            ctx = ctx.transpose(1, 2).reshape(batch, n, self.dim)
            x = self._layer_norm(
                self._linear(ctx, f"{p}.attention.output.dense", int8) + x, f"{p}.attention.output.LayerNorm"
            )
            inner = torch.nn.functional.gelu(self._linear(x, f"{p}.intermediate.dense", int8))
            x = self._layer_norm(self._linear(inner, f"{p}.output.dense", int8) + x, f"{p}.output.LayerNorm")
        return x
