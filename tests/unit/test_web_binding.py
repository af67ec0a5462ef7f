"""The workspace listens on loopback only, unless web.base_url says a TLS proxy is in front."""

from __future__ import annotations

import pytest

from tdl_inbox.web.binding import refusal


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_is_always_allowed(host):
    assert refusal(host, None) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "grading.example.org"])
def test_anything_else_needs_an_https_base_url(host):
    assert "web.base_url" in (refusal(host, None) or "")
    assert refusal(host, "http://grading.example.org") is not None
    assert refusal(host, "https://grading.example.org") is None
