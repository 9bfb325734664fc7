"""``neural-style batch``: every photo x style (x grid point) in one process, resumable.

Outputs go to ``--out`` as ``{content}__{style}[__{option}={value}].png`` with a JSON record each, and
``batch.json`` + ``batch.csv`` summarise every job. Exit 0 when every job is done, 1 when any failed
(its one-line error is in the summary and on stderr), 2 for bad options, 130/143 when interrupted
(finished jobs stay; the same command finishes the rest).
"""

from __future__ import annotations

import sys

import click

from neural_style.cli.options import (
    LIST,
    build_config,
    config_options,
    quiet_verbose_options,
)
from neural_style.cli.paths import resolve_input
from neural_style.config import StyleSpec
from neural_style.library import PREFIX, StyleLibrary
from neural_style.terminal import BatchProgress, Interrupted

__all__ = ["command", "long_option_names"]


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--contents", **LIST, required=True, help="Photos: files, globs ('photos/*.jpg') or directories.")
@click.option("--style_imgs", **LIST, required=True, help="Styles: image files (or names in --style_imgs_dir) or lib:NAME.")
@click.option("--style_imgs_dir", default="image_input", show_default=True)
@click.option("--grid", default=None, help='Every combination of option values: "style_weight=1e3,1e4 content_weight=50,100".')
@click.option("--out", default="batch_output", show_default=True, help="Folder of the outputs, records and summary.")
@click.option("--ray", default=None, help="Run the jobs on Ray: auto (a local Ray) or a cluster address. "
              'Needs pip install "neural-style[ray]".')
@click.option("--library", default=None, help="Style library file for lib:NAME styles (as for single runs).")
@config_options
@click.option("--print_iterations", type=int, default=50, show_default=True, help="Log every N (--verbose).")
@quiet_verbose_options
def command(**opts) -> None:
    """Stylise many photos with many styles (and a grid of options) on one network."""
    from neural_style.batch import BatchInterrupted, run_batch

    verbosity = 0 if opts["quiet"] else 2 if opts["verbose"] else 1
    config = build_config(opts)
    library = StyleLibrary(opts["library"])
    styles = [StyleSpec(library.get(name[len(PREFIX):]) if name.startswith(PREFIX)
                        else resolve_input(name, opts["style_imgs_dir"], f"style_imgs[{k}]"))
              for k, name in enumerate(opts["style_imgs"])]
    progress = BatchProgress(verbosity, opts["print_iterations"])
    try:
        summary = run_batch(opts["contents"], styles, config, opts["grid"], opts["out"], opts["ray"], progress,
                            ["neural-style", *sys.argv[1:]], (click.get_current_context().obj or {}).get("cancel"))
    except BatchInterrupted as exc:
        progress.close()
        if verbosity:
            counts = ", ".join(f"{n} {status}" for status, n in exc.summary.counts().items())
            click.echo(f"neural-style: batch interrupted ({counts}); the same command finishes the rest", err=True)
        raise Interrupted(saved=True) from None
    finally:
        progress.close()
    if verbosity:
        counts = ", ".join(f"{n} {status}" for status, n in summary.counts().items())
        click.echo(f"batch: {len(summary.jobs)} jobs ({counts}) in {summary.seconds:.1f}s; summary in "
                   f"{summary.out / 'batch.csv'}", err=True)
    if summary.failed:
        raise click.exceptions.Exit(1)


def long_option_names() -> frozenset[str]:
    return frozenset(opt.lstrip("-") for param in command.params for opt in param.opts + param.secondary_opts
                     if opt.startswith("--"))
