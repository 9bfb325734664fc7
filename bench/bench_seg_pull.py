"""How much harder a segmentation pulls at the photo: the style gradient of a segmented run against the
same run unsegmented, at the start image, on the fourteen DPST sets.

    python -m bench.bench_seg_pull --size 256

At the start the content term's gradient is zero and the style term's is all there is; L-BFGS moves the
image until the content term pushes back as hard, so the content distance a run ends at grows with the
style gradient at the photo over the content weight (to first order). The ratio printed,
``||grad S_seg(photo)|| / ||grad S_unseg(photo)||``, is the content weight a segmented run would need to
end as near the photo as the unsegmented one (losses: "Segmentations"). A script, not a test.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "images"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()

    from bench.gallery import SEG_SETS
    from neural_style import StyleSpec, TransferConfig
    from neural_style.images import read_image
    from neural_style.scales import Engine, Networks, build_objective
    from neural_style.segmentation import segmentation_styles
    from neural_style.styles import prepare_styles

    config = TransferConfig(max_size=args.size, content_weight=0.0, tv_weight=0.0, precision="float32")
    networks = Networks(Engine(), config, "float32")
    ratios = []
    print("| set | style gradient at the photo: segmented / unsegmented |\n|---|---|")
    for name in SEG_SETS:
        masks = SHARED / "masks"
        content = read_image(masks / f"{name}.png", "content", args.size)
        plain = [StyleSpec(masks / f"{name}_style.png")]
        segmented, _ = segmentation_styles(masks / f"{name}_mask.png", plain, [masks / f"{name}_style_mask.png"],
                                           args.size, args.size)
        norms = []
        for specs in (segmented, plain):
            styles = prepare_styles(specs, content.shape[:2], 1.0)
            objective = build_objective(*networks.get("float32")[:2], content, styles, config,
                                        networks.get("float32")[2])
            norms.append(float(np.linalg.norm(objective(content).gradient)))
        ratios.append(norms[0] / norms[1])
        print(f"| {name} | {ratios[-1]:.2f} |", flush=True)
    print(f"| median (quartiles) | {np.median(ratios):.2f} ({np.percentile(ratios, 25):.2f}-{np.percentile(ratios, 75):.2f}) |")


if __name__ == "__main__":
    main()
