"""The pure core: subject grammar, deadline rule, lateness, grade formula.

Nothing in this package performs I/O or reads the clock; times are passed in.
Only the standard library is imported here.
"""
