"""`python -m evalharness …` — the same as the `evalharness` command."""

from .cli import main

if __name__ == "__main__":
    main()
