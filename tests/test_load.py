"""index/load.py: files, uploads and URLs -> Article values, every problem a Rejection."""

from __future__ import annotations

import http.server
import random
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

import pytest

from index import load
from index.load import Loaded, Rejection, article_id, fetch_url, load_paths, load_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "france24-north-korean-troops.md"
SEED_TITLE = "From isolation to battlefield: North Korean troops could face reality shock in Ukraine"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def one(loaded: Loaded):
    assert loaded.rejections == [], loaded.rejections
    assert len(loaded.articles) == 1
    return loaded.articles[0]


def rejected(loaded: Loaded) -> Rejection:
    assert loaded.articles == []
    assert len(loaded.rejections) == 1, loaded.rejections
    return loaded.rejections[0]


def seed_body() -> str:
    return SEED.read_text(encoding="utf-8").split("---\n", 2)[2]


# ------------------------------------------------------------------ the seed article


def test_seed_markdown():
    article = one(load_paths([SEED]))
    assert article.id == "france24-north-korean-troops"
    assert article.title == SEED_TITLE
    assert article.source == "France 24"
    assert article.date is None
    assert article.language == "en"
    assert article.text.startswith("North Korea's leader Kim Jong-Un")
    assert "purporetdly" in article.text
    assert article.text.endswith("For neither Kim nor Putin.”")
    # byte-for-byte: the body minus the blank line after the closing '---'
    assert article.text == seed_body().lstrip("\n")


def test_seed_as_plain_text(tmp_path):
    path = write(tmp_path, "france24.txt", seed_body())
    article = one(load_paths([path]))
    assert article.title == SEED_TITLE  # the photo caption ("© KCNA via KNS, AFP") is skipped
    assert article.source == "France 24"  # from the "· France 24" byline
    assert article.date is None
    assert article.id == "france24"
    assert article.text == seed_body().strip("\n")


def test_bundled_corpus_folder_loads():
    loaded = load_paths([ROOT / "corpus"])
    assert loaded.rejections == []
    assert [a.id for a in loaded.articles] == ["france24-north-korean-troops"]


# ------------------------------------------------------------------ .txt


def test_txt_keeps_markup_literally_and_has_no_date(tmp_path):
    text = "Troops arrive\n\nThe <b>first</b> troops arrived on 2024-10-08 &amp; more came.\n"
    article = one(load_paths([write(tmp_path, "Troops Arrive!.txt", text)]))
    assert "The <b>first</b> troops arrived on 2024-10-08 &amp; more came." in article.text
    assert article.title == "Troops arrive"
    assert article.source is None and article.date is None and article.url is None
    assert article.id == "troops-arrive"


@pytest.mark.parametrize(
    ("byline", "source"),
    [
        ("· France 24", "France 24"),
        ("By Jane Doe, CNN", "CNN"),
        ("By Jane Doe and John Roe, Reuters", "Reuters"),
        ("CNN —", "CNN"),
        ("Source: Reuters", "Reuters"),
        ("Washington (CNN) — The Pentagon confirmed the deployment.", "CNN"),
        ("By the end of the week, more had come.", None),
        ("NEW YORK — The news came late.", None),
        ("• Russia denies the reports.", None),
    ],
)
def test_txt_byline_names_the_outlet(byline, source):
    article = one(load_text("a.txt", f"Headline here\n\n{byline}\n\nBody text follows.".encode()))
    assert article.source == source
    assert article.title == "Headline here"


def test_txt_byline_after_ten_lines_is_ignored():
    text = "\n".join(f"Line {i}." for i in range(12)) + "\n· France 24\n"
    assert one(load_text("a.txt", text.encode())).source is None


@pytest.mark.parametrize(
    "caption",
    [
        "Kim Jong-Un inspects troops on October 2, 2024. © KCNA via KNS, AFP",
        "A satellite image shows troop transfers by boat. © NIS",
        "Soldiers at a base in Kursk (Photo: Reuters)",
        "Soldiers at a base in Kursk. Getty Images",
    ],
)
def test_txt_title_skips_photo_captions(caption):
    article = one(load_text("a.txt", f"{caption}\n\nThe real headline\n\nBody.".encode()))
    assert article.title == "The real headline"
    assert article.text.startswith(caption)


def test_txt_long_title_is_cut_at_a_word_only_in_the_title():
    first = " ".join(["word"] * 80)  # 399 characters
    article = one(load_text("long.txt", f"{first}\n\nBody.".encode()))
    assert article.title.endswith("…")
    assert len(article.title) <= 201
    assert article.title[:-1].split(" ") == ["word"] * len(article.title[:-1].split(" "))
    assert article.text.startswith(first + "\n")


def test_txt_title_falls_back_to_id_when_every_line_is_a_caption():
    article = one(load_text("pics.txt", b"Troops on parade. \xc2\xa9 KCNA"))
    assert article.title == "pics"


def test_txt_text_is_kept_except_outer_blank_lines():
    text = "\n\n  Title  \n\nPara one.   \n\n\n\tIndented para two.  \n\n"
    article = one(load_text("a.txt", text.encode()))
    assert article.text == "  Title  \n\nPara one.   \n\n\n\tIndented para two.  "
    assert article.title == "Title"


# ------------------------------------------------------------------ .md


def test_md_front_matter_fields_and_verbatim_body(tmp_path):
    md = (
        "---\n"
        "id: custom-id\n"
        "title: '  A title  '\n"
        "source: CNN\n"
        "date: 2024-10-24\n"
        "url: https://example.com/a\n"
        "language: en\n"
        "tags: [ignored, unknown]\n"
        "---\n"
        "\n"
        "\n"
        "**Bold** lead,  with  double spaces.\n"
        "\n"
        "> A quote.   \n"
        "Last line no newline"
    )
    article = one(load_paths([write(tmp_path, "x.md", md)]))
    assert article.id == "custom-id"
    assert article.title == "A title"
    assert (article.source, article.date, article.url, article.language) == (
        "CNN",
        "2024-10-24",
        "https://example.com/a",
        "en",
    )
    body = "**Bold** lead,  with  double spaces.\n\n> A quote.   \nLast line no newline"
    assert article.text == body


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2024-10-24", "2024-10-24"),
        ("'2024-10-24'", "2024-10-24"),
        ("2024-10-24T10:30:00Z", "2024-10-24"),
        ("2024-10-24 10:30:00", "2024-10-24"),
        ("'2024-10-24T10:30:00+02:00'", "2024-10-24"),
        ("", None),
    ],
)
def test_md_dates(value, iso):
    article = one(load_text("a.md", f"---\ndate: {value}\n---\nBody.".encode()))
    assert article.date == iso


def test_md_without_front_matter_takes_title_from_heading():
    article = one(load_text("Notes.markdown", b"# The Heading\n\nBy Jane Doe, BBC\n\nBody *text*."))
    assert article.title == "The Heading"
    assert article.source == "BBC"
    assert article.text == "# The Heading\n\nBy Jane Doe, BBC\n\nBody *text*."
    assert article.id == "notes"


def test_md_without_title_uses_first_line_and_stem_id():
    article = one(load_text("My Story.md", b"---\nsource: AFP\n---\n\nFirst line\nSecond."))
    assert (article.title, article.id, article.source) == ("First line", "my-story", "AFP")


NOT_A_MAPPING = "malformed front matter: expected 'key: value' lines,"


@pytest.mark.parametrize(
    ("md", "reason"),
    [
        ("---\ntitle: [unclosed\n---\nBody.", "malformed front matter: "),
        ("---\ntitle: a: b\n---\nBody.", "malformed front matter: "),
        ("---\n- a\n---\nBody.", f"{NOT_A_MAPPING} got a list"),
        ("---\njust a string\n---\nBody.", f"{NOT_A_MAPPING} got a str"),
        ("---\ntitle: T\nNo closing line.", "malformed front matter: no closing '---' line"),
        ("---\ndate: yesterday\n---\nBody.", "date 'yesterday' is not a date (use YYYY-MM-DD)"),
        ("---\ndate: 2024\n---\nBody.", "date '2024' is not a date (use YYYY-MM-DD)"),
        ("---\ndate: 2024-13-45\n---\nBody.", "malformed front matter: "),
        ("---\ntitle: [a, b]\n---\nBody.", "front matter field 'title' must be a string, not list"),
        ("---\ntitle: T\n---\n\n  \n", "no article text after the front matter"),
    ],
)
def test_md_rejections(md, reason):
    rejection = rejected(load_text("bad.md", md.encode()))
    assert rejection.origin == "bad.md"
    assert rejection.reason.startswith(reason)
    assert "\n" not in rejection.reason


def test_md_yaml_error_names_the_file_line():
    rejection = rejected(load_text("bad.md", b"---\ntitle: ok\nsource: [x\n---\nBody."))
    assert rejection.reason.startswith("malformed front matter:")
    assert "(line " in rejection.reason


def test_md_yaml_is_loaded_safely():
    md = b"---\ntitle: !!python/object/apply:os.system ['echo hacked']\n---\nBody."
    assert rejected(load_text("evil.md", md)).reason.startswith("malformed front matter:")


# ------------------------------------------------------------------ .html

ARTICLE_HTML = """<!doctype html>
<html lang="en"><head>
<title>Kim inspects troops | France 24</title>
<meta property="og:site_name" content="France 24">
<meta property="article:published_time" content="2024-10-24T10:00:00Z">
<link rel="canonical" href="https://www.france24.com/en/asia/20241024-kim">
<script>var tracker = "SCRIPT_JUNK"; window.dataLayer = [];</script>
<style>.x { color: red } /* STYLE_JUNK */</style>
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article>
<h1>Kim inspects troops</h1>
<p>North Korea's leader Kim Jong-Un posed with troops during an inspection at a military
training base on October 2, 2024. The pictures were released by state media on Thursday.</p>
<p>"There is evidence that there are DPRK troops in Russia," US Defense Minister Lloyd Austin
said on Wednesday, for the first time confirming an October 18 report by South Korea.</p>
<img src="https://track.example.com/pixel.gif?id=PIXEL_JUNK" width="1" height="1" alt="">
<script>document.write("INLINE_SCRIPT_JUNK")</script>
<noscript><img src="https://track.example.com/noscript.gif?PIXEL2_JUNK"></noscript>
<p>Shortly afterwards, NATO also confirmed it had evidence of a North Korean troop deployment
to Russia, calling it a significant escalation of Pyongyang's support for Moscow.</p>
</article>
<footer>Copyright FOOTER_JUNK</footer>
</body></html>
"""


def test_html_main_text_and_metadata(tmp_path):
    article = one(load_paths([write(tmp_path, "kim.html", ARTICLE_HTML)]))
    assert article.id == "kim"
    assert article.title == "Kim inspects troops"
    assert article.source == "France 24"
    assert article.date == "2024-10-24"
    assert article.url == "https://www.france24.com/en/asia/20241024-kim"
    for junk in ("JUNK", "tracker", "dataLayer", "pixel", "<", "Home"):
        assert junk not in article.text
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0] == "Kim inspects troops"
    assert paragraphs[1].startswith("North Korea's leader Kim Jong-Un posed with troops")
    assert "military training base" in paragraphs[1]  # the newline inside <p> is a space
    assert paragraphs[-1].endswith("support for Moscow.")
    assert "\n\n\n" not in article.text


def test_html_date_is_never_guessed_from_the_body():
    meta = '<meta property="article:published_time" content="2024-10-24T10:00:00Z">'
    html = ARTICLE_HTML.replace(meta, "")
    html = html.replace("20241024-kim", "kim")
    article = one(load_text("kim.htm", html.encode()))
    assert article.date is None  # not "2024-10-02" from the body text


def test_html_without_text_is_rejected():
    html = (
        b"<html><head><script>var x = 'Some script text';</script></head><body>"
        b"<nav><a href=/>Home</a> <a href=/world>World</a></nav>"
        b"<footer>Copyright 2024 Example Corp. All rights reserved.</footer></body></html>"
    )
    rejection = rejected(load_text("empty.html", html))
    assert rejection.reason == "no article text found in the HTML"


def test_html_meta_charset_is_honoured():
    html = ARTICLE_HTML.replace("<head>", '<head><meta charset="iso-8859-1">')
    html = html.replace("Moscow", "Moscou, café")
    article = one(load_text("kim.html", html.encode("latin-1")))
    assert "Moscou, café." in article.text


# ------------------------------------------------------------------ .jsonl


def test_jsonl_two_good_two_broken_lines(tmp_path):
    lines = [
        '{"id": "a", "title": "A", "source": "AFP", "date": "2024-10-24", "url": "https://x/a",'
        ' "text": "Alpha text.", "extra": 1}',
        "",
        "{not json",
        '{"title": "B", "text": "Beta text.\\r\\nSecond line."}',
        '{"id": "c", "title": "C"}',
        "   ",
    ]
    path = write(tmp_path, "batch.jsonl", "\n".join(lines) + "\n")
    loaded = load_paths([path])
    assert [a.id for a in loaded.articles] == ["a", article_id("Beta text.\nSecond line.")]
    a, b = loaded.articles
    assert (a.title, a.source, a.date, a.url) == ("A", "AFP", "2024-10-24", "https://x/a")
    assert a.text == "Alpha text."
    assert b.text == "Beta text.\nSecond line." and b.source is None and b.date is None
    assert loaded.rejections == [
        Rejection(f"{path}:3", "line 3: not valid JSON"),
        Rejection(f"{path}:5", "line 5: missing or empty 'text'"),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[1, 2]", "line 1: not a JSON object"),
        ('"text"', "line 1: not a JSON object"),
        ('{"text": "   "}', "line 1: missing or empty 'text'"),
        ('{"text": 42}', "line 1: 'text' must be a string, not int"),
        ('{"text": "t", "title": ["x"]}', "line 1: 'title' must be a string, not list"),
        ('{"text": "t", "source": {"name": "x"}}', "line 1: 'source' must be a string, not dict"),
        ('{"text": "t", "id": true}', "line 1: 'id' must be a string, not bool"),
        ('{"text": "t", "date": "soon"}', "line 1: date 'soon' is not a date (use YYYY-MM-DD)"),
        ('{"text": "t", "date": 20241024}', "line 1: 'date' must be a string, not int"),
        ("[" * 100_000, "line 1: not valid JSON"),
    ],
)
def test_jsonl_bad_lines(line, reason):
    assert rejected(load_text("f.jsonl", line.encode())) == Rejection("f.jsonl:1", reason)


def test_jsonl_numeric_id_and_title_fallback():
    article = one(load_text("f.jsonl", b'{"id": 7, "text": "First line\\n\\nBody."}'))
    assert (article.id, article.title) == ("7", "First line")


def test_jsonl_only_blank_lines_is_empty():
    assert rejected(load_text("f.jsonl", b"\n  \n")).reason == "empty file"


# ------------------------------------------------------------------ duplicate ids


def test_duplicate_ids_across_a_batch_keep_the_last(tmp_path):
    first = write(tmp_path, "a/story.txt", "Old headline\n\nOld body.")
    second = write(tmp_path, "b/story.md", "---\ntitle: New\n---\nNew body.")
    jsonl = write(tmp_path, "c.jsonl", '{"id": "x", "text": "one"}\n{"id": "x", "text": "two"}\n')
    loaded = load_paths([first, second, jsonl])
    assert [(a.id, a.text) for a in loaded.articles] == [("story", "New body."), ("x", "two")]
    assert loaded.rejections == [
        Rejection(str(first), "duplicate id 'story' in this batch (the later one was kept)"),
        Rejection(f"{jsonl}:1", "duplicate id 'x' in this batch (the later one was kept)"),
    ]


def test_same_ids_in_separate_calls_are_not_duplicates(tmp_path):
    path = write(tmp_path, "story.txt", "Body.")
    assert one(load_paths([path])).id == one(load_paths([path])).id == "story"


# ------------------------------------------------------------------ encodings


def test_nul_bytes_are_binary():
    rejection = rejected(load_text("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    assert rejection.reason == "binary data, not text (the file contains NUL bytes)"


def test_cp1252_is_accepted_when_clean():
    data = "Caf\xe9 \u201cquoted\u201d \u2013 na\xefve".encode("cp1252")
    assert one(load_text("a.txt", data)).text == "Café “quoted” – naïve"


@pytest.mark.parametrize(
    "data",
    [
        b"\x81\x8d\x8f\x90\x9d garbage",  # bytes cp1252 does not define
        b"caf\xe9\x01\x02\x03 control characters",  # decodes as cp1252 but is not text
        bytes(range(1, 256)) * 4,
    ],
)
def test_invalid_utf8_garbage_is_rejected(data):
    reason = rejected(load_text("a.txt", data)).reason
    assert reason == "not valid text (binary or unknown encoding)"


def test_utf8_bom_is_stripped():
    article = one(load_text("a.md", "\ufeff---\ntitle: T\n---\nBody.".encode()))
    assert (article.title, article.text) == ("T", "Body.")


def test_utf16_with_bom():
    article = one(load_text("a.txt", "Titre\r\n\r\nCorps du texte, déjà.".encode("utf-16")))
    assert article.text == "Titre\n\nCorps du texte, déjà."


def test_crlf_and_cr_become_lf():
    article = one(load_text("a.txt", b"Title\r\n\r\nLine one.\rLine two.\r\n"))
    assert article.text == "Title\n\nLine one.\nLine two."
    md = one(load_text("a.md", b"---\r\ntitle: T\r\n---\r\n\r\nBody.\r\nMore."))
    assert (md.title, md.text) == ("T", "Body.\nMore.")


# ------------------------------------------------------------------ files and folders


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n  "])
@pytest.mark.parametrize("name", ["e.txt", "e.md", "e.html", "e.jsonl"])
def test_empty_files(tmp_path, name, content):
    path = write(tmp_path, name, content)
    assert rejected(load_paths([path])) == Rejection(str(path), "empty file")


def test_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(100_000_000)  # sparse: nothing is written
    monkeypatch.setattr(Path, "open", lambda *a, **k: pytest.fail("the file was opened"))
    rejection = rejected(load_paths([path]))
    assert rejection.reason == "file is 100 MB, over the 50 MB limit"


def test_small_size_limit(tmp_path):
    path = write(tmp_path, "a.txt", "x" * 2000)
    reason = rejected(load_paths([path], max_bytes=1500)).reason
    assert reason == "file is 2 kB, over the 1.5 kB limit"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("scan.pdf", "unsupported file type '.pdf' (use .txt, .md, .html or .jsonl)"),
        ("NOTES.DOCX", "unsupported file type '.docx' (use .txt, .md, .html or .jsonl)"),
        ("README", "file name has no extension (use .txt, .md, .html or .jsonl)"),
    ],
)
def test_unsupported_types(tmp_path, name, reason):
    path = write(tmp_path, name, b"%PDF-1.4")
    assert rejected(load_paths([path])) == Rejection(str(path), reason)


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.txt"
    assert rejected(load_paths([missing])) == Rejection(str(missing), "no such file or folder")
    folder = tmp_path / "no-folder"
    assert rejected(load_paths([str(folder)])) == Rejection(str(folder), "no such file or folder")


def test_folder_is_recursive_sorted_and_skips_hidden_and_json(tmp_path):
    write(tmp_path, "b.txt", "B")
    write(tmp_path, "a/z.md", "Z")
    write(tmp_path, "a/deeper/y.jsonl", '{"id": "y", "text": "Y"}')
    write(tmp_path, "c.HTML", ARTICLE_HTML)
    write(tmp_path, "verdicts.json", '{"@type": "ClaimReview"}')
    write(tmp_path, ".hidden.txt", "H")
    write(tmp_path, ".git/objects/x.txt", "G")
    write(tmp_path, "a/.cache/w.txt", "W")
    loaded = load_paths([tmp_path])
    assert loaded.rejections == []
    assert [a.id for a in loaded.articles] == ["y", "z", "b", "c"]


def test_json_is_skipped_silently_even_when_named(tmp_path):
    assert load_paths([write(tmp_path, "claims.json", "not even json")]) == Loaded([], [])
    assert load_text("claims.json", b"{}") == Loaded([], [])


def test_single_path_string_is_one_path(tmp_path):
    path = write(tmp_path, "story.txt", "Body.")
    assert one(load_paths(str(path))).id == "story"


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, "locked.txt", "secret")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    expected = Rejection(str(path), "cannot be read (Permission denied)")
    assert rejected(load_paths([path])) == expected


# ------------------------------------------------------------------ uploads


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "..\\..\\etc\\passwd.txt", "/etc/passwd.txt"])
def test_upload_name_is_only_a_basename(name, monkeypatch):
    monkeypatch.setattr(Path, "read_bytes", lambda *a: pytest.fail("disk was read"))
    monkeypatch.setattr(Path, "open", lambda *a, **k: pytest.fail("disk was opened"))
    article = one(load_text(name, b"Uploaded headline\n\nBody."))
    assert article.id == "passwd"
    assert article.text == "Uploaded headline\n\nBody."


def test_upload_origin_and_odd_names():
    assert rejected(load_text("../..", b"Body.")).reason.startswith("file name has no extension")
    assert rejected(load_text("x.exe", b"MZ", origin="telegram:42")).origin == "telegram:42"
    assert one(load_text("Été 2024 — Résumé.txt", b"Body.")).id == "ete-2024-resume"
    assert one(load_text("\u0432\u043e\u0439\u043d\u0430.txt", b"Body.")).id == article_id("Body.")


def test_article_id_is_stable():
    assert article_id("Body.") == article_id("Body.")
    assert article_id("Body.").startswith("doc-") and len(article_id("Body.")) == 20
    assert article_id("Body.") != article_id("Body!")


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".jsonl"])
def test_no_exception_escapes_for_random_bytes(suffix):
    rng = random.Random(suffix)
    inputs: list[bytes] = []
    for size in (1, 10, 300, 5000):
        for _ in range(5):
            data = bytes(rng.randrange(256) for _ in range(size))
            inputs.append(data)
    for text in ("---\n---\n", "---", "<", "<html>" * 2000, "{}", "\x0c", "\u2028\u2029", "#"):
        inputs.append(text.encode())
    for data in inputs:
        loaded = load_text("r" + suffix, data)
        # every refusal is a known one, not the catch-all for unexpected exceptions
        assert not any(r.reason.startswith("could not be loaded") for r in loaded.rejections)


# ------------------------------------------------------------------ URLs


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to build an HTTP client or open a socket fails the test."""
    import httpx

    monkeypatch.setattr(httpx, "Client", lambda *a, **k: pytest.fail("an HTTP client was created"))
    fail = lambda *a, **k: pytest.fail("a socket was opened")  # noqa: E731
    monkeypatch.setattr(socket, "create_connection", fail)


def fake_dns(monkeypatch, table: dict[str, list[str]]) -> list[str]:
    """Answer lookups from `table` only; returns the list of names looked up."""
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "only http:// and https:// links can be fetched, not 'file'"),
        ("ftp://example.com/a.html", "only http:// and https:// links can be fetched, not 'ftp'"),
        ("javascript:alert(1)", "only http:// and https:// links can be fetched, not 'javascript'"),
        ("http://127.0.0.1/", "'127.0.0.1' is a private or local address and is not fetched"),
        ("http://10.0.0.1/", "'10.0.0.1' is a private or local address and is not fetched"),
        ("http://169.254.169.254/latest/meta-data", "'169.254.169.254' is a private or local"),
        ("http://[::1]:8080/", "'::1' is a private or local address and is not fetched"),
        ("http://[::ffff:10.0.0.1]/", "'::ffff:10.0.0.1' is a private or local address"),
        ("http://0.0.0.0/", "'0.0.0.0' is a private or local address"),
        ("http:///path", "has no host name"),
        ("http://[::1/", "is not a valid link"),
    ],
)
def test_fetch_refuses_without_connecting(url, reason, no_network, monkeypatch):
    fake_dns(monkeypatch, {"127.0.0.1": ["127.0.0.1"], "10.0.0.1": ["10.0.0.1"], "::1": ["::1"],
                           "169.254.169.254": ["169.254.169.254"], "0.0.0.0": ["0.0.0.0"],
                           "::ffff:10.0.0.1": ["::ffff:10.0.0.1"]})  # fmt: skip
    rejection = rejected(fetch_url(url))
    assert rejection.origin == url
    assert reason in rejection.reason


def test_fetch_refuses_localhost(no_network, monkeypatch):
    fake_dns(monkeypatch, {"localhost": ["127.0.0.1", "::1"]})
    reason = rejected(fetch_url("http://localhost/")).reason
    assert reason == (
        "the host 'localhost' resolves to 127.0.0.1, which is a private or local address and is not fetched"
    )


def test_fetch_checks_every_resolved_address(no_network, monkeypatch):
    fake_dns(monkeypatch, {"news.example": ["93.184.216.34", "192.168.1.10"]})
    assert "192.168.1.10" in rejected(fetch_url("https://news.example/story")).reason


def test_fetch_unknown_host(no_network, monkeypatch):
    fake_dns(monkeypatch, {})
    reason = rejected(fetch_url("https://nowhere.invalid/")).reason
    assert reason == "the host 'nowhere.invalid' could not be found"


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves `routes`: path -> (status, headers, body); a list body is sent without a length."""

    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes | list[bytes]]]] = {}

    def do_GET(self):
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if isinstance(body, bytes):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for piece in [body] if isinstance(body, bytes) else body:
            self.wfile.write(piece)
            self.wfile.flush()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    html = {"Content-Type": "text/html; charset=utf-8"}
    _Handler.routes = {
        "/story": (200, html, ARTICLE_HTML.encode()),
        "/moved": (302, {"Location": "/story"}, b""),
        "/to-private": (302, {"Location": "http://10.0.0.1/admin"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4"),
        "/big": (200, html, b"<p>" + b"x" * 5000 + b"</p>"),
        "/stream": (200, html, [b"<p>" + b"x" * 600, b"y" * 600, b"z" * 600 + b"</p>"]),
        "/blank": (200, html, b"<html><body></body></html>"),
    }
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_success_against_local_server(server):
    url = server + "/story"
    article = one(fetch_url(url, allow_private=True))
    assert article.url == url
    assert article.id == article_id(article.text)
    assert (article.title, article.source) == ("Kim inspects troops", "France 24")
    assert article.date == "2024-10-24"
    assert "JUNK" not in article.text and "\n\n" in article.text


def test_fetch_follows_redirects(server):
    article = one(fetch_url(server + "/moved", allow_private=True))
    assert article.url == server + "/moved"
    assert article.title == "Kim inspects troops"


def test_fetch_checks_each_redirect(server, monkeypatch):
    monkeypatch.setattr(load, "is_public_address", lambda address: address == "127.0.0.1")
    fake_dns(monkeypatch, {"127.0.0.1": ["127.0.0.1"], "10.0.0.1": ["10.0.0.1"]})
    reason = rejected(fetch_url(server + "/to-private")).reason
    assert reason == "'10.0.0.1' is a private or local address and is not fetched"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "the server answered 404 Not Found"),
        ("/pdf", "the link is not a web page (content type 'application/pdf')"),
        ("/big", "the page is 5 kB, over the 1 kB limit"),  # from Content-Length
        ("/stream", "the page is over the 1 kB limit"),  # counted while streaming
        ("/loop", "the link redirects too many times"),
        ("/blank", "no article text found in the HTML"),
    ],
)
def test_fetch_failures(server, path, reason):
    assert rejected(fetch_url(server + path, allow_private=True, max_bytes=1000)).reason == reason


def test_fetch_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection but never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        reason = rejected(fetch_url(url, allow_private=True, timeout=0.3)).reason
    finally:
        listener.close()
    assert reason == "the server did not answer within 0.3 seconds"


def test_https_connects_to_the_checked_address_and_verifies_the_name(tmp_path, monkeypatch):
    """The host is looked up once; the connection goes to that address; TLS checks the name."""
    openssl = shutil.which("openssl") or pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", key,
         "-out", cert, "-subj", "/CN=news.test", "-addext", "subjectAltName=DNS:news.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    seen_hosts: list[str] = []

    class Handler(_Handler):
        def do_GET(self):
            seen_hosts.append(self.headers["Host"])
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    Handler.routes = {"/story": (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())}
    names = ("news.test", "other.test", "127.0.0.1")
    asked = fake_dns(monkeypatch, {name: ["127.0.0.1"] for name in names})
    import httpx

    client = httpx.Client
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(httpx, "Client", lambda **kwargs: client(verify=trusting, **kwargs))
    try:
        article = one(fetch_url(f"https://news.test:{port}/story", allow_private=True))
        wrong = rejected(fetch_url(f"https://other.test:{port}/story", allow_private=True))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert article.url == f"https://news.test:{port}/story"
    assert article.title == "Kim inspects troops"
    assert seen_hosts == [f"news.test:{port}"]
    assert asked.count("news.test") == 1  # no second lookup that could answer differently
    assert "certificate" in wrong.reason and "other.test" in wrong.reason


def test_heavy_imports_are_lazy():
    code = "import sys, index.load; print('trafilatura' in sys.modules, 'httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr
