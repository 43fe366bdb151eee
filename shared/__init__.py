"""Code both the worker and the terminal UI use: settings, logging, errors, the database."""
