"""Load on the real Telegram bot: many chats asking in bursts, over HTTP, against the Bot API stand-in.

    python bench/load_bot.py [--chats 200] [--questions 2000] [--articles 200] [--rate-limit both|on|off]
                             [--add-articles 100] [--rounds 1] [--work DIR]

The bot runs as its own process (`bot.telegram.app.run`, i.e. `verbatim bot`: build_application,
long polling, the configured AIORateLimiter) on a hash-model index of generated articles; this
process runs the stand-in (tests/botapi_standin.py) and plays the users. Questions go out in
bursts: every chat sends one question at once, and the next burst starts when the previous one
is answered. A final /about from every chat is a sentinel: a chat's updates are handled in order,
so once its /about is answered every question before it has been handled.

Checked per phase: every question answered exactly once (per chat, the answers in order match
the questions: the passages shown are those `Retriever.ask` returns, or the fixed no-answer
sentence), nothing lost or duplicated, no "Sorry" sentence. Reported: throughput, latency from the
update being queued to the answer's sendMessage (p50/p95/p99), the bot's RSS and CPU time
(psutil), and Bot API requests per question.

Each bot (started on a fresh copy of the same index) runs --rounds quiet phases (new chats each
round: RSS across rounds shows whether memory settles), then one while `verbatim add` runs in
another process again and again, each time with --add-articles new articles, until the phase
ends (the bot replays the store's change log before every question). With --rate-limit both,
everything runs with the app's AIORateLimiter (30 requests/s overall; 20/min per group; no
per-chat limit for private chats) and again with it disabled, to measure the bot itself.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import pct, table
from _synthetic import ROOT, cli_env, questions, verbatim, write_articles

TOKEN = "4242:LOADTEST"
CONTEXT = re.compile(r"v1\|pick\|(\d+)")  # the passage numbers under an answer


# ---- the bot process ------------------------------------------------------------------------------
def child(no_rate_limit: bool) -> None:
    from telegram.ext import AIORateLimiter

    from bot.telegram import app
    from bot.telegram.settings import BotSettings

    if no_rate_limit:  # bench only: the same app without the limiter
        app.AIORateLimiter = lambda max_retries=0: AIORateLimiter(  # type: ignore[assignment]
            overall_max_rate=0, group_max_rate=0, max_retries=max_retries
        )
    app.run(BotSettings())


# ---- the users --------------------------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    sent: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # chat -> [(update id, question)]
    answers: dict[int, list] = field(default_factory=dict)  # chat -> [final Call of each answer]
    firsts: dict[int, list] = field(default_factory=dict)  # chat -> [first Call of each answer]
    pending: dict[int, object] = field(default_factory=dict)  # chat -> first Call of an unfinished answer
    queued: dict[int, float] = field(default_factory=dict)  # update id -> perf_counter when queued
    started: float = 0.0
    ended: float = 0.0
    rss_before: int = 0
    rss_after: int = 0
    cpu: float = 0.0
    requests: int = 0
    adds: int = 0
    added_articles: int = 0


class Users:
    def __init__(self, api, bot_pid: int) -> None:
        import psutil

        self.api = api
        self.proc = psutil.Process(bot_pid)
        self.seen = 0  # calls examined so far

    def _answer_done(self, call) -> bool:
        return (
            call.method == "sendMessage"
            and call.error is None
            and (bool(call.buttons) or "<blockquote" not in call.text)
        )

    def collect(self, phase: Phase, want: dict[int, int], timeout: float = 900) -> None:
        """Wait until every chat in `want` has that many finished answers in this phase."""
        api, deadline = self.api, time.monotonic() + timeout
        pending_first = phase.pending
        with api.cond:
            while True:
                for call in api.calls[self.seen :]:
                    chat = call.chat_id
                    if call.method != "sendMessage" or chat not in phase.sent or call.error:
                        continue
                    pending_first.setdefault(chat, call)
                    if self._answer_done(call):
                        phase.answers.setdefault(chat, []).append(call)
                        phase.firsts.setdefault(chat, []).append(pending_first.pop(chat))
                self.seen = len(api.calls)
                if all(len(phase.answers.get(c, [])) >= n for c, n in want.items()):
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    short = {
                        c: (len(phase.answers.get(c, [])), n)
                        for c, n in want.items()
                        if len(phase.answers.get(c, [])) < n
                    }
                    raise SystemExit(
                        f"timed out; chats still waiting (got, want): {list(short.items())[:10]}"
                    )
                api.cond.wait(min(left, 1.0))

    def run(self, phase: Phase, chats: list[int], qs: list[str]) -> None:
        api = self.api
        per_chat = len(qs) // len(chats)
        phase.rss_before = self.proc.memory_info().rss
        cpu0 = sum(self.proc.cpu_times()[:2])
        mark = api.mark()
        phase.started = time.perf_counter()
        for burst in range(per_chat):
            for i, chat in enumerate(chats):
                q = qs[burst * len(chats) + i]
                update_id = api.message(q, user_id=chat)
                phase.sent.setdefault(chat, []).append((update_id, q))
            self.collect(phase, {c: burst + 1 for c in chats})
        phase.ended = max(c.at for calls in phase.answers.values() for c in calls)
        for chat in chats:  # sentinels
            api.message("/about", user_id=chat)
        self.collect(phase, {c: per_chat + 1 for c in chats})
        phase.rss_after = self.proc.memory_info().rss
        phase.cpu = sum(self.proc.cpu_times()[:2]) - cpu0
        phase.requests = sum(
            1
            for c in api.calls_of(None, mark)
            if c.chat_id in phase.sent and c.method in ("sendMessage", "sendChatAction")
        )


def check(phase: Phase, expected: dict[str, object]) -> dict[str, int]:
    """Per chat: exactly one answer per question, in order, then the sentinel."""
    from index.models import NO_ANSWER

    lost = dup = sorry = differ = 0
    for chat, sent in phase.sent.items():
        answers = phase.answers.get(chat, [])
        if len(answers) != len(sent) + 1 or not answers[-1].text.startswith("<b>Verbatim</b>"):
            extra = len(answers) - len(sent) - 1
            lost += max(0, -extra)
            dup += max(0, extra)
        for (_, q), call in zip(sent, answers, strict=False):
            if "Sorry" in call.text:
                sorry += 1
            want = expected.get(q)
            got = [int(m) for b in call.buttons for m in CONTEXT.findall(b.get("callback_data", ""))]
            if isinstance(want, list):
                differ += got != want
            else:
                differ += not call.text.startswith(want or NO_ANSWER)
    return {"lost": lost, "duplicated": dup, "sorry": sorry, "differ": differ}


def latencies(phase: Phase) -> tuple[list[float], list[float]]:
    final, first = [], []
    for chat, sent in phase.sent.items():
        for (update_id, _), done, start in zip(sent, phase.answers[chat], phase.firsts[chat], strict=False):
            final.append((done.at - phase.queued[update_id]) * 1000)
            first.append((start.at - phase.queued[update_id]) * 1000)
    return sorted(final), sorted(first)


# ---- orchestration ----------------------------------------------------------------------------------
def expected_answers(index: Path, qs: list[str]) -> dict[str, object]:
    """What the bot must show for each question: the chunk ids of `ask`, or the sentence it gets."""
    from index.embed import HashEmbedder
    from index.errors import InputError
    from index.retriever import Retriever
    from index.settings import Settings

    r = Retriever.open(
        Settings(index=index, _env_file=None), embedder=HashEmbedder(name="hash:64"), build_default=False
    )
    out: dict[str, object] = {}
    try:
        for q in dict.fromkeys(qs):
            try:
                a = r.ask(q)
                out[q] = [h.chunk_id for h in a.results] if a.answered else None
            except InputError as err:
                out[q] = str(err)
    finally:
        r.close()
    return out


class Adder(threading.Thread):
    """`verbatim add` of a new batch of articles, again and again, until stopped."""

    def __init__(self, work: Path, index: Path, per_add: int, tag: str) -> None:
        super().__init__(daemon=True)
        self.work, self.index, self.per_add, self.tag = work, index, per_add, tag
        self.stop = threading.Event()
        self.adds = self.articles = self.failures = 0
        self.last_folder: Path | None = None
        self.proc: subprocess.Popen | None = None

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            folder = self.work / f"{self.tag}-{n}"
            write_articles(
                folder,
                self.per_add,
                seed=1000 + n + (500 if self.tag.endswith("b") else 0),
                prefix=f"{self.tag}{n}x",
                vocab_prefix="q",
            )
            self.proc = subprocess.Popen(
                verbatim("add", str(folder)),
                cwd=ROOT,
                env=cli_env(self.index),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _, err = self.proc.communicate()
            if self.proc.returncode == 0:
                self.adds += 1
                self.articles += self.per_add
                self.last_folder = folder
            else:
                self.failures += 1
                print(f"  concurrent add failed: {err.decode()[-300:]}", flush=True)
            n += 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chats", type=int, default=200)
    ap.add_argument("--questions", type=int, default=2000)
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--add-articles", type=int, default=100, help="articles per concurrent `verbatim add`")
    ap.add_argument("--rate-limit", choices=["both", "on", "off"], default="both")
    ap.add_argument("--rounds", type=int, default=1, help="quiet phases per bot (new chats each round)")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--expect", nargs=3, type=Path, help=argparse.SUPPRESS)  # INDEX QUESTIONS OUT
    ap.add_argument("--no-rate-limit", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.no_rate_limit)
        return 0
    if args.expect:  # in a fresh process, so it runs the same engine code as the bot it is compared with
        index, qfile, out = args.expect
        qs = json.loads(qfile.read_text())
        out.write_text(json.dumps(expected_answers(index, qs)))
        return 0

    sys.path.insert(0, str(ROOT))
    from tests.botapi_standin import BotApiStandin

    work = args.work or Path(tempfile.mkdtemp(prefix="verbatim-load-"))
    pristine = work / "index"
    write_articles(work / "articles", args.articles, seed=7)
    add = verbatim("add", str(work / "articles"))
    subprocess.run(add, cwd=ROOT, env=cli_env(pristine), check=True, capture_output=True)
    per_chat = args.questions // args.chats
    qs = list(questions(work / "articles", per_chat * args.chats, seed=3))
    (work / "questions.json").write_text(json.dumps(qs))
    print(
        f"index: {args.articles} articles; {len(qs)} questions, {args.chats} chats x {per_chat}", flush=True
    )

    rows, checks = [], []
    modes = {"both": [True, False], "on": [True], "off": [False]}[args.rate_limit]
    for limited in modes:
        index = work / f"index-{'limited' if limited else 'unlimited'}"  # each bot starts on the same corpus
        shutil.copytree(pristine, index)
        out = work / f"expected-{'limited' if limited else 'unlimited'}.json"
        expect = [sys.executable, __file__, "--expect", str(pristine), str(work / "questions.json"), str(out)]
        subprocess.run(expect, cwd=ROOT, env=cli_env(pristine), check=True)
        expected = json.loads(out.read_text())
        answered = sum(isinstance(v, list) for v in expected.values())
        print(
            f"{answered} of the {len(expected)} distinct questions are answered by Retriever.ask", flush=True
        )
        api = BotApiStandin(TOKEN).start()
        env = cli_env(
            index,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url,
            TELEGRAM_API_BASE_FILE_URL=api.base_file_url,
            VERBATIM_FLOOD_LIMIT=str(per_chat + 5),
            VERBATIM_WATCH_INTERVAL="3600",
        )
        log = open(work / f"bot-{'limited' if limited else 'unlimited'}.log", "w")  # noqa: SIM115
        cmd = [sys.executable, __file__, "--child"] + ([] if limited else ["--no-rate-limit"])
        bot = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            api.wait_for("deleteWebhook", timeout=120)  # post_init done: polling starts
            users = Users(api, bot.pid)
            warm = Phase("warm-up", sent={1: []})
            warm.sent[1].append((api.message(qs[0], user_id=1), qs[0]))
            users.collect(warm, {1: 1})
            for concurrent in [False] * args.rounds + [True]:
                chats = list(range(10_000 + 1000 * len(rows), 10_000 + 1000 * len(rows) + args.chats))
                phase = Phase(
                    f"{'AIORateLimiter' if limited else 'no limiter'}"
                    f"{', concurrent add' if concurrent else ''}"
                )
                phase.queued = api.queued_at
                adder = Adder(work, index, args.add_articles, f"add{len(rows)}{'a' if limited else 'b'}")
                if concurrent:
                    adder.start()
                users.run(phase, chats, qs)
                if concurrent:
                    adder.stop.set()
                    adder.join(timeout=300)
                    phase.adds, phase.added_articles = adder.adds, adder.articles
                outcome = check(phase, expected)
                if concurrent and adder.last_folder is not None:  # the new state, no restart
                    new_ids = {p.stem for p in adder.last_folder.glob("*.txt")}
                    probe_phase = Phase("probe", sent={2: []})
                    outcome["new article found"] = 0
                    for i, probe in enumerate(questions(adder.last_folder, 5, seed=9)):  # some are declined
                        probe_phase.sent[2].append((api.message(probe, user_id=2), probe))
                        users.collect(probe_phase, {2: i + 1})
                        got = [
                            int(m)
                            for b in probe_phase.answers[2][-1].buttons
                            for m in CONTEXT.findall(b.get("callback_data", ""))
                        ]
                        if got:
                            outcome["new article found"] = int(_doc_of(index, got[0]) in new_ids)
                            break
                final, first = latencies(phase)
                n = sum(len(s) for s in phase.sent.values())
                seconds = phase.ended - phase.started
                rows.append(
                    [
                        phase.name,
                        n,
                        f"{n / seconds:.1f}",
                        f"{pct(final, 50):.0f}",
                        f"{pct(final, 95):.0f}",
                        f"{pct(final, 99):.0f}",
                        f"{pct(first, 50):.0f}",
                        f"{phase.requests / n:.2f}",
                        f"{phase.rss_before / 2**20:.0f} -> {phase.rss_after / 2**20:.0f}",
                        f"{phase.cpu / n * 1000:.1f}",
                        f"{phase.adds} x {args.add_articles}" if concurrent else "-",
                    ]
                )
                checks.append(
                    [
                        phase.name,
                        *(
                            outcome.get(k, "-")
                            for k in ("lost", "duplicated", "sorry", "differ", "new article found")
                        ),
                    ]
                )
                print(f"{phase.name}: {n} questions in {seconds:.1f} s; {outcome}", flush=True)
        finally:
            bot.send_signal(signal.SIGINT)
            try:
                bot.wait(timeout=60)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
            api.stop()
            log.close()

    print()
    print(
        table(
            [
                "phase",
                "questions",
                "q/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "p50 first msg ms",
                "requests/q",
                "bot RSS MiB",
                "bot CPU ms/q",
                "concurrent adds (articles)",
            ],
            rows,
        )
    )
    print()
    print(
        table(
            ["phase", "lost", "duplicated", "'Sorry' sent", "differs from ask()", "new article found"], checks
        )
    )
    print(
        "\nlatency: update queued at the stand-in -> the answer's last sendMessage received"
        " (first: its first message)."
    )
    print("'differs from ask()': the passages shown are not those Retriever.ask gave before the phase; in a")
    print("phase with concurrent adds, new articles may rank in (expected), otherwise it must be 0.")
    bad = any(c[1] or c[2] or c[3] for c in checks) or any(c[4] for c in checks if "concurrent" not in c[0])
    if args.work is None and not bad:
        shutil.rmtree(work, ignore_errors=True)
    elif bad:
        print(f"kept {work} (bot logs: bot-*.log)")
    return 1 if bad else 0


def _doc_of(index: Path, chunk_id: int) -> str | None:
    db = sqlite3.connect(f"file:{index / 'store.sqlite'}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT doc_id FROM chunks WHERE id=?", (chunk_id,)).fetchone()
    finally:
        db.close()
    return row[0] if row else None


if __name__ == "__main__":
    raise SystemExit(main())
