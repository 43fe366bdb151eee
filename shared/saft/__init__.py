"""SAF-T Financial (Norway) files: a streaming reader, its checks, and a generator for tests."""
