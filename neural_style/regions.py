"""Automatic matched regions (``--content_seg auto``, ``--style_segs auto``, ``neural-style regions``):
each image's cells (deep features, colour, position) cut by spectral clustering, the regions of every
image matched to the reference's, written as colour-coded segmentations the CLI reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from neural_style import images
from neural_style.config import ImageSource, StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.segmentation import (
    MERGE_RADIUS,
    find_regions,
    label_map,
    read_segmentation,
)

AUTO = "auto"
"""A segmentation given as this word is found by the package (:func:`auto_segmentation`)."""
AUTO_REGIONS = 3
"""Regions found when ``--regions`` is not given. Over the fourteen DPST sets at 256 px (spectral
clustering; bench/results/auto-regions.md), the run with 3 brings at least two thirds of a photo's hand
regions nearer the painting's than the unsegmented run (content at most 1.10 times as far) on 9 sets; as
many regions as each photo shows (:func:`pick_regions`, ``--regions picked``) on 8, 2 on 6, 4 on 7.
Median adjusted Rand index against the hand segmentations (content and style): 0.539 at 3, 0.579
picked, 0.522 at 2, 0.488 at 4. The fourteen sets have 2 to 8 hand regions, 3 the most often."""
PICKED = "picked"
"""``--regions picked``: as many regions as the photo shows (:func:`pick_regions`), given as None."""
PICKED_REGIONS = (2, 5)
"""The counts :func:`pick_regions` chooses from. The fourteen DPST sets have 2 to 8 hand regions, and
more than 5 automatic ones split large regions (the sky into bands) more often than they find small
ones (bench/results/auto-regions.md)."""
SPECTRAL_WIDTH = 0.25
"""Affinity of two cells in :func:`spectral_embedding`: ``exp(-d^2 / (SPECTRAL_WIDTH * median d^2))``,
d the distance between their :func:`region_features`. Over the fourteen DPST sets at 256 px with K
picked per photo, widths of 0.25 and 0.5 gave the same median adjusted Rand index (0.579, content and
style; 0.12: 0.511, 1: 0.551) and stylised, 8 and 7 sets held (bench/results/auto-regions.md).
Per-cell widths (Zelnik-Manor and Perona's seventh neighbour) gave 0.285: they cut coherent regions
into local pieces."""
AUTO_SIZE = 256
"""Longest side (px) at which regions are found: relu4_1 then has 32 cells along it."""
AUTO_LAYER = "relu4_1"
"""The deep features: what a region is (foliage, sky, skin). relu3_1 tells textures apart rather than
things, relu5_1 is too coarse for small regions (the measured table is in bench/results/auto-regions.md)."""
COLOUR_WEIGHT = 0.8
"""Weight of the CIELAB colour (each channel scaled to about 0..1) against the unit-length deep features."""
POSITION_WEIGHT = 0.4
"""Weight of the position (0..1 down and across): sky above, ground below, without forcing it."""
FEATURE_BLUR = 2.0
"""Gaussian blur (in cells of a quarter of the image's resolution) of the deep features before
clustering, so that a region is coherent rather than salt and pepper."""
SPECK_SHARE = 0.01
"""A connected piece of a region under this share of its image joins the region around it."""
LABEL_SIDE = 512
"""Longest side (px) at which label maps are drawn and cleaned; larger images get them scaled up."""
EDGE_RADIUS = 1 / 8
"""Radius, as a share of the longest side, of the guided filter that moves region borders onto the
image's own edges (:func:`guided_filter`): the cells' borders are off by up to a few cells (relu4_1
sees 8 px cells, blurred by FEATURE_BLUR). Over the fourteen DPST sets, radii of 1/32, 1/16 and 1/8
raised the median adjusted Rand index (content and style) from 0.507 to 0.525, 0.533 and 0.531; 1/8
has the best content and style medians taken apart (0.477 and 0.598; bench/results/auto-regions.md)."""
EDGE_EPS = 1e-3
"""The guided filter's regularisation, colours in 0..1: a border follows an edge across which the
colour changes by more than about ``sqrt(EDGE_EPS)`` = 0.03 (at radius 1/32, 1e-2 gave the same
medians within 0.005)."""
AUTO_PALETTE = ((0, 0, 255), (0, 255, 0), (0, 0, 0), (255, 255, 255), (255, 0, 0), (255, 255, 0),
                (128, 128, 128), (0, 255, 255), (255, 0, 255))
"""Region colours of automatic segmentations: Deep Photo Style Transfer's nine, in their order."""
MAX_AUTO_REGIONS = len(AUTO_PALETTE)
UNMATCHED_COLOURS = ((255, 128, 0), (128, 0, 255), (0, 128, 128))
"""Colours for a region left without a counterpart (:data:`NO_COUNTERPART_RATIO`): the first that lies
beyond twice MERGE_RADIUS from every region colour in use (orange, with AUTO_PALETTE)."""
NO_COUNTERPART_RATIO = 2.0
"""A region is left without a counterpart when the region it is matched to is further from it (squared
distance over deep features and position) than this many times that region's distance to the nearest
other region of its own image: the painting has nothing more like it than the photo's own other
things are. Its content pixels are then stylised by the whole style (as a hand-made segmentation
without that colour). Chosen over the fourteen DPST sets at 256 px, where every hand region has a
counterpart: with k-means regions it left 1 of their 42 automatic regions unmatched (dpst_in16's), with
spectral ones 2 (dpst_in2's at 2.03, dpst_in6's at 2.23; dpst_in16's is at 1.99); in a square cut from
one region of dpst_in21 it leaves the photo's two other regions unmatched (bench/results/auto-regions.md).
Ratios of right matches reach 1.9 there, so no threshold tells every wrong match apart."""


def region_features(features: np.ndarray, image: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """What regions are clustered on, per cell of a grid a quarter of the image's resolution:
    ``[cells, C + 5]`` float32 (deep features ``[h, w, C]`` of the image, blurred and scaled to unit
    length; CIELAB colour; position) and the grid's ``(rows, columns)``. ``image``: RGB ``[H, W, 3]``
    0..255 at the size the features were computed at."""
    rows, cols = (image.shape[0] + 3) // 4, (image.shape[1] + 3) // 4
    deep = _resize_channels(features.astype(np.float32), rows, cols)
    deep = _resize_channels(deep, rows, cols, blur=FEATURE_BLUR)
    deep /= np.linalg.norm(deep, axis=2, keepdims=True) + 1e-6
    small = cv2.resize(np.clip(image, 0, 255).astype(np.float32) / 255, (cols, rows), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2Lab) / np.array([100, 128, 128], np.float32)
    down, across = np.mgrid[0:rows, 0:cols].astype(np.float32)
    position = np.stack([down / rows, across / cols], axis=2)
    cells = np.concatenate([deep, COLOUR_WEIGHT * lab, POSITION_WEIGHT * position], axis=2)
    return cells.reshape(rows * cols, -1).astype(np.float32), (rows, cols)


def _resize_channels(array: np.ndarray, rows: int, cols: int, blur: float = 0.0) -> np.ndarray:
    """``[h, w, C]`` resized (bilinear) to ``[rows, cols, C]``, or blurred: OpenCV takes at most 128
    channels at a time."""
    out = []
    for start in range(0, array.shape[2], 128):
        part = array[..., start:start + 128]
        part = cv2.GaussianBlur(part, (0, 0), blur) if blur else cv2.resize(part, (cols, rows), interpolation=cv2.INTER_LINEAR)
        out.append(part.reshape(rows, cols, -1))
    return np.concatenate(out, axis=2)


def spectral_embedding(cells: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The leading ``count`` eigenvalues (descending, 1 first) and eigenvectors ``[cells, count]`` of
    the cells' normalised affinity ``D^-1/2 W D^-1/2`` (Ng, Jordan & Weiss 2002; W: Gaussian of the
    distance, :data:`SPECTRAL_WIDTH`; D: W's row sums). ``cells``: ``[N, D]`` float32 (at most a few
    thousand: W is dense, ``N^2`` float32)."""
    from scipy.sparse.linalg import eigsh

    if len(cells) <= count:
        raise NeuralStyleError(f"regions: an image of {len(cells)} cells is too small to find {count} regions in")
    x = cells.astype(np.float32)
    squares = (x * x).sum(axis=1)
    affinity = squares[:, None] + squares[None, :] - 2 * (x @ x.T)
    np.maximum(affinity, 0, out=affinity)
    affinity *= -1 / (SPECTRAL_WIDTH * float(np.median(affinity)) + 1e-12)
    np.exp(affinity, out=affinity)
    np.fill_diagonal(affinity, 0)
    scale = 1 / np.sqrt(affinity.sum(axis=1))
    affinity *= scale[:, None]
    affinity *= scale[None, :]
    if len(x) <= 4 * count:  # too few cells for Lanczos
        values, vectors = np.linalg.eigh(affinity)
        values, vectors = values[-count:], vectors[:, -count:]
    else:
        values, vectors = eigsh(affinity, k=count, which="LA", tol=1e-6, v0=np.ones(len(x), np.float32))
    order = np.argsort(-values)
    return values[order], vectors[:, order]


def pick_regions(values: np.ndarray) -> int:
    """How many regions an image has: the K in :data:`PICKED_REGIONS` after which its normalised
    affinity's eigenvalues (descending, from :func:`spectral_embedding`) drop the most, ``values[K-1]
    - values[K]`` (the eigengap; von Luxburg 2007, section 8.3): K groups of cells with little affinity
    between them give K eigenvalues near 1."""
    low, high = PICKED_REGIONS
    gaps = values[low - 1:high] - values[low:high + 1]
    return low + int(np.argmax(gaps))


def cluster_cells(embedded: np.ndarray, regions: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells' regions ``[N]`` int32 and their centres ``[K, K]``: k-means (k-means++, 8 starts,
    seeded) over ``embedded`` ``[N, K]``, the leading K eigenvectors of :func:`spectral_embedding` with
    each row scaled to unit length (Ng, Jordan & Weiss)."""
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 100, 1e-5)
    _, labels, centres = cv2.kmeans(embedded, regions, None, criteria, 8, cv2.KMEANS_PP_CENTERS)
    return labels.ravel().astype(np.int32), centres


def match_centres(reference: np.ndarray, centres: np.ndarray) -> list[int]:
    """For each of ``centres`` ``[K, D]`` (regions' mean cells), the index of its counterpart in
    ``reference`` ``[J, D]`` (J >= K), or J when it has none: the assignment (Hungarian) of least total
    distance over the deep features and the position, each pair then kept only within
    :data:`NO_COUNTERPART_RATIO`. Colour is left out: a painting's sky need not be the photo's colour
    to be a sky."""
    from scipy.optimize import linear_sum_assignment

    kept = np.ones(centres.shape[1], bool)
    kept[-5:-2] = False  # the three CIELAB columns (see region_features)
    cost = ((centres[:, None, kept] - reference[None, :, kept]) ** 2).sum(axis=2)
    among = ((reference[:, None, kept] - reference[None, :, kept]) ** 2).sum(axis=2)
    nearest = (among + np.diag(np.full(len(reference), np.inf))).min(axis=1)  # to the nearest other reference region
    rows, cols = linear_sum_assignment(cost)
    return [int(c) if cost[r, c] <= NO_COUNTERPART_RATIO * nearest[c] else len(reference)
            for r, c in sorted(zip(rows, cols, strict=True))]


def label_cells(cells: np.ndarray, grid: tuple[int, int], centres: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Each pixel's region ``[H, W]`` int32 at ``image``'s size (RGB ``[H, W, 3]`` 0..255): the cells'
    distances to the centres, upsampled (bilinear, to at most LABEL_SIDE) so that borders run between
    cells rather than along them, filtered along the image's edges (:func:`guided_filter`), then the
    nearest centre; specks under SPECK_SHARE join the region around them; then ``image``'s size."""
    shape = image.shape[:2]
    distances = ((cells[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).reshape(*grid, len(centres))
    scale = min(1.0, LABEL_SIDE / max(shape))
    work = (max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale)))
    guide = cv2.resize(np.clip(image, 0, 255).astype(np.float32) / 255, (work[1], work[0]), interpolation=cv2.INTER_AREA)
    distances = guided_filter(guide, _resize_channels(distances.astype(np.float32), *work),
                              max(1, round(EDGE_RADIUS * max(work))), EDGE_EPS)
    labels = merge_specks(distances.argmin(axis=2).astype(np.int32), SPECK_SHARE)
    return cv2.resize(labels, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) if work != shape else labels


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He, Sun & Tang's guided filter (ECCV 2010) with a colour guide: ``source`` ``[H, W, K]`` float32
    smoothed within ``radius`` px except across the edges of ``guide`` ``[H, W, 3]`` (0..1), where it
    takes them: in each window the output is a linear function of the guide's colour, fitted to the
    source with ridge ``eps``. Returns ``[H, W, K]`` float32."""
    side = 2 * radius + 1

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, (side, side), borderType=cv2.BORDER_REFLECT)

    mean_guide = mean(guide)
    covariance = np.empty((*guide.shape[:2], 3, 3), np.float32)
    for a in range(3):
        for b in range(a, 3):
            covariance[..., a, b] = covariance[..., b, a] = (mean(guide[..., a] * guide[..., b])
                                                             - mean_guide[..., a] * mean_guide[..., b])
    inverse = np.linalg.inv(covariance + eps * np.eye(3, dtype=np.float32))
    out = np.empty_like(source)
    for k in range(source.shape[2]):
        plane = np.ascontiguousarray(source[..., k])
        mean_plane = mean(plane)
        cross = np.stack([mean(guide[..., c] * plane) - mean_guide[..., c] * mean_plane for c in range(3)], axis=2)
        slope = np.einsum("hwij,hwj->hwi", inverse, cross)
        offset = mean_plane - (slope * mean_guide).sum(axis=2)
        out[..., k] = (mean(slope) * guide).sum(axis=2) + mean(offset)
    return out


def auto_labels(features: Callable[[np.ndarray], np.ndarray], images: Sequence[np.ndarray],
                given: Sequence[np.ndarray | None], regions: int | None = AUTO_REGIONS) -> tuple[list[np.ndarray], int]:
    """Matched regions of several images (the content first, then each style): a label map ``[H, W]``
    int32 per image, at its own size, label i the same kind of thing in every one (label K: a region
    without a counterpart), and the number of regions K.

    ``images``: RGB ``[H, W, 3]`` 0..255. ``features``: the AUTO_LAYER activations ``[h, w, C]`` of an
    image. ``given``: per image, its hand-made label map (indices shared by every given image) or None
    to find it. Each image without one is cut on its own into K regions by spectral clustering of its
    cells (deep features, colour, position; :func:`spectral_embedding`), then its regions are matched
    one to one to the reference's (:func:`match_centres`): the given labels' mean cells when some are
    given (K is then their count), else the first image's regions. K is ``regions``, or when None the
    content's own (:func:`pick_regions`). Clustering the images together instead matched fewer regions
    to the right kind of thing; k-means on the cells instead of spectral clustering, at K = 3, agreed
    less with the hand segmentations (bench/results/auto-regions.md)."""
    if len(given) != len(images):
        raise ValueError("one entry of given per image")
    found = []
    for image in images:
        sized = _fit(image, AUTO_SIZE)
        found.append(region_features(features(sized), sized))
    known = [(cells, _grid_labels(labels, grid)) for (cells, grid), labels in zip(found, given, strict=True)
             if labels is not None]
    reference = None
    if known:
        stacked, chosen = (np.concatenate(parts) for parts in zip(*known, strict=True))
        present = [k for k in range(int(chosen.max()) + 1) if (chosen == k).any()]
        reference = np.full((int(chosen.max()) + 1, stacked.shape[1]), 1e3, np.float32)  # absent labels: never matched
        for k in present:
            reference[k] = stacked[chosen == k].mean(axis=0)
        regions = len(present)
    elif regions is not None and not 2 <= regions <= MAX_AUTO_REGIONS:
        raise NeuralStyleError(f"regions must be a whole number from 2 to {MAX_AUTO_REGIONS}. Received: {regions}")
    count = max(regions or 0, PICKED_REGIONS[1] + 1)  # one eigenvalue past the largest K picked
    spectra = [None if labels is not None else spectral_embedding(cells, count)
               for (cells, _), labels in zip(found, given, strict=True)]
    if regions is None:
        regions = pick_regions(spectra[0][0])
    out = []
    for (cells, grid), labels, image, spectrum in zip(found, given, images, spectra, strict=True):
        if spectrum is None:
            out.append(labels)
            continue
        embedded = np.ascontiguousarray(spectrum[1][:, :regions], np.float32)
        embedded /= np.linalg.norm(embedded, axis=1, keepdims=True) + 1e-12
        assignment, centres = cluster_cells(embedded, regions)
        means = np.stack([cells[assignment == k].mean(axis=0) if (assignment == k).any()
                          else np.full(cells.shape[1], 1e3, np.float32) for k in range(regions)])
        if reference is None:
            reference, order = means, list(range(regions))
        else:
            order = match_centres(reference, means)
        out.append(np.asarray(order, np.int32)[label_cells(embedded, grid, centres, image)])
    return out, regions


def _fit(image: np.ndarray, longest: int) -> np.ndarray:
    """``image`` resized (area) to a longest side of ``longest`` px."""
    scale = longest / max(image.shape[:2])
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(np.asarray(image, np.float32), size, interpolation=cv2.INTER_AREA)


def _grid_labels(labels: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """A hand-made label map ``[H, W]`` at the cells' grid (nearest), flattened ``[cells]``."""
    return cv2.resize(labels.astype(np.int32), (grid[1], grid[0]), interpolation=cv2.INTER_NEAREST).reshape(-1)


def merge_specks(labels: np.ndarray, share: float) -> np.ndarray:
    """``labels`` ``[H, W]`` with every connected piece under ``share`` of the image given to the
    region most of its border touches (smallest pieces first, until none is left)."""
    labels = labels.copy()
    least = share * labels.size
    for _ in range(64):  # each pass merges every small piece; a handful of passes settle it
        pieces = []
        for value in np.unique(labels):
            count, parts, stats, _ = cv2.connectedComponentsWithStats((labels == value).astype(np.uint8), connectivity=4)
            pieces += [(stats[p, cv2.CC_STAT_AREA], value, parts == p) for p in range(1, count)
                       if stats[p, cv2.CC_STAT_AREA] < least]
        if not pieces or len(np.unique(labels)) == 1:
            return labels
        for _, value, piece in sorted(pieces, key=lambda p: p[0]):
            border = cv2.dilate(piece.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & ~piece
            around = labels[border]
            around = around[around != value]
            if around.size:
                labels[piece] = np.bincount(around).argmax()
    return labels


def region_palette(colours: Sequence[Sequence[float]]) -> np.ndarray:
    """``colours`` ``[N, 3]`` (RGB 0..255, one per region label) and, as label N, the colour of a region
    without a counterpart (:data:`UNMATCHED_COLOURS`): uint8 ``[N + 1, 3]``."""
    used = np.asarray(colours, np.float32).reshape(-1, 3)
    spare = next(c for c in UNMATCHED_COLOURS if np.linalg.norm(used - c, axis=1).min(initial=np.inf) > 2 * MERGE_RADIUS)
    return np.rint(np.concatenate([used, [spare]])).astype(np.uint8)


def colour_coded(labels: np.ndarray, colours: Sequence[Sequence[int]] = AUTO_PALETTE) -> np.ndarray:
    """A segmentation the CLI reads: RGB uint8 ``[H, W, 3]``, region i in ``colours[i]``."""
    return np.asarray(colours, np.uint8)[labels]


def is_auto(source: object) -> bool:
    """Whether a segmentation source is :data:`AUTO`."""
    return isinstance(source, str) and source == AUTO


def auto_segmentation(segmentation: Any, content: ImageSource, specs: Sequence[StyleSpec], config: TransferConfig):
    """``segmentation`` (a :class:`~neural_style.request.Segmentation`) with each :data:`AUTO` entry
    replaced by a colour-coded segmentation (RGB uint8 array at its image's working size) found by
    :func:`auto_labels`: with every side automatic in AUTO_PALETTE's colours, else in the colours of
    the segmentations given by hand, which the automatic ones follow."""
    from neural_style.library import StoredStyle

    files = [spec.image for spec in specs if not isinstance(spec.image, StoredStyle)]
    if len(files) < len(specs):
        raise NeuralStyleError("content_seg auto, style_segs auto: a stored style brings its own regions, which "
                               "automatic regions cannot be matched to; give its content segmentation by hand")
    longest = [config.max_size] + [round(config.style_scale * config.max_size)] * len(files)
    names = ["content_img"] + [f"style_imgs[{k}]" for k in range(len(files))]
    pictures = [images.read_image(source, name, size) for source, name, size in zip([content, *files], names, longest, strict=True)]
    sources = [segmentation.content, *segmentation.styles]
    colours: list[np.ndarray] = []
    given = []
    for k, (source, picture) in enumerate(zip(sources, pictures, strict=True)):
        if is_auto(source):
            given.append(None)
            continue
        what = "content_seg" if k == 0 else f"style_segs[{k - 1}]"
        seg = cv2.resize(read_segmentation(source, what, max(picture.shape[:2])), (picture.shape[1], picture.shape[0]),
                         interpolation=cv2.INTER_NEAREST)
        found, _ = find_regions(seg, what)
        for colour in found:  # one shared list of region colours over the segmentations given
            if not colours or min(np.linalg.norm(np.asarray(colours) - colour, axis=1)) > MERGE_RADIUS:
                colours.append(colour)
        given.append(label_map(seg, np.asarray(colours, np.float32)))
    labels, regions = auto_labels(feature_function(config.weights), pictures, given, segmentation.regions)
    palette = region_palette(colours or AUTO_PALETTE[:regions])
    coded = [colour_coded(lab, palette) if gift is None else source
             for lab, gift, source in zip(labels, given, sources, strict=True)]
    return replace(segmentation, content=coded[0], styles=tuple(coded[1:]))


def feature_function(weights: str = "default") -> Callable[[np.ndarray], np.ndarray]:
    """The AUTO_LAYER activations ``[h, w, C]`` of an RGB image, by a float32 VGG-19 built for this."""
    # TensorFlow: only when regions are found
    from neural_style.features import build_feature_extractor
    from neural_style.objective import extract_features
    from neural_style.weights import load_vgg19_weights

    extractor = build_feature_extractor([AUTO_LAYER], load_vgg19_weights(weights))
    return lambda image: np.asarray(next(iter(extract_features(extractor, image).values())))
