"""The VGG-19 extractor and its weights, checked against Keras' own VGG19 and the raw npz."""

import hashlib
import shutil

import keras
import numpy as np
import pytest
from conftest import small

from neural_style import weights as weights_module
from neural_style.errors import NeuralStyleError
from neural_style.features import build_feature_extractor
from neural_style.weights import (
    CONV_LAYERS,
    SHIPPED_SHA256,
    load_vgg19_weights,
    shipped_weights_path,
)


def test_shipped_weights_are_the_published_file():
    assert hashlib.sha256(shipped_weights_path().read_bytes()).hexdigest() == SHIPPED_SHA256


def test_weights_dequantize_to_palette_values(vgg_weights):
    raw = np.load(shipped_weights_path())
    kernel, bias = vgg_weights["block3_conv2"]
    assert kernel.shape == (3, 3, 256, 256) and bias.shape == (256,)
    assert set(np.unique(kernel)) <= set(raw["block3_conv2/kernel_table"])
    assert len(vgg_weights) == len(CONV_LAYERS) == 16


def test_damaged_shipped_file_is_refused(tmp_path, monkeypatch):
    broken = tmp_path / "w.npz"
    shutil.copy(shipped_weights_path(), broken)
    with open(broken, "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    monkeypatch.setattr(weights_module, "shipped_weights_path", lambda: broken)
    with pytest.raises(NeuralStyleError, match="damaged"):
        load_vgg19_weights("default")


def test_weights_path_that_does_not_exist_is_one_clear_error(tmp_path):
    with pytest.raises(NeuralStyleError, match="weights must be 'default', 'imagenet' or an existing file"):
        load_vgg19_weights(str(tmp_path / "nope.h5"))


def test_npz_path_loads_same_as_default(vgg_weights):
    other = load_vgg19_weights(str(shipped_weights_path()))
    np.testing.assert_array_equal(other["block5_conv4"][0], vgg_weights["block5_conv4"][0])


def test_extractor_matches_keras_vgg19_with_the_same_weights(vgg_weights):
    """Our split conv/ReLU model with max pooling equals Keras' fused VGG19 (+ preprocess_input)."""
    image = small("tubingen.jpg", 48)
    ours = build_feature_extractor(["relu3_1", "conv3_1"], vgg_weights, pooling_type="max")
    reference = keras.applications.VGG19(include_top=False, weights=None, input_shape=image.shape)
    for name in CONV_LAYERS:
        reference.get_layer(name).set_weights(list(vgg_weights[name]))
    probe = keras.Model(reference.input, reference.get_layer("block3_conv1").output)
    expected = probe(keras.applications.vgg19.preprocess_input(image[None].copy())).numpy()
    out = ours(image[None])
    np.testing.assert_allclose(out["block3_relu1"].numpy(), expected, rtol=1e-4, atol=1e-2)
    # The pre-activation tap exists and the ReLU of it is the post-activation tap.
    conv = out["block3_conv1"].numpy()
    assert conv.min() < 0
    np.testing.assert_allclose(np.maximum(conv, 0), out["block3_relu1"].numpy(), atol=1e-5)


def test_extractor_is_truncated_after_the_deepest_layer(vgg_weights):
    model = build_feature_extractor(["relu2_1"], vgg_weights)
    names = [layer.name for layer in model.layers]
    assert names[-1] == "block2_relu1" and "block2_conv2" not in names
    assert "block1_pool" in names and isinstance(model.get_layer("block1_pool"), keras.layers.AveragePooling2D)


def test_feature_size_matches_the_extractor_at_odd_sizes(vgg_weights):
    from neural_style.layers import LAYER_NAMES, feature_size

    layers = ["block1_relu1", "block2_conv1", "block3_pool", "block4_relu2", "block5_relu1"]
    model = build_feature_extractor(layers, vgg_weights)
    for height, width in ((37, 50), (64, 97)):
        outputs = model(np.zeros((1, height, width, 3), np.float32))
        for layer in layers:
            assert tuple(outputs[layer].shape[1:3]) == feature_size(layer, height, width), (layer, height, width)
    assert feature_size(LAYER_NAMES[-1], 512, 384) == (16, 12)


def test_unknown_pooling_is_refused(vgg_weights):
    with pytest.raises(NeuralStyleError, match="pooling_type"):
        build_feature_extractor(["relu1_1"], vgg_weights, pooling_type="median")


def test_keras_weights_file_loads_the_same_kernels(vgg_weights, tmp_path):
    """--weights PATH with a Keras .weights.h5 (here: Keras' VGG19 holding the shipped values)."""
    model = keras.applications.VGG19(include_top=False, weights=None)
    for name in CONV_LAYERS:
        model.get_layer(name).set_weights(list(vgg_weights[name]))
    path = tmp_path / "vgg19.weights.h5"
    model.save_weights(path)
    loaded = load_vgg19_weights(str(path))
    for name in ("block1_conv1", "block5_conv4"):
        np.testing.assert_array_equal(loaded[name][0], vgg_weights[name][0])
        np.testing.assert_array_equal(loaded[name][1], vgg_weights[name][1])
