"""Real servers (Dovecot, PostgreSQL, SMTP) started on loopback for the test suite."""
