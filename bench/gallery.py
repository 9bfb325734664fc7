"""Quality over many image pairs: run configurations, measure them, and make contact sheets to look at.

    python -m bench.gallery run    --out /tmp/gallery --sizes 128 256 512 --configs default s1
    python -m bench.gallery seg    --out /tmp/gallery --sizes 256 512
    python -m bench.gallery table  --out /tmp/gallery > table.md
    python -m bench.gallery verdicts --out /tmp/gallery    # the segmentation verdicts alone, faster
    python -m bench.gallery sheets --out /tmp/gallery

``run`` stylises every content x style pair of PAIRS (real photos and paintings from ../shared/images)
at each size with each named configuration (CONFIGS), through the public API, one network build per
run. ``seg`` runs the Deep Photo Style Transfer sets of ../shared/images/masks segmented and
unsegmented, with their segmentations as shipped (``png``) and re-saved as JPEG at quality 75
(``q75``). Every output is a PNG with a JSON record (seconds, per-scale optimiser stops); existing
outputs are kept, so an interrupted run resumes.

``table`` prints Markdown tables of the yardstick (bench/yardstick.py: ``gram`` distance to the style,
``content`` relu4_2 distance to the photo) plus ``edges``, the correlation of the photo's and the
output's layout edges (:func:`edge_correlation`; 1 = the photo's layout is all there). For the segmentation sets it also prints each output
region's Gram distance to every style region (a row's own region should be its smallest), and the
early-stop census (scales whose optimiser stopped before its iterations, with the reason).
``sheets`` writes one contact sheet per size and configuration (rows: pairs; columns: photo, style,
output) and one side-by-side sheet per size (every configuration in its own column); for the
segmentation sets, one per size (photo, style, their hand segmentations, the automatic regions when
``auto`` ran, then each run). A script, not a test.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "images"

PAIRS = [
    ("content/tubingen.jpg", "style/starry_night.jpg"), ("content/golden_gate.jpg", "style/the_scream.jpg"),
    ("content/hoovertowernight.jpg", "style/composition_vii_kandinsky.jpg"),
    ("content/astronaut.png", "style/great_wave_hokusai.jpg"), ("content/chelsea.png", "style/woman-with-hat-matisse.jpg"),
    ("content/coffee.png", "style/shipwreck.jpg"), ("masks/face.jpg", "style/escher_sphere.jpg"),
    ("masks/00110.jpg", "style/starry_night.jpg"), ("masks/dpst_in1.png", "style/great_wave_hokusai.jpg"),
    ("masks/dpst_in11.png", "style/composition_vii_kandinsky.jpg"),
]
"""Ten real photos (landscape, portrait, night, close-up) with ten paintings, a greyscale one among them."""
SEG_SETS = ("dpst_in1", "dpst_in2", "dpst_in6", "dpst_in8", "dpst_in11", "dpst_in16", "dpst_in21", "dpst_in25",
            "dpst_in28", "dpst_in34", "dpst_in38", "dpst_in42", "dpst_in50", "dpst_in59")
"""The fourteen Deep Photo Style Transfer sets of ../shared/images/masks (MANIFEST.md)."""
CONFIGS: dict[str, dict] = {
    "default": {},
    "s1": {"scales": 1},  # one full-size scale
    "f32": {"min_scale_side": 32},  # coarse-to-fine with no floor but VGG-19's own 32 px
    "f64": {"min_scale_side": 64},
    "f128": {"min_scale_side": 128},
    "f192": {"min_scale_side": 192},
}


def _stem(path: str) -> str:
    return Path(path).stem


@functools.cache
def _engine():
    """One set of networks for every run of this process (outputs are the same as with a fresh one)."""
    from neural_style.scales import Engine

    return Engine()


def _run_one(target: Path, content, styles, config, extra: dict) -> None:
    from neural_style import run_transfer
    from neural_style.images import save_image

    start = time.perf_counter()
    result = run_transfer(content, styles, config, engine=_engine())
    save_image(target, result.image)
    record = {"seconds": round(time.perf_counter() - start, 1), "precision": result.precision,
              "scales": [vars(s) | {"messages": list(s.messages)} for s in result.scales], **extra}
    target.with_suffix(".json").write_text(json.dumps(record, default=str))
    print(f"{target.name}: {record['seconds']} s, scales {result.scale_sizes}", file=sys.stderr, flush=True)


def run_pairs(out: Path, sizes: list[int], configs: list[str]) -> None:
    from neural_style import StyleSpec, TransferConfig

    for size in sizes:
        for name in configs:
            for content, style in PAIRS:
                target = out / f"{_stem(content)}__{_stem(style)}__{size}__{name}.png"
                if not target.exists():
                    _run_one(target, SHARED / content, [StyleSpec(SHARED / style)],
                             TransferConfig(max_size=size, **CONFIGS[name]), {"content": content, "style": style})


def _seg_files(out: Path, name: str, variant: str) -> tuple[Path, Path]:
    """The set's two segmentations, as shipped (png) or re-saved as JPEG quality 75 (q75)."""
    paths = (SHARED / "masks" / f"{name}_mask.png", SHARED / "masks" / f"{name}_style_mask.png")
    if variant == "png":
        return paths
    copies = tuple(out / f"{p.stem}_q75.jpg" for p in paths)
    for source, copy in zip(paths, copies):
        cv2.imwrite(str(copy), cv2.imread(str(source)), [cv2.IMWRITE_JPEG_QUALITY, 75])
    return copies


def run_segmentations(out: Path, sizes: list[int], runs: list[str], sets: list[str]) -> None:
    """``runs``: ``unseg``, or ``png`` / ``q75`` (the segmentations as shipped or as JPEG) or ``auto``
    (found by the package, both written to ``OUT/auto_segs``), optionally with a content factor
    (``png:2``, saved as ``png-cf2``; none: the default)."""
    from neural_style import StyleSpec, TransferConfig, images
    from neural_style.regions import AUTO, auto_segmentation
    from neural_style.request import Segmentation
    from neural_style.segmentation import segmentation_styles

    for size in sizes:
        for name in sets:
            content, style = SHARED / "masks" / f"{name}.png", SHARED / "masks" / f"{name}_style.png"
            for run in runs:
                variant, _, factor = run.partition(":")
                label = f"{variant}-cf{factor}" if factor else variant
                target = out / f"seg__{name}__{size}__{label}.png"
                if target.exists():
                    continue
                config = TransferConfig(max_size=size, **({"segmentation_content_factor": float(factor)} if factor else {}))
                if variant == "unseg":
                    _run_one(target, content, [StyleSpec(style)], config, {"set": name})
                    continue
                if variant == "auto":  # found by the package (--content_seg auto), measured on the hand ones
                    found = auto_segmentation(Segmentation(AUTO, (AUTO,)), content, [StyleSpec(style)], config)
                    content_seg, style_seg = found.content, found.styles[0]
                    (out / "auto_segs").mkdir(exist_ok=True)
                    for kind, seg in (("content", content_seg), ("style", style_seg)):  # beside, not among the runs
                        images.save_image(out / "auto_segs" / f"{target.stem}__{kind}.png", seg)
                else:
                    content_seg, style_seg = _seg_files(out, name, variant)
                specs, regions = segmentation_styles(content_seg, [StyleSpec(style)], [style_seg], size, size)
                _run_one(target, content, specs, config, {"set": name, "regions": [r.name for r in regions]})


def census(dirs: list[Path]) -> None:
    """Early stops over every run recorded in ``dirs``: per directory and output size, the scales run,
    those that stopped before their budget (at which iteration, and why), iterations carried to the
    next scale, and the run's cost against its plan: objective evaluations weighted by each scale's
    pixels (a float32 finish's counted 3 each, as the budget does), over ``1.07 n + 1`` a scale of ``n``
    planned iterations (a smooth L-BFGS scale's rate). Records written before evaluations were
    counted show ``-`` there."""
    print("| runs | size | runs | scales | stopped early (size:iteration/budget:reason) | carried | cost / plan, median (max) |")
    print("|---|---|---|---|---|---|---|")
    for folder in dirs:
        groups: dict[int, list[dict]] = {}
        for path in sorted(folder.glob("*.json")):
            record = json.loads(path.read_text())
            if "scales" in record:
                groups.setdefault(int(path.stem.split("__")[2]), []).append(record)
        for size, records in sorted(groups.items()):
            scales = [x for r in records for x in r["scales"]]
            early = [f"{x['size']}:{x['iterations']}/{x['planned'] + x.get('carried', 0)}:{x['stop_reason']}"
                     for x in scales if x["iterations"] < x["planned"] + x.get("carried", 0)]
            carried = sum(x.get("carried", 0) for x in scales)
            ratios = [sum(x["evaluations"] * x["size"] ** 2 for x in r["scales"])
                      / sum((1.07 * x["planned"] + 1) * x["size"] ** 2 for x in r["scales"])
                      for r in records if all("evaluations" in x for x in r["scales"])]
            cost = f"{np.median(ratios):.2f} ({max(ratios):.2f})" if ratios else "-"
            print(f"| {folder.name} | {size} | {len(records)} | {len(scales)} | {len(early)} {' '.join(early)} | "
                  f"{carried} | {cost} |")


LAYOUT_SIZE, LAYOUT_BLUR = 128, 2.0


def edge_correlation(output: np.ndarray, content: np.ndarray) -> float:
    """Layout kept: Pearson correlation of the edge maps of two RGB images, both reduced to a longest side
    of LAYOUT_SIZE px (area averaging) so the measure is the same at every output size, their luminance
    blurred by LAYOUT_BLUR px and its Sobel gradient magnitude taken. 1: the photo's layout is all there;
    painting texture and small detail barely move it, a painting's layout painted over the photo does."""
    from neural_style.images import fit_longest_side, resize_to

    content = fit_longest_side(content, LAYOUT_SIZE)
    output = resize_to(output, *content.shape[:2])

    def edges(image):
        grey = cv2.GaussianBlur(cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2GRAY), (0, 0), LAYOUT_BLUR)
        return np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)).ravel()
    return float(np.corrcoef(edges(output), edges(content))[0, 1])


def _measure_pair(stick, path: Path, content_path: Path, style_path: Path, size: int) -> dict:
    from neural_style.images import load_image, resize_to

    output, content, style = load_image(path), load_image(content_path), load_image(style_path)
    result = stick.measure(output, content, style, size)
    shape = result["measured_shape"]
    result["edges"] = edge_correlation(resize_to(output, *shape), resize_to(content, *shape))
    return result


def _stops(record: dict) -> list[str]:
    """The scales of a run that stopped before their iterations, as ``size:done/planned:reason``."""
    out = []
    for scale in _scales(record):
        if scale["stop_reason"] != "completed" or scale.get("float32_iterations") or scale.get("restarts"):
            out.append(f"{scale['size']}:{scale['iterations']}/{scale['planned']}:{scale['stop_reason']}"
                       f"{'+f32 ' + str(scale['float32_iterations']) if scale.get('float32_iterations') else ''}")
    return out


def _scales(record: dict) -> list[dict]:
    """Per-scale reports of a record; records of c325037 (no reports) are read from scipy's outcomes
    as logged beside them (``per_scale``: status, message, nit, maxiter per L-BFGS-B call)."""
    if record.get("scales"):
        return record["scales"]
    sizes = record.get("scale_sizes", [])
    return [{"size": size, "planned": call["maxiter"], "iterations": call["nit"],
             "stop_reason": "completed" if call["status"] == 1 else ("converged: " + call["message"][:40])}
            for size, call in zip(sizes, record.get("per_scale", []))]


def table_pairs(out: Path, stick) -> None:
    rows = []
    for path in sorted(out.glob("*__*__*__*.png")):
        if path.name.startswith("seg__"):
            continue
        content, style, size, name = path.stem.split("__")
        record = json.loads(path.with_suffix(".json").read_text())
        pair = next(p for p in PAIRS if _stem(p[0]) == content and _stem(p[1]) == style)
        m = _measure_pair(stick, path, SHARED / pair[0], SHARED / pair[1], int(size))
        rows.append((int(size), content, style, name, m["gram"], m["content"], m["edges"], record))
    print("| size | pair | config | scales | gram | content | edges | seconds | early stops |\n|---|---|---|---|---|---|---|---|---|")
    for size, content, style, name, gram, cont, edges, record in sorted(rows):
        sizes = "/".join(str(s["size"]) for s in _scales(record))
        print(f"| {size} | {content} × {style} | {name} | {sizes} | {gram:.4f} | {cont:.4f} | {edges:.3f} | "
              f"{record['seconds']} | {' '.join(_stops(record)) or '-'} |")
    _compare(rows)
    _census(rows)


def _census(rows: list) -> None:
    """Early stops per size and configuration: scales that ran fewer iterations than planned, why, and
    how many went on in float32 after bfloat16 stalled."""
    print("\n| size | config | scales run | stopped early | reasons | finished in float32 (iterations) |")
    print("|---|---|---|---|---|---|")
    groups: dict[tuple[int, str], list[dict]] = {}
    for size, _, _, name, *_, record in rows:
        groups.setdefault((size, name), []).extend(_scales(record))
    for (size, name), scales in sorted(groups.items()):
        early = [x for x in scales if x["iterations"] < x["planned"]]
        reasons: dict[str, int] = {}
        for x in early:
            reasons[x["stop_reason"]] = reasons.get(x["stop_reason"], 0) + 1
        finished = [x.get("float32_iterations", 0) for x in scales if x.get("float32_iterations")]
        median = f" (median {int(np.median(finished))})" if finished else ""
        print(f"| {size} | {name} | {len(scales)} | {len(early)} | "
              f"{', '.join(f'{k} x{v}' for k, v in reasons.items()) or '-'} | {len(finished)}{median} |")


def _compare(rows: list) -> None:
    """Each configuration against ``s1`` at equal size and iterations: is it worse on both distances?"""
    by_key = {(r[0], r[1], r[3]): r for r in rows}
    configs = sorted({r[3] for r in rows} - {"s1"})
    print("\n| size | config | pairs | worse on both vs s1 | median gram ratio | median content ratio | median edges diff |")
    print("|---|---|---|---|---|---|---|")
    for size in sorted({r[0] for r in rows}):
        for name in configs:
            pairs = [(by_key[k], by_key[(size, k[1], "s1")]) for k in by_key
                     if k[0] == size and k[2] == name and (size, k[1], "s1") in by_key]
            if not pairs:
                continue
            worse = [a[1] for a, b in pairs if a[4] > b[4] and a[5] > b[5]]
            gram = np.median([a[4] / b[4] for a, b in pairs])
            cont = np.median([a[5] / b[5] for a, b in pairs])
            edges = np.median([a[6] - b[6] for a, b in pairs])
            print(f"| {size} | {name} | {len(pairs)} | {len(worse)} {' '.join(worse)} | {gram:.3f} | {cont:.3f} | {edges:+.3f} |")


def _region_masks(seg_path: Path, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """``{region name: mask [H, W]}`` of a segmentation, found by the package, resized to ``shape``."""
    from neural_style.masks import resize_mask
    from neural_style.segmentation import (
        ANALYSIS_SIZE,
        Region,
        find_regions,
        label_map,
        read_segmentation,
    )

    seg = read_segmentation(seg_path, "segmentation", ANALYSIS_SIZE)
    centres, _ = find_regions(seg, "segmentation")
    labels = label_map(seg, centres)
    return {Region(tuple(int(v) for v in np.rint(c)), 0.0, ()).name: resize_mask((labels == k).astype(np.float32), *shape)
            for k, c in enumerate(centres)}


def _region_distance(stick, output, style, out_mask, style_mask) -> float:
    from bench.yardstick import gram_distance

    return gram_distance(stick.model, output, style, out_mask, style_mask)


def table_segmentations(out: Path, stick, detail_rows: bool = True) -> None:
    """Per set and size: the detail of every run (each output region against every style region; not
    with ``detail_rows`` False, the ``verdicts`` stage, which measures each region against its own
    style region only), then segmented against unsegmented, region by region, and the whole image's
    content distance."""
    from neural_style.images import fit_longest_side, load_image, resize_to

    detail, own = [], {}
    for path in sorted(out.glob("seg__*.png")):
        _, name, size, run = path.stem.split("__")
        size = int(size)
        content = fit_longest_side(load_image(SHARED / "masks" / f"{name}.png"), size)
        style = fit_longest_side(load_image(SHARED / "masks" / f"{name}_style.png"), size)
        output = resize_to(load_image(path), *content.shape[:2])
        whole = stick.measure(output, content, style, size)
        content_regions = _region_masks(SHARED / "masks" / f"{name}_mask.png", content.shape[:2])
        style_regions = _region_masks(SHARED / "masks" / f"{name}_style_mask.png", style.shape[:2])
        cells = []
        for region, mask in content_regions.items():
            if region not in style_regions or mask.mean() < 0.01:
                continue
            distance = _region_distance(stick, output, style, mask, style_regions[region])
            others = [_region_distance(stick, output, style, mask, m) for r, m in style_regions.items()
                      if r != region and m.mean() >= 0.01] if detail_rows else []
            own[name, size, run, region] = (distance, float(mask.mean()))
            cells.append(f"{region.split()[-1]} {distance:.3f} ({' '.join(f'{o:.3f}' for o in others)})")
        own[name, size, run, "content"] = (whole["content"], 1.0)
        record = json.loads(path.with_suffix(".json").read_text())
        detail.append(f"| {name} | {size} | {run} | {whole['gram']:.4f} | {whole['content']:.4f} | "
                      f"{edge_correlation(output, content):.3f} | {' '.join(_stops(record)) or '-'} | {'; '.join(cells)} |")
    if detail_rows:
        print("\n| set | size | run | gram | content | edges | early stops | region: Gram distance to its own style region (to the others) |")
        print("|---|---|---|---|---|---|---|---|")
        print("\n".join(detail))
    runs = sorted({k[2] for k in own} - {"unseg"})
    print(f"\n| set | size | region (share) | unsegmented | {' | '.join(runs)} |\n|---|---|---|---{'|---' * len(runs)}|")
    for name, size, run, region in sorted(k for k in own if k[2] == "unseg"):
        base, share = own[name, size, "unseg", region]
        cells = []
        for variant in runs:
            value = own.get((name, size, variant, region), (float("nan"), 0))[0]
            cells.append(f"{value:.3f} ({100 * (value / base - 1):+.0f} %)")
        label = "whole image: content distance" if region == "content" else f"{region} ({share:.0%}): Gram to own region"
        print(f"| {name} | {size} | {label} | {base:.3f} | {' | '.join(cells)} |")
    _verdicts(own, runs)


def _verdicts(own: dict, runs: list[str]) -> None:
    """Per set, size and segmented run: regions closer to their own style region than unsegmented (of
    the regions both segmentations share), and the content distance over the unsegmented run's. A set
    holds when at least 2/3 of its regions are closer and the content ratio is at most 1.10."""
    print(f"\n| set | size | {' | '.join(f'{r}: regions closer, content ratio' for r in runs)} |\n|---|---{'|---' * len(runs)}|")
    held: dict[tuple[int, str], list[int]] = {}
    for name, size in sorted({(k[0], k[1]) for k in own if k[2] == "unseg"}):
        regions = [k[3] for k in own if k[:3] == (name, size, "unseg") and k[3] != "content"]
        cells = []
        for run in runs:
            if (name, size, run, "content") not in own:
                cells.append("-")
                continue
            closer = sum(own[name, size, run, r][0] < own[name, size, "unseg", r][0] for r in regions)
            ratio = own[name, size, run, "content"][0] / own[name, size, "unseg", "content"][0]
            ok = closer >= 2 * len(regions) / 3 and ratio <= 1.10
            held.setdefault((size, run), []).append(ok)
            cells.append(f"{closer}/{len(regions)}, {ratio:.2f}{'' if ok else ' ✗'}")
        print(f"| {name} | {size} | {' | '.join(cells)} |")
    print("\n| size | run | sets that hold |\n|---|---|---|")
    for (size, run), oks in sorted(held.items()):
        print(f"| {size} | {run} | {sum(oks)} of {len(oks)} |")


def _tile(image: np.ndarray, side: int, label: str = "") -> np.ndarray:
    from neural_style.images import fit_longest_side, to_uint8

    small = to_uint8(fit_longest_side(image, side, enlarge=True))
    tile = np.full((side, side, 3), 255, np.uint8)
    y, x = (side - small.shape[0]) // 2, (side - small.shape[1]) // 2
    tile[y:y + small.shape[0], x:x + small.shape[1]] = small
    if label:
        cv2.rectangle(tile, (0, 0), (side, 16), (255, 255, 255), -1)
        cv2.putText(tile, label[:34], (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)
    return tile


def sheets(out: Path, side: int = 200) -> None:
    from neural_style.images import load_image, save_image

    sheet_dir = out / "sheets"
    sheet_dir.mkdir(exist_ok=True)
    runs = [p for p in out.glob("*__*__*__*.png") if not p.name.startswith("seg__")]
    for size in sorted({int(p.stem.split("__")[2]) for p in runs}):
        names = sorted({p.stem.split("__")[3] for p in runs if int(p.stem.split("__")[2]) == size})
        rows_by_name: dict[str, list] = {n: [] for n in names}
        side_by_side = []
        for content, style in PAIRS:
            base = [_tile(load_image(SHARED / content), side, _stem(content)), _tile(load_image(SHARED / style), side, _stem(style))]
            found = {n: out / f"{_stem(content)}__{_stem(style)}__{size}__{n}.png" for n in names}
            outputs = {n: _tile(load_image(p), side, f"{n} {size}px") for n, p in found.items() if p.exists()}
            for n, tile in outputs.items():
                rows_by_name[n].append(np.hstack(base + [tile]))
            if outputs:
                side_by_side.append(np.hstack(base + [outputs.get(n, _tile(np.full((8, 8, 3), 255.0), side, n)) for n in names]))
        for n, rows in rows_by_name.items():
            if rows:
                save_image(sheet_dir / f"sheet_{size}_{n}.png", np.vstack(rows))
        if side_by_side:
            save_image(sheet_dir / f"compare_{size}.png", np.vstack(side_by_side))
    seg_runs = sorted(out.glob("seg__*.png"))
    for size in sorted({int(p.stem.split("__")[2]) for p in seg_runs}):
        rows = []
        for name in SEG_SETS:
            masks = SHARED / "masks"
            tiles = [_tile(load_image(masks / f"{name}{suffix}.png"), side, f"{name}{suffix}")
                     for suffix in ("", "_mask", "_style", "_style_mask")]
            tiles += [_tile(load_image(p), side, f"auto regions ({p.stem.split('__')[-1]})")  # what auto runs found
                      for p in sorted(out.glob(f"auto_segs/seg__{name}__{size}__auto__*.png"))]
            tiles += [_tile(load_image(p), side, f"{p.stem.split('__')[3]} {size}px")
                      for p in sorted(out.glob(f"seg__{name}__{size}__*.png"), key=lambda p: (p.stem.split("__")[3] != "unseg", p.stem.split("__")[3]))]
            rows.append(np.hstack(tiles))
        if rows and len({r.shape for r in rows}) == 1:
            save_image(sheet_dir / f"segmentation_{size}.png", np.vstack(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=("run", "seg", "table", "verdicts", "sheets", "census"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/gallery"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["default", "s1"])
    parser.add_argument("--seg-runs", nargs="+", default=["unseg", "png", "q75"],
                        help="seg: unseg, png, q75, auto, each optionally :FACTOR (png:2)")
    parser.add_argument("--sets", nargs="+", default=list(SEG_SETS), help="seg: which DPST sets")
    parser.add_argument("--more", type=Path, nargs="*", default=[], help="census: more output folders")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.stage == "run":
        run_pairs(args.out, args.sizes, args.configs)
    elif args.stage == "seg":
        run_segmentations(args.out, args.sizes, args.seg_runs, args.sets)
    elif args.stage == "census":
        census([args.out, *args.more])
    elif args.stage == "verdicts":
        from bench.yardstick import Yardstick

        table_segmentations(args.out, Yardstick(), detail_rows=False)
    elif args.stage == "table":
        from bench.yardstick import Yardstick

        stick = Yardstick()
        table_pairs(args.out, stick)
        table_segmentations(args.out, stick)
    else:
        sheets(args.out)


if __name__ == "__main__":
    main()
