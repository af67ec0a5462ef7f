"""``Received:`` hops read from stored raw messages: typical headers, garbage, and the store."""

from __future__ import annotations

from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from hypothesis import given, settings
from hypothesis import strategies as st

from tdl_inbox.adapters.store import BlobStore
from tdl_inbox.services.reporting.received import (
    Hop,
    header_block,
    hops_from_headers,
    parse_received,
    raw_paths,
    read_header_block,
    received_hops,
)


def test_a_typical_hop():
    hop = parse_received(
        "from smtp.phystech.edu (smtp.phystech.edu [1.2.3.4])\r\n\tby mx.protonmail.ch with"
        " ESMTPS id 4Lx for <course@example.org>;\r\n Sat, 16 Mar 2019 23:59:40 +0300 (MSK)"
    )
    assert (hop.from_, hop.by) == ("smtp.phystech.edu", "mx.protonmail.ch")
    assert hop.at == datetime(2019, 3, 16, 20, 59, 40, tzinfo=UTC)
    assert "\n" not in hop.raw
    assert hop.raw.startswith("from smtp.phystech.edu (smtp.phystech.edu [1.2.3.4]) by mx")


def test_comments_do_not_pose_as_hosts():
    hop = parse_received(
        "by mail.example.org (Postfix, from userid 1000) id 1; 1 Mar 2019 10:00 +0000"
    )
    assert (hop.from_, hop.by) == (None, "mail.example.org")
    assert hop.at == datetime(2019, 3, 1, 10, 0, tzinfo=UTC)


def test_garbage_never_raises():
    assert parse_received("") == Hop(None, None, None, "")
    no_semicolon = parse_received("from a.example by b.example with SMTP")
    assert (no_semicolon.from_, no_semicolon.by, no_semicolon.at) == (
        "a.example",
        "b.example",
        None,
    )
    for junk_date in ("yesterday", "Sat, 16 Mar 99999 23:59:40 +0300", "32 Foo 2019", ";;;", "0"):
        assert parse_received(f"from a by b; {junk_date}").at is None
    unknown_zone = parse_received("from a by b; Sat, 16 Mar 2019 20:59:40 -0000")
    assert unknown_zone.at == datetime(2019, 3, 16, 20, 59, 40, tzinfo=UTC)
    assert parse_received("(((unbalanced from x by y; Sat, 16 Mar 2019 20:59:40 +0000").by == "y"


def test_hops_come_oldest_first_from_the_header_block_only():
    raw = (
        b"Received: from b by c; Sat, 16 Mar 2019 21:00:05 +0000\r\n"
        b"Subject: =?utf-8?q?x?=\r\n"
        b"Received: from a by b; Sat, 16 Mar 2019 21:00:00 +0000\r\n"
        b"X-Junk: \xff\xfe caf\xc3\xa9\r\n"
        b"\r\n"
        b"Received: from body by body; Sat, 16 Mar 2019 21:00:09 +0000\r\n"
    )
    hops = hops_from_headers(raw)
    assert [(h.from_, h.by) for h in hops] == [("a", "b"), ("b", "c")]
    assert hops_from_headers(b"") == ()
    assert hops_from_headers(b"\x00\xff" * 1000) == ()
    lf_only = b"Received: from a by b; 1 Mar 2019 10:00 +0000\n\nReceived: from x by y\n"
    assert [h.from_ for h in hops_from_headers(lf_only)] == ["a"]
    non_ascii = hops_from_headers(b"Received: from \xd0\xbf\xd1\x80 by b; nonsense\r\n\r\n")
    assert non_ascii[0].by == "b"


def test_reading_the_store(tmp_path):
    store = BlobStore(tmp_path / "store")
    store.ensure()
    body = b"x" * 2_000_000
    digest = store.put(
        b"Received: from a by b; 1 Mar 2019 10:00 +0000\r\nSubject: s\r\n\r\n" + body
    )
    missing = "0" * 64
    assert raw_paths(store, [digest, missing]) == [
        str(store.path_for(digest)),
        str(store.path_for(missing)),
    ]
    header = read_header_block(str(store.path_for(digest)))
    assert header is not None
    assert header.endswith(b"\r\n\r\n")
    assert len(header) < 100
    found, absent = received_hops(store, [digest, missing])
    assert found is not None
    assert [(h.from_, h.by) for h in found] == [("a", "b")]
    assert absent is None


@settings(max_examples=500)
@given(data=st.lists(st.sampled_from([b"\r", b"\n", b"a", b":", b" "]), max_size=40).map(b"".join))
def test_the_header_block_ends_after_the_first_blank_line(data):
    # a blank line as the stdlib parser reads line breaks: CRLF, LF, or a lone CR
    block = header_block(data)
    assert data.startswith(block)
    blank_lines = (b"\n\n", b"\n\r\n", b"\r\r")
    assert block == data or block.endswith(blank_lines)
    assert not any(blank in block[:-1] for blank in blank_lines)  # the first one
    assert headers_of(block) == headers_of(data)


def headers_of(data: bytes) -> list[tuple[str, str]]:
    return BytesHeaderParser(policy=compat32).parsebytes(data).items()
