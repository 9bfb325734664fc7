"""neural-style: Gatys et al. style transfer with a Keras 3 / TensorFlow 2 VGG-19.

Public API::

    from neural_style import stylize, TransferConfig, StyleSpec
    image = stylize("photo.jpg", [StyleSpec("painting.jpg")], TransferConfig(max_size=256))

Importing the package is cheap: TensorFlow is imported on first use of ``stylize``/``run_transfer``.
"""

from neural_style.config import OutputConfig, StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError
from neural_style.version import __version__

_LAZY = {
    "BatchSummary": "batch", "run_batch": "batch",
    "CancelToken": "cancel",
    "Engine": "scales",
    "StepInfo": "optimizers",
    "StyleLibrary": "library",
    "TransferResult": "transfer",
    "Request": "runs", "execute": "runs", "prepare": "runs", "run_transfer": "runs", "stylize": "runs",
}
"""Names imported on first use, and their modules: importing the package stays cheap (no TensorFlow,
no scipy: 'neural-style styles list' needs neither)."""

__all__ = [  # noqa: RUF022 - grouped: the eager names, then the lazy ones as _LAZY lists them
    "NeuralStyleError", "OutputConfig", "StyleSpec", "TransferConfig", "__version__",
    "BatchSummary", "run_batch", "CancelToken", "Engine", "StepInfo", "StyleLibrary", "TransferResult",
    "Request", "execute", "prepare", "run_transfer", "stylize",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"neural_style.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'neural_style' has no attribute {name!r}")
