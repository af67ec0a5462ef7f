"""I/O at the edges: IMAP, MIME parsing, the database, the file store, locks.

Adapters may import the domain; they never import services or entry points.
"""
