"""``-q`` and ``-v``, as every command has them: a module of its own, so that commands that need no
configuration (``styles list``) take them without importing NumPy's and OpenCV's users."""

from __future__ import annotations

from collections.abc import Callable

import click


def quiet_verbose_options(command: Callable) -> Callable:
    """``-v`` and ``-q``, as every command has them."""
    command = click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")(command)
    return click.option("-v", "--verbose", is_flag=True, help="Log lines instead of a bar; tracebacks on internal errors.")(command)
