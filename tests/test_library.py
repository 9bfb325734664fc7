"""The style library: stored Grams give the runs their files give, blends and exports keep the bytes,
concurrent writers never corrupt it, and bad libraries, entries and names end in one line."""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import subprocess
import sys
import unicodedata
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from neural_style import StyleSpec, TransferConfig, run_transfer
from neural_style import objective as objective_module
from neural_style.errors import NeuralStyleError
from neural_style.grams import between_sizes, decode_gram, encode_gram
from neural_style.library import (
    LADDER,
    STORED_LAYERS,
    StyleLibrary,
    check_name,
)
from neural_style.library_blend import blend_entries
from neural_style.library_build import add_style
from neural_style.library_db import SCHEMA_VERSION
from neural_style.library_files import export_entry, import_entry

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CONTENT = DATA / "tubingen.jpg"
STARRY, SCREAM = DATA / "starry_night.jpg", DATA / "the_scream.jpg"
ONE_SCALE = TransferConfig(max_size=96, scales=1, max_iterations=4, precision="float32")


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> StyleLibrary:
    """starry and scream stored exactly (float32) at 64 and 96 px, and starry in float16."""
    lib = StyleLibrary(tmp_path_factory.mktemp("library") / "styles.sqlite")
    add_style(lib, "starry", STARRY, sizes=(64, 96), dtype="float32")
    add_style(lib, "scream", SCREAM, sizes=(64, 96), dtype="float32")
    add_style(lib, "starry16", STARRY, sizes=(64, 96), dtype="float16")
    return lib


@pytest.fixture
def run(engine):
    """``run(styles, config=ONE_SCALE)``: the output image (uint8) of tubingen with ``styles``."""
    return lambda styles, config=ONE_SCALE: run_transfer(CONTENT, styles, config, engine=engine).image


# Style targets are computed in float32 whatever the run's precision (scales.Networks.style_pass), so
# a stored style (its Grams computed in float32) is its file in a bfloat16 run too, not only in float32.
PRECISIONS = pytest.mark.parametrize("precision", ["float32", "bfloat16"])


def cli(*args: str, library: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if library is not None:
        env["NEURAL_STYLE_LIBRARY"] = str(library)
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


def count_style_passes(monkeypatch) -> list:
    calls = []
    grams = objective_module.TargetPass.grams

    def counted(self, image, layers, regions):
        calls.append(image.shape)
        return grams(self, image, layers, regions)

    monkeypatch.setattr(objective_module.TargetPass, "grams", counted)
    return calls


@PRECISIONS
def test_a_stored_style_gives_the_bytes_of_its_file_without_its_forward_pass(library, monkeypatch, precision, run):
    passes = count_style_passes(monkeypatch)
    # bfloat16 at the smaller stored size and for 2 iterations: where the CPU has no native bfloat16 it
    # is emulated (49 s at 96 px and 4 iterations)
    config = replace(ONE_SCALE, precision=precision, **({} if precision == "float32" else {"max_size": 64, "max_iterations": 2}))
    from_file = run([StyleSpec(STARRY)], config)
    assert len(passes) == 1
    from_library = run([StyleSpec(library.get("starry"))], config)
    assert len(passes) == 1  # no forward pass of the style image
    assert np.array_equal(from_file, from_library)


def test_float16_storage_keeps_every_gram_within_a_thousandth(library):
    exact, compact = library.grams("starry", 96), library.grams("starry16", 96)
    for layer in STORED_LAYERS:
        error = np.linalg.norm(compact[layer] - exact[layer]) / np.linalg.norm(exact[layer])
        assert error < 1e-3, layer
    assert library.info("starry16").nbytes * 2 == library.info("starry").nbytes


def test_encoding_keeps_grams_beyond_float16_range_and_refuses_nothing_symmetric():
    rng = np.random.default_rng(0)
    features = rng.uniform(0, 3000, (50, 8)).astype(np.float32)  # Grams up to 9e6, beyond float16's 65504
    gram = features.T @ features / 50
    gram = (gram + gram.T) / 2
    data, scale = encode_gram(gram, "float16")
    assert len(data) == 2 * 8 * 9 // 2
    decoded = decode_gram(data, 8, "float16", scale)
    assert np.all(np.isfinite(decoded)) and np.allclose(decoded, gram, rtol=1e-3)
    assert np.array_equal(decode_gram(*encode_gram(gram, "float32")[:1], 8, "float32", 1.0), gram)


def test_a_stored_blend_runs_as_the_blend_of_its_parts(library, run):
    """In float32 only: a blend is a sum of stored float32 Grams whatever the run's precision, and that
    a stored style is its file in bfloat16 too is the test above (a bfloat16 copy of this one took 69 s
    on a CPU without native bfloat16)."""
    blend_entries(library, "mix", [("starry", 0.6), ("scream", 0.4)])
    config = ONE_SCALE
    blend = run([StyleSpec(library.get("mix"))], config)
    parts = run([StyleSpec(library.get("starry"), 0.6), StyleSpec(library.get("scream"), 0.4)], config)
    files = run([StyleSpec(STARRY, 0.6), StyleSpec(SCREAM, 0.4)], config)
    assert np.array_equal(blend, parts)
    assert np.array_equal(blend, files)
    alone = run([StyleSpec(library.get("starry"))], config)
    assert not np.array_equal(blend, alone)
    assert library.info("mix").provenance.blend_of == (("starry", 0.6), ("scream", 0.4))


def test_export_then_import_into_an_empty_library_gives_the_same_run(library, tmp_path, run):
    export_entry(library, "starry", tmp_path / "starry.npz")
    other = StyleLibrary(tmp_path / "other.sqlite")
    info = import_entry(other, tmp_path / "starry.npz")
    assert info.sizes == (64, 96) and info.provenance == library.info("starry").provenance
    assert np.array_equal(run([StyleSpec(other.get("starry"))]), run([StyleSpec(library.get("starry"))]))
    with pytest.raises(NeuralStyleError, match="exists"):
        import_entry(other, tmp_path / "starry.npz")


def test_each_scale_reads_the_stored_size_of_its_own_size(library, monkeypatch, run):
    """Coarse-to-fine at 96 px with 2 scales: the 48 px scale asks for 52 px (Starry Night is 1.6:1, and
    its shortest side may not go under VGG-19's 32 px, as for the file) and the 96 px scale for 96."""
    from neural_style.library import StoredStyle

    sizes = []
    grams_at = StoredStyle.grams_at
    monkeypatch.setattr(StoredStyle, "grams_at", lambda self, size, layers: sizes.append(size) or grams_at(self, size, layers))
    config = TransferConfig(max_size=96, scales=2, min_scale_side=32, max_iterations=4, precision="float32")
    run([StyleSpec(library.get("starry"))], config)
    assert sizes == [52, 96]


def test_between_stored_sizes_the_grams_are_interpolated_in_log_size(library):
    assert between_sizes(512, LADDER) == [(512, 1.0)]
    assert between_sizes(100, LADDER) == [(128, 1.0)] and between_sizes(4000, LADDER) == [(2048, 1.0)]
    (low, w_low), (high, w_high) = between_sizes(362, LADDER)
    assert (low, high) == (256, 512) and w_high == pytest.approx(math.log(362 / 256) / math.log(2))
    stored = library.get("starry")
    at_80 = stored.grams_at(80, STORED_LAYERS)
    t = math.log(80 / 64) / math.log(96 / 64)
    small, large = library.grams("starry", 64), library.grams("starry", 96)
    for layer in STORED_LAYERS:
        assert np.allclose(at_80[layer], (1 - t) * small[layer] + t * large[layer], rtol=1e-5)


def test_four_concurrent_writers_leave_every_entry_and_an_intact_file(library, tmp_path):
    """Four processes put entries into one new library file at the same moment, thirty times over (a
    new file each round: its creation, migration and switch to WAL race as well). They call the
    library, which is what keeps writers apart, without TensorFlow (``styles add`` through the CLI is
    tested in this process: test_names_may_have_letters_of_any_alphabet_and_one_spelling). Before
    ``library_db.enter_wal`` every run of this failed within a few rounds ("database is locked"); now
    about 3.5 s of the writers' CPU."""
    import multiprocessing

    from library_writers import ENTRIES, write_rounds

    rounds, writers = 30, 4
    spawn = multiprocessing.get_context("spawn")  # not fork: this process has TensorFlow's threads
    barrier = spawn.Barrier(writers)
    procs = [spawn.Process(target=write_rounds, args=(str(library.path), str(tmp_path), k, rounds, barrier))
             for k in range(writers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=300)
    assert [proc.exitcode for proc in procs] == [0] * writers
    per_entry = len(library.encoded("starry"))  # starry's sizes x layers
    for r in range(rounds):
        path = tmp_path / f"round{r}.sqlite"
        assert StyleLibrary(path).names() == sorted(f"style{k}_{j}" for k in range(writers) for j in range(ENTRIES))
        with closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("SELECT count(*) FROM grams").fetchone()[0] == writers * ENTRIES * per_entry
    assert StyleLibrary(tmp_path / "round0.sqlite").encoded("style3_0")[0][6] == library.encoded("starry")[0][6]


def test_a_library_held_longer_than_the_timeout_says_so_in_one_line(library, tmp_path, monkeypatch):
    """A writer waits for another process's transaction; past the timeout the error names the wait,
    not damage."""
    from neural_style import library_db

    path = tmp_path / "held.sqlite"
    shutil.copy(library.path, path)
    monkeypatch.setattr(library_db, "BUSY_TIMEOUT_S", 0.2)
    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(NeuralStyleError) as error:
            StyleLibrary(path).rename("starry", "starry2")
        holder.execute("ROLLBACK")
    assert str(error.value) == (f"style library {path}: another process has held it for over 0.2 s (database is "
                                "locked); try again when it is done")
    assert StyleLibrary(path).names() == library.names()  # nothing changed, and it opens again


def test_cache_styles_adds_a_file_once_and_then_runs_from_the_library(tmp_path, capfd):
    """A 64 px run stores the ladder's 128 px Grams only (all it needs: below the smallest stored size
    the smallest is used); a second run takes them from the library and gives the same bytes; a 160 px
    run adds the 256 px size to the same entry, and gives the bytes of a run from the style stored at
    both sizes at once."""
    path = tmp_path / "cache.sqlite"
    args = ["-content_img", str(CONTENT), "-style_imgs", str(SCREAM), "-max_iterations", "3",
            "--precision", "float32", "--library", str(path), "--cache_styles", "-q"]
    code, _, err = run_main([*args, "-max_size", "64", "-o", str(tmp_path / "first.png")], capfd)
    assert code == 0, err
    entries = StyleLibrary(path).entries()
    assert [e.name for e in entries] == ["the_scream"] and entries[0].sizes == (128,)
    code, _, err = run_main([*args, "-max_size", "64", "-o", str(tmp_path / "second.png")], capfd)
    assert code == 0, err
    assert len(StyleLibrary(path).entries()) == 1
    assert (tmp_path / "first.png").read_bytes() == (tmp_path / "second.png").read_bytes()
    record = (tmp_path / "second.json").read_text()
    assert '"lib:the_scream"' in record
    code, _, err = run_main([*args, "-max_size", "160", "-o", str(tmp_path / "larger.png")], capfd)
    assert code == 0, err
    (entry,) = StyleLibrary(path).entries()
    assert entry.sizes == (128, 256)
    full = StyleLibrary(tmp_path / "full.sqlite")
    add_style(full, "scream", SCREAM, sizes=(128, 256), dtype=entry.dtype)
    code, _, err = run_main(["-content_img", str(CONTENT), "-style_imgs", "lib:scream", "-max_iterations", "3",
                             "--precision", "float32", "--library", str(tmp_path / "full.sqlite"), "-q",
                             "-max_size", "160", "-o", str(tmp_path / "from_full.png")], capfd)
    assert code == 0, err
    assert (tmp_path / "larger.png").read_bytes() == (tmp_path / "from_full.png").read_bytes()


def test_a_segmented_entry_brings_its_regions_to_a_segmented_run(tmp_path, engine):
    """dpst_in1's style stored with its segmentation: the run matches the content's regions to the
    stored ones by colour, as it does with the files, and gets the same image."""
    lib = StyleLibrary(tmp_path / "seg.sqlite")
    info = add_style(lib, "lake", DATA / "dpst_in1_style.png", DATA / "dpst_in1_style_mask.png", sizes=(96,), dtype="float32")
    assert set(info.regions) == {"#000000", "#ffffff", "#00ff00"}
    from neural_style.segmentation import segmentation_styles

    seg_config = TransferConfig(max_size=96, scales=1, max_iterations=3, precision="float32")
    stored_specs, stored_regions = segmentation_styles(DATA / "dpst_in1_mask.png", [StyleSpec(lib.get("lake"))], [], 96)
    file_specs, file_regions = segmentation_styles(DATA / "dpst_in1_mask.png", [StyleSpec(DATA / "dpst_in1_style.png")],
                                                   [DATA / "dpst_in1_style_mask.png"], 96)
    assert [r.colour for r in stored_regions] == [r.colour for r in file_regions]
    for stored, from_file in zip(stored_regions, file_regions, strict=True):
        assert stored.style_shares[0] == pytest.approx(from_file.style_shares[0], abs=1e-6)
    from_library = run_transfer(DATA / "dpst_in1.png", stored_specs, seg_config, engine=engine).image
    from_files = run_transfer(DATA / "dpst_in1.png", file_specs, seg_config, engine=engine).image
    assert np.array_equal(from_library, from_files)


@pytest.mark.parametrize("name", ["", "a b", "-x", "x" * 65, "_x", "a/b", "é\u0301t"])
def test_names_are_checked(name):
    with pytest.raises(NeuralStyleError, match="style name"):
        check_name(name)
    assert check_name("starry_v2.1-b+w") == "starry_v2.1-b+w"


def test_names_may_have_letters_of_any_alphabet_and_one_spelling(tmp_path, capfd):
    """étoilée typed with combining accents (NFD, as macOS file names come) is the same name."""
    assert check_name("über") == "über" and check_name("星月夜") == "星月夜"
    decomposed = unicodedata.normalize("NFD", "étoilée")
    assert decomposed != "étoilée" and check_name(decomposed) == "étoilée"
    library = str(tmp_path / "l.sqlite")
    code, _, err = run_main(["styles", "--library", library, "add", "étoilée", str(STARRY), "--sizes", "64", "-q"], capfd)
    assert code == 0 and err == "", err  # -q on a subcommand: nothing but errors
    code, out, err = run_main(["styles", "--library", library, "show", decomposed, "-q"], capfd)
    assert code == 0 and out.startswith("name: étoilée (image)"), err
    code, _, err = run_main(["styles", "-q", "--library", library, "rename", decomposed, "étoile"], capfd)
    assert code == 0 and err == "" and StyleLibrary(library).names() == ["étoile"]


def damaged_libraries(library: StyleLibrary, tmp_path: Path) -> dict[str, Path]:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(os.urandom(8192))
    truncated = tmp_path / "truncated.sqlite"
    with closing(sqlite3.connect(library.path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    truncated.write_bytes(library.path.read_bytes()[:12288])
    tampered = tmp_path / "tampered.sqlite"
    shutil.copy(library.path, tampered)
    with closing(sqlite3.connect(tampered)) as db, db:
        db.execute("UPDATE grams SET data = zeroblob(length(data)) WHERE layer = 'block3_relu1'")
    foreign = tmp_path / "foreign.sqlite"
    with closing(sqlite3.connect(foreign)) as db, db:
        db.execute("CREATE TABLE notes (text TEXT)")
    newer = tmp_path / "newer.sqlite"
    shutil.copy(library.path, newer)
    with closing(sqlite3.connect(newer)) as db, db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    return {"garbage": garbage, "truncated": truncated, "tampered": tampered, "foreign": foreign, "newer": newer}


RUN = ["-content_img", str(CONTENT), "-max_size", "64", "-max_iterations", "2", "-q"]
BAD = [
    ("garbage", ["styles", "list"], "damaged or not a style library"),
    ("truncated", RUN + ["-style_imgs", "lib:starry"], "damaged or not a style library"),
    ("tampered", RUN + ["-style_imgs", "lib:starry", "--precision", "float32"], "fails its checksum"),
    ("foreign", ["styles", "list"], "another program"),
    ("newer", ["styles", "list"], "newer than this"),
    ("good", RUN + ["-style_imgs", "lib:stary"], "no style named 'stary'; did you mean starry"),
    ("good", ["styles", "add", "bad name", str(STARRY)], "style name"),
    ("good", ["styles", "add", "gone", "no_such_painting.jpg"], "image: file not found: 'no_such_painting.jpg'"),
    ("good", ["styles", "blend", "mixed", "starry:0.5", "scream:-1"], "blend weights must be a finite number >= 0"),
    ("good", ["styles", "import", str(DATA / "tubingen.jpg")], "not a neural-style style export (an .npz archive"),
    ("good", ["styles", "import", str(DATA / "MANIFEST.md")], "not a neural-style style export (an .npz archive"),
    ("good", ["styles", "rename", "starry", "scream"], "exists already"),
    ("good", RUN + ["-style_imgs", "lib:starry", "--pooling_type", "max"], "avg pooling, this run uses max"),
    ("good", RUN + ["-style_imgs", "lib:starry", "--style_layers", "relu3_2"], "no Grams for style layer(s) block3_relu2"),
    ("good", RUN + ["-style_imgs", "lib:starry", "--init_img_type", "style"], "needs the first style to be an image file"),
    ("good", RUN + ["-style_imgs", "lib:starry", "--color_transfer", "linear"], "need the style image file"),
]


@pytest.mark.parametrize("which, args, message", BAD, ids=[f"{b[0]}-{b[2][:20]}" for b in BAD])
def test_bad_libraries_entries_and_names_end_in_one_line(library, tmp_path, capfd, which, args, message):
    paths = damaged_libraries(library, tmp_path) | {"good": tmp_path / "good.sqlite"}
    if which == "good":
        shutil.copy(library.path, paths["good"])
    before = paths[which].read_bytes()
    argv = [*args, "--library", str(paths[which])] if args[0] != "styles" else [
        "styles", "--library", str(paths[which]), *args[1:]]
    code, _, err = run_main(argv, capfd)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    if which in ("foreign", "newer", "garbage"):
        assert paths[which].read_bytes() == before  # a file that is not ours is left alone


def test_listing_needs_neither_tensorflow_nor_opencv(library):
    code = ("import sys; from neural_style.cli import main\n"
            "try:\n    main(['styles', '--library', sys.argv[1], 'list'])\nexcept SystemExit as e:\n    assert not e.code\n"
            "print(sorted(m for m in ('tensorflow', 'cv2', 'scipy') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, str(library.path)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout.splitlines()
    assert table[0].split()[:2] == ["name", "sizes"] and any(line.startswith("starry ") for line in table)
    assert table[-1] == "[]"


def test_a_version_1_library_file_still_reads():
    """tests/data/library_v1.sqlite was written by schema version 1 (relu1_1 and relu2_1 of
    starry_night.jpg at 64 px, float16); its Grams must still decode to what the network computes."""
    old = StyleLibrary(DATA / "library_v1.sqlite")
    info = old.info("starry-v1")
    assert info.sizes == (64,) and info.layers == ("block1_relu1", "block2_relu1")
    fresh = StyleLibrary(Path(os.environ["NEURAL_STYLE_LIBRARY"]).parent / "fresh_v1.sqlite")
    add_style(fresh, "starry-v1", STARRY, sizes=(64,), layers=("relu1_1", "relu2_1"), dtype="float32", replace_existing=True)
    for layer in info.layers:
        stored, computed = old.grams("starry-v1", 64)[layer], fresh.grams("starry-v1", 64)[layer]
        assert np.linalg.norm(stored - computed) / np.linalg.norm(computed) < 1e-3
