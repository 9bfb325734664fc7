"""Colour control on real images: original colours in four spaces, colour transfer before the run,
luminance-only transfer, and a greyscale painting."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA

from bench.yardstick import chroma_error, gram_distance, sliced_wasserstein_ab
from neural_style import StyleSpec, TransferConfig, colour, run_transfer
from neural_style.images import read_image

SIZE = 80
CONTENT, STYLE = DATA / "tubingen.jpg", DATA / "starry_night.jpg"
BASE = TransferConfig(max_size=SIZE, scales=1, max_iterations=30, precision="float32")


@pytest.fixture(scope="module")
def run(engine):
    """``run(**changes)``: the output of BASE with ``changes`` (float32 0..255), each setting run once
    for the module."""
    from dataclasses import replace

    done: dict = {}

    def output(**changes) -> np.ndarray:
        key = tuple(sorted(changes.items()))
        if key not in done:
            config = replace(BASE, **changes)
            done[key] = run_transfer(CONTENT, [StyleSpec(STYLE)], config, engine=engine).image.astype(np.float32)
        return done[key]

    return output


@pytest.fixture(scope="module")
def content() -> np.ndarray:
    return read_image(CONTENT, "content", SIZE)


@pytest.fixture(scope="module")
def style() -> np.ndarray:
    return read_image(STYLE, "style", SIZE)


@pytest.fixture(scope="module")
def plain(run) -> np.ndarray:
    return run()


LUMINANCE_LAYERS = ("block1_relu1", "block2_relu1", "block3_relu1", "block4_relu1", "block5_relu1")
DEEP_LAYERS = ("block3_relu1", "block4_relu1", "block5_relu1")


def test_every_space_round_trips_in_floating_point(content):
    for space in colour.SPACES:
        back = colour.from_space(colour.to_space(content, space), space)
        assert np.abs(back - content).max() < 1.0, space
        assert colour.luminance(np.full((2, 2, 3), 255.0), space) == pytest.approx(255.0, abs=0.5)


def test_a_run_with_original_colors_is_the_plain_run_with_the_photos_chroma(content, plain, run):
    """original_colors changes nothing in the optimisation: it recolours the finished image (so the
    four spaces below are measured on the plain run, recoloured, without three more runs)."""
    output = run(original_colors=True, color_convert_type="lab")
    expected = colour.finish_colours(plain, content, True, False, "lab")
    assert np.abs(output - np.clip(np.round(expected), 0, 255)).max() <= 1.0  # the plain run was rounded to 8 bits first
    assert np.abs(output - plain).max() > 20  # and it did change


@pytest.mark.parametrize("space", colour.SPACES)
def test_original_colors_keep_the_photos_chroma_and_the_styles_luminance(space, content, style, plain, extractor):
    output = np.clip(np.round(colour.finish_colours(plain, content, True, False, space)), 0, 255)
    assert chroma_error(output, content, space) < 2.0
    assert chroma_error(plain, content, space) > 5.0  # the plain run's colours are the painting's
    ours = gram_distance(extractor, colour.luminance_image(output, space), colour.luminance_image(style, space),
                         layers=LUMINANCE_LAYERS)
    theirs = gram_distance(extractor, colour.luminance_image(plain, space), colour.luminance_image(style, space),
                           layers=LUMINANCE_LAYERS)
    assert ours < 1.10 * theirs


def test_linear_colour_transfer_gives_the_style_the_photos_mean_and_covariance(content, style):
    moved = colour.match_colours_linear(style, content)
    pixels, target = moved.reshape(-1, 3), content.reshape(-1, 3)
    assert np.allclose(pixels.mean(axis=0), target.mean(axis=0), rtol=0.01)
    cov_moved, cov_target = np.cov(pixels.T), np.cov(target.T)
    assert np.abs(cov_moved - cov_target).max() < 0.01 * np.abs(cov_target).max()


def test_histogram_colour_transfer_gives_the_style_the_photos_colour_histograms(content, style):
    moved = colour.match_colours_histogram(style, content)
    _, axes = np.linalg.eigh(np.cov(content.reshape(-1, 3).T))
    for k in range(3):
        ours, theirs = moved.reshape(-1, 3) @ axes[:, k], content.reshape(-1, 3) @ axes[:, k]
        spread = np.percentile(theirs, 95) - np.percentile(theirs, 5)
        assert np.abs(np.percentile(ours, [5, 25, 50, 75, 95]) - np.percentile(theirs, [5, 25, 50, 75, 95])).max() < 0.02 * spread


@pytest.mark.parametrize("method", ["linear", "histogram"])
def test_colour_transfer_brings_the_photos_colours_and_keeps_the_style(method, content, style, plain, extractor, run):
    """Colours: sliced Wasserstein distance on a*b* to the photo's. Style: each run's Gram distance on
    relu3_1..relu5_1 to the style image it was given (after the transfer for this run): how far the
    optimisation got, which colour transfer should not change."""
    output = run(color_transfer=method)
    assert sliced_wasserstein_ab(output, content) < 0.6 * sliced_wasserstein_ab(plain, content)
    recoloured = colour.transfer_colours(style, content, method)
    ours = gram_distance(extractor, output, recoloured, layers=DEEP_LAYERS)
    assert ours < 1.15 * gram_distance(extractor, plain, style, layers=DEEP_LAYERS)


def test_a_recoloured_style_pulls_with_its_paintings_strength(content, style, extractor):
    """losses, "Colour control": each layer's term is weighted by ||A(painting)||^2 / ||A(recoloured)||^2.
    Starry Night given tubingen's duller colours has smaller Grams, so its gains are well above 1 and
    the style loss at the photo is of the painting's order, not a third of it; no recolouring: gain 1."""
    from neural_style.objective import TargetPass
    from neural_style.styles import prepare_styles, style_terms

    targets = TargetPass(extractor)
    layers = LUMINANCE_LAYERS

    def numpy_gram(image: np.ndarray, layer: str) -> np.ndarray:
        features = targets.features(image, [layer])[layer].numpy().reshape(-1, extractor.output[layer].shape[-1])
        return features.T @ features / len(features)

    moved = colour.match_colours_linear(style, content)
    prepared = prepare_styles([StyleSpec(style)], content.shape[:2], 1.0, lambda image: moved)
    gains = style_terms(targets, prepared, layers, content.shape[:2])[0].gains
    for layer in layers:
        expected = (np.linalg.norm(numpy_gram(style, layer)) / np.linalg.norm(numpy_gram(moved, layer))) ** 2
        assert gains[layer] == pytest.approx(expected, rel=1e-3)
        assert gains[layer] > 1.5
    unchanged = prepare_styles([StyleSpec(style)], content.shape[:2], 1.0, lambda image: image)
    assert all(g == pytest.approx(1.0, abs=1e-6) for g in style_terms(targets, unchanged, layers, content.shape[:2])[0].gains.values())
    assert style_terms(targets, prepare_styles([StyleSpec(style)], content.shape[:2], 1.0), layers,
                       content.shape[:2])[0].gains == dict.fromkeys(layers, 1.0)


def test_a_colour_transferred_style_keeps_its_values_at_coarse_scales():
    """Linear transfer to face's colours puts some of the Scream's values outside 0..255 (not clipped,
    which would undo the match); a coarse scale's copy keeps them, so its colour mean is the full-size
    one's (area averaging keeps means; clipping moved it by 0.35 levels here)."""
    from neural_style.styles import prepare_styles, styles_at

    face = read_image(DATA / "face.jpg", "content", 128)
    recolour = colour.style_recolouring(face, "linear", False, "yuv")
    prepared = prepare_styles([StyleSpec(DATA / "the_scream.jpg")], face.shape[:2], 1.0, recolour)
    full = prepared[0].image
    assert full.min() < -5 and full.max() > 260
    half = styles_at(prepared, 0.5, (face.shape[0] // 2, face.shape[1] // 2))[0].image
    assert max(half.shape[:2]) < max(full.shape[:2])
    assert np.abs(half.reshape(-1, 3).mean(axis=0) - full.reshape(-1, 3).mean(axis=0)).max() < 0.05


def test_luminance_only_keeps_the_photos_chroma_and_stylises_luminance_more(content, style, plain, extractor, run):
    output = run(luminance_only=True)
    assert chroma_error(output, content, "yuv") < 2.0
    # an original_colors run in yuv: the plain run recoloured (test_a_run_with_original_colors_...)
    kept = np.clip(np.round(colour.finish_colours(plain, content, True, False, "yuv")), 0, 255)
    target = colour.luminance_image(style, "yuv", like=content)
    ours = gram_distance(extractor, colour.luminance_image(output, "yuv"), target, layers=LUMINANCE_LAYERS)
    theirs = gram_distance(extractor, colour.luminance_image(kept, "yuv"), target, layers=LUMINANCE_LAYERS)
    assert ours < theirs


def test_a_greyscale_painting_with_original_colors_keeps_the_photos_colours(content, engine):
    output = run_transfer(CONTENT, [StyleSpec(DATA / "escher_sphere.jpg")],
                          TransferConfig(max_size=SIZE, scales=1, max_iterations=20, precision="float32",
                                         original_colors=True), engine=engine).image.astype(np.float32)
    assert chroma_error(output, content, "yuv") < 2.0
    moved = colour.match_colours_linear(read_image(DATA / "escher_sphere.jpg", "style", SIZE), content)
    assert np.all(np.isfinite(moved))
    assert np.allclose(moved.reshape(-1, 3).mean(axis=0), content.reshape(-1, 3).mean(axis=0), rtol=0.01)


def test_bad_colour_options_are_one_line():
    from neural_style.errors import NeuralStyleError

    with pytest.raises(NeuralStyleError, match="color_convert_type must be one of yuv, ycrcb, luv, lab"):
        TransferConfig(color_convert_type="hsv")
    with pytest.raises(NeuralStyleError, match="color_transfer must be one of none, linear, histogram"):
        TransferConfig(color_transfer="pca")
