"""Reference implementations for the benchmarks: not part of the product.

Each is the smallest correct implementation of the same unit of work as a Pairwise path,
served by the same gunicorn settings against the same database, so a benchmark can print
Pairwise beside what Flask, SQLAlchemy and the database allow for that work.
"""
