"""Tiles: geometry, feathered blending, tiled style Grams, a tiled run against a whole one, the seam
measure, resuming inside a tiled scale, the planner's tiles and the CLI's tile options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import gram_distance, run_main, small

from neural_style import StyleSpec, TransferConfig, tiling
from neural_style.images import fit_longest_side, load_image

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@pytest.mark.parametrize("height, width, tile, overlap", [(768, 1024, 256, 64), (777, 1000, 300, 37), (97, 2000, 512, 128),
                                                          (64, 64, 64, 16), (130, 129, 64, 32)])
def test_tiles_cover_the_image_in_one_shape_and_overlap_by_at_least_the_overlap(height, width, tile, overlap):
    tiles = tiling.tile_grid(height, width, tile, overlap)
    assert len({(t.height, t.width) for t in tiles}) == 1
    covered = np.zeros((height, width), int)
    for t in tiles:
        assert t.height == height if height <= tile else t.height <= tile
        assert t.width == width if width <= tile else t.width <= tile
        assert t.top >= 0 and t.left >= 0 and t.top + t.height <= height and t.left + t.width <= width
        covered[t.box] += 1
    assert covered.min() >= 1
    for axis in ("top", "left"):
        starts = sorted({getattr(t, axis) for t in tiles})
        size = tiles[0].height if axis == "top" else tiles[0].width
        assert all(b - a <= size - overlap for a, b in zip(starts, starts[1:]))  # neighbours share >= overlap px


def test_feathered_weights_are_a_partition_of_unity_and_zero_at_inner_edges():
    height, width = 300, 410
    tiles = tiling.tile_grid(height, width, 160, 40)
    total = np.zeros((height, width), np.float32)
    for t in tiles:
        weight = tiling.feather(t, tiles)
        total[t.box] += weight
        if t.top > 0:
            assert weight[0].max() < 0.02  # a tile's inner edge counts (almost) nothing
        if t.left + t.width < width:
            assert weight[:, -1].max() < 0.02
        if t.top == 0:
            assert weight[0, weight.shape[1] // 2] == pytest.approx(1.0)  # image borders keep full weight
    np.testing.assert_allclose(total, 1.0, atol=1e-5)
    for part, t in zip(tiling.partition(tiles, height, width), tiles):
        total[t.box] -= part
    np.testing.assert_allclose(total, 0.0, atol=1e-5)


def test_blending_a_tile_moves_the_canvas_by_its_weight():
    canvas = np.zeros((100, 100, 3), np.float32)
    tiles = tiling.tile_grid(100, 100, 64, 28)
    weight = tiling.feather(tiles[0], tiles)
    tiling.blend(canvas, tiles[0], np.full((64, 64, 3), 200.0, np.float32), weight)
    np.testing.assert_allclose(canvas[:64, :64, 0], 200.0 * weight, rtol=1e-6)
    assert canvas[64:, :].max() == 0 and canvas[:, 64:].max() == 0


def test_the_seam_measure_sees_a_seam_and_not_a_photo():
    photo = fit_longest_side(load_image(DATA / "tubingen.jpg"), 512)
    tiles = tiling.tile_grid(*photo.shape[:2], 192, 48)
    assert tiling.seam_measure(photo, photo, tiles) == 1.0
    seamed = photo.copy()  # tiles pasted hard, brightened and darkened in turn: 16-level steps at their edges
    rows, columns = sorted({t.top for t in tiles}), sorted({t.left for t in tiles})
    for t in tiles:
        seamed[t.box] = np.clip(photo[t.box] + (8.0 if (rows.index(t.top) + columns.index(t.left)) % 2 else -8.0), 0, 255)
    assert tiling.seam_measure(seamed, photo, tiles) > 1.15
    blurred = photo.copy()  # a tile edge blurred is the opposite of a seam
    blurred[:, columns[1] - 2:columns[1] + 3] = photo[:, columns[1] - 2:columns[1] + 3].mean(axis=1, keepdims=True)
    assert tiling.seam_measure(blurred, photo, tiles) < 1.0


def test_tiled_style_grams_match_the_whole_image_s(engine):
    """The Gram of a 768 px painting added up from 384 px tiles (96 px overlap) against the whole
    image's: within 1 % at relu1..relu4 and 4 % at relu5_1 (whose features near a tile's edge see
    its zero padding), with and without a style mask. Measured: at most 0.44 % and 3.1 % (0.13 % and
    2.8 % unmasked); at 512 px in 256 px tiles relu5_1 is 6-7 % off: a tile of 16 relu5_1 features
    has more edge than inside."""
    from neural_style.scales import tiled_style_grams
    from neural_style.styles import prepare_styles, style_grams

    config = TransferConfig(precision="float32")
    _, targets, _ = engine.networks(config, "float32")
    mask = np.zeros((640, 1024), np.float32)  # starry_night.jpg is 1024x640
    mask[:, 300:] = 1.0
    # one painting under two specs: loaded once, so each pass (whole, or a tile) serves both, unmasked
    # and masked, as it serves a segmentation's regions
    styles = prepare_styles([StyleSpec(DATA / "starry_night.jpg"), StyleSpec(DATA / "starry_night.jpg", style_mask=mask)],
                            (768, 768), 1.0)
    assert styles[0].image is styles[1].image
    wholes = style_grams(targets, styles, config.style_layers)
    tileds = tiled_style_grams(targets, styles, config.style_layers, 384, 96)
    for whole, tiled in zip(wholes, tileds, strict=True):
        errors = {layer: float(np.linalg.norm(tiled[layer] - whole[layer]) / np.linalg.norm(whole[layer]))
                  for layer in config.style_layers}
        print(errors)
        assert max(errors[layer] for layer in config.style_layers[:4]) < 0.01
        assert errors["block5_relu1"] < 0.04
    assert np.linalg.norm(wholes[0]["block1_relu1"] - wholes[1]["block1_relu1"]) > 0.01 * np.linalg.norm(wholes[0]["block1_relu1"])


def test_a_tile_is_weighed_like_its_whole_image():
    from neural_style.losses import size_factor
    from neural_style.scales import tile_scale

    assert tile_scale((512, 512), tiling.Tile(0, 0, 256, 256)) == pytest.approx(size_factor(256))
    assert tile_scale((512, 512), tiling.Tile(0, 0, 512, 512)) == pytest.approx(size_factor(512))


@pytest.fixture(scope="module")
def runs(engine):
    """tubingen x Starry Night at 192 px, 2 scales, 20 L-BFGS iterations: whole, and with the 192 px
    scale in 128 px tiles (32 px overlap: 2 x 2 tiles, a quarter of each shared), keeping its checkpoints.
    Measured (float32, AVX2 CPU): the tiled run's Gram distance 1.08 times the whole run's, its
    distance to the photo 1.01 times, seam measure 0.79; with 30 iterations (AVX-512 CPU) 1.04, 1.02
    and 0.77, with 60 iterations 1.07, 1.05 and 0.77. In
    96 px tiles (3 x 2) the Gram ratio was 1.13-1.15, at the tolerance below (60 iterations, AVX2 CPU;
    bench/results/tiles.md "Tiles under the Gram formula").

    Under the Gram formula: the tiles are checked against the loss they were designed and measured with.
    Under the relative loss (the default) a tiled run is 1.34 times the whole run's Gram distance here and
    1.32 times at 512 px in 256 px tiles (bench/results/tiles.md "Tiles under the relative loss"), an open problem."""
    from neural_style import run_transfer
    from neural_style.checkpoints import Checkpointing
    from neural_style.listeners import Listener

    class Kept(Listener):
        def __init__(self) -> None:
            self.saved = []

        def checkpoint(self, checkpoint) -> None:
            self.saved.append(checkpoint)

    base = TransferConfig(max_size=192, max_iterations=20, scales=2, min_scale_side=48, precision="float32",
                          style_normalization="gatys")
    whole = run_transfer(DATA / "tubingen.jpg", [DATA / "starry_night.jpg"], base, engine=engine)
    kept = Kept()
    tiled_config = TransferConfig(**{**base.__dict__, "tile": 128, "tile_overlap": 32})
    tiled = run_transfer(DATA / "tubingen.jpg", [DATA / "starry_night.jpg"], tiled_config, engine=engine,
                         checkpointing=Checkpointing(5), listener=kept)
    return base, tiled_config, whole, tiled, kept.saved


def test_a_tiled_run_is_as_stylised_as_a_whole_one_without_seams(runs, extractor):
    _, tiled_config, whole, tiled, _ = runs
    assert tiled.scale_sizes == whole.scale_sizes == (96, 192)
    assert [s.iterations for s in tiled.scales] == [s.iterations for s in whole.scales]
    style = small("starry_night.jpg", 192)
    photo = small("tubingen.jpg", 192)
    tiles = tiling.tile_grid(*tiled.image.shape[:2], 128, 32)
    assert len(tiles) == 4
    distances = {}
    for name, result in (("whole", whole), ("tiled", tiled)):
        image = result.image.astype(np.float32)
        content = float(np.abs(image - photo).mean())
        distances[name] = (gram_distance(extractor, image, style), content, tiling.seam_measure(image, photo, tiles))
    print(distances)
    assert distances["tiled"][2] <= 1.15  # no seams
    assert distances["tiled"][0] <= 1.15 * distances["whole"][0]  # as stylised
    assert distances["tiled"][1] <= 1.15 * distances["whole"][1]  # as close to the photo


def test_a_tiled_scale_resumed_after_a_tile_gives_the_same_bytes(runs, engine):
    """Each tile visit starts its optimiser afresh, so resuming after any visit is exact."""
    from neural_style import run_transfer
    from neural_style.checkpoints import Checkpointing

    _, tiled_config, _, tiled, saved = runs
    inside = [c for c in saved if c.scale == 1 and c.visits > 0]
    assert inside, "no checkpoint inside the tiled scale"
    checkpoint = inside[len(inside) // 2]
    assert checkpoint.image.shape[:2] == tiled.image.shape[:2]
    resumed = run_transfer(DATA / "tubingen.jpg", [DATA / "starry_night.jpg"], tiled_config, engine=engine,
                           checkpointing=Checkpointing(0, checkpoint))
    assert np.array_equal(resumed.image, tiled.image)
    assert resumed.iterations == tiled.iterations


def test_the_planner_tiles_a_run_that_fits_no_other_way(engine):
    from neural_style import run_transfer
    from neural_style.features import resolve_precision
    from neural_style.planner import predict_peak

    shape = (144, 192)
    precision = resolve_precision("auto", "/cpu:0")  # as the run will plan it: float32 on CPUs without bf16
    tiled = TransferConfig(max_size=192, max_iterations=6, scales=1, tile=128, tile_overlap=32)
    budget = predict_peak(tiled, shape, precision=precision) + 1
    assert predict_peak(TransferConfig(optimizer="adam", max_size=192), shape, precision=precision) > budget  # Adam would not fit
    config = TransferConfig(max_size=192, max_iterations=6, scales=1, tile_overlap=32, max_memory=budget)
    with pytest.warns(RuntimeWarning, match="in 128 px tiles"):
        result = run_transfer(DATA / "tubingen.jpg", [DATA / "starry_night.jpg"], config, engine=engine)
    assert result.image.shape[:2] == shape and result.scales[0].iterations == 6


@pytest.mark.parametrize("args, message", [
    (["--tile", "40"], "tile must be 0 (never tile) or at least 64 px"),
    (["--tile", "256", "--tile_overlap", "200"], "tile_overlap must be at most half the tile"),
    (["--tile_sweeps", "0"], "tile_sweeps must be a whole number from 1"),
    (["--max_size", "2048", "--enlarge", "--max_memory", "1500M", "--tile", "1024"], "with L-BFGS in 1024 px tiles"),
])
def test_bad_tile_options_exit_2_with_one_line(args, message, tmp_path, capfd):
    code, _, err = run_main(["-content_img", str(DATA / "tubingen.jpg"), "-style_imgs", str(DATA / "starry_night.jpg"),
                             *args, "-o", str(tmp_path / "out.png")], capfd)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
