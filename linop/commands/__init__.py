"""Subcommands of the ``linop`` command line, one module each."""
