"""neural-style: Gatys et al. style transfer with a Keras 3 / TensorFlow 2 VGG-19.

Public API::

    from neural_style import stylize, TransferConfig, StyleSpec
    image = stylize("photo.jpg", [StyleSpec("painting.jpg")], TransferConfig(max_size=256))

Importing the package is cheap: TensorFlow is imported on first use of ``stylize``/``run_transfer``.
"""

from neural_style.config import StyleSpec, TransferConfig
from neural_style.errors import NeuralStyleError

__version__ = "0.1.0"

__all__ = [
    "BatchSummary",
    "Engine",
    "NeuralStyleError",
    "StepInfo",
    "StyleLibrary",
    "StyleSpec",
    "TransferConfig",
    "TransferResult",
    "__version__",
    "run_batch",
    "run_transfer",
    "stylize",
]

_LAZY = frozenset({"Engine", "TransferResult", "run_transfer", "stylize"})


def __getattr__(name: str):
    if name == "StepInfo":  # scipy's import takes half a second; 'neural-style styles list' needs none of it
        from neural_style.optimizers import StepInfo

        return StepInfo
    if name == "StyleLibrary":
        from neural_style.library import StyleLibrary

        return StyleLibrary
    if name in ("run_batch", "BatchSummary"):
        from neural_style import batch

        return getattr(batch, name)
    if name in _LAZY:
        from neural_style import transfer

        return getattr(transfer, name)
    raise AttributeError(f"module 'neural_style' has no attribute {name!r}")
