"""What a phone user sees: replay a scripted conversation against the Bot API stand-in and render
every bot message as a 400-px-wide chat screenshot with headless Chromium. For reviewing changes
by eye; not part of CI.

    apt-get install -y chromium            # Debian's package
    python bench/screens.py [--articles 33] [--out bench/results/screens]

The bot is the real Application (`bot.telegram.app.build_application`) over HTTP against
tests/botapi_standin.py, on an index of the bundled seed article plus news_rtqa articles about
North Korean troops in Russia (from ../shared/data, read by path), with the bundled model and the
real claim analysis. Telegram's look is imitated, not reproduced: a 15-px system font, bubbles,
`<blockquote expandable>` collapsed to three lines as Telegram shows it, inline keyboards as
button rows. Each step's messages go to NN-step.png; the figures the issue asks for (collapsed
height of a three-passage answer, labels shown per answer, buttons under a fresh answer) are
printed and written to figures.json.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "news_rtqa" / "articles.jsonl"
if not DATA.exists():
    DATA = Path("/work/shared/data/news_rtqa/articles.jsonl")
TOKEN = "4242:SCREENS"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
CSS = """
body { margin: 0; background: #8fb58a; font: 15px/1.35 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.chat { width: 400px; padding: 8px 0; }
.msg { max-width: 340px; margin: 6px 10px; padding: 6px 10px 8px; border-radius: 12px; background: #fff;
       white-space: pre-wrap; word-wrap: break-word; }
.me { margin-left: auto; background: #e1ffc7; }
.msg a { color: #1c7ed6; text-decoration: none; }
blockquote { margin: 3px 0; padding: 2px 8px; border-left: 3px solid #1c7ed6; background: #eef5fd;
             border-radius: 4px; }
blockquote.expandable { display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 3;
                        overflow: hidden; position: relative; }
.kb { max-width: 360px; margin: 0 10px 6px; }
.row { display: flex; gap: 4px; margin-top: 4px; }
.btn { flex: 1; text-align: center; padding: 8px 4px; border-radius: 8px; background: rgba(0,0,0,.25);
       color: #fff; font-size: 14px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.toast { margin: 6px auto; width: 300px; text-align: center; background: rgba(0,0,0,.55); color: #fff;
         border-radius: 10px; padding: 6px 8px; font-size: 13px; }
.inline { margin: 6px 10px; background: #fff; border-radius: 10px; padding: 6px 10px; }
.inline .t { font-weight: 600; } .inline .d { color: #555; font-size: 13px; white-space: pre-wrap; }
"""
QUESTIONS = ["What did Kirby say?", "How many North Korean troops are in Russia?", "What did Zelensky say?"]


def articles(n: int) -> list:
    from index.models import Article

    out = []
    with DATA.open() as f:
        for line in f:
            d = json.loads(line)
            if "North Korea" in d["text"] and "Russia" in d["text"] and d["date"] >= "2024-10-01":
                out.append(Article(**{k: d[k] for k in ("id", "title", "source", "date", "url", "text")}))
            if len(out) >= n:
                break
    return out


def build_index(folder: Path, n: int) -> None:
    from index.load import load_paths
    from index.retriever import Retriever
    from index.settings import Settings

    r = Retriever.open(Settings(_env_file=None, index=folder), build_default=False)
    if r.status().articles == 0:
        r.add_articles([*load_paths([ROOT / "corpus"]).articles, *articles(n)])
    r.close()
    for state in folder.glob("bot.sqlite*"):  # a fresh conversation each run
        state.unlink()


# ---- Telegram HTML -> browser HTML -------------------------------------------------------------------
def telegram_to_html(text: str) -> str:
    """Telegram's HTML subset is already HTML; expandable quotes get a class, newlines stay (pre-wrap)
    except those next to a quote (a quote is its own block in Telegram's clients)."""
    text = re.sub(r"\n?<blockquote expandable>\n?", '<blockquote class="expandable">', text)
    text = re.sub(r"\n?<blockquote>\n?", "<blockquote>", text)
    return re.sub(r"</blockquote>\n", "</blockquote>", text)


def keyboard_html(markup: dict | None) -> str:
    rows = (markup or {}).get("inline_keyboard", [])
    if not rows:
        return ""
    out = ['<div class="kb">']
    for row in rows:
        out.append(
            '<div class="row">' + "".join(f'<div class="btn">{html.escape(b["text"])}</div>' for b in row) + "</div>"
        )
    return "".join(out) + "</div>"


def page(items: list[str]) -> str:
    return (
        f'<!doctype html><meta charset="utf-8"><style>{CSS}</style><div class="chat" id="chat">{"".join(items)}</div>'
    )


def bubble(text: str, markup: dict | None = None, me: bool = False) -> str:
    cls = "msg me" if me else "msg"
    return f'<div class="{cls}">{telegram_to_html(text) if not me else html.escape(text)}</div>' + keyboard_html(markup)


class Chromium:
    def __init__(self) -> None:
        self.exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not self.exe:
            raise SystemExit("chromium is not installed: apt-get install -y chromium")

    def _run(self, args: list[str]) -> str:
        with tempfile.TemporaryDirectory() as profile:
            out = subprocess.run(
                [self.exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                capture_output=True,
                text=True,
                timeout=120,
            )
        return out.stdout

    def height(self, html_path: Path) -> int:
        """The chat's rendered height in CSS pixels (a script writes it into the DOM we dump)."""
        probe = html_path.with_suffix(".probe.html")
        probe.write_text(
            html_path.read_text()
            + "<script>document.body.setAttribute('data-h', document.getElementById('chat').offsetHeight)</script>"
        )
        dom = self._run(["--dump-dom", probe.as_uri()])
        probe.unlink()
        m = re.search(r'data-h="(\d+)"', dom)
        return int(m.group(1)) if m else 800

    def screenshot(self, html_path: Path, png: Path) -> int:
        h = self.height(html_path)
        self._run([f"--screenshot={png}", f"--window-size=400,{h}", html_path.as_uri()])
        return h


# ---- the conversation ------------------------------------------------------------------------------
def converse(folder: Path):
    """Run the bot and the script; returns [(step name, [html items]), ...] and the measured answers."""
    from telegram import Update

    from bot.telegram import render as rt
    from bot.telegram.app import build_application
    from bot.telegram.settings import BotSettings
    from index.retriever import Retriever
    from tests.botapi_standin import BOT_USER, BotApiStandin

    steps: list[tuple[str, list[str]]] = []
    figures: dict[str, list] = {"answers": []}
    with BotApiStandin(TOKEN) as api:
        settings = BotSettings(
            _env_file=None,
            index=folder,
            telegram_bot_token=TOKEN,
            telegram_api_base_url=api.base_url,
            telegram_api_base_file_url=api.base_file_url,
            watch_interval=3600.0,
        )
        retriever = Retriever.open(settings, build_default=False)
        app = build_application(settings, retriever)
        loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            app.run_polling(
                stop_signals=None, close_loop=False, poll_interval=0.0, timeout=5, allowed_updates=Update.ALL_TYPES
            )

        mark = api.mark()
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        api.wait_for("deleteWebhook", since=mark, timeout=120)
        user = 501

        def done(c) -> bool:
            return c.chat_id == user and c.error is None

        def say(text: str) -> list:
            mark = api.mark()
            api.message(text, user_id=user)
            api.wait_for("sendMessage", since=mark, where=done, timeout=120)
            return [c for c in api.calls_of("sendMessage", mark) if done(c)]

        def current(call) -> tuple[str, dict | None]:
            msg = api.messages[(call.chat_id, call.result["message_id"])]
            return msg["text"], msg.get("reply_markup")

        def press(call, text: str, expect: str | None = "sendMessage"):
            msg = api.messages[(call.chat_id, call.result["message_id"])]
            rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
            data = next(b["callback_data"] for row in rows for b in row if b["text"] == text)
            mark = api.mark()
            api.press(data, chat_id=call.chat_id, message_id=call.result["message_id"], user_id=user)
            [answered] = api.wait_for("answerCallbackQuery", since=mark, timeout=120)
            new = [c for c in api.calls_of("sendMessage", mark) if done(c)]
            return answered.params.get("text", ""), new

        [start] = say("/start")
        steps.append(
            ("start", [bubble("/start", me=True), bubble(start.text, start.buttons and start.params["reply_markup"])])
        )
        [help_] = say("/help")
        steps.append(("help", [bubble("/help", me=True), bubble(help_.text)]))
        first = None
        for q in QUESTIONS:
            mark = api.mark()
            api.message(q, user_id=user)
            api.wait_for("sendMessage", since=mark, where=lambda c: done(c) and bool(c.buttons), timeout=120)
            parts = [c for c in api.calls_of("sendMessage", mark) if done(c)]  # the keyboard is under the last
            answer = parts[-1]
            first = answer  # the latest answer keeps its buttons
            hits = [
                retriever.passage(int(b["callback_data"].split("|")[2]))
                for b in answer.buttons
                if "|pick|" in b["callback_data"]
            ]
            figures["answers"].append(
                {
                    "question": q,
                    "messages": len(parts),
                    "passages": len(hits),
                    "labels": sum(rt.labels_shown(h) for h in hits),
                    "buttons": len(answer.buttons),
                    "chars": len(re.sub(r"<[^>]+>", "", answer.text)),
                }
            )
            steps.append(
                (
                    f"answer-{len(figures['answers'])}",
                    [bubble(q, me=True), bubble(answer.text, answer.params.get("reply_markup"))],
                )
            )
        press(first, "1", None)
        text, markup = current(first)
        steps.append(("picked-1", [bubble(text, markup)]))
        _, [why] = press(first, "Why these labels?")
        steps.append(("why", [bubble(why.text, why.params.get("reply_markup"))]))
        _, [ctx] = press(first, "1 · Context")
        steps.append(("context", [bubble(ctx.text, ctx.params.get("reply_markup"))]))
        note, _ = press(first, "Follow", None)
        text, markup = current(first)
        steps.append(("followed", [bubble(text, markup), f'<div class="toast">{html.escape(note)}</div>']))
        press(first, "◀ Back", None)
        press(first, "More ▸", None)
        text, markup = current(first)
        steps.append(("more-in-place", [bubble(text, markup)]))
        [following] = say("/following")
        steps.append(
            ("following", [bubble("/following", me=True), bubble(following.text, following.params.get("reply_markup"))])
        )
        [declined] = say("Who won the Super Bowl this year?")
        steps.append(
            (
                "declined",
                [
                    bubble("Who won the Super Bowl this year?", me=True),
                    bubble(declined.text, declined.params.get("reply_markup")),
                ],
            )
        )
        [about] = say("/about")
        steps.append(("about", [bubble("/about", me=True), bubble(about.text)]))
        for query in ("", "Kirby North Korean troops"):
            mark = api.mark()
            api.inline(query, user_id=user)
            [inline] = api.wait_for("answerInlineQuery", since=mark, timeout=120)
            items = [bubble(f"@{BOT_USER['username']} {query}", me=True)]
            if "button" in inline.params:
                items.append(
                    f'<div class="inline"><div class="t">▸ {html.escape(inline.params["button"]["text"])}</div></div>'
                )
            for r in inline.params["results"]:
                items.append(
                    f'<div class="inline"><div class="t">{html.escape(r["title"])}</div><div class="d">{html.escape(r["description"])}</div></div>'
                )
            steps.append((f"inline-{'empty' if not query else 'query'}", items))
        loop.call_soon_threadsafe(app.stop_running)
        thread.join(30)
        loop.close()
        retriever.close()
    return steps, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=33)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "screens")
    args = parser.parse_args()
    chromium = Chromium()
    args.out.mkdir(parents=True, exist_ok=True)
    folder = args.out / "index"
    build_index(folder, args.articles)
    steps, figures = converse(folder)
    heights = {}
    for i, (name, items) in enumerate(steps, 1):
        html_path = args.out / f"{i:02d}-{name}.html"
        html_path.write_text(page(items))
        heights[name] = chromium.screenshot(html_path, html_path.with_suffix(".png"))
        html_path.unlink()
    answers = figures["answers"]
    for i, name in enumerate([n for n, _ in steps if n.startswith("answer-")]):
        items = dict(steps)[name][1:]  # the answer bubble and its keyboard, without the question
        only = args.out / "answer-only.html"
        only.write_text(page(items))
        answers[i]["collapsed_px"] = chromium.height(only)
        only.unlink()
    figures["heights"] = heights
    figures["median_collapsed_px"] = statistics.median(a["collapsed_px"] for a in answers)
    (args.out / "figures.json").write_text(json.dumps(figures, indent=2))
    print(f"{'question':46} {'passages':>8} {'labels':>6} {'buttons':>7} {'chars':>6} {'collapsed px':>12}")
    for a in answers:
        print(
            f"{a['question']:46} {a['passages']:8} {a['labels']:6} {a['buttons']:7} {a['chars']:6} {a['collapsed_px']:12}"
        )
    print(f"screenshots: {args.out}/*.png ({len(steps)} steps)")


if __name__ == "__main__":
    main()
