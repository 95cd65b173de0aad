"""index.npbert (questions in numpy, no torch) against index.bert's torch forward, on a tiny random BERT."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import bert, npbert, openblas
from index.embed import BUNDLED_MODEL, SentenceTransformerEmbedder, resolve_model_path

TEXTS = ["North Korean troops in Russia", "Who?", "A longer sentence, with punctuation; and “quotes”. " * 4]


def tiny_bert(folder: Path, *, dtype=np.float32, layers: int = 2, seed: int = 0, f64: str = "") -> Path:
    """A random 2-layer BERT (hidden 32, 4 heads) with the bundled model's tokenizer and folder layout."""
    from safetensors.numpy import save_file

    source = Path(resolve_model_path(BUNDLED_MODEL))
    folder.mkdir(parents=True)
    for name in ("tokenizer.json", "modules.json", "sentence_bert_config.json"):
        shutil.copy(source / name, folder / name)
    shutil.copytree(source / "1_Pooling", folder / "1_Pooling")
    config = json.loads((source / "config.json").read_text())
    dim, inner, vocab = 32, 64, int(config["vocab_size"])
    config.update(hidden_size=dim, intermediate_size=inner, num_attention_heads=4, num_hidden_layers=layers)
    (folder / "config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(seed)
    shapes = {"embeddings.word_embeddings.weight": (vocab, dim), "embeddings.position_embeddings.weight": (512, dim),
              "embeddings.token_type_embeddings.weight": (2, dim)}
    for i in range(layers):
        p = f"encoder.layer.{i}"
        for lin, (out, inp) in {"attention.self.query": (dim, dim), "attention.self.key": (dim, dim),
                                "attention.self.value": (dim, dim), "attention.output.dense": (dim, dim),
                                "intermediate.dense": (inner, dim), "output.dense": (dim, inner)}.items():
            shapes[f"{p}.{lin}.weight"], shapes[f"{p}.{lin}.bias"] = (out, inp), (out,)
    tensors = {k: (rng.standard_normal(s) * 0.3).astype(dtype) for k, s in shapes.items()}
    for norm in ["embeddings.LayerNorm"] + [f"encoder.layer.{i}.{n}" for i in range(layers)
                                            for n in ("attention.output.LayerNorm", "output.LayerNorm")]:
        tensors[f"{norm}.weight"] = (1 + rng.standard_normal(dim) * 0.1).astype(dtype)
        tensors[f"{norm}.bias"] = (rng.standard_normal(dim) * 0.1).astype(dtype)
    tensors["embeddings.position_ids"] = np.arange(512, dtype=np.int64)[None]
    if f64:
        tensors[f64] = tensors[f64].astype(np.float64)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    return folder


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_numpy_forward_matches_the_torch_forward(tmp_path: Path, dtype) -> None:
    folder = tiny_bert(tmp_path / "m", dtype=dtype)
    assert npbert.supports(folder)
    hidden, mask, offsets = npbert.NumpyBert(folder).encode(TEXTS)  # a padded batch
    ref_hidden, ref_mask, ref_offsets = bert.BertEncoder(folder).encode(TEXTS)
    assert np.array_equal(mask, ref_mask) and np.array_equal(offsets, ref_offsets)
    real = mask.astype(bool)
    assert hidden.dtype == np.float32
    assert np.abs(hidden[real] - ref_hidden[real]).max() < 1e-4
    for i, text in enumerate(TEXTS):  # one text alone gives the same token vectors as in the batch
        alone = npbert.NumpyBert(folder).encode([text])[0][0]
        assert np.abs(alone - hidden[i, : real[i].sum()]).max() < 1e-4


def test_embedder_questions_use_numpy_and_agree_with_the_exact_torch_path(tmp_path: Path) -> None:
    folder = str(tiny_bert(tmp_path / "m"))
    fast = SentenceTransformerEmbedder(folder)
    exact = SentenceTransformerEmbedder(folder, int8_queries=False, query_encoder="torch")
    for text in TEXTS:
        assert float(fast.encode_query(text) @ exact.encode_query(text)) > 1 - 1e-5
    assert fast._numpy and exact._numpy is False and fast.dim == exact.dim == 32
    assert fast._backend is None  # no torch model was loaded for the questions
    # passages still go through torch, exactly: the question vector of a text is its passage vector
    assert np.allclose(fast.encode(TEXTS[:1])[0], fast.encode_query(TEXTS[0]), atol=1e-5)


def test_answering_never_imports_torch(tmp_path: Path) -> None:
    folder = str(tiny_bert(tmp_path / "m"))
    code = (
        "import sys; from index.embed import SentenceTransformerEmbedder as E; e = E(sys.argv[1]); "
        "v = e.encode_query('hello there'); print('torch' in sys.modules, v.shape[0], e.dim)"
    )
    out = subprocess.run([sys.executable, "-c", code, folder], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "32", "32"]


def test_other_architectures_and_dtypes_keep_the_torch_path(tmp_path: Path) -> None:
    folder = tiny_bert(tmp_path / "m", layers=1)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(dict(config, hidden_act="relu")))
    assert not npbert.supports(folder)
    assert SentenceTransformerEmbedder(str(folder))._numpy_queries() is None
    # a dtype npbert does not read (float64 here; bfloat16 alike): the folder is bert's, not npbert's
    folder = tiny_bert(tmp_path / "f64", layers=1, f64="encoder.layer.0.output.dense.bias")
    assert bert.supports(folder) and not npbert.supports(folder)
    emb = SentenceTransformerEmbedder(str(folder), int8_queries=False)
    assert emb.encode_query("hello").shape == (32,) and emb._numpy is False
    # an unreadable weights file is not npbert's either
    (folder / "model.safetensors").write_bytes(b"\x01")
    assert not npbert.supports(folder)


@pytest.mark.parametrize(("m", "k", "n"), [(1, 384, 1536), (12, 384, 384), (12, 1536, 384), (7, 384, 1000), (900, 384, 64)])
def test_blocked_products_equal_the_plain_product(m: int, k: int, n: int) -> None:
    """Blocks below OpenBLAS's one-thread size (and the plain product past it) give x @ w.T."""
    rng = np.random.default_rng(m)
    x, w = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((n, k), dtype=np.float32)
    out = npbert._matmul_t(x, w)
    assert out.shape == (m, n) and np.allclose(out, x @ w.T, atol=1e-3)


SHAPES = ((24, 384, 384), (24, 384, 1536), (24, 1536, 384), (3, 32, 64), (1, 8, 1), (700, 384, 384))


def test_two_threads_give_the_one_thread_blocks_bit_for_bit() -> None:
    """The fallback's blocks (numpy's thread count not settable) are shared block by block: the same bits."""
    rng = np.random.default_rng(1)
    helper = npbert.Helper()
    for m, k, n in SHAPES:
        x, w = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((n, k)).astype(np.float32)
        assert np.array_equal(npbert._matmul_t(x, w, helper), npbert._matmul_t(x, w))


def test_plain_products_on_one_or_two_threads_equal_the_product() -> None:
    rng = np.random.default_rng(2)
    helper = npbert.Helper()
    with openblas.one_thread():
        for m, k, n in SHAPES:
            x, w = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((n, k)).astype(np.float32)
            want = x.astype(np.float64) @ w.T.astype(np.float64)
            for got in (npbert._matmul_t(x, w, plain=True), npbert._matmul_t(x, w, helper, plain=True)):
                assert got.shape == (m, n) and got.dtype == np.float32
                assert np.abs(got - want).max() < 1e-3 * max(1.0, np.abs(want).max())


def test_the_forward_gives_the_same_vectors_with_whole_products_blocks_or_two_threads(tmp_path: Path) -> None:
    """plain (whole one-thread products, the default where numpy's OpenBLAS count can be set) vs the
    blocked fallback vs two threads: the same vectors to float32 rounding."""
    plain = npbert.NumpyBert(tiny_bert(tmp_path / "m", layers=3))
    blocked = npbert.NumpyBert(tmp_path / "m")
    blocked.plain = False
    texts = [*TEXTS, "Ministers met on Tuesday to agree the budget for the new railway line " * 3]
    for text in texts:
        a = plain.encode([text])[0]
        for b in (blocked.encode([text])[0], plain.encode([text], threads=2)[0], blocked.encode([text], threads=2)[0]):
            assert a.shape == b.shape and np.abs(a - b).max() < 1e-5, text


def test_gelu_is_the_exact_gelu() -> None:
    x = np.concatenate([np.linspace(-9, 9, 20001), [0.0, -0.0, 1e-8, -1e-8, 30.0, -30.0]]).astype(np.float32)
    want = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    got = npbert._gelu(x.copy())
    assert got.dtype == np.float32 and np.abs(got - want).max() < 1e-6
    assert npbert._gelu(np.array([2.0, -2.0], np.float32)) == pytest.approx([1.95450, -0.04550], abs=1e-5)  # +-2 Phi(+-2)


def test_layer_norm_matches_the_textbook_formula(tmp_path: Path) -> None:
    enc = npbert.NumpyBert(tiny_bert(tmp_path / "m", layers=1))
    x = np.random.default_rng(3).standard_normal((2, 5, 32)).astype(np.float32) * 3 + 1
    name = "encoder.layer.0.output.LayerNorm"
    w, b = enc.w[f"{name}.weight"], enc.w[f"{name}.bias"]
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + enc.eps) * w + b
    assert np.abs(enc._layer_norm(x.copy(), name) - want).max() < 1e-5


def test_a_question_runs_numpys_blas_on_one_thread_and_puts_the_count_back(tmp_path: Path, monkeypatch) -> None:
    if not openblas.numpy_threads_settable():
        pytest.skip("numpy's BLAS here is not an OpenBLAS whose thread count can be set")
    get, put = openblas._controls
    enc = npbert.NumpyBert(tiny_bert(tmp_path / "m", layers=1))
    assert enc.plain
    seen = []
    forward = enc._forward
    monkeypatch.setattr(enc, "_forward", lambda *a: seen.append(get()) or forward(*a))
    before = get()
    try:
        put(2)
        enc.encode(["What did the minister say?"])
        enc.encode(["What did the minister say?"], threads=2)
        assert seen == [1, 1] and get() == 2
        # overlapping questions: the count stays 1 until the last one leaves, then is what the first found
        first, second = openblas.one_thread(), openblas.one_thread()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)
        assert get() == 1
        second.__exit__(None, None, None)
        assert get() == 2
    finally:
        put(before)


def test_a_busy_helper_leaves_the_other_question_on_one_thread(tmp_path: Path) -> None:
    enc = npbert.NumpyBert(tiny_bert(tmp_path / "m"))
    want = enc.encode([TEXTS[2]])[0]
    helper = enc.helper()
    with helper.lock:  # another question holds it: this one must not wait for it, nor share it
        assert np.array_equal(enc.encode([TEXTS[2]], threads=2)[0], want)
    seen = []
    helper.both(lambda: seen.append("here"), lambda: seen.append("there"))
    assert sorted(seen) == ["here", "there"]
    with pytest.raises(ZeroDivisionError):  # an error in the helper's half reaches the caller
        helper.both(lambda: None, lambda: 1 / 0)
    assert np.abs(enc.encode([TEXTS[2]], threads=2)[0] - want).max() < 1e-5  # and the helper still works


def test_numpy_questions_take_a_second_thread_only_with_a_core_to_spare(monkeypatch) -> None:
    from index import threads

    monkeypatch.setattr(threads, "cores", lambda: 2)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (1.2, 1.0, 1.0))
    assert threads.for_numpy_question() == 2
    assert threads.for_numpy_question(busy=True) == 1  # this process is encoding passages
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (1.7, 1.0, 1.0))
    assert threads.for_numpy_question() == 1
    monkeypatch.setattr(threads, "cores", lambda: 1)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert threads.for_numpy_question() == 1
