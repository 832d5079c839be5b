"""Bad input, as a careless user or an attacker gives it: each case ends with one line that
names the input (exit status 2 from the CLI, a ValueError from Python), and every file of
the shared run, presets, cache and export folders is byte-identical before and after."""

import hashlib
import io
import json
import os
import shutil
import tarfile
import time
import zipfile

import numpy as np
import pytest

import ganzoo
from conftest import tiny_config
from ganzoo import config as config_lib
from ganzoo import latent, presets, runs
from ganzoo.factory import build_family
from ganzoo.cli import main
from ganzoo.data import load_dataset
from ganzoo.hashing import sha256_of

TINY = ["--steps", "2", "--batch-size", "4", "--resolution", "8",
        "--set", "train.steps_per_epoch=1", "--set", "train.sample_grid=4",
        "--set", "generator.args.width=4", "--set", "discriminator.args.width=4"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One tiny trained run, its preset folder and archive, a cyclegan preset and a cache,
    all under one folder whose every file the cases compare."""
    root = tmp_path_factory.mktemp("world")
    os.environ["GANZOO_HOME"] = str(root / "home")
    assert main(["train", "dcgan", "--dataset", "digits", "--out", str(root / "run"), *TINY]) == 0
    presets.save_preset(runs.load_run(str(root / "run")), str(root / "preset"),
                        *runs.read_run(str(root / "run")))
    config = tiny_config("cyclegan")
    _, info = load_dataset(config.data, 4)
    presets.save_preset(build_family(config, info), str(root / "cyclegan"), config, info)
    (root / "exports").mkdir()
    (root / "a_file").write_text("not a folder")
    yield root
    os.environ.pop("GANZOO_HOME")


def snapshot(root):
    """{relative path: sha256} of every file under ``root``."""
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return found


# ---- helpers that make a bad preset or archive (in the world, before the snapshot) ------
def _copy_preset(w, name):
    target = w / "cases" / name
    if not target.exists():
        shutil.copytree(w / "preset", target)
    return target


def _rehash(folder):
    """Records the current sha256 of every file in metadata.json (a consistent folder)."""
    meta = json.loads((folder / "metadata.json").read_text())
    if "files" in meta:
        meta["files"] = {f: sha256_of(str(folder / f)) for f in meta["files"]}
    (folder / "metadata.json").write_text(json.dumps(meta))


def _edit_json(w, name, filename, edit):
    folder = _copy_preset(w, name)
    values = json.loads((folder / filename).read_text())
    edit(values)
    (folder / filename).write_text(json.dumps(values))
    _rehash(folder)
    return folder


def _raw(w, name, filename, text):
    folder = _copy_preset(w, name)
    (folder / filename).write_bytes(text)
    return folder


def _tar(w, name, members):
    """A .tar.gz of (TarInfo, bytes or None) members; (file:// URL, sha256)."""
    path = w / "cases" / f"{name}.tar.gz"
    path.parent.mkdir(exist_ok=True)
    with tarfile.open(path, "w:gz") as t:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            t.addfile(info, None if data is None else io.BytesIO(data))
    return f"file://{path}", sha256_of(str(path))


def _member(name, data=b"x", kind=tarfile.REGTYPE, size=None):
    info = tarfile.TarInfo(name)
    info.type = kind
    if kind == tarfile.SYMTYPE:
        info.linkname = "/etc/passwd"
    if size is not None:
        info.size = size
        return info, None
    return info, data


def _zip(w, name, members):
    path = w / "cases" / f"{name}.zip"
    path.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in members:
            z.writestr(member, data)
    return f"file://{path}", sha256_of(str(path))


def _load(folder):
    return lambda: presets.load_generator(str(folder))


def _load_url(url_sha):
    return lambda: presets.load_generator(url_sha[0], sha256=url_sha[1])


def _cache_edited(w):
    """An archive loaded once, then its cached weights and metadata.json hash edited."""
    folder = _edit_json(w, "for_cache", "metadata.json", lambda m: m.update(name="cached"))
    archive = w / "cases" / "cached.tar.gz"
    with tarfile.open(archive, "w:gz") as t:
        t.add(folder, arcname="cached")
    url, sha = f"file://{archive}", sha256_of(str(archive))
    presets.load_generator(url, sha256=sha)
    cached = next((w / "home" / "presets").glob(f"{sha[:12]}*")) / "cached"
    weights = cached / "generator.weights.h5"
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    _rehash(cached)
    return lambda: presets.load_generator(url, sha256=sha)


def _conditional(label):
    generator = presets.load_generator("cgan_digits")
    return lambda: latent.generate(generator, np.zeros((1, generator.latent_dim)), label)


def _python(data, recipe="dcgan_digits"):
    return lambda w: lambda: ganzoo.train(recipe, data=data, run_dir=str(w / "py_run"))


def _python_run(w):
    """A copy of the world's run that records data passed from Python."""
    folder = w / "cases" / "python_run"
    if not folder.exists():
        shutil.copytree(w / "run", folder)
        config = (folder / "config.yaml").read_text()
        (folder / "config.yaml").write_text(config.replace("name: digits",
                                                           "name: python:arrays-0123456789ab"))
    return str(folder)


RUN, PRE = "{run}", "{preset}"
# (id, CLI argv with {run}/{preset}/{w} or a setup(world) -> callable, text the line names)
CASES = [
    ("lr_nan", ["train", "--resume", RUN, "--lr", "nan"], "--lr"),
    ("lr_inf", ["train", "--resume", RUN, "--lr", "inf"], "--lr"),
    ("lr_negative", ["train", "--resume", RUN, "--lr", "-1"], "train.g_lr"),
    ("lr_huge", ["train", "--resume", RUN, "--lr", "1e9"], "train.g_lr"),
    ("set_lr_yaml_nan", ["train", "--resume", RUN, "--set", "train.d_lr=.nan"], "train.d_lr"),
    ("set_lr_text", ["train", "--resume", RUN, "--set", "train.g_lr=fast"], "train.g_lr"),
    ("ema_decay_2", ["train", "--resume", RUN, "--set", "family_args.ema_decay=2.0"],
     "ema_decay"),
    ("ema_decay_negative", ["train", "--resume", RUN, "--set", "family_args.ema_decay=-0.1"],
     "ema_decay"),
    ("set_without_equals", ["train", "--resume", RUN, "--set", "train.steps"],
     "--set train.steps"),
    ("set_without_key", ["train", "--resume", RUN, "--set", "=5"], "--set =5"),
    ("set_bad_yaml", ["train", "--resume", RUN, "--set", "data.name=[x"], "--set data.name"),
    ("set_below_value", ["train", "--resume", RUN, "--set", "train.steps.x=1"], "train.steps"),
    ("set_unknown_key", ["train", "--resume", RUN, "--set", "train.stepz=1"], "stepz"),
    ("set_unknown_family_arg", ["train", "--resume", RUN, "--set", "family_args.nope=1"],
     "nope"),
    ("d_steps_0", ["train", "--resume", RUN, "--set", "family_args.d_steps=0"], "d_steps"),
    ("resolution_huge", ["train", "--resume", RUN, "--resolution", "100000"],
     "data.resolution"),
    ("resolution_0", ["train", "--resume", RUN, "--resolution", "0"], "data.resolution"),
    ("batch_size_0", ["train", "--resume", RUN, "--batch-size", "0"], "data.batch_size"),
    ("steps_0", ["train", "--resume", RUN, "--steps", "0"], "train.steps"),
    ("steps_text", ["train", "--resume", RUN, "--steps", "many"], "--steps"),
    ("seed_negative", ["train", "--resume", RUN, "--seed", "-1"], "train.seed"),
    ("beta_1", ["train", "--resume", RUN, "--set", "train.beta_1=1.5"], "train.beta_1"),
    ("beta_2", ["train", "--resume", RUN, "--set", "train.beta_2=-1"], "train.beta_2"),
    ("latent_huge", ["train", "--resume", RUN, "--set", "latent_dim=2000000000"], "latent_dim"),
    ("width_huge", ["train", "--resume", RUN, "--set", "generator.args.width=10000000"],
     "generator.args.width"),
    ("keep_0", ["train", "--resume", RUN, "--set", "train.keep_checkpoints=0"],
     "train.keep_checkpoints"),
    ("checkpoint_every_0", ["train", "--resume", RUN, "--set", "train.checkpoint_every=0"],
     "train.checkpoint_every"),
    ("fid_samples_1", ["train", "--resume", RUN, "--set", "train.fid_samples=1"],
     "train.fid_samples"),
    ("steps_per_epoch_0", ["train", "--resume", RUN, "--set", "train.steps_per_epoch=0"],
     "train.steps_per_epoch"),
    ("sample_grid_0", ["train", "--resume", RUN, "--set", "train.sample_grid=0"],
     "train.sample_grid"),
    ("label_smoothing_1", ["train", "--resume", RUN, "--set",
                           "family_args.label_smoothing=1.0"], "label_smoothing"),
    ("unrolled_negative", ["train", "--resume", RUN, "--set", "family_args.unrolled_steps=-1"],
     "unrolled_steps"),
    ("split_of_digits", ["train", "--resume", RUN, "--set", "data.split=nosplit"],
     "data.split"),
    ("unknown_optimizer", ["train", "--resume", RUN, "--set", "train.optimizer=adamm"],
     "adamm"),
    ("unknown_precision", ["train", "--resume", RUN, "--precision", "float64"], "'float64'"),
    ("unknown_fid_extractor", ["train", "--resume", RUN, "--set", "train.fid_extractor=vgg"],
     "'vgg'"),
    ("unknown_family", ["train", "stylegun", "--out", "{w}/new_run"], "stylegun"),
    ("missing_config", ["train", "--config", "{w}/none.yaml", "--out", "{w}/new_run"],
     "none.yaml"),
    ("resume_not_a_run", ["train", "--resume", "{w}/exports"], "--resume"),
    # valid values that do not fit the run's checkpoint: refused before anything is written
    ("resume_other_family_arg", ["train", "--resume", RUN, "--set",
                                 "family_args.unrolled_steps=5"], "family_args.unrolled_steps"),
    ("resume_other_architecture", ["train", "--resume", RUN, "--set",
                                   "generator.args.width=8"], "generator.args.width"),
    ("resume_other_optimizer", ["train", "--resume", RUN, "--set", "train.optimizer=sgd"],
     "train.optimizer"),
    ("resume_other_precision", ["train", "--resume", RUN, "--precision", "mixed_bfloat16"],
     "train.precision"),
    ("resume_fewer_steps", ["train", "--resume", RUN, "--steps", "1"], "--steps 2"),
    ("train_into_run_other_lr", ["train", "dcgan", "--out", RUN, *TINY, "--lr", "0.1"],
     "_lr is 0.1"),
    ("sample_n_0", ["sample", RUN, "--n", "0"], "--n"),
    ("sample_n_negative", ["sample", RUN, "--n", "-3"], "--n"),
    ("sample_unknown", ["sample", "{w}/nowhere"], "nowhere"),
    ("eval_batch_0", ["eval", RUN, "--batch-size", "0"], "--batch-size"),
    ("eval_n_0", ["eval", PRE, "--n", "0"], "--n"),
    ("interpolate_label_12", ["interpolate", "cgan_digits", "--label", "12"], "--label 12"),
    ("interpolate_label_negative", ["interpolate", "cgan_digits", "--label", "-1"],
     "--label -1"),
    ("interpolate_steps_0", ["interpolate", RUN, "--steps", "0"], "--steps"),
    ("interpolate_seeds_text", ["interpolate", RUN, "--seeds", "1,x"], "--seeds"),
    ("interpolate_image_model", ["interpolate", "{w}/cyclegan"], "translate"),
    ("arithmetic_scale_nan", ["arithmetic", RUN, "--plus", "1", "--scale", "nan"], "--scale"),
    ("arithmetic_samples_0", ["arithmetic", RUN, "--direction-samples", "0"],
     "--direction-samples"),
    ("export_out_is_file", ["export", RUN, "--out", "{w}/a_file"], "a_file"),
    ("export_format", ["export", RUN, "--format", "onnx", "--out", "{w}/exports"], "onnx"),
    ("export_tflite_batch_0", ["export", RUN, "--tflite-batch", "0", "--out", "{w}/exports"],
     "--tflite-batch"),
    ("export_bad_name", ["export", RUN, "--name", "../up", "--out", "{w}/exports"], "../up"),
    ("export_no_files", lambda w: ["export", str(_edit_json(
        w, "no_files", "metadata.json", lambda m: m.pop("files"))), "--out",
        str(w / "exports")], '"files"'),
    ("export_unknown", ["export", "nothing_here", "--out", "{w}/exports"], "nothing_here"),
    # Python API
    ("metadata_list", lambda w: _load(
        (_raw(w, "meta_list", "metadata.json", b"[1, 2]"))), "metadata.json"),
    ("metadata_not_json", lambda w: _load(
        (_raw(w, "meta_text", "metadata.json", b"{not json"))), "metadata.json"),
    ("metadata_no_files", lambda w: _load((_edit_json(
        w, "no_files_api", "metadata.json", lambda m: m.pop("files")))), '"files"'),
    ("weights_empty", lambda w: _load(_empty_weights(w)),
     "generator.weights.h5"),
    ("weights_tampered", lambda w: _load(
        (_raw(w, "tampered", "generator.weights.h5", b"\x89HDF"))), "sha256"),
    ("config_latent_huge", lambda w: _load((_edit_json(
        w, "latent", "config.json", lambda c: c["generator"]["config"].update(
            latent_dim=2000000000)))), "latent_dim"),
    ("config_shape_huge", lambda w: _load((_edit_json(
        w, "shape", "config.json", lambda c: c["generator"]["config"].update(
            data_shape=[100000, 100000, 3])))), "data_shape"),
    ("config_no_generator", lambda w: _load((_edit_json(
        w, "no_gen", "config.json", lambda c: c.pop("generator")))), "generator"),
    ("cache_edited", _cache_edited, "changed since it was unpacked"),
    ("tar_absolute", lambda w: _load_url(_tar(w, "abs", [_member("/abs/x")])), "/abs/x"),
    ("tar_dotdot", lambda w: _load_url(_tar(w, "dotdot", [_member("p/../../x")])), "../"),
    ("tar_symlink", lambda w: _load_url(_tar(w, "link", [_member("p/l", kind=tarfile.SYMTYPE)])),
     "link"),
    ("tar_many", lambda w: _load_url(_tar(w, "many", [_member(f"p/{i}") for i in range(80)])),
     "64 members"),
    ("tar_record_name", lambda w: _load_url(_tar(w, "record", [
        _member(runs.UNPACKED_FILE)])), runs.UNPACKED_FILE),
    ("zip_dotdot", lambda w: _load_url(_zip(w, "zipdot", [("../x", "y")])), "../x"),
    ("zip_absolute", lambda w: _load_url(_zip(w, "zipabs", [("/x", "y")])), "/x"),
    ("zip_bomb", lambda w: _load_url(_zip(w, "zipbomb", [("p/zeros", b"\0" * (64 << 20))])),
     "archive bomb"),
    ("not_an_archive", lambda w: _load_url(_not_archive(w)), "not a readable"),
    ("archive_wrong_sha", lambda w: _load_url((_tar(w, "ok", [_member("p/x")])[0], "0" * 64)),
     "sha256"),
    ("archive_no_sha", lambda w: _load_url((_tar(w, "ok", [_member("p/x")])[0], None)),
     "sha256"),
    ("label_out_of_range", lambda w: _conditional(10), "--label 10"),
    ("config_nan", lambda w: lambda: config_lib.from_dict({"train": {"g_lr": float("nan")}}),
     "train.g_lr"),
    ("config_below_value", lambda w: lambda: config_lib.override(
        config_lib.GanConfig(), {"latent_dim.x": 1}), "latent_dim"),
    # data passed from Python (ganzoo.train), refused on its first batch
    ("python_uint8", _python(np.full((4, 32, 32, 1), 255, np.uint8)), "x / 127.5 - 1"),
    ("python_0_255_floats", _python(np.full((4, 32, 32, 1), 255.0)), "[-1, 1]"),
    ("python_28px", _python(np.zeros((4, 28, 28, 1))), "set data.resolution 28"),
    ("python_no_channel_axis", _python(np.zeros((4, 32, 32))), "images[..., None]"),
    ("python_nan", _python(np.full((4, 32, 32, 1), np.nan)), "NaN"),
    ("python_not_data", _python(42), "data is a int"),
    ("python_channels", lambda w: lambda: ganzoo.train(
        ganzoo.build(str(w / "run")), data=np.zeros((4, 8, 8, 3)), run_dir=str(w / "py_run")),
     "3 channels, the model 1"),
    ("python_no_labels", _python(np.zeros((4, 32, 32, 1)), "cgan_digits"),
     "data=(images, labels)"),
    ("python_negative_labels", _python((np.zeros((4, 32, 32, 1)), np.full(4, -2)),
                                       "cgan_digits"), "labels range over [-2, -2]"),
    ("python_float_labels", _python((np.zeros((4, 32, 32, 1)), np.zeros(4)), "cgan_digits"),
     "labels are float64"),
    ("python_label_count", _python((np.zeros((4, 32, 32, 1)), np.zeros(3, int))),
     "one integer label per image"),
    ("python_run_resumed_by_cli", lambda w: ["train", "--resume", _python_run(w)],
     "was passed from Python"),
    # a family given data it cannot train on: refused before the run writes a file
    ("stackgan_on_uncaptioned_digits", ["train", "stackgan", "--dataset", "digits", "--out",
                                        "{w}/new_run", *TINY[:8]], "captioned images"),
    ("cyclegan_on_one_domain", ["train", "cyclegan", "--dataset", "digits", "--out",
                                "{w}/new_run", *TINY[:4], "--resolution", "16"],
     "two-domain dataset"),
    ("init_from_unknown", ["train", "dcgan", "--out", "{w}/new_run", *TINY, "--init-from",
                           "no_such_preset"], "no_such_preset"),
    ("init_from_other_width", ["train", "dcgan", "--out", "{w}/new_run", *TINY, "--set",
                               "generator.args.width=8", "--init-from", PRE],
     "generator width is 4 in"),
]


def _empty_weights(w):
    folder = _copy_preset(w, "empty")
    for name in ("generator.weights.h5", "ema_generator.weights.h5"):
        if (folder / name).exists():
            (folder / name).write_bytes(b"")
    _rehash(folder)
    return folder


def _not_archive(w):
    path = w / "cases" / "junk.tar.gz"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"\x1f\x8b" + os.urandom(200))
    return f"file://{path}", sha256_of(str(path))


def test_at_least_sixty_distinct_cases():
    assert len({case[0] for case in CASES}) == len(CASES) >= 60


@pytest.mark.parametrize("name, given, names", CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_refused_in_one_line_and_changes_nothing(world, capsys, name, given,
                                                               names):
    if callable(given):
        given = given(world)
    before = snapshot(world)
    if isinstance(given, list):
        argv = [a.format(run=world / "run", preset=world / "preset", w=world) for a in given]
        try:
            status = main(argv)
        except SystemExit as exit_:  # argparse refuses before main's try
            status = exit_.code
        line = capsys.readouterr().err.strip()
        assert status == 2, line
    else:
        with pytest.raises(ValueError) as error:
            given()
        line = str(error.value).strip()
    assert "\n" not in line and "Traceback" not in line, line
    assert names in line, line
    assert snapshot(world) == before


def test_archive_bomb_is_refused_at_once_writing_nothing(world):
    """2 GiB of zeros in a ~2 MB .tar.gz (built from one compressed block repeated)."""
    import gzip

    header = tarfile.TarInfo("bomb/zeros.bin")
    header.size = 2 << 30
    block = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    path = world / "cases" / "bomb.tar.gz"
    path.parent.mkdir(exist_ok=True)
    with open(path, "wb") as f:
        f.write(gzip.compress(header.tobuf(format=tarfile.GNU_FORMAT)))
        for _ in range(32):
            f.write(block)
        f.write(gzip.compress(b"\0" * 1024))
    before = snapshot(world)
    start = time.perf_counter()
    with pytest.raises(presets.PresetError, match="archive bomb"):
        presets.load_generator(f"file://{path}", sha256=sha256_of(str(path)))
    seconds = time.perf_counter() - start
    assert snapshot(world) == before
    assert seconds < 1.0, seconds
    print(f"bomb of {path.stat().st_size} bytes refused in {seconds:.3f} s, 0 bytes written")
