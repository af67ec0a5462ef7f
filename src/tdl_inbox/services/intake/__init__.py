"""Intake: read the mailbox, record each message exactly once, judge it against its deadline."""
