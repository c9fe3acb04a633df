"""Benchmarks: they print tables and write JSON to bench/results/; they never assert timings."""
