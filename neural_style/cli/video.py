"""``neural-style video``: click options -> frozen configs -> :func:`neural_style.video.stylise_video`.

neural-style-tf's video names where they make sense (``--video`` is accepted and implied; frames are
numbered from 1; ``--end_frame N`` is the last frame stylised), the still's options for every frame.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from neural_style import video_io
from neural_style.cli.options import (
    LIST,
    build_config,
    config_options,
    quiet_verbose_options,
)
from neural_style.cli.style_options import build_styles
from neural_style.errors import NeuralStyleError
from neural_style.flow import DEFAULT_FLOW, FLOW_METHODS
from neural_style.outputs import choose_output
from neural_style.request import Segmentation
from neural_style.terminal import Interrupted, VideoProgress
from neural_style.video import (
    FIRST_FRAME_TYPES,
    INIT_FRAME_TYPES,
    VideoConfig,
    frame_range,
    mask_folders,
    segmentation_folder,
)

DEFAULTS = VideoConfig()


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--content_video", required=True, help="The clip: a video file (anything ffmpeg reads) or a folder "
              "of frames (image files, in name order, one size).")
@click.option("--video", is_flag=True, hidden=True, help="neural-style-tf's switch; implied here.")
@click.option("--style_imgs", **LIST, help="One or more style images: --style_imgs a.jpg b.jpg.")
@click.option("--style_imgs_weights", **LIST, help="One weight per style image (normalised to sum 1; default equal).")
@click.option("--style_imgs_dir", default="image_input", show_default=True)
@click.option("--style_mask/--no-style_mask", default=False, help="Apply each style only inside its mask.")
@click.option("--style_mask_imgs", **LIST, help="One mask per style image: an image for every frame, or a folder "
              "of one mask per frame of the clip (in name order; an empty one leaves the style out of its frame).")
@click.option("--content_seg", default=None, help="Colour-coded segmentation of the frames: one image for every "
              "frame, or a folder of one per frame of the clip (in name order).")
@click.option("--style_segs", **LIST, help="One colour-coded segmentation per style image (same colours = same region).")
@click.option("--mask_dir", default="masks", show_default=True, help="Where bare mask names are looked up first.")
@click.option("-o", "--output", required=True, help="The video to write (.mp4: H.264, the clip's frame rate and audio).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output instead of choosing a numbered name.")
@click.option("--frames_dir", default=None, help="Keep the stylised frames as PNG here (default: they are kept in "
              "OUTPUT.frames only until the video is written).")
@click.option("--start_frame", type=int, default=DEFAULTS.start_frame, show_default=True, help="First frame (from 1).")
@click.option("--end_frame", type=int, default=None, help="Last frame (default: the clip's last).")
@click.option("--first_frame_type", default=DEFAULTS.first_frame_type, show_default=True,
              help=f"How the first frame starts: {', '.join(FIRST_FRAME_TYPES)}.")
@click.option("--init_frame_type", default=DEFAULTS.init_frame_type, show_default=True,
              help=f"How each later frame starts: {', '.join(INIT_FRAME_TYPES)} (prev_warped: the previous "
              "stylised frame moved along the optical flow).")
@click.option("--first_frame_iterations", type=int, default=None,
              help="Iterations of the first frame (default: --max_iterations, as a still).")
@click.option("--frame_iterations", type=int, default=DEFAULTS.frame_iterations, show_default=True,
              help="Iterations of each later frame (one scale: it starts close to its answer).")
@click.option("--temporal_weight", type=float, default=DEFAULTS.temporal_weight, show_default=True,
              help="gamma: how strongly a frame keeps the previous one where the flow is reliable (0: not at all).")
@click.option("--flow", "flow_method", default=DEFAULT_FLOW, show_default=True,
              help=f"Optical flow: {', '.join(FLOW_METHODS)}.")
@config_options
@click.option("--library", default=None, help="Style library file; --style_imgs lib:NAME uses its entries.")
@click.option("--print_iterations", type=int, default=50, show_default=True, help="Log every N (--verbose).")
@quiet_verbose_options
def command(**opts) -> None:
    """Stylise a video: the first frame as a still, each later one started from the previous stylised
    frame moved along the optical flow and kept close to it (Ruder et al. 2016). A killed run
    continues where it stopped when the same command is given again."""
    verbosity = 0 if opts["quiet"] else 2 if opts["verbose"] else 1
    config = build_config(opts)
    video = VideoConfig(opts["start_frame"], opts["end_frame"], opts["first_frame_type"].lower(),
                        opts["init_frame_type"].lower(), opts["first_frame_iterations"], opts["frame_iterations"],
                        opts["temporal_weight"], opts["flow_method"].lower())
    source = Path(opts["content_video"])
    specs, inputs, segs = build_styles({**opts, "content_img_dir": opts["mask_dir"]})
    segmentation = None if segs is None else Segmentation(segs[0], tuple(segs[1]))
    if segmentation is not None and segmentation.automatic:
        raise NeuralStyleError("content_seg auto, style_segs auto: automatic regions are for stills (found anew in "
                               "each frame they would not hold still); give the clip's segmentation by hand")
    frames_dir = Path(opts["frames_dir"]) if opts["frames_dir"] else None
    work = frames_dir or Path(opts["output"]).with_suffix(".frames")
    continuing = (work / "video.json").exists()  # the same command after a kill: its own video may be replaced
    output = choose_output(opts["output"], ".", "", opts["overwrite"] or continuing, [source, *inputs], suffixes=(".mp4",))
    info = video_io.probe(source)  # a file that is not a video fails in a second, before TensorFlow is imported
    frame_range(info, video)
    mask_folders(specs, info)
    segmentation_folder(segmentation, info)

    from neural_style.video import stylise_video

    progress = VideoProgress(verbosity, opts["print_iterations"])
    cancel = (click.get_current_context().obj or {}).get("cancel")
    try:
        result = stylise_video(info, specs, config, video, output, frames_dir, progress, cancel, sys.argv,
                               segmentation=segmentation)
    finally:
        progress.close()
    if verbosity and result.frames:
        click.echo(f"wrote {output} ({len(result.frames)} frames, {result.record['seconds']:.1f}s"
                   f"{', interrupted' if result.interrupted else ''})", err=True)
    if result.interrupted:
        raise Interrupted(saved=bool(result.frames))


def long_option_names() -> frozenset[str]:
    return frozenset(opt.lstrip("-") for param in command.params for opt in param.opts + param.secondary_opts
                     if opt.startswith("--"))
