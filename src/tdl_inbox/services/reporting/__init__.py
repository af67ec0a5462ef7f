"""Reporting: the admin's reports as rows, documents (tables, Markdown, HTML) and CSV."""
