"""Benchmarks behind `make bench`: each module's `run(data_dir)` prints its tables."""
