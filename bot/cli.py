"""The `verbatim` command line. Heavy imports happen inside commands, never for --help.

Every error a user can cause is printed as one sentence on stderr (exit 1);
usage errors exit 2 as argparse does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

EPILOG = (
    "Every command takes --index DIR (or VERBATIM_INDEX; default: a per-user data folder), or --database URL "
    "(or VERBATIM_DATABASE_URL=postgresql://...) to keep the index in PostgreSQL."
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from index.errors import VerbatimError

    if hasattr(sys.stdout, "reconfigure"):  # undecodable bytes in file names print escaped, not as a crash
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        return int(args.func(args) or 0)
    except VerbatimError as err:
        print(f"verbatim: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "verbatim: interrupted; nothing half-written was kept (an add keeps its committed batches: "
            "run it again to add the rest).",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:
        return 0
    finally:
        while _OPENED:  # database connections are closed, not left to the interpreter's exit
            _OPENED.pop().close()


_OPENED: list = []  # the retrievers a command opened


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", type=Path, help="index folder (default: VERBATIM_INDEX or a per-user folder)")
    common.add_argument(
        "--database", metavar="URL", help="postgresql://user:password@host:port/db: the index in PostgreSQL instead"
    )
    parser = argparse.ArgumentParser(
        prog="verbatim", description="Answers questions only in the corpus's own words.", epilog=EPILOG
    )
    parser.add_argument("--database", dest="database_global", metavar="URL", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("ask", parents=[common], help="ask a question (or '-' to read questions from stdin)")
    p.add_argument("question", help="the question, or - to read one question per line from stdin")
    p.add_argument("--k", type=int, default=None, help="passages to return (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON (one object per question)")
    p.add_argument("--explain", action="store_true", help="list the evidence behind each claim's status")
    p.add_argument(
        "--source", action="append", metavar="OUTLET", help="only passages from this outlet (repeatable; see 'sources')"
    )
    p.add_argument("--since", metavar="DATE", help="only articles dated on or after DATE (YYYY-MM-DD, YYYY-MM, YYYY)")
    p.add_argument("--until", metavar="DATE", help="only articles dated on or before DATE")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("add", parents=[common], help="add articles: files or folders of .txt .md .html .jsonl, or URLs")
    p.add_argument("paths", nargs="+", help="files, folders (recursive) or http(s) URLs")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output on stderr (the summary stays)")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("remove", parents=[common], help="remove articles by id")
    p.add_argument("ids", nargs="+")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("sources", parents=[common], help="list articles: id, title, outlet, date, passages")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("status", parents=[common], help="counts, model, index size, last update")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("eval", parents=[common], help="hit@1/3/5/10, MRR and abstentions on a JSONL of questions")
    p.add_argument("file", type=Path, help='lines of {"question", "doc_id" and/or "span"}')
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("verdict", parents=[common], help="record, list or export fact-check verdicts (ClaimReview)")
    vsub = p.add_subparsers(metavar="ACTION")
    v = vsub.add_parser("add", parents=[common], help="record ClaimReview JSON-LD files")
    v.add_argument("files", nargs="+", type=Path)
    v.set_defaults(func=cmd_verdict_add)
    v = vsub.add_parser("export", parents=[common], help="write the recorded verdicts as ClaimReview JSON-LD")
    v.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    v.set_defaults(func=cmd_verdict_export)
    v = vsub.add_parser("list", parents=[common], help="list recorded verdicts")
    v.set_defaults(func=cmd_verdict_list)
    v = vsub.add_parser("remove", parents=[common], help="remove a recorded verdict by id")
    v.add_argument("ids", nargs="+")
    v.set_defaults(func=cmd_verdict_remove)

    p = sub.add_parser("claims", parents=[common], help="every claim of one article: status, cue, speaker, evidence")
    p.add_argument("id", help="the article id (see `verbatim sources`)")
    p.add_argument("--json", action="store_true", help="print JSON (one object per claim, with doc_id)")
    p.set_defaults(func=cmd_claims)

    p = sub.add_parser("rebuild", parents=[common], help="rebuild the FAISS and BM25 files from the stored passages")
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser(
        "migrate",
        parents=[common],
        help="copy the index to PostgreSQL (--to postgresql://...) or, from --database, to a folder (--to DIR)",
    )
    p.add_argument("--to", required=True, metavar="URL|DIR", help="a postgresql:// database, or an index folder")
    p.add_argument("--replace", action="store_true", help="overwrite an index already at the target")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser(
        "bot", parents=[common], help="run the Telegram bot (TELEGRAM_BOT_TOKEN; long polling by default)"
    )
    p.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on a webhook (VERBATIM_WEBHOOK_URL, _LISTEN, _PORT, _SECRET) instead of polling",
    )
    p.set_defaults(func=cmd_bot)
    return parser


# ---- commands -------------------------------------------------------------------------
def _settings(args: argparse.Namespace, kind=None):
    from pydantic import ValidationError

    from index.errors import InputError
    from index.settings import Settings

    Settings = kind or Settings  # noqa: N806 - the bot's settings extend the engine's
    try:
        settings = Settings()
    except ValidationError as err:  # a bad VERBATIM_* value: one sentence, never the value itself
        first = err.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "?"
        field = Settings.model_fields.get(name)
        alias = field.validation_alias if field is not None else None
        variable = alias if isinstance(alias, str) else name if name.isupper() else f"VERBATIM_{name.upper()}"
        raise InputError(f"The setting {variable} is not valid ({first['msg'].lower()}).") from None
    if getattr(args, "index", None):
        settings = settings.model_copy(update={"index": args.index})
    database = getattr(args, "database", None) or getattr(args, "database_global", None)  # after or before COMMAND
    if database:
        from pydantic import SecretStr

        settings = settings.model_copy(update={"database_url": SecretStr(database)})
    return settings


def _open(args: argparse.Namespace, *, build_default: bool = True):
    from index.retriever import Retriever

    _OPENED.append(Retriever.open(_settings(args), build_default=build_default))
    return _OPENED[-1]


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.render_text import answer_json, render_answer
    from index.errors import InputError

    retriever = _open(args)
    narrowed = args.source or args.since or args.until
    given = retriever.filters(args.source, args.since, args.until) if narrowed else None
    if args.question != "-":
        answer = retriever.ask(args.question, args.k, filters=given)
        print(answer_json(answer) if args.json else render_answer(answer, explain=args.explain))
        return 0
    if hasattr(sys.stdin, "reconfigure"):  # a stray undecodable byte must not end the whole batch
        sys.stdin.reconfigure(errors="replace")
    for line in sys.stdin:
        if not line.strip():
            continue
        question = line.rstrip("\n")
        try:
            question, k, narrowed = _input_line(line, args.k, given, retriever)
            answer = retriever.ask(question, k, filters=narrowed)
        except InputError as err:
            if args.json:
                print(json.dumps({"question": question, "answered": False, "results": [], "error": str(err)}))
            else:
                print(f"verbatim: {err}", file=sys.stderr)
            continue
        print(answer_json(answer) if args.json else render_answer(answer, explain=args.explain), flush=True)
    return 0


INPUT_KEYS = ("question", "source", "since", "until", "k")


def _input_line(line: str, k: int | None, given, retriever):
    """One stdin line: plain text, or a JSON object {"question", "source", "since", "until", "k"}
    (source: an outlet or a list of them). Returns (question, k, filters)."""
    from index.errors import InputError

    text = line.strip()
    if not text.startswith("{"):
        return line, k, given
    try:
        obj = json.loads(text)
    except ValueError:
        raise InputError("The line starts with '{' but is not valid JSON.") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
        raise InputError('A JSON input line needs a "question" string, e.g. {"question": "...", "source": "CNN"}.')
    unknown = sorted(set(obj) - set(INPUT_KEYS))
    if unknown:
        raise InputError(f"Unknown field {unknown[0]!r} in the JSON input; the fields are: {', '.join(INPUT_KEYS)}.")
    sources = obj.get("source")
    if sources is not None and not (
        isinstance(sources, str) or (isinstance(sources, list) and all(isinstance(x, str) for x in sources))
    ):
        raise InputError('"source" must be an outlet name or a list of them.')
    for key in ("since", "until"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise InputError(f'"{key}" must be a date written as "YYYY-MM-DD".')
    kk = obj.get("k", k)
    if kk is not None and (isinstance(kk, bool) or not isinstance(kk, int) or kk < 1):
        raise InputError('"k" must be a whole number of at least 1.')
    narrowed = given
    if sources or obj.get("since") or obj.get("until"):
        from index.search.filters import merge

        narrowed = merge(retriever.filters(sources, obj.get("since"), obj.get("until")), given)
    return obj["question"], kk, narrowed


def cmd_add(args: argparse.Namespace) -> int:
    retriever = _open(args, build_default=False)
    bar = _Progress(quiet=args.quiet)
    try:
        report = retriever.add(args.paths, progress=bar)
    finally:
        bar.close()  # cleared before any error sentence, which then stands on its own line
    print(
        f"added {len(report.added)}, replaced {len(report.replaced)}, unchanged {len(report.unchanged)}, "
        f"rejected {len(report.rejected)} ({report.passages} passages indexed"
        + (f", {report.verdicts} verdicts recorded)" if report.verdicts else ")")
    )
    for origin, reason in report.rejected:
        print(f"  rejected {origin}: {reason}")
    return 1 if report.rejected and not (report.added or report.replaced or report.unchanged) else 0


class _Progress:
    """The whole add's progress on stderr: articles read, passages encoded and committed, rate
    and ETA (from the share of the input read). On a terminal, one tqdm bar redrawn in place;
    otherwise (a log) one plain line every 30 seconds, so a short add prints nothing but its
    summary. Nothing with --quiet."""

    EVERY = 30.0

    def __init__(self, *, quiet: bool = False) -> None:
        import time

        self.bar = None
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = time.monotonic()

    def __call__(self, p) -> None:
        import time

        if self.quiet:
            return
        text = (
            f"{p.read:,} articles read · {p.encoded:,} passages encoded · {p.committed:,} committed"
            f" · {p.rate:.1f} passages/s"
        )
        if not self.tty:
            now = time.monotonic()
            if now - self.last >= self.EVERY:
                self.last = now
                share = f", {p.fraction:.0%} of the input read" if p.fraction is not None else ""
                print(f"verbatim add: {text}{share}", file=sys.stderr, flush=True)
            return
        if self.bar is None:
            from tqdm import tqdm

            fmt = "{percentage:3.0f}%|{bar:20}| {postfix} [{elapsed}<{remaining}]"
            self.bar = tqdm(total=1000, file=sys.stderr, leave=False, bar_format=fmt, mininterval=0.5)
        if p.fraction is not None:
            self.bar.n = int(p.fraction * 1000)
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_remove(args: argparse.Namespace) -> int:
    retriever = _open(args, build_default=False)
    missing = retriever.remove(args.ids)
    removed = [i for i in args.ids if i not in missing]
    print(f"removed {len(removed)}" + (f"; not in the index: {', '.join(missing)}" if missing else ""))
    return 1 if missing and not removed else 0


def cmd_sources(args: argparse.Namespace) -> int:
    rows = _open(args).sources()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for r in rows:
        print(
            f"{r['id']}\t{r['title']}\t{r['source'] or 'outlet unknown'}\t{r['date'] or 'date unknown'}\t"
            f"{r['passages']} passages"
        )
    print(f"{len(rows)} articles")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    status = _open(args).status()
    if args.json:
        print(json.dumps(asdict(status)))
        return 0
    print(f"articles:   {status.articles} from {status.outlets} outlets")
    print(f"passages:   {status.passages}")
    print(f"claims:     {status.claims} ({status.verdicts} fact-check verdicts)")
    print(f"model:      {status.model} ({status.dim} dimensions)")
    print(f"backend:    {status.describe()}")
    print(f"index:      {status.index_dir} ({status.index_bytes / 1e6:.1f} MB)")
    print(f"updated:    {status.updated_at or 'never'}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from index.errors import InputError
    from index.evaluate import evaluate, read_questions

    try:
        questions = read_questions(args.file)
    except OSError as err:
        raise InputError(f"Cannot read {args.file}: {err.strerror}.") from err
    result = evaluate(_open(args), questions)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"questions:  {result['questions']}")
    for k in (1, 3, 5, 10):
        print(f"hit@{k:<2}     {result[f'hit@{k}']:.3f}")
    print(f"MRR:        {result['mrr']:.3f}")
    print(f"abstained:  {result['abstained']}")
    return 0


def cmd_verdict_add(args: argparse.Namespace) -> int:
    from index.errors import InputError

    retriever = _open(args, build_default=False)
    failed = 0
    for path in args.files:
        try:
            data = path.read_bytes()
            for record, matched in retriever.add_verdicts(data, origin=str(path)):
                print(
                    f"recorded {record['id']}: {record['rating']} — {record['claim_reviewed'][:80]} "
                    f"({matched} claims matched)"
                )
        except OSError as err:
            failed += 1
            print(f"  rejected {path}: cannot be read ({err.strerror})")
        except InputError as err:
            failed += 1
            print(f"  rejected {path}: {err}")
    return 1 if failed == len(args.files) else 0


def cmd_verdict_export(args: argparse.Namespace) -> int:
    from index.verdicts import export_claim_reviews

    text = export_claim_reviews(_open(args, build_default=False).verdicts())
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


def cmd_verdict_list(args: argparse.Namespace) -> int:
    rows = _open(args, build_default=False).verdicts()
    for r in rows:
        print(
            f"{r['id']}\t{r['rating']}\t{r.get('author') or 'unknown'}\t{r.get('date') or 'date unknown'}\t"
            f"{r['claim_reviewed']}"
        )
    print(f"{len(rows)} verdicts")
    return 0


def cmd_verdict_remove(args: argparse.Namespace) -> int:
    retriever = _open(args, build_default=False)
    missing = [i for i in args.ids if not retriever.remove_verdict(i)]
    print(f"removed {len(args.ids) - len(missing)}" + (f"; not recorded: {', '.join(missing)}" if missing else ""))
    return 1 if len(missing) == len(args.ids) else 0


def cmd_claims(args: argparse.Namespace) -> int:
    """The maintainer's review view: every claim of one article, in order."""
    from bot.render_text import claim_label
    from index.errors import NotFound

    retriever = _open(args, build_default=False)
    chunk_ids = retriever.chunk_ids_of([args.id])
    if not chunk_ids:
        raise NotFound(f"No article with the id {args.id!r} is in the index (see `verbatim sources`).")
    hits = [retriever.passage(cid) for cid in chunk_ids]
    claims = sorted((c for h in hits for c in h.claims), key=lambda c: c.start)
    if args.json:
        for c in claims:
            print(json.dumps({"doc_id": args.id, **c.model_dump(mode="json")}, ensure_ascii=False))
        return 0
    print(f"{args.id}: {hits[0].title} ({hits[0].source or 'outlet unknown'}, {hits[0].date or 'date unknown'})")
    for c in claims:
        print(f"\n[{claim_label(c) or 'no status'}] {c.text}")
        if c.status:
            print(f"    why {c.status}: cue {c.cue!r}, speaker {c.speaker or 'the outlet'}")
        for e in c.corroborated_by:
            print(f"    corroborated by {e.source or e.doc_id} ({e.date or 'date unknown'}): {e.text}")
        for e in c.conflicts_with:
            value = f"{e.value} — " if e.value else ""
            print(f"    conflicts with {value}{e.source or e.doc_id} ({e.date or 'date unknown'}): {e.text}")
        if c.verdict:
            v = c.verdict
            by = f"{v.author or 'unknown'}, {v.date or 'date unknown'}, {v.url or 'no link'}"
            print(f"    verdict: {v.rating} — by {by}")
    print(f"\n{len(claims)} claims")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from index.retriever import Retriever

    retriever = Retriever.open(_settings(args), build_default=False, repair=True)
    _OPENED.append(retriever)
    retriever.rebuild()
    print(f"rebuilt from {retriever.status().passages} stored passages")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Copy the index, vectors included (nothing is encoded again), to the other backend."""
    from index.errors import InputError
    from index.storage import migrate

    settings = _settings(args)
    source = settings.database()
    target_is_db = args.to.startswith(("postgresql://", "postgres://"))
    if source is None and not target_is_db:
        raise InputError(
            "The index is in a folder: migrate it to PostgreSQL with --to postgresql://user@host:port/db, "
            "or copy it back from a database with --database URL --to DIR."
        )
    if source is not None and target_is_db:
        raise InputError("The index is already in PostgreSQL: migrate it to a folder with --to DIR.")
    retriever = _open(args, build_default=False)  # checks the model; holds the writer lock during the copy
    status = retriever.status()
    if not (status.articles or status.verdicts):
        raise InputError(f"The index at {status.location} is empty: there is nothing to copy.")
    with retriever.backend.writer(blocking=False):
        if source is None:
            counts = migrate.to_postgres(settings.index_dir(), args.to, replace=args.replace)
            where = migrate.redact(args.to)
        else:
            counts = migrate.to_sqlite(source, Path(args.to), replace=args.replace)
            where = args.to
    print(f"copied {counts['articles']} articles, {counts['passages']} passages, {counts['claims']} claims and "
          f"{counts['verdicts']} verdicts to {where}")  # fmt: skip
    return 0


def cmd_bot(args: argparse.Namespace) -> int:
    from bot.telegram.app import run  # imports python-telegram-bot and the engine: only here
    from bot.telegram.settings import BotSettings

    run(_settings(args, BotSettings), webhook=args.webhook)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
