"""Grading: the roster, versions, the queue and claims, grades, the grade book, export."""
