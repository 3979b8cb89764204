"""Benchmarks: run with `make bench`; they report figures and never fail the build."""
