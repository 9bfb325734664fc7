"""``python cli.py ...`` does the same as the ``neural-style`` command (neural-style-tf users run it this way)."""

from neural_style.cli import main

if __name__ == "__main__":
    main()
