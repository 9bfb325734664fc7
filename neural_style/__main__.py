"""``python -m neural_style``: the same command as ``neural-style``."""

from neural_style.cli import main

if __name__ == "__main__":
    main()
