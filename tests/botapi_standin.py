"""A small Telegram Bot API stand-in on 127.0.0.1, for driving the real python-telegram-bot
Application over HTTP (`ApplicationBuilder().base_url(standin.base_url)`).

It answers the methods PTB calls (getMe, getUpdates with real long polling, sendMessage,
editMessageText, answerCallbackQuery, answerInlineQuery, getFile and the file download, ...),
checks what Telegram would refuse (HTML that does not parse, texts over 4,096 characters,
callback data over 64 bytes), records every call, and lets tests queue updates and wait for the
bot's calls with a Condition and a timeout -- never a sleep.
"""

from __future__ import annotations

import email.parser
import email.policy
import html
import html.parser
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

BOT_USER = {
    "id": 4242,
    "is_bot": True,
    "first_name": "Verbatim",
    "username": "verbatim_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
JSON_FIELDS = {
    "reply_markup",
    "results",
    "commands",
    "entities",
    "reply_parameters",
    "link_preview_options",
    "scope",
    "button",
    "allowed_updates",
    "caption_entities",
    "media",
}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});)")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHtml(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"unsupported start tag <{tag}>")
        if tag == "blockquote" and "blockquote" in self.stack:
            self.errors.append("nested blockquote")
        if any(t in ("code", "pre") for t in self.stack) and tag != "code":
            self.errors.append(f"<{tag}> inside code/pre")
        if tag in ("code", "pre") and "blockquote" in self.stack:
            self.errors.append(f"<{tag}> inside blockquote")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not re.match(r"(https?|tg)://", href):
                self.errors.append(f"bad href {href!r}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def telegram_html_errors(text: str) -> list[str]:
    """What Telegram would reject in an HTML-mode text: unknown tags, unbalanced or forbidden
    nesting, bare '&', and more than 4,096 characters after entity parsing."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    errors = list(parser.errors)
    if parser.stack:
        errors.append(f"unclosed {parser.stack}")
    if _ENTITY.search(text):
        errors.append("bare & (unsupported entity)")
    if utf16_len("".join(parser.text)) > 4096:
        errors.append("message is too long")
    return errors


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """PTB posts urlencoded forms or multipart (values as strings, objects as JSON strings)."""
    params: dict[str, Any] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if content_type.startswith("multipart/form-data"):
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                files[name] = (part.get_filename(), payload)
            else:
                params[name] = payload.decode("utf-8")
    elif content_type.startswith("application/json"):
        params = json.loads(body or b"{}")
    elif body:
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key in JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            params[key] = json.loads(params[key])
    return params, files


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = 0.0  # time.perf_counter() when it arrived
    result: Any = None
    error: str | None = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


class ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


class BotApiStandin:
    """Start with `with BotApiStandin() as api:`; point PTB at `api.base_url`/`api.base_file_url`."""

    def __init__(self, token: str = "123:TEST") -> None:
        self.token = token
        self.cond = threading.Condition()
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self.queued_at: dict[int, float] = {}
        self.messages: dict[tuple[int, int], dict] = {}  # (chat id, message id) -> message
        self.chats: dict[int, dict] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.webhook: dict | None = None
        self.downloads: list[str] = []
        self.failures: list[tuple[str, int | None, int, str]] = []  # (method, chat id, code, description)
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._closing = False
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> BotApiStandin:
        standin = self

        class Handler(_Handler):
            api = standin

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="botapi-standin", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self._closing = True
            self.cond.notify_all()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.thread is not None:
            self.thread.join(5)

    def __enter__(self) -> BotApiStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ---- updates a test sends --------------------------------------------------------------
    def enqueue(self, update: dict) -> int:
        with self.cond:
            update_id = next(self._update_ids)
            self.updates.append({"update_id": update_id, **update})
            self.queued_at[update_id] = time.perf_counter()
            self.cond.notify_all()
        return update_id

    def user(self, user_id: int) -> dict:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User{user_id}",
            "username": f"user{user_id}",
            "language_code": "en",
        }

    def chat(self, chat_id: int, chat_type: str = "private") -> dict:
        if chat_id not in self.chats:
            self.chats[chat_id] = (
                {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
                if chat_type == "private"
                else {"id": chat_id, "type": chat_type, "title": f"Group {chat_id}"}
            )
        return self.chats[chat_id]

    def message(
        self,
        text: str | None = None,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to: int | None = None,
        document: dict | None = None,
        edited: bool = False,
        sticker: bool = False,
    ) -> int:
        """Queue a user's message; commands and @mentions get their entities as Telegram adds them."""
        chat_id = user_id if chat_id is None else chat_id
        with self.cond:
            msg: dict[str, Any] = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": self.chat(chat_id, chat_type),
                "from": self.user(user_id),
            }
            if text is not None:
                msg["text"] = text
                entities = [
                    {
                        "type": "bot_command" if m.group().startswith("/") else "mention",
                        "offset": utf16_len(text[: m.start()]),
                        "length": utf16_len(m.group()),
                    }
                    for m in re.finditer(r"(?:^/\w+(?:@\w+)?)|(?:@\w{5,32})", text)
                ]
                if entities:
                    msg["entities"] = entities
            if reply_to is not None:
                msg["reply_to_message"] = self.messages[(chat_id, reply_to)]
            if document is not None:
                msg["document"] = document
            if sticker:
                msg["sticker"] = {
                    "file_id": "stk",
                    "file_unique_id": "stk",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            if edited:
                msg["edit_date"] = int(time.time())
            self.messages[(chat_id, msg["message_id"])] = msg
        return self.enqueue({"edited_message" if edited else "message": msg})

    def document(self, name: str, content: bytes, *, user_id: int = 1001, file_size: int | None = None) -> int:
        file_id = f"file{next(self._ids)}"
        with self.cond:
            self.files[file_id] = (f"documents/{name}", content)
        doc = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": "text/plain",
            "file_size": len(content) if file_size is None else file_size,
        }
        return self.message(None, user_id=user_id, document=doc)

    def press(self, data: str, *, chat_id: int, message_id: int, user_id: int | None = None) -> int:
        """Queue a button press under one of the bot's messages."""
        msg = self.messages[(chat_id, message_id)]
        query = {
            "id": str(next(self._ids)),
            "from": self.user(user_id or chat_id),
            "chat_instance": "ci",
            "data": data,
            "message": msg,
        }
        return self.enqueue({"callback_query": query})

    def inline(self, query: str, *, user_id: int = 1001, offset: str = "") -> int:
        return self.enqueue(
            {
                "inline_query": {
                    "id": str(next(self._ids)),
                    "from": self.user(user_id),
                    "query": query,
                    "offset": offset,
                }
            }
        )

    def fail_next(self, method: str, code: int, description: str, *, chat_id: int | None = None) -> None:
        """Make the next call of `method` (to `chat_id`, if given) fail as Telegram would."""
        with self.cond:
            self.failures.append((method, chat_id, code, description))

    # ---- what the bot did ------------------------------------------------------------------
    def mark(self) -> int:
        with self.cond:
            return len(self.calls)

    def calls_of(self, method: str | None = None, since: int = 0) -> list[Call]:
        with self.cond:
            return [c for c in self.calls[since:] if method is None or c.method == method]

    def wait_for(
        self,
        method: str,
        *,
        since: int = 0,
        where: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[Call]:
        """Block until `count` calls of `method` (matching `where`) arrived after `since`."""
        deadline = time.monotonic() + timeout

        def found() -> list[Call]:
            return [c for c in self.calls[since:] if c.method == method and (where is None or where(c))]

        with self.cond:
            while len(found()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.text[:80]) for c in self.calls[since:]]
                    raise AssertionError(f"timed out waiting for {count} {method}; saw {seen}")
                self.cond.wait(left)
            return found()[:count]

    # ---- the API ---------------------------------------------------------------------------
    def handle(self, method: str, params: dict[str, Any], files: dict) -> Any:
        call = Call(method, params, files, time.perf_counter())
        try:
            if method == "getUpdates":
                call.result = self._get_updates(params)
                return call.result
            with self.cond:
                call.result = self._dispatch(method, params)
            return call.result
        except ApiError as err:
            call.error = err.description
            raise
        finally:
            if method != "getUpdates" or call.result:  # idle polls would drown the log
                with self.cond:
                    self.calls.append(call)
                    self.cond.notify_all()

    def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self.cond:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return list(self.updates[:limit])

    def _dispatch(self, method: str, p: dict[str, Any]) -> Any:
        for failure in self.failures:
            if failure[0] == method and failure[1] in (None, int(p.get("chat_id") or 0)):
                self.failures.remove(failure)
                raise ApiError(failure[2], failure[3])
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "editMessageText"):
            self._check_text(p)
        if any(
            len(str(b.get("callback_data", "")).encode()) > 64
            for row in (p.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        ):
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if method == "sendMessage":
            chat_id = int(p["chat_id"])
            msg = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": self.chat(chat_id, "private" if chat_id > 0 else "group"),
                "from": BOT_USER,
                "text": p["text"],
            }
            if "reply_markup" in p:
                msg["reply_markup"] = p["reply_markup"]
            self.messages[(chat_id, msg["message_id"])] = msg
            return msg
        if method in ("editMessageText", "editMessageReplyMarkup"):
            if "inline_message_id" in p:
                return True
            msg = self.messages.get((int(p["chat_id"]), int(p["message_id"])))
            if msg is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if method == "editMessageText":
                if msg.get("text") == p["text"] and msg.get("reply_markup") == p.get("reply_markup"):
                    raise ApiError(400, "Bad Request: message is not modified")
                msg["text"] = p["text"]
            msg["reply_markup"] = p.get("reply_markup")
            return msg
        if method == "answerInlineQuery":
            for result in p.get("results", []):
                self._check_text(result.get("input_message_content", {}), "message_text")
            return True
        if method == "getFile":
            if p.get("file_id") not in self.files:
                raise ApiError(400, "Bad Request: invalid file_id")
            path, content = self.files[p["file_id"]]
            return {
                "file_id": p["file_id"],
                "file_unique_id": "u" + p["file_id"],
                "file_size": len(content),
                "file_path": path,
            }
        if method == "setWebhook":
            self.webhook = p
            return True
        if method == "getMyCommands":
            return []
        if method == "getWebhookInfo":
            return {
                "url": (self.webhook or {}).get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
        return True  # answerCallbackQuery, sendChatAction, setMyCommands, deleteWebhook, close, logOut...

    def _check_text(self, p: dict[str, Any], key: str = "text") -> None:
        text = str(p.get(key, ""))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if p.get("parse_mode") == "HTML":
            errors = telegram_html_errors(text)
            if errors:
                raise ApiError(400, f"Bad Request: can't parse entities: {errors[0]}")
        elif utf16_len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")

    def download(self, path: str) -> bytes | None:
        with self.cond:
            self.downloads.append(path)
            for stored, content in self.files.values():
                if stored == path:
                    return content
        return None


class _Handler(BaseHTTPRequestHandler):
    api: BotApiStandin
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without this, 40 ms delayed ACKs

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. a cancelled poll)
            self.close_connection = True

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        file_prefix = f"/file/bot{self.api.token}/"
        if path.startswith(file_prefix):
            content = self.api.download(path[len(file_prefix) :])
            if content is None:
                self._reply(404, b"Not Found", "text/plain")
            else:
                self._reply(200, content, "application/octet-stream")
            return
        self._api(b"")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._api(body)

    def _api(self, body: bytes) -> None:
        split = urlsplit(self.path)
        prefix = f"/bot{self.api.token}/"
        if not split.path.startswith(prefix):
            self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        method = split.path[len(prefix) :]
        params, files = parse_form(self.headers.get("Content-Type", ""), body)
        params.update(dict(parse_qsl(split.query)))
        try:
            result = self.api.handle(method, params, files)
        except ApiError as err:
            self._json(err.code, {"ok": False, "error_code": err.code, "description": err.description})
            return
        self._json(200, {"ok": True, "result": result})

    def _json(self, status: int, payload: dict) -> None:
        self._reply(status, json.dumps(payload).encode())


def strip_labels(quote_html: str) -> str:
    """The quoted words of a <blockquote> body: labels (<i>…</i>) removed, the rest unescaped."""
    return html.unescape(re.sub(r"<i>.*?</i>", "", quote_html, flags=re.S))


def quotes(text: str) -> list[str]:
    """The inner HTML of every <blockquote> in a message."""
    return re.findall(r"<blockquote(?: expandable)?>(.*?)</blockquote>", text, flags=re.S)
