"""Run the command line as ``python -m calfrisk``."""

from calfrisk.cli.commands import main

if __name__ == "__main__":
    main()
