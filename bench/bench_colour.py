"""Colour control, measured over several pairs, and docs/colour.md's sheet.

    python -m bench.bench_colour --out /tmp/bench_colour > colour.md

For each pair and mode (plain, original colours in four spaces, linear and histogram colour transfer,
luminance-only) one run; the table gives the chroma error against the photo (mean absolute, 0..255, in
the mode's space), the sliced Wasserstein distance of the a*b* colours to the photo's, the luminance
Gram distance to the style's luminance (relu1_1..relu5_1), and the Gram distance on relu3_1..relu5_1 to
the style image the run was given. Then the sheet: one pair at --sheet-size, every mode side by side.
A script, not a test.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
PAIRS = (("tubingen.jpg", "starry_night.jpg"), ("face.jpg", "the_scream.jpg"),
         ("astronaut.png", "composition_vii_kandinsky.jpg"), ("chelsea.png", "great_wave_hokusai.jpg"))
MODES = {
    "plain": {}, "orig yuv": {"original_colors": True}, "orig ycrcb": {"original_colors": True, "color_convert_type": "ycrcb"},
    "orig luv": {"original_colors": True, "color_convert_type": "luv"},
    "orig lab": {"original_colors": True, "color_convert_type": "lab"},
    "linear": {"color_transfer": "linear"}, "histogram": {"color_transfer": "histogram"},
    "luminance only": {"luminance_only": True},
}
LUMINANCE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
DEEP_LAYERS = ("relu3_1", "relu4_1", "relu5_1")


def find(name: str) -> Path:
    for folder in (REPO / "tests" / "data", REPO / "image_input"):
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"{name} not found")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_colour"))
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--sheet-size", type=int, default=384)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from bench.yardstick import (
        build_model,
        chroma_error,
        gram_distance,
        sliced_wasserstein_ab,
    )
    from neural_style import StyleSpec, TransferConfig, colour, run_transfer
    from neural_style.images import read_image

    extractor = build_model()
    base = TransferConfig(max_size=args.size, scales=1, max_iterations=args.iterations, precision="float32")
    print(f"{args.size} px, one scale, {args.iterations} L-BFGS iterations, float32\n")
    print("| pair | mode | chroma error | a*b* SWD to photo | luminance Gram dist. | relu3-5 Gram dist. to its style |")
    print("|---|---|---:|---:|---:|---:|")
    for content_name, style_name in PAIRS:
        content = read_image(find(content_name), "content", args.size)
        style = read_image(find(style_name), "style", max(content.shape[:2]))
        for mode, changes in MODES.items():
            config = replace(base, **changes)
            output = run_transfer(find(content_name), [StyleSpec(find(style_name))], config).image.astype(np.float32)
            space = config.color_convert_type
            given = colour.transfer_colours(style, content, config.color_transfer)
            lum_target = colour.luminance_image(style, space, like=content if config.luminance_only else None)
            print(f"| {Path(content_name).stem} × {Path(style_name).stem} | {mode} | {chroma_error(output, content, space):.2f} | "
                  f"{sliced_wasserstein_ab(output, content):.2f} | "
                  f"{gram_distance(extractor, colour.luminance_image(output, space), lum_target, layers=LUMINANCE_LAYERS):.3f} | "
                  f"{gram_distance(extractor, output, given, layers=DEEP_LAYERS):.3f} |", flush=True)
    sheet_modes = ("plain", "orig yuv", "orig lab", "linear", "histogram", "luminance only")
    content_name, style_name = PAIRS[0]
    config = TransferConfig(max_size=args.sheet_size)
    tiles = []
    for name in ("content", "style", *sheet_modes):
        if name in ("content", "style"):
            image = read_image(find(content_name if name == "content" else style_name), name, args.sheet_size)
        else:
            image = run_transfer(find(content_name), [StyleSpec(find(style_name))], replace(config, **MODES[name])).image
        image = np.asarray(image, np.float32)
        height = 200
        size = (round(image.shape[1] * height / image.shape[0]), height)
        tile = np.clip(cv2.resize(image, size, interpolation=cv2.INTER_AREA), 0, 255).astype(np.uint8)
        cv2.putText(tile, name, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 2, cv2.LINE_AA)
        tiles.append(tile)
    rows = [np.hstack(tiles[:4]), np.hstack(tiles[4:])]
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    cv2.imwrite(str(args.out / "colour.jpg"), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    print(f"\nsheet: {args.out / 'colour.jpg'} ({content_name} × {style_name}, {args.sheet_size} px, defaults)")


if __name__ == "__main__":
    main()
