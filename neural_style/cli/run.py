"""``neural-style [options]``: click options -> frozen config -> stylize -> atomic save + JSON record.

neural-style-tf's option names work in both spellings (``-content_img`` and ``--content_img``), and list
options take several values after one flag (``--style_imgs a.jpg b.jpg``), as with argparse's
``nargs='+'``. Bad input ends with one line on stderr and exit code 2, before any network is built.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from neural_style.checkpoints import Checkpointing, checkpoint_path
from neural_style.cli.options import (
    LIST,
    REGIONS,
    build_config,
    build_output_config,
    config_options,
    output_options,
    quiet_verbose_options,
)
from neural_style.cli.paths import resolve_input
from neural_style.cli.style_options import build_styles
from neural_style.errors import NeuralStyleError
from neural_style.outputs import choose_output
from neural_style.request import Request, Segmentation, check_inputs
from neural_style.segmentation import describe_regions
from neural_style.terminal import Interrupted, Progress
from neural_style.weights import file_sha256


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--content_img", required=True, help="Content photo (path, or a name in --content_img_dir).")
@click.option("--style_imgs", **LIST, help="One or more style images: --style_imgs a.jpg b.jpg.")
@click.option("--style_imgs_weights", **LIST, help="One weight per style image (normalised to sum 1; default equal).")
@click.option("--content_img_dir", default="image_input", show_default=True)
@click.option("--style_imgs_dir", default="image_input", show_default=True)
@click.option("--style_mask/--no-style_mask", default=False, help="Apply each style only inside its mask.")
@click.option("--style_mask_imgs", **LIST, help="One mask per style image (white = the style applies there).")
@click.option("--content_seg", default=None, help="Colour-coded segmentation of the content photo, or auto: "
              "regions found in the photo and the paintings and matched (with --style_segs auto, or alone).")
@click.option("--regions", **REGIONS, help="How many regions auto finds (2 to 9) when no segmentation is given by "
              "hand, or picked: as many as the photo shows (2 to 5).")
@click.option("--style_segs", **LIST, help="One colour-coded segmentation per style image (same colours = same "
              "region), or auto.")
@click.option("--mask_dir", default="masks", show_default=True, help="Where bare mask names are looked up first.")
@click.option("--img_output_dir", default="image_output", show_default=True)
@click.option("--img_name", default="result", show_default=True, help="Output file name (.png added if none).")
@click.option("-o", "--output", default=None, help="Output path; overrides --img_output_dir/--img_name.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output instead of choosing a numbered name.")
@output_options
@config_options
@click.option("--print_iterations", type=int, default=50, show_default=True, help="Log every N (--verbose).")
@click.option("--save_iterations", type=int, default=0, show_default=True, help="Save a snapshot every N.")
@click.option("--library", default=None, help="Style library file (default: $NEURAL_STYLE_LIBRARY, else "
              "~/.local/share/neural-style/styles.sqlite); --style_imgs lib:NAME uses its entries.")
@click.option("--cache_styles", is_flag=True, help="Add each style image file to the library on first use "
              "(the sizes this run needs; a larger run adds more) and take its Grams from there (later runs "
              "skip its forward passes).")
@click.option("--checkpoint_iterations", type=int, default=0, show_default=True,
              help="Every N iterations save where the run stands (OUTPUT.checkpoint.npz) for --resume.")
@click.option("--resume", default=None, help="Continue a killed or interrupted run from its checkpoint: "
              "--resume OUTPUT.json (its record; the run's own options are used).")
@quiet_verbose_options
def command(**opts) -> None:
    """Repaint a photo in the style of one or more paintings (Gatys et al., VGG-19).

    Many photos, styles and settings at once: neural-style batch --help. The style library:
    neural-style styles --help."""
    verbosity = 0 if opts["quiet"] else 2 if opts["verbose"] else 1
    config = build_config(opts)
    output_config = build_output_config(opts)
    if opts["print_iterations"] < 1 or opts["save_iterations"] < 0 or opts["checkpoint_iterations"] < 0:
        raise NeuralStyleError("print_iterations must be >= 1, save_iterations and checkpoint_iterations >= 0")
    content = resolve_input(opts["content_img"], opts["content_img_dir"], "content_img")
    specs, inputs, segmentations = build_styles(opts)
    if config.init_img_type not in ("content", "random", "style"):
        inputs.append(Path(config.init_img_type))
    output = choose_output(opts["output"], opts["img_output_dir"], opts["img_name"], opts["overwrite"], [content, *inputs])
    output_config.check_suffix(output)
    segmentation = None if segmentations is None else Segmentation(segmentations[0], tuple(segmentations[1]),
                                                                    opts["regions"])
    check_inputs(content, specs, segmentation, config)  # bad files fail before TensorFlow is imported (seconds)

    from neural_style.runs import (
        CheckpointFile,
        describe,
        execute,
        prepare,
        resume_from,
        save,
        start_record,
    )
    from neural_style.transfer import describe_early_stops

    prepared = prepare(Request(content, tuple(specs), config, segmentation, cache_styles=opts["cache_styles"],
                               library=opts["library"]))
    if prepared.regions and verbosity:
        click.echo(f"neural-style: note: {describe_regions(prepared.regions)}", err=True)
    argv = (click.get_current_context().obj or {}).get("argv", sys.argv[1:])
    checkpointing, done, identity = None, 0, {}
    if opts["resume"] or opts["checkpoint_iterations"]:
        earlier = read_resume_record(opts["resume"]) if opts["resume"] else {}
        identity = {"argv": earlier.get("argv", list(argv)),  # earlier: the record --resume names
                    "checkpoint_every": opts["checkpoint_iterations"] or earlier.get("checkpoint_every", 0),
                    "inputs": {str(p): file_sha256(p) for p in [content, *inputs]}}
        if opts["resume"]:
            checkpoint = resume_from(prepared, output, earlier, identity, opts["resume"])
            checkpointing = Checkpointing(identity["checkpoint_every"], checkpoint)
            done = sum(r.iterations for r in checkpoint.reports) + checkpoint.iterations
        else:
            start_record(prepared, output, identity)
            checkpointing = Checkpointing(opts["checkpoint_iterations"])

    progress = Progress(prepared.plan.config.total_iterations(), verbosity, opts["print_iterations"],
                        opts["save_iterations"], output, done)
    listener = progress if checkpointing is None else CheckpointFile(progress, checkpoint_path(output))
    cancel = (click.get_current_context().obj or {}).get("cancel")
    try:
        result = execute(prepared, listener, cancel, checkpointing=checkpointing)
    finally:
        progress.close()
    save(output, result, describe(prepared), sys.argv, identity, options=output_config, content=content)
    if verbosity:
        scales = describe_early_stops(result.scales)
        click.echo(f"wrote {output} ({result.iterations} iterations, {result.seconds:.1f}s, {result.stop_reason}"
                   f"{'; ' + scales if scales else ''})", err=True)
    if result.stop_reason == "interrupted":
        raise Interrupted(saved=True)
    if result.stop_reason == "nonfinite":
        raise NeuralStyleError(f"the loss became NaN or infinite at iteration {result.iterations}; kept the last finite image in {output}")


def read_resume_record(path: str) -> dict:
    """The record ``--resume`` names: JSON with the run's arguments; one line if it is not one."""
    try:
        record = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise NeuralStyleError(f"resume: record not found: {path!r}") from None
    except (OSError, ValueError) as exc:
        raise NeuralStyleError(f"resume: {path!r} is not a readable run record ({exc})") from None
    if not isinstance(record, dict) or not isinstance(record.get("argv"), list) or "output" not in record:
        raise NeuralStyleError(f"resume: {path!r} is not the record of a run started with --checkpoint_iterations")
    return record


def resume_argv(args: list[str]) -> list[str]:
    """``--resume RECORD.json [options]`` -> the recorded run's own arguments, its output (replaced in
    place), then the arguments given, which are checked against the record once parsed."""
    for k, arg in enumerate(args):
        name, eq, value = arg.lstrip("-").partition("=")
        if arg.startswith("-") and name == "resume":
            path = value if eq else (args[k + 1] if k + 1 < len(args) else "")
            if not path:
                return args
            record = read_resume_record(path)
            return [*record["argv"], "-o", record["output"], "--overwrite", *args]
    return args


def _long_option_names() -> frozenset[str]:
    return frozenset(opt.lstrip("-") for param in command.params for opt in param.opts + param.secondary_opts
                     if opt.startswith("--"))
