"""parse_mail and decode_header_text on generated messages, one pitfall (ingest.md B1-B32) each."""

from __future__ import annotations

import base64
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mail_samples import (
    Attachment,
    Encoding,
    FilenamePlace,
    FilenameStyle,
    build_submission,
    encoded_word,
)
from tdl_inbox.adapters.mime import ParsedMail, decode_header_text, parse_mail

SUBJECT = "Теория 2 - Иван Иванов"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def names(parsed: ParsedMail) -> list[str]:
    return [a.filename for a in parsed.attachments]


# --- subjects -------------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["utf-8", "koi8-r", "windows-1251"])
@pytest.mark.parametrize("encoding", ["B", "Q"])
def test_cyrillic_encoded_subject(charset: str, encoding: Encoding) -> None:
    raw = build_submission(SUBJECT, subject_charset=charset, subject_encoding=encoding)
    parsed = parse_mail(raw)
    assert parsed.subject == SUBJECT
    assert parsed.defects == ()


@pytest.mark.parametrize("charset", ["utf-8", "cp1251", "koi8-r"])
def test_raw_8bit_subject_is_decoded(charset: str) -> None:
    parsed = parse_mail(build_submission(SUBJECT.encode(charset)))
    assert parsed.subject == SUBJECT


def test_raw_cp1251_subject_is_recorded_as_defect() -> None:
    parsed = parse_mail(build_submission(SUBJECT.encode("cp1251")))
    assert "Subject: raw 8-bit text decoded as cp1251" in parsed.defects


def test_raw_8bit_subject_uses_the_body_charset_when_ambiguous() -> None:
    """Two capital letters alone cannot tell koi8-r from cp1251; the body's label can."""
    raw = build_submission("ДЗ".encode("koi8-r")).replace(b"charset=utf-8", b"charset=koi8-r")
    assert parse_mail(raw).subject == "ДЗ"


def test_raw_big5_subject_uses_the_body_charset() -> None:
    subject = "新片又到"
    raw = build_submission(subject.encode("big5")).replace(b"charset=utf-8", b"charset=big5")
    assert parse_mail(raw).subject == subject


def test_raw_latin1_subject_is_not_taken_for_cyrillic() -> None:
    parsed = parse_mail(build_submission("Formação Verão Müller".encode("latin-1")))
    assert parsed.subject == "Formação Verão Müller"


@pytest.mark.parametrize("label", ["x-unknown", "cp1251-typo", "unknown-8bit"])
def test_unknown_charset_falls_back_and_is_recorded(label: str) -> None:
    word = encoded_word(SUBJECT, "cp1251").replace("=?cp1251?", f"=?{label}?")
    parsed = parse_mail(build_submission(word))
    assert parsed.subject == SUBJECT
    assert f"Subject: unknown charset {label!r}, decoded as cp1251" in parsed.defects


def test_misspelled_cp1251_label_is_understood() -> None:
    word = encoded_word(SUBJECT, "cp1251").replace("=?cp1251?", "=?cp-1251?")
    parsed = parse_mail(build_submission(word))
    assert parsed.subject == SUBJECT
    assert parsed.defects == ()


def test_lying_utf8_label_over_cp1251_bytes() -> None:
    word = encoded_word(SUBJECT, "cp1251").replace("=?cp1251?", "=?UTF-8?")
    parsed = parse_mail(build_submission(word))
    assert parsed.subject == SUBJECT
    assert any("not valid 'utf-8'" in d for d in parsed.defects)


def test_multibyte_character_split_across_encoded_words() -> None:
    data = "Иван".encode()
    first = base64.b64encode(data[:3]).decode()
    second = base64.b64encode(data[3:]).decode()
    subject = f"=?UTF-8?B?{first}?=\r\n =?UTF-8?B?{second}?="
    assert parse_mail(build_submission(subject)).subject == "Иван"


def test_whitespace_between_encoded_words_is_dropped_but_not_around_text() -> None:
    value = f"Theory 2 - {encoded_word('Иван')} {encoded_word('Иванов')} (group 3)"
    assert decode_header_text(value) == "Theory 2 - ИванИванов (group 3)"


def test_encoded_word_glued_to_text() -> None:
    value = f"Theory 2 -{encoded_word('Иван')}Ivanov"
    assert decode_header_text(value) == "Theory 2 -ИванIvanov"


def test_unterminated_encoded_word_is_kept_literally() -> None:
    value = "Theory 2 =?UTF-8?B?0JjQstCw0L0"
    assert parse_mail(build_submission(value)).subject == value


def test_malformed_base64_word_is_kept_and_recorded() -> None:
    parsed = parse_mail(build_submission("Theory =?utf-8?B?0?= 2"))
    assert parsed.subject == "Theory =?utf-8?B?0?= 2"
    assert any("malformed encoded word" in d for d in parsed.defects)


def test_folded_subject_is_unfolded_and_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Теория 2 - Иван Йорин")
    parsed = parse_mail(build_submission(nfd.encode() + b"\r\n\t(late)"))
    assert parsed.subject == "Теория 2 - Иван Йорин\t(late)".replace("\t", " ")
    assert parsed.subject is not None
    assert unicodedata.is_normalized("NFC", parsed.subject)


def test_control_characters_smuggled_in_encoded_word_become_spaces() -> None:
    value = encoded_word("Ivan\r\nBcc: victim@example.org\x00")
    assert decode_header_text(value) == "Ivan  Bcc: victim@example.org"


def test_missing_empty_and_duplicate_subject() -> None:
    assert parse_mail(build_submission(None)).subject is None
    assert parse_mail(build_submission("")).subject == ""
    twice = parse_mail(build_submission("First", extra_headers=[("Subject", "Second")]))
    assert twice.subject == "First"
    assert "2 subject headers; the first is used" in twice.defects


def test_decode_header_text_accepts_bytes() -> None:
    assert decode_header_text(SUBJECT.encode("koi8-r")) == SUBJECT
    assert decode_header_text(b"=?utf-8?q?Theory_2?=") == "Theory 2"


def test_subject_flood_is_capped() -> None:
    """16 000 encoded words (B27): only the first 8 KB are decoded, so this stays cheap."""
    flood = " ".join([encoded_word("П")] * 16_000)
    parsed = parse_mail(build_submission(flood), max_header_bytes=1024 * 1024)
    assert parsed.subject is not None
    assert 0 < len(parsed.subject) <= 8192
    assert set(parsed.subject) == {"П"}
    assert "Subject: longer than 8192 characters, truncated" in parsed.defects
    assert len(decode_header_text(flood, max_chars=100)) <= 100


# --- From, Date, ids --------------------------------------------------------------------


def test_from_address_is_lowercased_and_display_name_decoded() -> None:
    parsed = parse_mail(build_submission(from_="Иван Иванов <Ivan.Ivanov@Example.ORG>"))
    assert parsed.from_address == "ivan.ivanov@example.org"
    assert parsed.from_name == "Иван Иванов"


def test_comma_inside_encoded_display_name_does_not_split_the_address() -> None:
    name = encoded_word("Иванов, Иван <evil@example.com>")
    parsed = parse_mail(build_submission(from_=f"{name} <ivan@example.org>"))
    assert parsed.from_address == "ivan@example.org"
    assert parsed.from_name == "Иванов, Иван <evil@example.com>"


@pytest.mark.parametrize(
    "value", ["alice@example.org@<bob@example.org>", "(c):", "Ivan", "<>", "undisclosed:;"]
)
def test_unusable_from_gives_no_address(value: str) -> None:
    parsed = parse_mail(build_submission(from_=value))
    assert parsed.from_address is None
    assert any(d.startswith("From: no valid address") for d in parsed.defects)


def test_missing_from() -> None:
    parsed = parse_mail(build_submission(from_=None))
    assert (parsed.from_address, parsed.from_name) == (None, None)


def test_date_is_aware_utc() -> None:
    parsed = parse_mail(build_submission(date="Mon, 06 Oct 2025 10:00:00 +0300"))
    assert parsed.sent_at == datetime(2025, 10, 6, 7, 0, tzinfo=UTC)
    assert parsed.sent_at is not None
    assert parsed.sent_at.tzinfo is UTC


def test_minus_zero_zone_means_utc() -> None:
    parsed = parse_mail(build_submission(date="6 Oct 25 10:00:00 -0000"))
    assert parsed.sent_at == datetime(2025, 10, 6, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "defect"),
    [
        ("not a date", "Date: unparseable 'not a date'"),
        ("Wed, 15 Dec 2010 59:10 -0500", "Date: unparseable 'Wed, 15 Dec 2010 59:10 -0500'"),
        ("Mon, 06 Oct 2025 10:00:00", "Date: no time zone in 'Mon, 06 Oct 2025 10:00:00'"),
        ("Mon, 06 Oct 2025 10:00:00 +9900", "Date: unparseable 'Mon, 06 Oct 2025 10:00:00 +9900'"),
    ],
)
def test_bad_date_is_none_with_defect(value: str, defect: str) -> None:
    parsed = parse_mail(build_submission(date=value))
    assert parsed.sent_at is None
    assert defect in parsed.defects


def test_missing_date() -> None:
    parsed = parse_mail(build_submission(date=None))
    assert parsed.sent_at is None
    assert parsed.defects == ()


def test_outlook_message_id_form() -> None:
    """policy.default raises IndexError on this (cpython #94306); we keep it verbatim."""
    mid = "<[anu10].abc123@[anu13].EURPRD10.PROD.OUTLOOK.COM>"
    assert parse_mail(build_submission(message_id=f"  {mid}\r\n ")).message_id == mid


def test_missing_message_id_and_comment_after_it() -> None:
    assert parse_mail(build_submission(message_id=None)).message_id is None
    parsed = parse_mail(build_submission(message_id="<a@b> (added by relay)"))
    assert parsed.message_id == "<a@b>"


def test_in_reply_to_and_folded_references() -> None:
    raw = build_submission(
        extra_headers=[("In-Reply-To", "<q@example.edu>"), ("References", "<a@x>\r\n\t<b@x>")]
    )
    parsed = parse_mail(raw)
    assert (parsed.in_reply_to, parsed.references) == ("<q@example.edu>", "<a@x> <b@x>")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("X-Pm-Internal-Id", " abc-123== ")], "pm:abc-123=="),
        ([("X-GM-MSGID", "1278455344230334865")], "gm:1278455344230334865"),
        ([("X-GM-MSGID", "1"), ("X-Pm-Internal-Id", "p")], "pm:p"),
        ([("X-Pm-Internal-Id", "")], None),
        ([], None),
    ],
)
def test_provider_id(headers: list[tuple[str, str]], expected: str | None) -> None:
    assert parse_mail(build_submission(extra_headers=headers)).provider_id == expected


@pytest.mark.parametrize(
    ("from_", "headers", "expected"),
    [
        ("ivan@example.org", [], False),
        ("ivan@example.org", [("Auto-Submitted", "no")], False),
        ("ivan@example.org", [("Auto-Submitted", "auto-replied; owner-email=x@y")], True),
        ("ivan@example.org", [("Auto-Submitted", "Auto-Generated")], True),
        ("ivan@example.org", [("Precedence", "bulk")], True),
        ("ivan@example.org", [("Precedence", "junk")], True),
        ("ivan@example.org", [("Precedence", "List")], True),
        ("ivan@example.org", [("Precedence", "first-class")], False),
        ("ivan@example.org", [("List-Id", "<course.lists.example.edu>")], True),
        ("ivan@example.org", [("List-Unsubscribe", "<mailto:u@x>")], True),
        ("ivan@example.org", [("Return-Path", "<>")], True),
        ("ivan@example.org", [("Return-Path", "<ivan@example.org>")], False),
        ("ivan@example.org", [("X-Autoreply", "yes")], True),
        ("MAILER-DAEMON@mx.example.org", [], True),
        ("Mail Delivery System <MAILER-DAEMON>", [], True),
        ('"postmaster@" <example.org postmaster@example.org>', [], True),
        ("postmaster-fan@example.org", [], False),
    ],
)
def test_auto_submitted(from_: str, headers: list[tuple[str, str]], expected: bool) -> None:
    assert (
        parse_mail(build_submission(from_=from_, extra_headers=headers)).auto_submitted is expected
    )


# --- attachments --------------------------------------------------------------------------


def test_body_is_not_an_attachment() -> None:
    assert parse_mail(build_submission()).attachments == ()


def test_pdf_attachment_data_and_type() -> None:
    parsed = parse_mail(build_submission(attachments=[("отчёт.pdf", PDF)]))
    (attachment,) = parsed.attachments
    assert (attachment.filename, attachment.content_type, attachment.data) == (
        "отчёт.pdf",
        "application/pdf",
        PDF,
    )


@pytest.mark.parametrize("style", ["quoted", "rfc2047", "rfc2231", "rfc2231-continued"])
@pytest.mark.parametrize("place", ["disposition", "content-type", "both"])
@pytest.mark.parametrize("charset", ["utf-8", "koi8-r", "windows-1251"])
def test_filename_encodings(style: FilenameStyle, place: FilenamePlace, charset: str) -> None:
    name = "Теория 2 - лабораторная работа Иванова Ивана (исправленная версия).pdf"
    item = Attachment(name, PDF, style=style, place=place, charset=charset)
    assert names(parse_mail(build_submission(attachments=[item]))) == [name]


def test_rfc2231_filename_with_unknown_charset_is_guessed() -> None:
    item = Attachment("отчёт.pdf", PDF, charset="cp1251")
    raw = build_submission(attachments=[item]).replace(b"cp1251''", b"x-win''")
    parsed = parse_mail(raw)
    assert names(parsed) == ["отчёт.pdf"]
    assert any("unknown charset 'x-win'" in d for d in parsed.defects)


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "/abs/path.pdf", "C:\\x", "CON", "a/b\\c.pdf", ".hidden"]
)
def test_path_like_names_are_returned_verbatim(name: str) -> None:
    """Only a display name: storage uses content hashes (B19)."""
    item = Attachment(name, PDF, style="quoted")
    assert names(parse_mail(build_submission(attachments=[item]))) == [name]


def test_control_and_bidi_characters_are_stripped_from_names() -> None:
    item = Attachment("report\x00\x07\u202egpj.exe", PDF)
    assert names(parse_mail(build_submission(attachments=[item]))) == ["reportgpj.exe"]


def test_long_name_is_cut_to_255_keeping_the_extension() -> None:
    item = Attachment("я" * 300 + ".pdf", PDF)
    (name,) = names(parse_mail(build_submission(attachments=[item])))
    assert len(name) == 255
    assert name.endswith("я.pdf")


def test_duplicate_names_are_both_kept() -> None:
    parsed = parse_mail(build_submission(attachments=[("a.pdf", b"1"), ("a.pdf", b"2")]))
    assert [(a.filename, a.data) for a in parsed.attachments] == [("a.pdf", b"1"), ("a.pdf", b"2")]


def test_unnamed_parts_get_generated_names() -> None:
    items = [
        Attachment(None, PDF, disposition=None),
        Attachment(None, b"\x89PNG", content_type="image/png", disposition="inline"),
        Attachment(None, b"x", content_type="application/x-whatever"),
        Attachment(None, b"notes", content_type="text/plain", transfer_encoding="8bit"),
    ]
    parsed = parse_mail(build_submission(attachments=items))
    assert names(parsed) == [
        "attachment-1.pdf",
        "attachment-2.png",
        "attachment-3.bin",
        "attachment-4.txt",
    ]


def test_named_inline_text_part_is_an_attachment() -> None:
    item = Attachment(
        "solution.py", b"print(1)\n", content_type="text/x-python", disposition="inline"
    )
    assert names(parse_mail(build_submission(attachments=[item]))) == ["solution.py"]


def test_unnamed_inline_text_parts_are_body() -> None:
    item = Attachment(None, b"<p>hi</p>", content_type="text/html", disposition=None)
    assert parse_mail(build_submission(attachments=[item])).attachments == ()


def test_content_type_missing_semicolon_is_cleaned() -> None:
    raw = build_submission(attachments=[("a.pdf", PDF)]).replace(
        b"Content-Type: application/pdf", b'Content-Type: application/pdf name="a.pdf"'
    )
    assert [a.content_type for a in parse_mail(raw).attachments] == ["application/pdf"]


def test_malformed_name_parameter() -> None:
    """``name*`` with no value raised IndexError under policy.default (B20)."""
    item = Attachment(None, PDF, disposition=None)
    raw = build_submission(attachments=[item]).replace(
        b"Content-Type: application/pdf", b"Content-Type: application/pdf; name*"
    )
    assert names(parse_mail(raw)) == ["attachment-1.pdf"]


def test_invalid_base64_keeps_data_and_records_defect() -> None:
    raw = build_submission(attachments=[("a.pdf", PDF)])
    encoded = base64.encodebytes(PDF).strip()
    parsed = parse_mail(raw.replace(encoded, encoded.rstrip(b"=")[:-1] + b"!!"))
    assert parsed.attachments[0].data.startswith(b"%PDF-1.4")
    assert any("base64" in d for d in parsed.defects)


def test_forwarded_message_is_one_attachment() -> None:
    """Policy: a message/rfc822 part is kept whole; its own attachments are not listed."""
    inner = build_submission(
        "Теория 1 - Иван Иванов", attachments=[("inner.pdf", PDF)], boundary="inner"
    )
    item = Attachment(
        None, inner, content_type="message/rfc822", disposition=None, transfer_encoding="8bit"
    )
    parsed = parse_mail(
        build_submission("Fwd: my homework", attachments=[("outer.pdf", PDF), item])
    )
    assert names(parsed) == ["outer.pdf", "Теория 1 - Иван Иванов.eml"]
    forwarded = parsed.attachments[1]
    assert forwarded.content_type == "message/rfc822"
    again = parse_mail(forwarded.data)
    assert again.subject == "Теория 1 - Иван Иванов"
    assert [(a.filename, a.data) for a in again.attachments] == [("inner.pdf", PDF)]


def test_forwarded_message_names() -> None:
    inner = build_submission(None)
    named = Attachment("fwd.eml", inner, content_type="message/rfc822", transfer_encoding="7bit")
    anonymous = Attachment(None, inner, content_type="message/rfc822", transfer_encoding="7bit")
    parsed = parse_mail(build_submission(attachments=[named, anonymous]))
    assert names(parsed) == ["fwd.eml", "forwarded.eml"]


def test_forwarded_message_with_8bit_text_and_broken_multipart() -> None:
    """BytesGenerator fails on this shape; the forwarded bytes must still come through."""
    inner = (
        b"Subject: inner\nContent-Type: multipart/mixed; boundary=never\n\n"
        b"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\n"
    )
    item = Attachment("inner.eml", inner, content_type="message/rfc822", transfer_encoding="8bit")
    parsed = parse_mail(build_submission(attachments=[item]))
    (forwarded,) = parsed.attachments
    assert "Привет".encode() in forwarded.data
    assert not any("re-serialise" in d for d in parsed.defects)


def test_delivery_report_part_is_not_an_attachment() -> None:
    report = b"Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; x@example.org\n"
    item = Attachment(
        None,
        report,
        content_type="message/delivery-status",
        disposition=None,
        transfer_encoding="7bit",
    )
    assert parse_mail(build_submission(attachments=[item])).attachments == ()


# --- structure and robustness ------------------------------------------------------------------


@pytest.mark.parametrize("linesep", [b"\r\n", b"\n"])
def test_line_endings_do_not_matter(linesep: bytes) -> None:
    raw = build_submission(SUBJECT, attachments=[("отчёт.pdf", PDF)], linesep=linesep)
    parsed = parse_mail(raw)
    assert (parsed.subject, names(parsed), parsed.attachments[0].data) == (
        SUBJECT,
        ["отчёт.pdf"],
        PDF,
    )


def test_missing_closing_boundary_keeps_attachment() -> None:
    raw = build_submission(attachments=[("a.pdf", PDF)]).replace(
        b"--==tdl-test-boundary==--\r\n", b""
    )
    parsed = parse_mail(raw)
    assert names(parsed) == ["a.pdf"]
    assert parsed.attachments[0].data == PDF
    assert "missing closing MIME boundary (top level)" in parsed.defects


def test_multipart_without_boundary_parameter() -> None:
    raw = build_submission(attachments=[("a.pdf", PDF)]).replace(
        b'; boundary="==tdl-test-boundary=="', b""
    )
    parsed = parse_mail(raw)
    assert parsed.error is None
    assert parsed.attachments == ()
    assert "multipart without a boundary parameter (top level)" in parsed.defects


def test_nul_bytes_survive() -> None:
    raw = build_submission(b"Theory\x00 2", attachments=[("a.pdf", b"\x00" * 10)])
    parsed = parse_mail(raw.replace(b"Homework attached.", b"Home\x00work"))
    assert parsed.subject == "Theory 2"
    assert "Subject: control characters removed" in parsed.defects
    assert parsed.attachments[0].data == b"\x00" * 10


def test_header_line_without_colon_is_recorded() -> None:
    raw = build_submission(extra_headers=[("X-A", "1")]).replace(b"X-A: 1", b"this is not a header")
    assert "header line without a colon; later headers lost (top level)" in parse_mail(raw).defects


def test_mbox_from_line_is_tolerated() -> None:
    parsed = parse_mail(b"From ivan@example.org Mon Oct  6 10:00:00 2025\n" + build_submission())
    assert parsed.subject == "Theory 2 - Ivan Ivanov"


def nested_multipart(depth: int) -> bytes:
    head = b"From: ivan@example.org\r\nSubject: deep\r\n"
    levels = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(depth)
    )
    return head + levels + b"Content-Type: application/pdf\r\n\r\n%PDF\r\n"


def test_2000_level_nesting_is_an_error_not_an_exception() -> None:
    parsed = parse_mail(nested_multipart(2000))
    assert parsed.error == "MIME nesting deeper than 50 levels"
    assert parsed.attachments == ()
    assert (parsed.subject, parsed.from_address) == ("deep", "ivan@example.org")


def test_nesting_limit_is_inclusive() -> None:
    assert parse_mail(nested_multipart(49)).error is None  # the PDF sits at level 50
    assert parse_mail(nested_multipart(49)).attachments[0].filename == "attachment-1.pdf"
    assert parse_mail(nested_multipart(50)).error == "MIME nesting deeper than 50 levels"


def test_parser_recursion_is_caught_when_the_limit_is_off() -> None:
    parsed = parse_mail(nested_multipart(2000), max_depth=10**6)
    assert parsed.error == "MIME nesting too deep for the parser"
    assert parsed.subject == "deep"


def test_deep_forward_chain_is_an_error() -> None:
    raw = b"Subject: chain\r\n" + b"Content-Type: message/rfc822\r\n\r\n" * 3000 + b"hi\r\n"
    assert parse_mail(raw).error == "MIME nesting deeper than 50 levels"


def test_nesting_hidden_from_the_prescan_is_caught_after_parsing() -> None:
    """RFC 2231 boundary parameters escape the raw-byte estimate; the tree walk still counts."""
    raw = nested_multipart(10).replace(b"; boundary=", b"; boundary*=")
    assert parse_mail(raw, max_depth=5).error == "MIME nesting deeper than 5 levels"
    assert parse_mail(raw).error is None


def test_oversized_header_block() -> None:
    raw = build_submission(
        "Theory 2", extra_headers=[("X-Junk", "x" * 5000)], attachments=[("a.pdf", PDF)]
    )
    parsed = parse_mail(raw, max_header_bytes=1000)
    assert parsed.error == "header block larger than 1000 bytes"
    assert parsed.attachments == ()
    assert (parsed.subject, parsed.from_address) == ("Theory 2", "ivan@example.org")


def test_message_without_body_or_headers() -> None:
    assert parse_mail(b"") == ParsedMail(
        None, None, None, None, None, None, None, None, False, (), (), None
    )
    assert parse_mail(b"\r\n\r\nbody only").subject is None
    assert parse_mail(b"Subject: only headers").subject == "only headers"


# --- never raises ---------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    assert isinstance(parse_mail(raw), ParsedMail)


HEADER_BLOCK = build_submission(SUBJECT, attachments=[("a.pdf", PDF)]).split(b"\r\n\r\n", 1)[0]


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_arbitrary_body_after_valid_headers_never_raises(body: bytes) -> None:
    parsed = parse_mail(HEADER_BLOCK + b"\r\n\r\n" + body)
    assert parsed.subject == SUBJECT
    assert all(isinstance(a.data, bytes) for a in parsed.attachments)


MIME_ALPHABET = st.sampled_from(
    [
        b"\r\n",
        b"\n",
        b"--",
        b"=?",
        b"?=",
        b"?B?",
        b"?Q?",
        b"boundary=",
        b"Content-Type: ",
        b"multipart/mixed; ",
        b"message/rfc822",
        b"name*0*=",
        b"utf-8''",
        b"%D0",
        b'"',
        b";",
        b":",
        b" ",
        b"\t",
        b"\xd0\x9f",
        b"\xff",
        b"\x00",
        b"x",
        b"filename=",
    ]
)


@settings(max_examples=300)
@given(st.lists(MIME_ALPHABET, max_size=200).map(b"".join))
def test_mime_like_noise_never_raises(raw: bytes) -> None:
    assert isinstance(parse_mail(raw), ParsedMail)


@given(st.text(max_size=300))
def test_decode_header_text_never_raises(value: str) -> None:
    text = decode_header_text(value)
    text.encode("utf-8")  # no lone surrogates
    assert not any(unicodedata.category(c) == "Cc" for c in text)
