"""`python -m evalharness` runs the CLI."""

from .cli import main

main()
