"""tdl-inbox: homework submissions from a course mailbox, recorded exactly once."""

__version__ = "0.1.0"
