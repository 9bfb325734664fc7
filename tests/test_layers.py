import pytest

from neural_style.errors import NeuralStyleError
from neural_style.layers import LAYER_NAMES, canonical_layer_name, layer_channels


@pytest.mark.parametrize(
    "name, internal",
    [("relu4_2", "block4_relu2"), ("conv4_2", "block4_conv2"), ("pool3", "block3_pool"),
     ("block5_relu1", "block5_relu1"), ("RELU1_1", "block1_relu1"), ("conv5_4", "block5_conv4")],
)
def test_papers_and_internal_names_map_to_one_scheme(name, internal):
    assert canonical_layer_name(name) == internal


def test_unknown_layer_suggests_close_names():
    with pytest.raises(NeuralStyleError, match=r"relu4_2.*\?|did you mean .*relu4_2"):
        canonical_layer_name("relu4_22")


def test_nonexistent_conv_in_block_is_unknown():
    with pytest.raises(NeuralStyleError, match="unknown VGG-19 layer 'conv1_3'"):
        canonical_layer_name("conv1_3")


def test_network_order_and_channels():
    assert len([n for n in LAYER_NAMES if "_conv" in n]) == 16
    assert LAYER_NAMES.index("block1_relu1") == LAYER_NAMES.index("block1_conv1") + 1
    assert layer_channels("block3_conv4") == 256 and layer_channels("block5_relu1") == 512
