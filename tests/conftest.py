"""Shared fixtures: real images from tests/data (copied from ../shared/images) and the real VGG-19."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
STYLE_LAYERS = ("block1_relu1", "block2_relu1", "block3_relu1", "block4_relu1", "block5_relu1")


@pytest.fixture(scope="session", autouse=True)
def private_style_library(tmp_path_factory) -> Path:
    """No test reads or writes the user's style library: the default one is a fresh file here."""
    path = tmp_path_factory.mktemp("default_library") / "styles.sqlite"
    os.environ["NEURAL_STYLE_LIBRARY"] = str(path)
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def vgg_weights():
    from neural_style.weights import load_vgg19_weights

    return load_vgg19_weights("default")


@pytest.fixture(scope="session")
def extractor(vgg_weights):
    """The real VGG-19 (shipped weights) tapping the style layers and relu4_2."""
    from neural_style.features import build_feature_extractor

    return build_feature_extractor(STYLE_LAYERS + ("block4_relu2",), vgg_weights)


def small(name: str, longest: int) -> np.ndarray:
    from neural_style.images import fit_longest_side, load_image

    return fit_longest_side(load_image(DATA / name), longest)


def gram_distance(extractor, image: np.ndarray, style: np.ndarray, mask: np.ndarray | None = None,
                  style_mask: np.ndarray | None = None) -> float:
    """Mean over the style layers of ||G(image) - G(style)||_F / ||G(style)||_F (optionally per region)."""
    from neural_style.losses import gram_matrix
    from neural_style.masks import resize_mask
    from neural_style.objective import extract_features

    fi, fs = extract_features(extractor, image), extract_features(extractor, style)
    total = 0.0
    for layer in STYLE_LAYERS:
        mi = None if mask is None else resize_mask(mask, *fi[layer].shape[:2])
        ms = None if style_mask is None else resize_mask(style_mask, *fs[layer].shape[:2])
        gi, gs = gram_matrix(fi[layer], mi).numpy(), gram_matrix(fs[layer], ms).numpy()
        total += np.linalg.norm(gi - gs) / np.linalg.norm(gs)
    return total / len(STYLE_LAYERS)


def content_distance(extractor, image: np.ndarray, content: np.ndarray) -> float:
    """||relu4_2(image) - relu4_2(content)|| / ||relu4_2(content)||."""
    from neural_style.objective import extract_features

    a = extract_features(extractor, image)["block4_relu2"].numpy()
    b = extract_features(extractor, content)["block4_relu2"].numpy()
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))
