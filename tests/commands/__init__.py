"""Tests of the command line (linop.cli and linop.commands): every command, its errors and exit status."""
