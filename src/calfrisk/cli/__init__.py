"""The ``calfrisk`` command line: its commands, their terminal reports.

:mod:`~calfrisk.cli.commands` holds the click commands and :func:`main`, the console script;
:mod:`~calfrisk.cli.terminal` prints progress and results with rich. Both import the numerical
libraries only inside the commands that need them, so ``calfrisk --help`` starts at once.
"""

from calfrisk.cli.commands import cli, main

__all__ = ["cli", "main"]
