"""Colour-coded segmentations as people save them: regions found by colour, matched between the
content's and each style's segmentation, and expanded into one StyleSpec per region.

A segmentation is an RGB image with one flat colour per region (sky, water, hair, ...); the same
colour in the content's and a style's segmentation marks corresponding regions. Real files are not
flat: edges are anti-aliased or blurred, JPEG adds noise and shifts colours by a few levels (pure
green becomes (0, 255, 1)), and resizing blends neighbours. So regions are found, not read:

1. The segmentation is shrunk (area averaging) to the size the run works at, or to ANALYSIS_SIZE
   if that is larger, never enlarged: a 12-megapixel file costs no more than a small one.
2. A pixel is *flat* when no channel varies by more than FLAT_RANGE in its 3x3 neighbourhood:
   region interiors are flat, edges and their blends are not. A segmentation is mostly flat; a photo
   is not, so fewer than MIN_FLAT_SHARE flat pixels is an error.
3. The flat pixels' colours are clustered greedily: the most frequent colour not yet taken, refined
   to the mean of the colours within MERGE_RADIUS (RGB distance) of it, takes them; a cluster with
   at least REGION_MIN_SHARE of the image is a region. More than MAX_REGIONS regions is an error.
4. Every pixel, edges included, belongs to the region of the nearest colour. A content region takes
   the style region whose colour is within MERGE_RADIUS of its own; none means the style has no such
   region and the whole style image is used there.

What this cannot tell apart: a smooth gradient, or a photo blurred beyond recognition, is flat
everywhere and passes as bands of colour. The realistic mistakes, passing the photo or the painting
itself, are refused.

The Deep Photo Style Transfer authors (Luan et al. 2017) fix nine colours (blue, green, black,
white, red, yellow, grey, light blue, purple) and accept a pixel when every channel is within 0.1
(26 levels) of 0, 0.5 or 1; edge blends then belong to no region. Their files work here unchanged,
and so does any other palette whose region colours are more than MERGE_RADIUS apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from neural_style.config import ImageSource, StyleSpec
from neural_style.errors import NeuralStyleError
from neural_style.images import as_rgb_array, fit_longest_side, load_image
from neural_style.library import StoredStyle

ANALYSIS_SIZE = 512
"""Least longest side (px) at which regions are found: at small sizes edges are a large share of the
pixels (an eye is a few pixels), so a 96 px run still analyses its segmentation at 512 px."""
FLAT_RANGE = 12
"""A pixel is flat when every channel stays within this many levels over its 3x3 neighbourhood."""
MIN_FLAT_SHARE = 0.8
"""Least share of flat pixels in a segmentation. Measured at 512 px: real segmentations 0.91-0.98,
also after JPEG at quality 75 or a Gaussian blur of 2 px; photos 0.37-0.69, paintings 0.01-0.44."""
MERGE_RADIUS = 32.0
"""Colours within this RGB distance are one region (JPEG moves a flat colour by a few levels; DPST's
own tolerance is 26 per channel). Distinct region colours must be further apart."""
REGION_MIN_SHARE = 0.0005
"""Least share of the image a region's flat pixels must cover: an eye in a portrait covers 0.2 % of it,
and at 256 px a quarter of that is its flat interior; 3x3 blends along edges are never flat."""
MAX_REGIONS = 16
"""More regions than this after merging is not a segmentation a person drew."""

DPST_COLOURS = {
    "black": (0, 0, 0), "white": (255, 255, 255), "grey": (128, 128, 128), "red": (255, 0, 0),
    "green": (0, 255, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0), "lightblue": (0, 255, 255),
    "purple": (255, 0, 255),
}
"""The Deep Photo Style Transfer label colours, used to name regions in notes and records."""


@dataclass(frozen=True)
class Region:
    """One region of the content segmentation and its counterpart in each style's.

    ``colour``: its RGB colour as found (the cluster's mean, rounded). ``content_share``: share of
    the content covered. ``style_shares``: per style image, the share of its segmentation covered by
    the matching region, or None when it has none (the whole style image is used there).
    """

    colour: tuple[int, int, int]
    content_share: float
    style_shares: tuple[float | None, ...]

    @property
    def name(self) -> str:
        """``#rrggbb``, with the DPST colour name when it is one (``#00ff00 green``)."""
        hex_code = region_key(self.colour)
        named = [n for n, c in DPST_COLOURS.items() if np.linalg.norm(np.subtract(c, self.colour)) <= MERGE_RADIUS]
        return f"{hex_code} {named[0]}" if named else hex_code


def region_key(colour: Sequence[float]) -> str:
    """A region's colour as ``#rrggbb`` (rounded): its name in records and its key in the style library."""
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in np.rint(np.asarray(colour, np.float64))))


def key_colour(key: str) -> tuple[int, int, int]:
    """The colour of a ``#rrggbb`` key."""
    return int(key[1:3], 16), int(key[3:5], 16), int(key[5:7], 16)


def read_segmentation(source: ImageSource, what: str, longest: int) -> np.ndarray:
    """A segmentation (path or RGB array) as uint8 ``[H, W, 3]``, shrunk to a longest side of at
    most ``longest`` by area averaging; its colours are labels, never colour-converted."""
    image = (as_rgb_array(source, what) if isinstance(source, np.ndarray)
             else load_image(source, what, longest, labels=True))
    return np.rint(fit_longest_side(image, longest)).astype(np.uint8)


def _flat_pixels(segmentation: np.ndarray) -> np.ndarray:
    kernel = np.ones((3, 3), np.uint8)
    spread = cv2.dilate(segmentation, kernel).astype(np.int16) - cv2.erode(segmentation, kernel).astype(np.int16)
    return spread.max(axis=2) <= FLAT_RANGE


def find_regions(segmentation: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Region colours ``[K, 3]`` (float32) of a segmentation ``[H, W, 3]`` uint8, and the share of the
    image each one's flat pixels cover ``[K]``, largest first. Raises NeuralStyleError for an image
    that is not a segmentation."""
    flat = _flat_pixels(segmentation)
    if flat.mean() < MIN_FLAT_SHARE:
        raise NeuralStyleError(
            f"{what}: not a segmentation: only {flat.mean():.0%} of its pixels lie in flat colour regions "
            f"(a segmentation has one flat colour per region, at least {MIN_FLAT_SHARE:.0%} flat); is it a photo?"
        )
    # each colour packed into one integer, 0xRRGGBB: np.unique on it gives the colours in the order
    # np.unique(axis=0) gives (by R, then G, then B); on a 700x437 segmentation 2 ms, against 0.41 s
    # for the row sort of np.unique(axis=0)
    pixels = segmentation[flat].astype(np.int32)
    codes, counts = np.unique((pixels[:, 0] << 16) | (pixels[:, 1] << 8) | pixels[:, 2], return_counts=True)
    colours = np.stack([codes >> 16, (codes >> 8) & 255, codes & 255], axis=1).astype(np.float32)
    free = np.ones(len(colours), bool)
    centres, shares = [], []
    while free.any():
        centre = colours[np.argmax(np.where(free, counts, -1))]
        for _ in range(3):  # a few mean-shift steps: the cluster's centre, not its most frequent shade
            members = free & (np.linalg.norm(colours - centre, axis=1) <= MERGE_RADIUS)
            centre = counts[members] @ colours[members] / counts[members].sum()
        free &= ~members
        share = counts[members].sum() / flat.size
        if share < REGION_MIN_SHARE:
            break
        centres.append(centre)
        shares.append(share)
        if len(centres) > MAX_REGIONS:
            raise NeuralStyleError(f"{what}: not a segmentation: more than {MAX_REGIONS} colour regions "
                                   f"(region colours must be flat and at least {MERGE_RADIUS:.0f} RGB levels apart)")
    if not centres:
        raise NeuralStyleError(f"{what}: not a segmentation: no flat colour covers {REGION_MIN_SHARE:.2%} of it")
    return np.array(centres, np.float32).reshape(-1, 3), np.array(shares)


def label_map(segmentation: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index ``[H, W]`` of the nearest region colour of every pixel (two ``[H, W]`` arrays of work
    memory, whatever the number of regions)."""
    pixels = segmentation.astype(np.float32)
    labels = np.zeros(segmentation.shape[:2], np.int32)
    nearest = np.full(segmentation.shape[:2], np.inf, np.float32)
    for index, centre in enumerate(centres):
        distance = np.sum((pixels - centre) ** 2, axis=2)
        closer = distance < nearest
        labels[closer], nearest[closer] = index, distance[closer]
    return labels


def match_colours(ours: np.ndarray, theirs: np.ndarray) -> list[int | None]:
    """For each colour in ``ours [K, 3]``, the index of the nearest in ``theirs [J, 3]`` within
    MERGE_RADIUS, or None."""
    if len(theirs) == 0:
        return [None] * len(ours)
    distances = np.linalg.norm(ours[:, None, :] - theirs[None, :, :], axis=2)
    return [int(j) if distances[i, j] <= MERGE_RADIUS else None for i, j in enumerate(distances.argmin(axis=1))]


def segmentation_styles(
    content_seg: ImageSource, styles: Sequence[StyleSpec], style_segs: Sequence[ImageSource],
    size: int = 512, style_size: int | None = None,
) -> tuple[list[StyleSpec], list[Region]]:
    """Expand styles with colour-coded segmentations into one StyleSpec per region of the content.

    ``content_seg`` and ``style_segs`` (one per style image; a stored style brings its own regions
    from the library and takes none) are read and shrunk to ``size`` and ``style_size`` (default
    ``size``), the longest sides the run works at, or ANALYSIS_SIZE if larger; the masks come at that
    size and the run resizes them to its own. Each region of the output takes the Gram of the
    same-coloured region of each style, or that whole style when it has none. Returns the StyleSpecs
    (content-space masks shared between styles, region by region) and the regions found, for notes
    and records.
    """
    files = [spec for spec in styles if not isinstance(spec.image, StoredStyle)]
    if len(style_segs) != len(files):
        raise NeuralStyleError(
            f"style_segs needs one segmentation per style image file: {len(files)} file(s), {len(style_segs)} received"
            + (" (a stored style brings its own regions)" if len(files) < len(styles) else "")
        )
    content = read_segmentation(content_seg, "content_seg", max(size, ANALYSIS_SIZE))
    centres, _ = find_regions(content, "content_seg")
    labels = label_map(content, centres)
    content_masks = [(labels == r).astype(np.float32) for r in range(len(centres))]
    segs = iter(enumerate(style_segs))
    # per style: for each content region, (the style's matching region, its share) or (None, None)
    per_style: list[list[tuple[ImageSource | StoredStyle | None, float | None]]] = []
    for spec in styles:
        if isinstance(spec.image, StoredStyle):
            keys = list(spec.image.info.regions)
            stored = np.array([key_colour(key) for key in keys], np.float32).reshape(-1, 3)
            per_style.append([(None, None) if j is None else (spec.image.in_region(keys[j]), spec.image.info.regions[keys[j]])
                              for j in match_colours(centres, stored)])
            continue
        k, source = next(segs)
        seg = read_segmentation(source, f"style_segs[{k}]", max(style_size or size, ANALYSIS_SIZE))
        style_centres, _ = find_regions(seg, f"style_segs[{k}]")
        style_labels = label_map(seg, style_centres)
        per_style.append([(None, None) if j is None else ((style_labels == j).astype(np.float32),
                                                          float((style_labels == j).mean()))
                          for j in match_colours(centres, style_centres)])
    expanded, regions = [], []
    for r, mask in enumerate(content_masks):
        if not mask.any():
            continue
        colour = tuple(int(v) for v in np.rint(centres[r]))
        seg_index = 0
        for spec, matches in zip(styles, per_style, strict=True):
            match = matches[r][0]
            if isinstance(spec.image, StoredStyle):
                expanded.append(StyleSpec(match or spec.image, spec.weight, mask, None, "content_seg"))
            else:
                expanded.append(StyleSpec(spec.image, spec.weight, mask, match, "content_seg", f"style_segs[{seg_index}]"))
                seg_index += 1
        regions.append(Region(colour, float(mask.mean()), tuple(matches[r][1] for matches in per_style)))
    return expanded, regions


def _percent(value: float) -> str:
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def describe_regions(regions: Sequence[Region]) -> str:
    """One note line: every region with its share of the content and of each style's segmentation."""
    def share(value: float | None) -> str:
        return "none (whole style image used)" if value is None else _percent(value)

    parts = [f"{r.name} {_percent(r.content_share)} of the content, " + ", ".join(
        f"{share(s)} of style_segs[{k}]" for k, s in enumerate(r.style_shares)) for r in regions]
    return f"segmentation regions: {len(regions)}: " + "; ".join(parts)
