"""The ``linop`` command line: a thin layer over the library.

Each subcommand lives in :mod:`linop.commands` and registers itself with
``register(subparsers)``; its handler returns the exit status
(0 success, 1 a check failed, 2 bad usage).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ._version import __version__
from .commands import demo, derive, lecture, verify

#: Modules with a ``register(subparsers)`` function, in the order ``--help`` lists them.
COMMANDS = [lecture, derive, verify, demo]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linop",
        description="Linear operators, above all convolutions, that you can see, use and trust.",
    )
    parser.add_argument("--version", action="version", version=f"linop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args))
    except (ValueError, TypeError) as exc:
        print(f"linop {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``linop derive ... | head``): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
