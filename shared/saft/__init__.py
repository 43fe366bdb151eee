"""SAF-T Financial (Norway) files: a streaming reader, its checks, submit, a generator for tests."""
