"""The engine end to end on the fake embedder: add, replace, remove, ask, abstain.

The tests taking `retriever` (and `make_any_retriever`) run on both backends, the index folder and
PostgreSQL (tests/conftest.py `backend_kind`); those about the folder's own files take `make_retriever`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from index.embed import HashEmbedder
from index.errors import IndexDamaged, InputError, ModelMismatch, NotFound
from index.load import load_paths
from index.models import NO_ANSWER
from index.retriever import Retriever
from tests.conftest import SEED, article

CATS = "Cats sleep for sixteen hours a day. Domestic cats purr when they are content."
DOGS = "Dogs were domesticated from wolves thousands of years ago. Dogs bark at strangers."
BEES = "Honey bees communicate with a waggle dance. A colony can hold sixty thousand bees."


@pytest.fixture
def retriever(any_retriever: Retriever) -> Retriever:
    return any_retriever


def consistent(r: Retriever) -> set[int]:
    """FAISS, BM25 and the store hold exactly the same passages (PostgreSQL: the passages, their postings
    and vectors, and the corpus statistics agree)."""
    if r.backend.kind != "sqlite":
        b = r.backend
        stored = set(b.all_chunk_ids())
        assert set(b.passage_terms(sorted(stored))) == stored and b.term_stats(()).passages == len(stored)
        assert set(b.dense_search(np.ones(b.dim, np.float32), 10_000)[0].tolist()) == stored
        return stored
    stored = set(r.store.all_chunk_ids())
    faiss_ids = {int(i) for i in r.vectors.search(np.ones(r.vectors.dim, np.float32), 10_000)[0]}
    lexical = {int(i) for i in r.lexical.ids[r.lexical.alive]}
    assert stored == faiss_ids == lexical
    assert len(r.vectors) == len(r.lexical) == len(stored)
    return stored


def test_add_ask_returns_exact_passages_with_sources(retriever: Retriever) -> None:
    report = retriever.add_articles(
        [article("cats", CATS, source="Pet Times", date="2024-01-02", url="https://x.test/c"), article("dogs", DOGS)]
    )
    assert report.added == ["cats", "dogs"] and report.passages == 2
    answer = retriever.ask("How long do cats sleep?", 2, force=True)
    top = answer.results[0]
    assert top.doc_id == "cats" and top.source == "Pet Times" and top.date == "2024-01-02"
    stored = retriever.backend.articles(["cats"])["cats"].text
    assert top.passage == stored[top.start : top.end]
    assert (top.paragraph, top.paragraphs) == (1, 1)
    assert [c.text for c in top.claims] == [
        "Cats sleep for sixteen hours a day.",
        "Domestic cats purr when they are content.",
    ]
    assert all(stored[c.start : c.end] == c.text for c in top.claims)
    consistent(retriever)


def test_readd_identical_is_unchanged_and_new_text_replaces(retriever: Retriever) -> None:
    retriever.add_articles([article("cats", CATS), article("dogs", DOGS)])
    before = consistent(retriever)
    gen = retriever.backend.generation
    report = retriever.add_articles([article("cats", CATS)])
    assert report.unchanged == ["cats"] and retriever.backend.generation == gen
    report = retriever.add_articles([article("cats", BEES)])
    assert report.replaced == ["cats"]
    after = consistent(retriever)
    assert len(after) == len(before) and after != before  # old passages gone, new ones in
    top = retriever.ask("waggle dance of honey bees", 1, force=True).results[0]
    assert top.doc_id == "cats" and "waggle" in top.passage
    assert all("Cats sleep" not in h.passage for h in retriever.ask("cats sleep", 5, force=True).results)


def test_remove_keeps_indexes_consistent(retriever: Retriever) -> None:
    retriever.add_articles([article("cats", CATS), article("dogs", DOGS), article("bees", BEES)])
    assert retriever.remove(["dogs", "nope"]) == ["nope"]
    consistent(retriever)
    assert {s["id"] for s in retriever.sources()} == {"cats", "bees"}
    assert all(h.doc_id != "dogs" for h in retriever.ask("dogs bark at wolves", 5, force=True).results)


def test_other_process_changes_are_seen_without_restart(make_any_retriever, tmp_path: Path) -> None:
    reader = make_any_retriever(tmp_path / "shared")
    writer = make_any_retriever(tmp_path / "shared")
    writer.add_articles([article("bees", BEES)])
    assert reader.ask("waggle dance", 1, force=True).results[0].doc_id == "bees"
    writer.remove(["bees"])
    assert reader.ask("waggle dance", 1, force=True).results == []
    consistent(reader)


def test_reopen_uses_snapshot_and_replays_log(make_retriever, tmp_path: Path) -> None:
    r = make_retriever(tmp_path / "i")
    r.add_articles([article("cats", CATS)])
    r.add_articles([article("dogs", DOGS)])
    r.close()
    again = make_retriever(tmp_path / "i")
    assert consistent(again) and {s["id"] for s in again.sources()} == {"cats", "dogs"}


def test_damaged_snapshot_is_rebuilt_from_the_store(make_retriever, tmp_path: Path) -> None:
    r = make_retriever(tmp_path / "i")
    r.add_articles([article("cats", CATS)])
    for f in (tmp_path / "i").glob("vectors-*.faiss"):
        f.write_bytes(b"garbage")
    r.close()
    again = make_retriever(tmp_path / "i")
    assert again.ask("cats purr", 1, force=True).results[0].doc_id == "cats"


def test_wrong_model_and_damaged_store_are_clear_errors(make_retriever, tmp_path: Path) -> None:
    r = make_retriever(tmp_path / "i")
    r.add_articles([article("cats", CATS)])
    r.close()
    with pytest.raises(ModelMismatch, match="built with the model 'hash-test'"):
        make_retriever(tmp_path / "i", embedder=HashEmbedder(name="other-model"))
    manifest = tmp_path / "i" / "manifest.json"
    manifest.write_text(json.dumps({"model": "hash-test", "dim": 64, "version": "0"}))
    with pytest.raises(IndexDamaged, match="verbatim rebuild"):
        make_retriever(tmp_path / "i")
    manifest.write_text(json.dumps({"model": "hash-test", "dim": 64, "version": "1"}))
    (tmp_path / "i" / "store.sqlite").write_bytes(b"not a database at all" * 100)
    for f in (tmp_path / "i").glob("store.sqlite-*"):
        f.unlink()
    with pytest.raises(IndexDamaged, match="cannot be read"):
        make_retriever(tmp_path / "i")


def test_questions_are_cleaned_or_refused(retriever: Retriever) -> None:
    retriever.add_articles([article("cats", CATS)])
    for bad in ["", "   \n\t", "\u200f\u200e"]:
        with pytest.raises(InputError):
            retriever.ask(bad)
    with pytest.raises(InputError, match="characters long"):
        retriever.ask("why " * 2000)
    answer = retriever.ask("cats\x00 <b>sleep</b>; DROP TABLE articles; -- 🐱", 1, force=True)
    assert answer.question == "cats <b>sleep</b>; DROP TABLE articles; -- 🐱"
    assert retriever.sources()


def test_unrelated_question_is_declined(retriever: Retriever) -> None:
    retriever.add_articles([article("cats", CATS), article("dogs", DOGS)])
    answer = retriever.ask("What is the capital of Australia?")
    assert not answer.answered and answer.results == [] and answer.message == NO_ANSWER


def test_paging_and_doc_filter(retriever: Retriever) -> None:
    retriever.add_articles([article("cats", CATS), article("dogs", DOGS), article("bees", BEES)])
    first = retriever.ask("cats dogs bees", 1, force=True)
    second = retriever.ask("cats dogs bees", 1, offset=1, force=True)
    assert first.results[0].rank == 1 and second.results[0].rank == 2
    assert first.results[0].chunk_id != second.results[0].chunk_id
    only = retriever.ask("cats dogs bees", 3, doc_ids=["bees"], force=True)
    assert {h.doc_id for h in only.results} == {"bees"}


def test_passage_and_neighbours(retriever: Retriever) -> None:
    retriever.add_articles(load_paths([SEED]).articles)
    hits = retriever.ask("North Korean soldiers deserted their positions", 1, force=True).results
    before, after = retriever.neighbours(hits[0].chunk_id)
    assert before is not None and after is not None
    assert before.end <= hits[0].start and after.start >= hits[0].end
    retriever.remove([hits[0].doc_id])
    with pytest.raises(NotFound):
        retriever.passage(hits[0].chunk_id)


def test_read_only_store_write_is_one_sentence(make_retriever, monkeypatch) -> None:
    from index.errors import StorageError

    retriever = make_retriever()

    def refuse(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    retriever.add_articles([article("cats", CATS)])
    monkeypatch.setattr(retriever.store, "_insert", refuse)
    with pytest.raises(StorageError, match="nothing was changed"):
        retriever.add_articles([article("dogs", DOGS)])
    monkeypatch.undo()
    assert {s["id"] for s in retriever.sources()} == {"cats"}
    consistent(retriever)


def test_questions_are_answered_while_an_add_is_encoding(make_any_retriever, tmp_path: Path) -> None:
    import threading

    class GatedEmbedder(HashEmbedder):
        """Blocks inside the add's encoding until the test lets it go."""

        def __init__(self) -> None:
            super().__init__()
            self.entered, self.release = threading.Event(), threading.Event()

        def encode_spans(self, texts, spans, *, progress=None):
            self.entered.set()
            assert self.release.wait(timeout=30)
            return super().encode_spans(texts, spans, progress=progress)

    r = make_any_retriever(tmp_path / "i")
    r.add_articles([article("cats", CATS)])
    gated = GatedEmbedder()
    r.embedder = gated
    worker = threading.Thread(target=r.add_articles, args=([article("dogs", DOGS)],))
    worker.start()
    assert gated.entered.wait(timeout=30)
    during = r.ask("cats purr", 1, force=True)  # would deadlock if the add held the reader lock
    assert during.results[0].doc_id == "cats" and {s["id"] for s in r.sources()} == {"cats"}
    gated.release.set()
    worker.join(timeout=30)
    assert {s["id"] for s in r.sources()} == {"cats", "dogs"}
    consistent(r)


def test_how_many_is_a_question_operator_not_content(retriever: Retriever) -> None:
    from index.retriever import lexical_question

    assert lexical_question("How many soldiers deserted? how MUCH money") == "how soldiers deserted? how money"
    retriever.add_articles(
        [
            article("many", "Many soldiers and many officers and many guards said many things about many days."),
            article("desert", "Eighteen soldiers deserted their positions near the border."),
        ]
    )
    assert retriever.ask("How many soldiers deserted?", 1, force=True).results[0].doc_id == "desert"
