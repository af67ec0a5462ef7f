"""Mail: the outbox and what goes in it (receipts to students, reports and alerts to the admin)."""
