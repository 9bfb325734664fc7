"""Shared fixtures: real images from tests/data (copied from ../shared/images), the real VGG-19 and the
yardstick (bench/yardstick.py: the same distances the bench tables report)."""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from bench.yardstick import build_model, content_distance, gram_distance  # noqa: F401 - the tests' yardstick

DATA = Path(__file__).parent / "data"
STYLE_LAYERS = ("block1_relu1", "block2_relu1", "block3_relu1", "block4_relu1", "block5_relu1")

# The test files, longest first, by their wall time in a full run on the 2-core machine (2026-12-06,
# later: test_batch 192 s, test_precision_scales 181 s, test_library 134 s, test_masks 128 s,
# test_resume 123 s, ... test_objective_optimizers 10 s; the rest take a few seconds; test_video and
# test_auto_regions, newer, placed by their CPU time: about 100 s and 40 s). xdist's loadfile
# gives a worker the next file in collection order when it is nearly done with its own, so
# longest-first has the workers finish together. Its default order (by number of tests; setup.cfg turns
# it off) left test_resume for last on one worker, which ended 60 s after another had.
LONGEST_FIRST = ("test_batch", "test_library", "test_precision_scales", "test_video", "test_masks", "test_resume",
                 "test_segmentation", "test_tiling", "test_studio", "test_studio_browser", "test_colour",
                 "test_planner", "test_cli", "test_studio_server", "test_image_formats", "test_auto_regions", "test_reliability",
                 "test_transfer", "test_relative_style", "test_objective_optimizers")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: a file keeps its own order



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
    """The real VGG-19 (shipped weights, float32) tapping the style layers and relu4_2: the yardstick's
    measuring network, shared by every test of a worker."""
    return build_model(vgg_weights)


def small(name: str, longest: int) -> np.ndarray:
    from neural_style.images import fit_longest_side, load_image

    return fit_longest_side(load_image(DATA / name), longest)


@functools.cache
def shared_engine():
    """One :class:`~neural_style.scales.Engine` for a worker's in-process runs, the ``engine`` fixture's
    and :func:`run_main`'s: networks built and loss graphs traced once per layer set, precision and
    image shape (a batch shares one the same way; the bytes of a run do not depend on it,
    tests/test_batch.py)."""
    from neural_style.scales import Engine

    return Engine()


@pytest.fixture(scope="session")
def engine():
    return shared_engine()


def run_main(args: list[str], capfd) -> tuple[int, str, str]:
    """The CLI in this process: ``(exit code, stdout, stderr)``, captured at the file descriptors
    (pytest's ``capfd``), where the command writes while it silences TensorFlow. For what a command does
    with its files and messages; what only a fresh process shows (TensorFlow's start-up chatter,
    signals, kill -9, what is imported) is tested with subprocesses. A single run, a batch or a video
    takes the worker's :func:`shared_engine` instead of building its own (about 0.5 s of CPU for each
    shape's graphs a worker has traced before)."""
    from neural_style.cli import main

    engine = shared_engine()  # may import TensorFlow, whose start-up lines are not the command's
    capfd.readouterr()
    try:
        with contextlib.ExitStack() as stack:  # the engine a run, batch or video makes for itself: the shared one
            for name in ("runs.Engine", "scales.Engine"):  # batch and video import it from scales when they run
                stack.enter_context(mock.patch(f"neural_style.{name}", lambda *_, **__: engine))
            main(args)
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    out, err = capfd.readouterr()
    return code, out, err
