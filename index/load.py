"""The I/O edge: turn files, uploads and URLs into `Article` values.

Every problem with an input becomes a `Rejection` (origin + one clear sentence); no exception
escapes for bad input. Only `load_paths` (disk) and `fetch_url` (network) do I/O; the parse
helpers take bytes or str. Text is kept verbatim: the only changes are line endings (\\r\\n and
\\r become \\n) and blank lines before and after the whole text. HTML is the exception: its
text is what trafilatura extracts, one paragraph per block, separated by blank lines.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import os
import re
import socket
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import yaml

from index.errors import RejectedArticle
from index.models import Article

TEXT, MARKDOWN, HTML, JSONL = {".txt"}, {".md", ".markdown"}, {".html", ".htm"}, {".jsonl"}
SKIPPED = {".json"}  # ClaimReview verdicts: not articles, loaded elsewhere
USE = "use .txt, .md, .html or .jsonl"
UNREADABLE = "not valid text (binary or unknown encoding)"
TITLE_MAX = 200
_Items = list[tuple[str, Article]]  # (origin, article)
_Parsed = tuple[_Items, list["Rejection"]]


@dataclass(frozen=True)
class Rejection:
    origin: str  # path (":LINE" for a JSONL line) or URL
    reason: str  # one clear sentence


@dataclass
class Loaded:
    articles: list[Article] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def article_id(text: str) -> str:
    return "doc-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- bytes -> text

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # every control character but \t\n\f\r


def decode(data: bytes, origin: str) -> str:
    """UTF-8 (BOM stripped), UTF-16 with a BOM, or clean cp1252; line endings become \\n."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decoded(data, "utf-16")
    elif b"\x00" in data:
        raise RejectedArticle(origin, "binary data, not text (the file contains NUL bytes)")
    elif (text := _decoded(data, "utf-8-sig")) is not None:
        return _newlines(text)
    else:
        text = _decoded(data, "cp1252")  # only when every byte is defined and no controls
    if text is None or _CONTROL.search(text):
        raise RejectedArticle(origin, UNREADABLE)
    return _newlines(text)


def _decoded(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([\w.:-]+)""", re.I)


def decode_html(data: bytes, origin: str, charset: str | None = None) -> str:
    """A BOM wins, then the declared charset (HTTP header or <meta>), then `decode`."""
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if charset is None and (m := _META_CHARSET.search(data[:4096])):
            charset = m.group(1).decode("ascii")
        try:
            return _newlines(data.decode(codecs.lookup(charset or "").name))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data, origin)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _strip_blank_lines(text: str) -> str:
    """Drop blank lines before and after the text; every other character is kept."""
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


# ---------------------------------------------------------------- metadata from the text

_CAPTION = re.compile(r"(©\s*\S[^©]{0,80}|\(Photo:[^()]*\)|Getty Images\.?)\s*$", re.I)
_BYLINES = [  # each names the outlet in group "s"
    re.compile(r"^·\s*(?P<s>[A-Z0-9][^·]{1,39})$"),  # "· France 24" (a middle dot, not a bullet)
    # "By Jane Doe, CNN", "By Jane Doe, John Roe and Ann Li, Reuters"
    re.compile(r"^By\s+[A-Z][^,]*(?:,\s*[A-Z][^,]*)*,\s*(?P<s>[A-Z][^,]{1,50})$"),
    re.compile(r"^Source:\s*(?P<s>\S.{1,59})$", re.I),  # "Source: Reuters"
    re.compile(r"^(?P<s>[A-Z][\w&.' ]{1,40}?)\s*[—–]$"),  # "CNN —" on its own line
    re.compile(r"^(?P<s>[A-Z]{2,6})\s*[—–]\s"),  # lead: "CNN — The Pentagon said..."
    re.compile(r"^[^()]{1,40}\((?P<s>[A-Z][\w&.' ]{1,30})\)\s*[—–]\s"),  # "Washington (CNN) —"
]


def _byline_source(line: str) -> str | None:
    if len(line) <= 100:
        for pattern in _BYLINES:
            if m := pattern.match(line):
                return m.group("s").strip().rstrip(".") or None
    return None


def detect_source(text: str) -> str | None:
    """The outlet named by a byline among the first 10 non-empty lines, else None."""
    lines = [line.strip() for line in text.split("\n") if line.strip()][:10]
    return next((source for line in lines if (source := _byline_source(line))), None)


def guess_title(text: str) -> str | None:
    """The first non-empty line that is neither a photo caption nor a byline, shortened."""
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line and not _CAPTION.search(line) and not _byline_source(line):
            if len(line) > TITLE_MAX:
                cut = line[:TITLE_MAX].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
                line = (cut or line[:TITLE_MAX]) + "…"
            return line
    return None


def slugify(stem: str) -> str:
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")


def _opt_text(value: object, name: str, *, numbers: bool = False) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"'{name}' must be a string, not {type(value).__name__}")


def parse_date(value: object) -> str | None:
    """YYYY-MM-DD, ISO datetime strings, date or datetime objects -> 'YYYY-MM-DD'."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        for parse in (dt.date.fromisoformat, lambda s: dt.datetime.fromisoformat(s).date()):
            try:
                return parse(value.strip()).isoformat()
            except ValueError:
                pass
    raise ValueError(f"date '{value}' is not a date (use YYYY-MM-DD)")


# ---------------------------------------------------------------- one parser per format


def parse_text(text: str, *, stem: str, origin: str) -> Article:
    body = _strip_blank_lines(text)
    if not body.strip():
        raise RejectedArticle(origin, "empty file")
    doc_id = slugify(stem) or article_id(body)
    title = guess_title(body) or doc_id
    return Article(id=doc_id, title=title, source=detect_source(body), text=body)


def split_front_matter(text: str, origin: str) -> tuple[dict, str]:
    """(front matter, body) of a Markdown text; ({}, text) when it does not start with '---'."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        raise RejectedArticle(origin, "malformed front matter: no closing '---' line")
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise RejectedArticle(origin, f"malformed front matter: {problem}{where}") from None
    except ValueError as exc:  # "date: 2024-13-45" fails inside the YAML loader
        raise RejectedArticle(origin, f"malformed front matter: {exc}") from None
    if not isinstance(meta, dict | None):
        reason = f"malformed front matter: expected 'key: value' lines, got a {type(meta).__name__}"
        raise RejectedArticle(origin, reason)
    return meta or {}, "\n".join(lines[end + 1 :])


def parse_markdown(text: str, *, stem: str, origin: str) -> Article:
    meta, body = split_front_matter(text, origin)
    body = _strip_blank_lines(body)
    if not body.strip():
        raise RejectedArticle(origin, "no article text after the front matter")
    try:
        keys = ("id", "title", "source", "url", "language")
        fields = {key: _opt_text(meta.get(key), key, numbers=True) for key in keys}
    except ValueError as exc:
        raise RejectedArticle(origin, f"front matter field {exc}") from None
    try:
        date = parse_date(meta.get("date"))
    except ValueError as exc:
        raise RejectedArticle(origin, str(exc)) from None
    doc_id = fields.pop("id") or slugify(stem) or article_id(body)
    title = fields.pop("title") or guess_title(body) or doc_id
    fields["source"] = fields["source"] or detect_source(body)
    return Article(id=doc_id, title=title, date=date, text=body, **fields)


def parse_html(html: str, *, stem: str | None, origin: str, url: str | None = None) -> Article:
    """Main text via trafilatura, which gives one line per paragraph: join them with blank lines."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False,
            favor_precision=True,
            # metadata only: the default "extensive search" takes any date found in the body
            date_extraction_params={"extensive_search": False, "original_date": True},
        )  # fmt: skip
    except Exception:  # trafilatura raises ValueError (and others) on hostile markup
        doc = None
    lines = [line.strip() for line in ((doc and doc.text) or "").split("\n")]
    body = "\n\n".join(line for line in lines if line)
    if not body:
        raise RejectedArticle(origin, "no article text found in the HTML")
    try:
        date = parse_date(doc.date)
    except ValueError:
        date = None  # a date trafilatura could not read is no reason to refuse the article
    doc_id = (stem and slugify(stem)) or article_id(body)
    return Article(
        id=doc_id,
        title=(doc.title or "").strip() or guess_title(body) or doc_id,
        source=doc.sitename or doc.hostname or None,
        date=date,
        url=url or doc.url or None,
        language=doc.language or None,
        text=body,
    )


def parse_jsonl(text: str, *, origin: str) -> _Parsed:
    """One article per line; a bad line is rejected as 'origin:LINE', the others still load."""
    items: _Items = []
    rejections: list[Rejection] = []
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            try:
                items.append((f"{origin}:{number}", _jsonl_article(line)))
            except ValueError as exc:
                rejections.append(Rejection(f"{origin}:{number}", f"line {number}: {exc}"))
    return items, rejections


def _jsonl_article(line: str) -> Article:
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        raise ValueError("not valid JSON") from None
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        raise ValueError(f"'text' must be a string, not {type(text).__name__}")
    text = _strip_blank_lines(_newlines(text or ""))
    if not text:
        raise ValueError("missing or empty 'text'")
    fields = {key: _opt_text(obj.get(key), key) for key in ("title", "source", "url", "language")}
    doc_id = _opt_text(obj.get("id"), "id", numbers=True) or article_id(text)
    date = parse_date(_opt_text(obj.get("date"), "date"))
    title = fields.pop("title") or guess_title(text) or doc_id
    return Article(id=doc_id, title=title, date=date, text=text, **fields)


# ---------------------------------------------------------------- dispatch and batches


def _wanted(name: str, origin: str) -> bool:
    """False for files skipped silently (.json); raises for unsupported types."""
    suffix = Path(name).suffix.lower()
    if suffix in SKIPPED:
        return False
    if suffix not in TEXT | MARKDOWN | HTML | JSONL:
        kind = f"unsupported file type '{suffix}'" if suffix else "file name has no extension"
        raise RejectedArticle(origin, f"{kind} ({USE})")
    return True


def parse_bytes(name: str, data: bytes, origin: str) -> _Parsed:
    """Decode and parse one file's bytes, by the suffix of `name`."""
    if not _wanted(name, origin):
        return [], []
    suffix, stem = Path(name).suffix.lower(), Path(name).stem
    text = decode_html(data, origin) if suffix in HTML else decode(data, origin)
    if not text.strip():
        raise RejectedArticle(origin, "empty file")
    if suffix in JSONL:
        return parse_jsonl(text, origin=origin)
    parse = parse_html if suffix in HTML else parse_markdown if suffix in MARKDOWN else parse_text
    return [(origin, parse(text, stem=stem, origin=origin))], []


class _Batch:
    """Collects one call's articles and rejections; drops duplicate ids (the last one wins)."""

    def __init__(self) -> None:
        self.items: _Items = []
        self.rejections: list[Rejection] = []

    def run(self, origin: str, work: Callable[..., _Parsed], *args: object) -> None:
        try:
            items, rejections = work(*args)
        except RejectedArticle as exc:
            self.rejections.append(Rejection(exc.origin, exc.reason))
        except Exception as exc:  # last line of defence: bad input never raises
            reason = f"could not be loaded ({type(exc).__name__}: {exc})".replace("\n", " ")
            self.rejections.append(Rejection(origin, reason))
        else:
            self.items += items
            self.rejections += rejections

    def finish(self) -> Loaded:
        last = {article.id: i for i, (_, article) in enumerate(self.items)}
        loaded = Loaded(rejections=list(self.rejections))
        for i, (origin, article) in enumerate(self.items):
            if last[article.id] == i:
                loaded.articles.append(article)
            else:
                reason = f"duplicate id '{article.id}' in this batch (the later one was kept)"
                loaded.rejections.append(Rejection(origin, reason))
        return loaded


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{round(n / 1_000_000, 1):g} MB"
    return f"{round(n / 1000, 1):g} kB" if n >= 1000 else f"{n} bytes"


def load_text(name: str, data: bytes, *, origin: str | None = None) -> Loaded:
    """An upload or stdin: only the basename of `name` counts (for the file type and the id)."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    base = base if base not in ("", ".", "..") else "upload"
    batch = _Batch()
    batch.run(origin or base, parse_bytes, base, data, origin or base)
    return batch.finish()


def load_paths(paths: Iterable[str | Path], *, max_bytes: int = 50_000_000) -> Loaded:
    """Files or folders (recursive, sorted, hidden files and folders skipped)."""
    batch = _Batch()
    for raw in [paths] if isinstance(paths, str | Path) else paths:
        path = Path(raw)
        for file in _walk(path, batch) if _is_dir(path) else [path]:
            batch.run(str(file), _load_file, file, max_bytes)
    return batch.finish()


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False  # _load_file reports it


def _walk(folder: Path, batch: _Batch) -> list[Path]:
    def unreadable(exc: OSError) -> None:
        batch.rejections.append(Rejection(str(exc.filename), f"cannot be read ({exc.strerror})"))

    found: list[Path] = []
    for root, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root, f) for f in files if not f.startswith(".")]
    return sorted(found)


def _load_file(path: Path, max_bytes: int) -> _Parsed:
    origin = str(path)
    try:
        if not path.exists():
            raise RejectedArticle(origin, "no such file or folder")
        if not _wanted(path.name, origin):
            return [], []
        if not path.is_file():
            raise RejectedArticle(origin, "not a regular file")
        if (size := path.stat().st_size) > max_bytes:
            reason = f"file is {_size(size)}, over the {_size(max_bytes)} limit"
            raise RejectedArticle(origin, reason)
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise RejectedArticle(origin, f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:  # it grew after the size check
        raise RejectedArticle(origin, f"file is over the {_size(max_bytes)} limit")
    return parse_bytes(path.name, data, origin)


# ---------------------------------------------------------------- URLs


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    local = ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
    return ip.is_global and not (local or ip.is_multicast or ip.is_unspecified)


def _check_link(link: str, origin: str, allow_private: bool) -> tuple[str, str, str]:
    """(scheme, host, address to connect to); refuses if any address of the host is not public."""
    try:
        parts = urlsplit(link)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
        host = host and host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise RejectedArticle(origin, f"'{link}' is not a valid link") from None
    if scheme not in ("http", "https"):
        reason = f"only http:// and https:// links can be fetched, not '{scheme or link}'"
        raise RejectedArticle(origin, reason)
    if not host:
        raise RejectedArticle(origin, f"the link '{link}' has no host name")
    try:
        port = port or (443 if scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [str(info[4][0]) for info in infos]
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise RejectedArticle(origin, f"the host '{host}' could not be found")
    for address in [] if allow_private else addresses:
        if not is_public_address(address):
            named = f"the host '{host}' resolves to {address}, which"
            named = f"'{host}'" if host == address else named
            reason = f"{named} is a private or local address and is not fetched"
            raise RejectedArticle(origin, reason)
    return scheme, host, next((a for a in addresses if ":" not in a), addresses[0])  # IPv4 first


def _netloc(host: str, port: int | None) -> str:
    return (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")


def fetch_url(
    url: str, *, max_bytes: int = 10_000_000, timeout: float = 15.0, allow_private: bool = False
) -> Loaded:
    """Fetch one public http(s) page and parse it as HTML. `allow_private` is for tests only.

    `timeout` bounds each network wait and also the whole fetch (redirects and body), so a
    server that drips bytes cannot hold the caller longer than that."""
    batch = _Batch()
    batch.run(url, _fetch, url, max_bytes, timeout, allow_private)
    return batch.finish()


def _fetch(url: str, max_bytes: int, timeout: float, allow_private: bool) -> _Parsed:
    import httpx

    link = url.strip()
    checked = _check_link(link, url, allow_private)  # refused before any client exists
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _ in range(6):  # the link and at most 5 redirects, each one checked
            scheme, host, address = checked
            # Connect to the address just checked (no second DNS answer), TLS still checks `host`.
            port = urlsplit(link).port
            target = urlunsplit(urlsplit(link)._replace(netloc=_netloc(address, port), fragment=""))
            headers = {"Host": _netloc(host, port), "User-Agent": "Verbatim/1.0",
                       "Accept": "text/html,application/xhtml+xml"}  # fmt: skip
            extensions = {"sni_hostname": host} if scheme == "https" else {}
            try:
                with client.stream("GET", target, headers=headers, extensions=extensions) as reply:
                    if not reply.has_redirect_location:
                        return _read_page(url, reply, max_bytes, deadline, timeout)
                    link = urljoin(link, reply.headers["location"])
            except httpx.TimeoutException:
                reason = f"the server did not answer within {timeout:g} seconds"
                raise RejectedArticle(url, reason) from None
            except httpx.HTTPError as exc:
                reason = f"the page could not be fetched ({str(exc) or type(exc).__name__})"
                raise RejectedArticle(url, reason) from None
            checked = _check_link(link, url, allow_private)
    raise RejectedArticle(url, "the link redirects too many times")


def _read_page(url: str, reply, max_bytes: int, deadline: float, timeout: float) -> _Parsed:
    """The body of `reply` (an httpx.Response), within the size limit and the fetch's deadline."""
    if reply.status_code >= 400:
        raise RejectedArticle(url, f"the server answered {reply.status_code} {reply.reason_phrase}")
    kind = reply.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind not in ("text/html", "application/xhtml+xml"):
        raise RejectedArticle(url, f"the link is not a web page (content type '{kind}')")
    length = reply.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        reason = f"the page is {_size(int(length))}, over the {_size(max_bytes)} limit"
        raise RejectedArticle(url, reason)
    data = bytearray()
    for chunk in reply.iter_bytes():
        data += chunk
        if len(data) > max_bytes:
            raise RejectedArticle(url, f"the page is over the {_size(max_bytes)} limit")
        if time.monotonic() > deadline:
            raise RejectedArticle(url, f"the page did not arrive within {timeout:g} seconds")
    html = decode_html(bytes(data), url, reply.charset_encoding)
    if not html.strip():
        raise RejectedArticle(url, "the page is empty")
    return [(url, parse_html(html, stem=None, origin=url, url=url))], []


# ---------------------------------------------------------------- streaming: the one add path


@dataclass(frozen=True)
class Upload:
    """A file's bytes from somewhere other than the disk (a bot upload, stdin)."""

    name: str
    data: bytes


Source = str | Path | Upload  # a file, a folder, an http(s) URL, or uploaded bytes
Item = tuple[str, Article] | Rejection  # (origin, article) or why something was refused


class Reading:
    """Articles from paths, folders, URLs and uploads, one at a time: a JSONL file is read a
    line at a time, so memory does not grow with the input. `done` / `total` count input
    bytes (files and uploads; URLs count nothing until fetched) for progress and ETA."""

    def __init__(self, sources: Iterable[Source], *, max_bytes: int = 50_000_000) -> None:
        self.max_bytes = max_bytes
        self.done = 0
        self.total = 0
        self._plan: list[Path | Upload | str] = []
        self._early: list[Rejection] = []
        batch = _Batch()
        for source in [sources] if isinstance(sources, str | Path | Upload) else sources:
            if isinstance(source, Upload):
                self._plan.append(source)
                self.total += len(source.data)
            elif isinstance(source, str) and "://" in source:
                self._plan.append(source)
            else:
                path = Path(source)
                for file in _walk(path, batch) if _is_dir(path) else [path]:
                    self._plan.append(file)
                    with contextlib.suppress(OSError):
                        self.total += file.stat().st_size
        self._early = batch.rejections

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None

    def files(self) -> list[Path]:
        return [what for what in self._plan if isinstance(what, Path)]

    def __iter__(self) -> Iterator[Item]:
        yield from self._early
        for what in self._plan:
            if isinstance(what, Path) and what.suffix.lower() in JSONL:
                yield from self._jsonl(what)
                continue
            if isinstance(what, Path):
                items, rejections = _parsed(str(what), _load_file, what, self.max_bytes)
                with contextlib.suppress(OSError):
                    self.done += what.stat().st_size
            elif isinstance(what, Upload):
                base = re.split(r"[\\/]", what.name or "")[-1].strip()
                base = base if base not in ("", ".", "..") else "upload"
                items, rejections = _parsed(base, parse_bytes, base, what.data, base)
                self.done += len(what.data)
            else:
                items, rejections = _parsed(str(what), _fetch, str(what), 10_000_000, 15.0, False)
            yield from rejections
            yield from items

    def _jsonl(self, path: Path) -> Iterator[Item]:
        origin = str(path)
        if not path.is_file():
            yield from _parsed(origin, _load_file, path, self.max_bytes)[1]  # says why
            return
        try:
            fh = path.open("rb")
        except OSError as exc:
            yield Rejection(origin, f"cannot be read ({exc.strerror or exc})")
            return
        with fh:
            try:
                head = fh.read(65536)
            except OSError as exc:
                yield Rejection(origin, f"cannot be read ({exc.strerror or exc})")
                return
            odd = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head
            if odd or (b"\r" in head and b"\n" not in head):  # not line-streamable: the whole-file path
                items, rejections = _parsed(origin, _load_file, path, self.max_bytes)
                self.done += len(head)
                yield from rejections
                yield from items
                return
            fh.seek(0)
            seen_text = False
            try:
                for number, raw in enumerate(fh, 1):
                    self.done += len(raw)
                    if number == 1:
                        raw = raw.removeprefix(codecs.BOM_UTF8)
                    where = f"{origin}:{number}"
                    if len(raw) > self.max_bytes:
                        yield Rejection(where, f"line {number}: over the {_size(self.max_bytes)} limit")
                        continue
                    line = _decoded(raw, "utf-8")
                    if line is None and ((line := _decoded(raw, "cp1252")) is None or _CONTROL.search(line)):
                        yield Rejection(where, f"line {number}: {UNREADABLE}")
                        continue
                    if not line.strip():
                        continue
                    seen_text = True
                    try:
                        yield (where, _jsonl_article(line.rstrip("\r\n")))
                    except ValueError as exc:
                        yield Rejection(where, f"line {number}: {exc}")
            except OSError as exc:
                yield Rejection(origin, f"cannot be read ({exc.strerror or exc})")
                return
            if not seen_text:
                yield Rejection(origin, "empty file")


def _parsed(origin: str, work: Callable[..., _Parsed], *args: object) -> _Parsed:
    """One source's (origin, article) items and rejections; bad input never raises."""
    batch = _Batch()
    batch.run(origin, work, *args)
    return batch.items, batch.rejections
