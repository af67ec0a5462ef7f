"""Failed web logins: five a minute per name and per address, then refusals for a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tdl_inbox.services.operations.login_throttle import LoginThrottle

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_five_failures_block_the_name_and_the_address_for_a_minute():
    throttle = LoginThrottle()
    for n in range(5):
        assert not throttle.blocked("anna", "10.0.0.1", T0 + timedelta(seconds=n))
        throttle.failed("anna", "10.0.0.1", T0 + timedelta(seconds=n))
    assert throttle.blocked("anna", "10.0.0.2", T0 + timedelta(seconds=10))  # same name
    assert throttle.blocked("boris", "10.0.0.1", T0 + timedelta(seconds=10))  # same address
    assert not throttle.blocked("boris", "10.0.0.2", T0 + timedelta(seconds=10))
    assert not throttle.blocked("anna", "10.0.0.1", T0 + timedelta(seconds=61))


def test_old_failures_are_forgotten():
    throttle = LoginThrottle()
    for n in range(100):
        throttle.failed(f"guess{n}", "10.0.0.1", T0)
    throttle.failed("anna", "10.0.0.2", T0 + timedelta(minutes=2))
    assert len(throttle._failures) == 2
