"""What the style library stores, computed: a style image's Grams at every size of its ladder, with the
same sizing, masking and float32 network a run uses, so that a stored style gives a run the targets it
would compute from the file (:mod:`neural_style.library` keeps them; this module needs TensorFlow).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from neural_style import images
from neural_style.config import ImageSource
from neural_style.errors import NeuralStyleError
from neural_style.features import build_feature_extractor
from neural_style.layers import canonical_layer_name, feature_size
from neural_style.library import (
    DEFAULT_DTYPE,
    LADDER,
    STORED_LAYERS,
    WHOLE,
    EntryInfo,
    Provenance,
    StoredStyle,
    StyleLibrary,
    check_dtype,
    check_name,
    describe_source,
    source_sha256,
    unique_name,
    utc_now,
)
from neural_style.masks import masks_for_layers, read_mask
from neural_style.objective import TargetPass
from neural_style.segmentation import (
    ANALYSIS_SIZE,
    find_regions,
    label_map,
    read_segmentation,
    region_key,
)
from neural_style.version import __version__
from neural_style.weights import load_vgg19_weights, weights_fingerprint


def add_style(library: StyleLibrary, name: str, image: str | Path | np.ndarray,
              segmentation: str | Path | np.ndarray | None = None, sizes: Sequence[int] = LADDER,
              layers: Sequence[str] = STORED_LAYERS, dtype: str = DEFAULT_DTYPE, weights: str = "default",
              pooling: str = "avg", replace_existing: bool = False) -> EntryInfo:
    """Compute a style's Grams (a float32 VGG-19; about 20 s for the default ladder on 2 CPU cores,
    most of it at 2048 px) and store them in ``library`` as ``name``. ``image``/``segmentation``:
    path or array. Names, sizes and layers are checked before anything is computed."""
    name = check_name(name)
    check_dtype(dtype)
    sizes = sorted({int(size) for size in sizes})
    if not sizes or sizes[0] < 32 or sizes[-1] > 8192:
        raise NeuralStyleError(f"sizes must be longest sides between 32 and 8192 px. Received: {list(sizes)}")
    layers = tuple(dict.fromkeys(canonical_layer_name(layer) for layer in layers))
    if not replace_existing and name in library.names():
        raise NeuralStyleError(f"style library {library.path}: a style named {name!r} exists; remove it first or "
                               "choose another name")
    grams, shares, (height, width) = ladder_grams(image, segmentation, sizes, layers, weights, pooling)
    provenance = Provenance(
        describe_source(image), source_sha256(image), int(width), int(height), weights_fingerprint(weights), pooling,
        "float32", __version__, utc_now(), None if segmentation is None else describe_source(segmentation),
        None if segmentation is None else source_sha256(segmentation))
    return library.put(name, "image", provenance, grams, dtype, shares, replace_existing)


def find_or_add(library: StyleLibrary, image: str | Path, segmentation: str | Path | None, weights: str,
                pooling: str, largest: int = LADDER[-1]) -> StoredStyle:
    """The entry made from this very file (and segmentation) by this network, added on first use
    under a name made from the file's (``--cache_styles``), with the ladder's sizes up to the first
    that reaches ``largest`` (the run's largest style size): a 256 px preview does not pay for the
    2048 px Grams (about 20 s on 2 CPU cores). A later, larger run adds the sizes it needs."""
    sizes = ladder_up_to(largest)
    wanted = (source_sha256(image), None if segmentation is None else source_sha256(segmentation),
              weights_fingerprint(weights), pooling)
    entries = library.entries()
    for info in entries:
        p = info.provenance
        if info.kind == "image" and (p.source_sha256, p.segmentation_sha256, p.weights_sha256, p.pooling) == wanted \
                and set(STORED_LAYERS) <= set(info.layers):
            missing = [size for size in sizes if size not in info.sizes]
            if missing:
                grams, _, _ = ladder_grams(image, segmentation, missing, info.layers, weights, pooling)
                info = library.add_sizes(info.name, grams)
            return StoredStyle(library.path, info)
    name = unique_name(Path(image).name, {info.name for info in entries})
    return StoredStyle(library.path, add_style(library, name, image, segmentation, sizes, weights=weights,
                                               pooling=pooling))


def ladder_up_to(largest: int) -> tuple[int, ...]:
    """The default ladder's sizes up to the first that is at least ``largest`` (all of it beyond):
    what :func:`grams.between_sizes` needs for every size up to ``largest``."""
    top = next((size for size in LADDER if size >= largest), LADDER[-1])
    return tuple(size for size in LADDER if size <= top)


def ladder_grams(
    image: ImageSource, segmentation: ImageSource | None, sizes: Sequence[int], layers: Sequence[str],
    weights: str = "default", pooling: str = "avg",
) -> tuple[dict[tuple[int, str, str], np.ndarray], dict[str, float], tuple[int, int]]:
    """What a library entry stores: ``{(size, region, layer): [N, N]}`` float32 Grams of ``image`` at
    each longest side in ``sizes``, for the whole image (region WHOLE) and each colour region of
    ``segmentation``; the regions' shares of the image; its full ``(height, width)``.

    A float32 network, and the sizing and masking a run uses (``read_image``, ``read_mask``), so a
    float32 run with the stored style at a stored size has exactly the targets it would compute
    from the file."""
    targets = TargetPass(build_feature_extractor(layers, load_vgg19_weights(weights), pooling, "float32"))
    full_shape = image.shape[:2] if isinstance(image, np.ndarray) else images.load_image(image, "style image").shape[:2]
    keys, shares, region_masks = [WHOLE], {}, [None]
    if segmentation is not None:
        seg = read_segmentation(segmentation, "segmentation", max(max(sizes), ANALYSIS_SIZE))
        centres, _ = find_regions(seg, "segmentation")
        labels = label_map(seg, centres)
        for r, centre in enumerate(centres):
            mask = (labels == r).astype(np.float32)
            if mask.any():
                keys.append(region_key(centre))
                shares[keys[-1]] = float(mask.mean())
                region_masks.append(mask)
    grams: dict[tuple[int, str, str], np.ndarray] = {}
    for size in sizes:
        sized = images.read_image(image, "style image", size, enlarge=True)
        shapes = {layer: feature_size(layer, *sized.shape[:2]) for layer in layers}
        regions = [None if m is None else masks_for_layers(read_mask(m, sized.shape[:2], "segmentation region",
                                                                     "the style image"), shapes) for m in region_masks]
        for key, region_grams in zip(keys, targets.grams(sized, layers, regions), strict=True):
            grams.update({(size, key, layer): gram.numpy() for layer, gram in region_grams.items()})
    return grams, shares, full_shape
