import math

import pytest

from neural_style.config import StyleSpec, TransferConfig, normalize_weights
from neural_style.errors import NeuralStyleError


def test_defaults_in_internal_names():
    """neural-style-tf's layers and style/tv weights; content weight, style normalisation, iterations and
    scales are ours (config.py says why)."""
    c = TransferConfig()
    assert (c.content_weight, c.style_weight, c.tv_weight) == (100.0, 1e4, 1e-3)
    assert c.content_layers == ("block4_conv2",)
    assert c.style_layers == tuple(f"block{i}_relu1" for i in range(1, 6))
    assert c.style_layer_weights == pytest.approx((0.2,) * 5)
    assert (c.optimizer, c.max_iterations, c.max_size, c.pooling_type) == ("lbfgs", 80, 512, "avg")
    assert (c.precision, c.scales, c.min_scale_side, c.style_normalization) == ("auto", 2, 384, "relative")


def test_schedule_splits_the_iterations_9_3_1_coarsest_first():
    deep = {"min_scale_side": 32}
    # 1000 * 3 // 13 = 230, 1000 // 13 = 76, the coarsest takes the rest
    assert TransferConfig(scales=3, max_iterations=1000, **deep).schedule(384, 512) == ((128, 694), (256, 230), (512, 76))
    assert TransferConfig(scales=3, max_iterations=130, **deep).schedule(384, 512) == ((128, 90), (256, 30), (512, 10))
    assert TransferConfig(scales=2, max_iterations=500, **deep).schedule(384, 512) == ((256, 375), (512, 125))


def test_the_floor_drops_coarse_scales_and_splits_the_total_over_the_rest():
    c = TransferConfig()  # two scales, floor: shortest side 384 px
    assert c.schedule(384, 512) == c.schedule(512, 512) == ((512, 80),) == TransferConfig(scales=1).schedule(384, 512)
    assert c.schedule(576, 768) == ((768, 80),)  # a 288 px-high coarse scale: dropped
    assert c.schedule(768, 768) == ((384, 60), (768, 20))
    assert c.schedule(768, 1024) == ((512, 60), (1024, 20))
    assert c.schedule(96, 128) == ((128, 80),)
    three = TransferConfig(scales=3)
    assert three.schedule(768, 1024) == ((512, 60), (1024, 20))  # the 192 px-high scale is dropped
    assert three.schedule(1536, 2048) == ((512, 56), (1024, 18), (2048, 6))
    assert TransferConfig(min_scale_side=64).schedule(192, 256) == ((128, 60), (256, 20))


def test_fewer_iterations_than_scales_use_the_finest_scales_and_the_total_is_exact():
    deep = {"min_scale_side": 32, "scales": 3}
    assert TransferConfig(max_iterations=1, **deep).schedule(384, 512) == ((512, 1),)
    assert TransferConfig(max_iterations=2, **deep).schedule(384, 512) == ((256, 1), (512, 1))
    assert TransferConfig(max_iterations=3, **deep).schedule(384, 512) == ((128, 1), (256, 1), (512, 1))
    for total in range(1, 40):
        for scales in range(1, 5):
            plan = TransferConfig(max_iterations=total, scales=scales, min_scale_side=32).schedule(768, 1024)
            assert sum(n for _, n in plan) == total and min(n for _, n in plan) >= 1


def test_explicit_scale_iterations_keep_their_total_when_scales_are_dropped():
    # 72x96: the 24 px and 48 px scales (18 and 36 px high) are under the floor; their iterations go
    # to the scale kept.
    assert TransferConfig(scales=3, scale_iterations=(20, 10, 5)).schedule(72, 96) == ((96, 35),)
    assert TransferConfig(scales=2, scale_iterations=(12, 6), min_scale_side=32).schedule(72, 96) == ((48, 12), (96, 6))
    assert TransferConfig(scales=1, max_iterations=1000).schedule(40, 60) == ((60, 1000),)


@pytest.mark.parametrize("flags, expected", [
    ("fpu sse avx2 avx512f avx512_bf16 avx512_vnni", "bfloat16"), ("fpu sse avx2 amx_bf16 amx_tile", "bfloat16"),
    ("fpu sse avx2 avx512f avx512_vnni", "float32"), ("fpu neon asimd", "float32"),
])
def test_auto_precision_follows_the_cpu_flags(tmp_path, flags, expected):
    from neural_style.features import emulated_precision_note, resolve_precision

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: some CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    assert resolve_precision("auto", "/cpu:0", cpuinfo) == expected
    assert resolve_precision("auto", "/gpu:0", cpuinfo) == "float32"
    assert resolve_precision("float32", "/cpu:0", cpuinfo) == "float32"
    assert resolve_precision("bfloat16", "/cpu:0", cpuinfo) == "bfloat16"
    note = emulated_precision_note("bfloat16", "/cpu:0", cpuinfo)  # said only where bfloat16 is emulated
    assert (note is None) == (expected == "bfloat16")
    assert note is None or "no native bfloat16" in note
    assert emulated_precision_note("float32", "/cpu:0", cpuinfo) is None
    assert emulated_precision_note("bfloat16", "/gpu:0", cpuinfo) is None


def test_auto_precision_without_cpu_information_is_float32(tmp_path):
    from neural_style.features import resolve_precision

    assert resolve_precision("auto", "/cpu:0", tmp_path / "missing") == "float32"


def test_weights_normalised_once_to_sum_one():
    assert normalize_weights("w", (2.0, 6.0), 2) == (0.25, 0.75)
    assert normalize_weights("w", (), 4) == (0.25,) * 4


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"style_weight": -1}, "style_weight must be a finite number >= 0"),
        ({"content_weight": math.nan}, "content_weight must be a finite number"),
        ({"tv_weight": math.inf}, "tv_weight"),
        ({"max_iterations": 0}, "max_iterations must be a whole number from 1"),
        ({"max_size": 100000}, "max_size"),
        ({"optimizer": "sgd"}, "optimizer must be one of lbfgs, adam"),
        ({"pooling_type": "min"}, "pooling_type"),
        ({"init_img_type": "noise"}, "init_img_type"),
        ({"style_layers": ("relu9_1",)}, "unknown VGG-19 layer"),
        ({"style_layer_weights": (1.0, 2.0)}, "style_layer_weights needs 5 value"),
        ({"style_layer_weights": (0, 0, 0, 0, 0)}, "must not all be zero"),
        ({"learning_rate": 0}, "learning_rate must be a finite number > 0"),
        ({"precision": "half"}, "precision must be auto, float32 or bfloat16"),
        ({"style_layers": ("relu1_1", "block1_relu1")}, "style_layers lists the layer block1_relu1 more than once"),
        ({"content_layers": ("conv4_2", "conv4_2")}, r"content_layers lists the layer block4_conv2 more than once \(conv4_2, conv4_2\)"),
        ({"min_scale_side": 16}, "min_scale_side must be a whole number from 32"),
    ],
)
def test_bad_values_raise_one_clear_error(kwargs, message):
    with pytest.raises(NeuralStyleError, match=message):
        TransferConfig(**kwargs)


def test_style_spec_rejects_negative_weight():
    with pytest.raises(NeuralStyleError, match="style_imgs_weights"):
        StyleSpec("a.jpg", weight=-0.5)
