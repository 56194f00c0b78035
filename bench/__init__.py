"""Benchmarks: scripts that print tables of measured figures (medians of several runs)."""
