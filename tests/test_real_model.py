"""End to end on the real embedding model over the bundled seed article (slow: loads torch)."""

from __future__ import annotations

import pytest

from index.retriever import Retriever
from index.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seed_retriever(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    settings = Settings(index=tmp_path_factory.mktemp("real") / "index", _env_file=None)
    r = Retriever.open(settings)  # a new index is filled from the bundled corpus
    yield r
    r.close()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many North Korean soldiers deserted their positions?", "18 of them had already deserted"),
        ("Did the US confirm that North Korean troops are in Russia?", "There is evidence that there are DPRK troops"),
        ("What did Griffiths say about Russian cigarettes?", "Russian cigarettes are better"),
        ("When did Kim sign a defence pact with Putin?", "mutual defence pact"),
    ],
)
def test_in_corpus_questions_find_the_passage(seed_retriever: Retriever, question: str, expected: str) -> None:
    answer = seed_retriever.ask(question)
    assert answer.answered, question
    assert any(expected in h.passage for h in answer.results[:3])
    text = seed_retriever.store.articles([answer.results[0].doc_id])[answer.results[0].doc_id].text
    for hit in answer.results:
        assert hit.passage == text[hit.start : hit.end]
        assert hit.source == "France 24" and hit.date is None
        assert all(text[c.start : c.end] == c.text for c in hit.claims)


@pytest.mark.parametrize(
    "question",
    ["What is the capital of Australia?", "How do I bake sourdough bread?", "Who won the 2018 World Cup?"],
)
def test_out_of_corpus_questions_are_declined(seed_retriever: Retriever, question: str) -> None:
    assert not seed_retriever.ask(question).answered


def test_fast_bert_path_matches_sentence_transformers(seed_retriever: Retriever) -> None:
    """index.bert runs the bundled model without transformers; its vectors are the model's."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from index.embed import SentenceTransformerEmbedder, resolve_model_path

    emb = SentenceTransformerEmbedder(seed_retriever.embedder.name, int8_queries=False)
    reference = SentenceTransformer(resolve_model_path(emb.name), device="cpu", local_files_only=True)
    texts = ["North Korean troops in Russia", "A much longer sentence, with punctuation; and “quotes”. " * 8]
    expected = reference.encode(texts, normalize_embeddings=True)
    assert np.allclose(emb.encode(texts), expected, atol=1e-5)
    assert np.allclose(emb.encode_query(texts[0]), expected[0], atol=1e-5)
    vecs, spans = emb.encode_spans(texts[:1], [[(0, 12)]])
    assert np.allclose(vecs[0], expected[0], atol=1e-5) and spans[0].shape == (1, expected.shape[1])
    # Questions through torch run int8 by default: close to the exact vector, never used for passages.
    fast = SentenceTransformerEmbedder(seed_retriever.embedder.name, query_encoder="torch")
    assert fast.int8_queries and float(fast.encode_query(texts[0]) @ expected[0]) > 0.95
    assert np.allclose(fast.encode(texts[:1]), expected[:1], atol=1e-5)


def test_token_budget_batches_give_the_same_passage_vectors(seed_retriever: Retriever) -> None:
    """Long passages go fewer to a model batch (VERBATIM_BATCH_TOKENS); the vectors stay the model's."""
    import numpy as np

    from index.embed import SentenceTransformerEmbedder

    line = ("North Korean troops were seen near the border on Tuesday, officials said, although the "
            "reports could not be independently verified. ") * 20
    texts = [line[(i * 7) % 50 :][: 40 + i * 53] for i in range(40)]  # 10 to 256 tokens
    spans = [[(0, 20)] for _ in texts]
    name = seed_retriever.embedder.name
    bounded = SentenceTransformerEmbedder(name, batch_tokens=1024)
    batches: list[int] = []
    encode = bounded._tokens

    def counted(texts, **kw):
        out = encode(texts, **kw)
        batches.append(out[0].shape[0] * out[0].shape[1])
        return out

    bounded._tokens = counted
    vecs, span_vecs = bounded.encode_spans(texts, spans)
    whole, whole_spans = SentenceTransformerEmbedder(name, batch_tokens=10**9).encode_spans(texts, spans)
    assert len(batches) > 1 and max(batches) <= 1024
    assert np.allclose(vecs, whole, atol=1e-5)
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(span_vecs, whole_spans, strict=True))


QUESTIONS = [
    "How many North Korean soldiers deserted their positions?",
    "Did the US confirm that North Korean troops are in Russia?",
    "What did Griffiths say about Russian cigarettes?",
    "Who?",
    "Quelle est la capitale de l'Australie ? " * 3,
    "A very long question " * 80,  # past the 256-token window: truncated alike
]


def test_numpy_questions_match_the_exact_torch_path(seed_retriever: Retriever) -> None:
    """The default question encoder (index.npbert, no torch) gives the exact fp32 vectors."""
    import numpy as np

    from index.embed import SentenceTransformerEmbedder

    default = seed_retriever.embedder
    assert default.query_encoder == "numpy" and default._numpy_queries() is not None
    exact = SentenceTransformerEmbedder(default.name, int8_queries=False, query_encoder="torch")
    for q in QUESTIONS:
        assert 1 - float(default.encode_query(q) @ exact.encode_query(q)) < 1e-4, q
    passages = exact.encode(QUESTIONS)  # a padded torch batch: the same vectors again
    assert np.allclose(np.stack([default.encode_query(q) for q in QUESTIONS]), passages, atol=1e-4)


def test_two_thread_questions_are_the_one_thread_vectors(seed_retriever: Retriever) -> None:
    """The bundled model's products shared with the helper thread: the one-thread vectors (bit for bit
    with the blocked fallback, to float32 rounding with whole products, whose halves OpenBLAS may round
    differently)."""
    import numpy as np

    from index import npbert
    from index.embed import resolve_model_path

    numpy_bert = seed_retriever.embedder._numpy_queries()
    blocked = npbert.NumpyBert(resolve_model_path(seed_retriever.embedder.name))
    blocked.plain = False
    for q in QUESTIONS:
        one = numpy_bert.encode([q], threads=1)[0]
        assert np.abs(numpy_bert.encode([q], threads=2)[0] - one).max() < 1e-4, q
        assert np.abs(blocked.encode([q])[0] - one).max() < 1e-4, q  # whole products vs the blocks
        assert np.array_equal(blocked.encode([q], threads=2)[0], blocked.encode([q])[0]), q


def test_whole_product_question_vectors_are_the_blocked_ones_on_written_sentences(seed_retriever: Retriever) -> None:
    """index.npbert's default (whole one-thread products) against its blocked fallback: the same
    question vectors to 1e-6 in cosine (the exact torch path: the test above)."""
    import numpy as np

    from index import npbert
    from index.embed import _mean_pool, resolve_model_path

    fast = seed_retriever.embedder._numpy_queries()
    blocked = npbert.NumpyBert(resolve_model_path(seed_retriever.embedder.name))
    blocked.plain = False
    sentences = [*QUESTIONS, "Which council approved the new tram line through the city centre last spring?",
                 "How many votes did the opposition win in the northern districts?", "Is the bridge open?"]
    for q in sentences:
        a, b = (_mean_pool(*enc.encode([q])[:2])[0] for enc in (fast, blocked))
        assert 1 - float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b)) < 1e-6, q


def test_cold_start_does_not_import_transformers(seed_retriever: Retriever) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from index.embed import SentenceTransformerEmbedder as E; "
        "E().encode_query('hello'); print('transformers' in sys.modules, 'sentence_transformers' in sys.modules, "
        "'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]  # questions need no torch either
