"""The `ledgersync` command line."""
