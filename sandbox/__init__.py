"""An offline Tripletex API v2 that behaves like the real one: for the demo, tests, benchmarks."""
