"""Benchmark harness: a synthetic-org generator (`bench.generate`), a one-step measurer run
in a fresh process (`bench.measure`) and the driver behind `make bench` (`bench.run`).

A measurement, not a test: nothing here asserts timings. Not part of the installed package.
"""
