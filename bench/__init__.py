"""Benchmarks: figures beside the ceilings and baselines measured in the same run."""
