"""Layers point down (STYLE.md, "Layers"): every import of a package module, top-level or inside a
function, goes to a module of a lower layer, so there is no import cycle and nothing imports a module
above it. A new module must be given its layer here."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "neural_style"

LAYERS: list[set[str]] = [
    {"errors", "version", "argv", "jpeg", "grams", "losses", "tiling", "cancel", "flow", "icc"},  # no package imports
    {"layers", "optimizers", "pillow_files", "encoding", "subject"},  # pillow_files: headers and HEIF; encoding: output files;
    # subject: GrabCut masks
    {"config", "features", "images", "weights", "terms"},  # configuration, decoding, the network, loss terms
    {"colour", "masks", "planner", "checkpoints", "objective", "library_entries", "library_db", "video_io"},
    {"library"},  # the style store
    {"segmentation", "library_files", "library_blend", "outputs", "styles", "listeners"},
    {"library_build", "scales", "terminal", "regions"},  # computing what the library stores; one scale of a
    # run; regions found from the network's features
    {"transfer", "request"},  # a run's scales, coarse to fine; what a user asks
    {"runs"},  # the application layer: prepare, execute, save
    {"batch_jobs", "video"},  # many runs: planned, one run each; a clip, one run a frame
    {"batch_ray"},  # on Ray,
    {"batch"},  # resumable
    {"studio.uploads"},  # the studio: what the page sends,
    {"studio.paintings"},
    {"studio.specs"},
    {"studio.jobs"},  # its queue over runs,
    {"studio.server"},  # its routes,
    {"studio"},  # and serve()
    {"cli.flags"},
    {"cli.options", "cli.paths"},  # front ends: the command line...
    {"cli.style_options"},
    {"cli.run", "cli.batch", "cli.styles", "cli.studio", "cli.video", "cli.regions", "cli.mask"},
    {"cli", ""},  # ...its dispatcher, and the package root (the Python API)
    {"__main__"},  # python -m neural_style
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Package modules ``path`` imports anywhere in it, by name relative to the package ('' = root)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            names = [f"{base}.{a.name}" if f"{base}.{a.name}".removeprefix("neural_style.") in known else base
                     for a in node.names]
        else:
            continue
        for name in names:
            if name == "neural_style" or name.startswith("neural_style."):
                found.add(name.removeprefix("neural_style").removeprefix("."))
    return found


def test_every_import_points_to_a_lower_layer():
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    layer = {name: k for k, names in enumerate(LAYERS) for name in names}
    assert set(files) <= set(layer), f"modules without a layer in LAYERS: {sorted(set(files) - set(layer))}"
    upward = [f"{module or 'neural_style'} (layer {layer[module]}) imports {target or 'neural_style'} "
              f"(layer {layer[target]})"
              for module, path in files.items() for target in sorted(imported_modules(path, set(files)) - {module})
              if layer[target] >= layer[module]]
    assert not upward, "imports that do not point down:\n" + "\n".join(upward)


def test_the_check_sees_an_upward_import(tmp_path):
    """The parser finds imports inside functions and ``from package import submodule``."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from neural_style.cli import batch\n    from neural_style import images, StyleSpec\n")
    assert imported_modules(source, {"cli", "cli.batch", "images", ""}) == {"cli.batch", "images", ""}
