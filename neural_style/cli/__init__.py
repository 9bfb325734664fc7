"""The ``neural-style`` command.

``neural-style [options]`` repaints a photo (:mod:`neural_style.cli.run`); ``neural-style batch ...``
runs many (:mod:`neural_style.cli.batch`); ``neural-style video ...`` stylises a clip
(:mod:`neural_style.cli.video`); ``neural-style styles ...`` manages the style library
(:mod:`neural_style.cli.styles`); ``neural-style studio`` serves the web app (:mod:`neural_style.cli.studio`);
``neural-style regions`` writes automatic segmentations (:mod:`neural_style.cli.regions`) and
``neural-style mask`` a subject mask (:mod:`neural_style.cli.mask`).
All end bad input with one line on stderr and exit code 2, and keep TensorFlow's chatter off the terminal
unless ``-v``.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Sequence

import click

from neural_style.argv import normalize_argv
from neural_style.cancel import Cancelled, CancelToken
from neural_style.errors import NeuralStyleError
from neural_style.terminal import Interrupted, StopSignal, quiet_native_output

EXIT_BAD_INPUT = 2

__all__ = ["EXIT_BAD_INPUT", "main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: exit 0 on success, 2 on bad input (one line on stderr), 130/143 when interrupted
    by SIGINT/SIGTERM (the best image so far is saved once the first scale has finished)."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = any(a in ("-v", "--verbose", "-verbose") for a in args)
    if verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # TensorFlow's warnings, not its info lines
    cancel = CancelToken()  # set by Ctrl-C and SIGTERM; the run checks it between iterations
    stop = StopSignal(cancel, raise_at_once=args[:1] in (["styles"], ["studio"], ["regions"], ["mask"]))
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with quiet_native_output(not verbose):
            if args[:1] == ["styles"]:
                from neural_style.cli.styles import group, long_option_names

                group.main(normalize_argv(args[1:], long_option_names()), prog_name="neural-style styles",
                           standalone_mode=False)
            elif args[:1] == ["studio"]:
                from neural_style.cli import studio

                studio.command.main(args[1:], prog_name="neural-style studio", standalone_mode=False)
            elif args[:1] in (["regions"], ["mask"]):  # short commands of their own
                from neural_style.cli import mask, regions

                sub = {"regions": regions, "mask": mask}[args[0]]
                sub.command.main(normalize_argv(args[1:], sub.long_option_names()), prog_name=f"neural-style {args[0]}",
                                 standalone_mode=False)
            elif args[:1] == ["video"]:
                from neural_style.cli import video

                video.command.main(normalize_argv(args[1:], video.long_option_names()), prog_name="neural-style video",
                                   standalone_mode=False, obj={"cancel": cancel})
            elif args[:1] == ["batch"]:
                from neural_style.cli import batch

                code = batch.command.main(normalize_argv(args[1:], batch.long_option_names()),
                                          prog_name="neural-style batch", standalone_mode=False, obj={"cancel": cancel})
                if code:  # click returns an Exit's code when not standalone: 1 = some job failed
                    sys.exit(code)
            else:  # the run command's imports (OpenCV, scipy) are not needed for 'styles'
                from neural_style.cli.run import (
                    _long_option_names,
                    command,
                    resume_argv,
                )

                args = resume_argv(args)
                command.main(normalize_argv(args, _long_option_names()), prog_name="neural-style", standalone_mode=False,
                             obj={"argv": args, "cancel": cancel})
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.ClickException, NeuralStyleError) as exc:
        message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
        click.echo(f"neural-style: error: {message}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except Interrupted:  # the image and its record are saved
        sys.exit(stop.exit_code)
    except (click.Abort, KeyboardInterrupt, Cancelled):  # before one iteration ran: nothing to save
        click.echo("neural-style: interrupted", err=True)
        sys.exit(stop.exit_code)
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback only with --verbose
        if verbose:
            traceback.print_exc()
        click.echo(f"neural-style: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
