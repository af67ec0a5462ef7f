"""Ids with their kind: ``s18`` a submission, ``m18`` a message, a bare ``18`` a submission."""

from __future__ import annotations

import pytest

from tdl_inbox.domain.ids import BadId, IdKind, Ref, message_ref, parse_ref, with_ref


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("s18", Ref(IdKind.SUBMISSION, 18)),
        ("S18", Ref(IdKind.SUBMISSION, 18)),
        ("18", Ref(IdKind.SUBMISSION, 18)),
        (" 18 ", Ref(IdKind.SUBMISSION, 18)),
        ("m18", Ref(IdKind.MESSAGE, 18)),
        ("M7", Ref(IdKind.MESSAGE, 7)),
    ],
)
def test_ids_are_read_with_their_kind(text, ref):
    assert parse_ref(text) == ref
    assert str(ref) in {"s18", "m18", "m7"}


@pytest.mark.parametrize("text", ["", "s", "x18", "s-1", "18m", "s1.5", "m 18", "s１８"])
def test_anything_else_is_not_an_id(text):
    with pytest.raises(BadId, match="expected s18"):
        parse_ref(text)


def test_ref_goes_right_after_id():
    row = with_ref({"id": 3, "subject": "hi"}, message_ref(3))
    assert list(row.items()) == [("id", 3), ("ref", "m3"), ("subject", "hi")]
