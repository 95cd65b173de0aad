"""Concurrency defects of the engine, each pinned by a test (issue 9, item 6)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from index.errors import StorageError
from index.store import Store
from tests.conftest import article
from tests.test_faults import FailingDb
from tests.test_retriever import CATS


def tiny_bert(folder: Path) -> Path:
    """A 1-layer, 16-dimension BERT sentence-transformers folder with random weights."""
    import torch
    from safetensors.torch import save_file
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "troops", "crossed", "border", "minister", "said", "a", "question", "about", "passage"]
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    folder.mkdir()
    tok.save(str(folder / "tokenizer.json"))
    d, inner = 16, 32
    config = {"model_type": "bert", "hidden_size": d, "num_attention_heads": 2, "num_hidden_layers": 1,
              "hidden_act": "gelu", "max_position_embeddings": 64, "intermediate_size": inner}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    g = torch.Generator().manual_seed(0)
    w = {
        "embeddings.word_embeddings.weight": torch.randn(len(words), d, generator=g),
        "embeddings.position_embeddings.weight": torch.randn(64, d, generator=g),
        "embeddings.token_type_embeddings.weight": torch.randn(2, d, generator=g),
    }
    shapes = {"attention.self.query": (d, d), "attention.self.key": (d, d), "attention.self.value": (d, d),
              "attention.output.dense": (d, d), "intermediate.dense": (inner, d), "output.dense": (d, inner)}
    for name, shape in shapes.items():
        w[f"encoder.layer.0.{name}.weight"] = torch.randn(*shape, generator=g)
        w[f"encoder.layer.0.{name}.bias"] = torch.randn(shape[0], generator=g)
    for norm in ("embeddings.LayerNorm", "encoder.layer.0.attention.output.LayerNorm", "encoder.layer.0.output.LayerNorm"):
        w[f"{norm}.weight"], w[f"{norm}.bias"] = torch.ones(d), torch.zeros(d)
    save_file(w, str(folder / "model.safetensors"))
    return folder


def test_a_passage_encoded_while_a_question_runs_int8_stays_exact(tmp_path: Path) -> None:
    from index import bert

    folder = tiny_bert(tmp_path / "model")
    assert bert.supports(folder)
    enc = bert.BertEncoder(folder)
    passage = ["the troops crossed the border minister said"]
    exact = enc.encode(passage)[0]
    question = ["a question about the passage"]
    assert enc._quantized_layers(), "this torch has no dynamic int8 layers"
    assert not np.allclose(enc.encode(question, int8=True)[0], enc.encode(question)[0], atol=1e-6)

    during: dict[str, np.ndarray] = {}
    forward = enc._forward

    def forward_that_lets_a_passage_in(ids, types, mask, int8=None):
        if int8 and "passage" not in during:  # inside the question's int8 pass: another thread encodes
            worker = threading.Thread(target=lambda: during.setdefault("passage", enc.encode(passage)[0]))
            worker.start()
            worker.join()
        return forward(ids, types, mask, int8)

    enc._forward = forward_that_lets_a_passage_in
    enc.encode(question, int8=True)
    assert np.array_equal(during["passage"], exact)


def test_thread_counts_are_set_where_the_work_runs() -> None:
    import torch

    from index import threads
    from index.embed import SentenceTransformerEmbedder
    from index.vectors import VectorIndex

    if threads.cores() < 2:
        pytest.skip("needs two cores to tell one thread from all")
    seen: list[tuple[str, int]] = []

    def backend(texts, int8=False):
        seen.append(("question" if int8 else "passage", torch.get_num_threads()))
        n = max(len(t.split()) for t in texts)
        offsets = np.zeros((len(texts), n, 2), np.int64)
        return np.ones((len(texts), n, 4), np.float32), np.ones((len(texts), n), np.int64), offsets

    emb = SentenceTransformerEmbedder("fake", query_encoder="torch")  # questions through torch too
    emb._backend, emb._int8_capable, emb._dim = backend, True, 4
    index = VectorIndex(4)
    index.add([1], np.ones((1, 4), np.float32))

    index.search(np.ones(4, np.float32), 1)  # FAISS sets this thread's OpenMP count to one...
    emb.encode_spans(["the troops crossed"], [[]])  # ...passages still use every core
    gate = threading.Barrier(4)

    def ask() -> None:
        gate.wait()
        for _ in range(20):
            emb.encode_query("a question")

    askers = [threading.Thread(target=ask) for _ in range(4)]
    for t in askers:
        t.start()
    for t in askers:
        t.join()
    emb.encode_spans(["after overlapping questions"], [[]])
    emb.encode_query("and a question in the thread that encoded passages")
    passages = [n for kind, n in seen if kind == "passage"]
    questions = [n for kind, n in seen if kind == "question"]
    assert passages == [threads.cores()] * 2 and set(questions) == {1} and len(questions) == 81


def test_reads_in_another_thread_never_see_an_open_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    inside, release = threading.Event(), threading.Event()

    def writer() -> None:
        with store._write():
            store._set_meta({"answer_threshold": "0.9"})
            assert store.meta("answer_threshold") == "0.9"  # the writer sees its own change
            inside.set()
            assert release.wait(timeout=30)

    t = threading.Thread(target=writer)
    t.start()
    assert inside.wait(timeout=30)
    assert store.meta("answer_threshold") is None  # not committed yet: invisible here
    release.set()
    t.join()
    assert store.meta("answer_threshold") == "0.9"
    store.close()


@pytest.mark.parametrize("message", ["database or disk is full", "attempt to write a readonly database"])
def test_verdict_and_meta_writes_fail_as_one_sentence(make_retriever, tmp_path: Path, message: str) -> None:
    from tests.test_evidence import REVIEW

    r = make_retriever(tmp_path / "i")
    r.add_articles([article("cats", CATS)])
    [(record, _)] = r.add_verdicts(json.dumps(REVIEW))
    real = r.store.db
    expected = f"The index could not be written ({message}); nothing was changed."
    for trigger, write in (
        ("INSERT", lambda: r.add_verdicts(json.dumps({**REVIEW, "url": "https://factcheck.test/other"}))),
        ("DELETE", lambda: r.remove_verdict(record["id"])),
        ("INSERT", lambda: r.store.set_meta(answer_threshold="0.5")),
    ):
        r.store.db = FailingDb(real, trigger, message, auto_rollback=False)
        with pytest.raises(StorageError) as err:
            write()
        assert str(err.value) == expected
        assert not isinstance(err.value, sqlite3.Error)
        r.store.db = real
    assert [v["id"] for v in r.verdicts()] == [record["id"]]


def test_read_connections_map_the_store_and_see_the_writers_commits(tmp_path: Path) -> None:
    """Readers use SQLite's memory-mapped I/O (index.store.READ_MMAP_BYTES); the writer does not, and a
    reader in another thread sees each commit of the writer through the mapping."""
    from index import store as store_mod

    store = Store(tmp_path / "s.sqlite")
    try:
        assert store.db.execute("PRAGMA mmap_size").fetchone()[0] == store_mod.READ_MMAP_BYTES > 0
        assert store._writer.execute("PRAGMA mmap_size").fetchone()[0] == 0
        seen = []
        for i in range(3):
            store.set_meta(**{f"k{i}": "x" * 5000 * (i + 1)})  # pages past the first: read through the map
            reader = threading.Thread(target=lambda i=i: seen.append(store.meta(f"k{i}")))
            reader.start()
            reader.join()
        assert seen == ["x" * 5000 * (i + 1) for i in range(3)]
    finally:
        store.close()
