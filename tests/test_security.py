"""Security: the bot token stays secret, only maintainers change the corpus, the allow-list holds,
index files are never unpickled, and links are fetched only from public addresses within limits.

What tests/test_load.py (URL checks), tests/test_telegram_bot.py (non-admins, private allow-list)
and tests/test_retriever.py already cover is not repeated.
"""

from __future__ import annotations

import ast
import asyncio
import gzip
import http.server
import json
import logging
import pathlib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from telegram import Update

from bot.telegram.settings import BotSettings as Settings
from index.lexical import LexicalIndex
from index.load import fetch_url
from tests import test_telegram_bot as tb
from tests.botapi_standin import BOT_USER, BotApiStandin
from tests.conftest import ROOT, article
from tests.test_retriever import CATS, DOGS, consistent

SECRET = "123456:SECRET-TOKEN-abc"


# ---- the token ------------------------------------------------------------------------------------
def test_settings_never_show_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", SECRET)
    monkeypatch.setenv("VERBATIM_WEBHOOK_SECRET", "hook-SECRET-42")
    settings = Settings(_env_file=None)
    assert settings.telegram_bot_token.get_secret_value() == SECRET  # still usable
    for shown in (
        repr(settings),
        str(settings),
        f"{settings}",
        settings.model_dump_json(),
        json.dumps(settings.model_dump(mode="json")),
        str(settings.model_dump()),
        repr(settings.telegram_bot_token),
        str(settings.webhook_secret),
    ):
        assert "SECRET" not in shown, shown


def test_a_bad_setting_is_one_sentence_without_values(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "TELEGRAM_BOT_TOKEN": SECRET,
        "VERBATIM_K": "SECRET-abc",
        "VERBATIM_INDEX": str(tmp_path / "i"),
        "VERBATIM_MODEL": "hash:64",
    }
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr == (
        "verbatim: The setting VERBATIM_K is not valid "
        "(input should be a valid integer, unable to parse string as an integer).\n"
    )


def test_the_token_never_reaches_logs_or_users(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A bot run with every path that logs or reports: answers, a button, inline mode, a Bot API
    failure (logged with its traceback), an upload whose download fails (file URLs carry the
    token), a refused link; logging at DEBUG."""
    caplog.set_level(logging.DEBUG)
    tb.build_index(tmp_path, [tb.NATO, *tb.FILLERS])
    with BotApiStandin(SECRET) as api:
        running = tb.start_bot(api, tmp_path, telegram_bot_token=SECRET)
        try:
            user = 31_337
            answer = tb.say(api, "NATO confirmed troops", user)[-1]
            tb.press(api, answer, "1")
            tb.press(api, answer, "Why these labels?")
            mark = api.mark()
            api.inline("NATO troops", user_id=user)
            api.wait_for("answerInlineQuery", since=mark)
            api.fail_next("sendMessage", 500, "Internal Server Error", chat_id=user)
            assert tb.say(api, "NATO confirmed troops", user)[0].text == tb.SORRY
            real_download = api.download
            api.download = lambda path: None  # the file download answers 404
            try:
                mark = api.mark()
                api.document("lost.md", b"---\ntitle: Lost\n---\n\nText.", user_id=tb.ADMIN)
                [reply] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == tb.ADMIN)
            finally:
                api.download = real_download
            assert reply.text == tb.SORRY
            mark = api.mark()
            api.message("http://127.0.0.1:9/private", user_id=tb.ADMIN)
            api.wait_for("sendMessage", since=mark, count=2, where=lambda c: c.chat_id == tb.ADMIN)
        finally:
            tb.stop_bot(running)
        sent = [c for c in api.calls if c.method != "getUpdates"]
    assert any(r.levelno >= logging.ERROR and r.exc_info for r in caplog.records)  # failures were logged
    logged = caplog.text + "".join(
        logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info
    )
    assert "SECRET" not in logged
    assert not any("SECRET" in json.dumps(c.params, default=str) for c in sent)  # nothing sent to anyone


# ---- maintainers and the allow-list ------------------------------------------------------------------
def test_admin_and_allow_list_ids_are_parsed_strictly() -> None:
    s = Settings(
        _env_file=None,
        admins="7, abc, -5, 7.0, ,8 ,\t9,1e3, 0x10, ², ٣",
        allowed_chats="-1005, 5555, abc, --3, 4.5, -, ², -٣",
    )
    assert s.admin_ids() == {7, 8, 9}
    assert s.allowed_chat_ids() == {-1005, 5555}
    assert Settings(_env_file=None).admin_ids() == set() and Settings(_env_file=None).allowed_chat_ids() == set()


def _process(bot: tb.Running, update: dict) -> None:
    """One update through the running Application, waiting until its handlers are done."""
    parsed = Update.de_json(update, bot.app.bot)
    asyncio.run_coroutine_threadsafe(bot.app.process_update(parsed), bot.loop).result(timeout=30)


def test_allow_list_covers_groups_buttons_and_inline_mode(tmp_path: Path) -> None:
    tb.build_index(tmp_path, [tb.NATO])
    allowed_group, other_group, stranger = -100_500, -100_501, 6666
    with BotApiStandin(tb.TOKEN) as api:
        running = tb.start_bot(api, tmp_path, allowed_chats=f"{allowed_group}, 5555")
        try:
            group = {"chat_id": allowed_group, "chat_type": "supergroup"}
            assert tb.say(api, "/ask NATO confirmed troops", stranger, **group)[0].buttons  # the group is allowed
            assert tb.say(api, "/remove wire-nato", stranger, **group)[0].text == tb.ADMIN_ONLY
            mark = api.mark()
            chat = {"id": other_group, "type": "supergroup", "title": "Other"}
            _process(
                running,
                {
                    "update_id": 1,
                    "message": {
                        "message_id": 1,
                        "date": int(time.time()),
                        "chat": chat,
                        "from": api.user(stranger),
                        "text": "/ask NATO confirmed troops",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 4}],
                    },
                },
            )
            assert api.calls_of("sendMessage", mark) == []  # silent in a group that is not allowed
            _process(
                running,
                {
                    "update_id": 2,
                    "inline_query": {
                        "id": "iq",
                        "from": api.user(stranger),
                        "query": "NATO troops",
                        "offset": "",
                    },
                },
            )
            [inline] = api.calls_of("answerInlineQuery", mark)
            assert inline.params["results"] == []
            [answer] = tb.say(api, "NATO confirmed troops", 5555)
            old_answer = {
                "message_id": 99,
                "date": int(time.time()),
                "chat": api.chat(stranger),
                "from": BOT_USER,
                "text": "an answer from before the allow-list",
            }
            for update_id, message in ((3, old_answer), (4, None)):  # in their chat; under an inline result
                _process(
                    running,
                    {
                        "update_id": update_id,
                        "callback_query": {
                            "id": f"cq{update_id}",
                            "from": api.user(stranger),
                            "chat_instance": "ci",
                            "data": answer.buttons[0]["callback_data"],
                            **({"message": message} if message else {}),
                        },
                    },
                )
            refused = api.calls_of("answerCallbackQuery", mark)
            assert [c.params["text"] for c in refused] == ["This bot is not available here."] * 2
            assert [c.chat_id for c in api.calls_of("sendMessage", mark)] == [5555]  # only the allowed answer
            assert {s["id"] for s in running.retriever.sources()} == {"wire-nato"}
        finally:
            tb.stop_bot(running)


# ---- no pickle in index files ---------------------------------------------------------------------------
def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    def dotted(node: ast.AST) -> str:
        if isinstance(node, ast.Attribute):
            return f"{dotted(node.value)}.{node.attr}"
        return node.id if isinstance(node, ast.Name) else ""

    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and dotted(n.func).endswith(name)]


def test_no_pickle_anywhere_in_the_code() -> None:
    sources = sorted([*ROOT.glob("index/*.py"), *ROOT.glob("bot/*.py")])
    assert len(sources) > 10
    loads = 0
    for path in sources:
        tree = ast.parse(path.read_text(), str(path))
        imported = {
            alias.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for alias in (n.names if isinstance(n, ast.Import) else [ast.alias(n.module or "")])
        }
        assert not imported & {"pickle", "cPickle", "dill", "joblib", "shelve", "marshal", "cloudpickle"}, path
        for call in _calls(tree, "np.load") + _calls(tree, "numpy.load"):
            loads += 1
            flag = {k.arg: k.value for k in call.keywords}.get("allow_pickle")
            assert isinstance(flag, ast.Constant) and flag.value is False, f"{path}:{call.lineno}"
        for call in _calls(tree, "torch.load"):
            flag = {k.arg: k.value for k in call.keywords}.get("weights_only")
            assert isinstance(flag, ast.Constant) and flag.value is True, f"{path}:{call.lineno}"
        assert "allow_pickle=True" not in path.read_text()
    assert loads >= 1  # the lexical snapshot


class _Payload:
    """Unpickling this creates a marker file (a stand-in for running any code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_a_lexical_snapshot_with_an_object_array_is_never_unpickled(make_retriever, tmp_path: Path) -> None:
    folder = tmp_path / "i"
    r = make_retriever(folder)
    r.add_articles([article("cats", CATS), article("dogs", DOGS)])
    lexical = folder / json.loads((folder / "snapshot.json").read_text())["lexical"]
    marker = tmp_path / "unpickled"
    good = dict(np.load(lexical, allow_pickle=False))
    with open(lexical, "wb") as fh:
        np.savez(fh, **{**good, "ids": np.array([_Payload(marker)], dtype=object)})  # np.savez pickles it
    with pytest.raises(ValueError, match="allow_pickle=False"):
        LexicalIndex.load(lexical)
    r.close()
    again = make_retriever(folder)  # the crafted snapshot is a damaged cache: rebuilt from the store
    assert again.ask("cats purr", 1, force=True).results[0].doc_id == "cats"
    consistent(again)
    assert not marker.exists()


# ---- links: what tests/test_load.py does not cover -------------------------------------------------
def _no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    monkeypatch.setattr(httpx, "Client", lambda *a, **k: pytest.fail("an HTTP client was created"))
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("a socket was opened"))


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f000001/",  # ... in hex
        "http://127.1/",  # ... shortened
        "http://user:pass@127.0.0.1/",
        "HTTP://LOCALHOST./",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",  # IPv6 link-local
        "http://[fd00::1]/",  # IPv6 unique local
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://224.0.0.1/",  # multicast
        "http://255.255.255.255/",
        "http://192.0.2.1/",  # documentation range
        "data:text/html,<p>hi</p>",
        "gopher://example.org/",
        "//example.org/no-scheme",
    ],
)
def test_more_local_and_odd_links_are_refused_without_connecting(url: str, monkeypatch) -> None:
    _no_connections(monkeypatch)
    loaded = fetch_url(url)
    assert loaded.articles == [] and len(loaded.rejections) == 1
    reason = loaded.rejections[0].reason
    assert (
        "private or local address" in reason or "only http:// and https://" in reason or "could not be found" in reason
    ), reason


class _Server(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/drip":  # a byte at a time, never finishing: only a total time limit ends it
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(10_000):
                    self.wfile.write(b"<p>x")
                    self.wfile.flush()
                    time.sleep(0.02)  # the server's pace, not the test's synchronisation
            except OSError:
                return
        elif self.path == "/bomb":  # 5 MB of HTML in 5 kB of gzip
            body = gzip.compress(b"<p>" + b"a" * 5_000_000 + b"</p>")
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_page_that_never_finishes_is_cut_off_by_the_time_limit(server: str) -> None:
    loaded = fetch_url(server + "/drip", allow_private=True, timeout=0.5)
    assert loaded.articles == []
    assert loaded.rejections[0].reason in (
        "the page did not arrive within 0.5 seconds",
        "the server did not answer within 0.5 seconds",  # a pause of more than 0.5 s on a busy machine
    )


def test_the_size_limit_counts_decompressed_bytes(server: str) -> None:
    loaded = fetch_url(server + "/bomb", allow_private=True, max_bytes=100_000)
    assert loaded.rejections[0].reason == "the page is over the 100 kB limit"


def test_a_redirect_to_another_scheme_is_refused(server: str) -> None:
    loaded = fetch_url(server + "/to-file", allow_private=True)
    assert loaded.rejections[0].reason == "only http:// and https:// links can be fetched, not 'file'"
