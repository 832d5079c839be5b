"""The ``ganzoo`` command: list | train | sample.

    ganzoo list [families|datasets|presets|networks]
    ganzoo train FAMILY_OR_PRESET --dataset NAME [--steps N --batch-size B --lr LR ...]
    ganzoo sample RUN_DIR --n 64 --out grid.png
    ganzoo translate RUN_DIR --input DIR --direction a2b --out DIR   (cyclegan, pix2pix)
    ganzoo generate RUN_DIR_OR_PRESET --text "a bold three" --n 16 --out grid.png  (stackgan)
    ganzoo upscale RUN_DIR_OR_PRESET --input DIR --out DIR   (srgan)
    ganzoo inpaint RUN_DIR_OR_PRESET --input DIR [--masks DIR | --box x,y,w,h] --out DIR
    ganzoo interpolate RUN_DIR_OR_PRESET --seeds 1,2 --steps 8 --method slerp --out a.gif
    ganzoo arithmetic RUN_DIR_OR_PRESET --plus 3,5 --minus 7 --out strip.png
    ganzoo project RUN_DIR_OR_PRESET IMAGE... --out DIR   (latents of real images, .npy)
    ganzoo interpolate RUN_DIR_OR_PRESET --latent a.npy --latent b.npy --out a.png
    ganzoo eval RUN_DIR_OR_PRESET --metrics fid,kid,is,pr --n 10000 [--extractor digits]
    ganzoo eval RUN_DIR_OR_PRESET --protocol paper [--reference-stats FILE.npz]   (50k FID)
    ganzoo stats DATASET --out FILE.npz   (FID mu/sigma, the TTUR / pytorch-fid format)
    ganzoo export RUN_DIR_OR_PRESET --format saved_model,tflite --out exports/ [--name N]
    ganzoo query --rest URL | --grpc HOST:PORT --model NAME --out grid.png
    ganzoo convert FORMAT SOURCE --out DIR   (stylegan2-ada .pkl, cyclegan/pix2pix .pth ...)

Errors a user can fix (unknown names, bad config keys, missing data) print one line
and exit with status 2; a traceback means a bug in ganzoo.
"""

import argparse
import math
import os
import re
import sys
import textwrap
import warnings

import yaml

import ganzoo
from ganzoo import config as config_lib
from ganzoo.registry import (CONVERTERS, FAMILIES, NETWORKS, unknown_name, zoo_config_path,
                             zoo_configs)


def expand_dataset(name):
    """``folder:~/faces`` -> ``folder:/home/me/faces``: ``~`` expanded in every path of a
    dataset name (a shell leaves a ``~`` that follows a prefix as it is)."""
    kind, colon, paths = name.partition(":")
    return kind + colon + ",".join(map(os.path.expanduser, paths.split(","))) if colon else name


def dataset_short_name(name):
    """What a run directory is named after: ``folder:/a/faces`` -> ``faces``,
    ``cycle_gan/horse2zebra`` -> ``horse2zebra``, ``digits`` -> ``digits``."""
    path = name.partition(":")[2].split(",")[0] if ":" in name else name
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.basename(os.path.normpath(path))) or "data"


def recipe_for(family, dataset):
    """The zoo recipe of ``family`` that trains on ``dataset`` (its default recipe first),
    None when it has none: ``ganzoo train stylegan --dataset digits`` trains
    stylegan_digits_32, not the celeb_a recipe on digits."""
    default = FAMILIES.get(family).default_preset
    paths = {name: path for name, path in zoo_configs().items()
             if os.path.basename(os.path.dirname(path)) == family}
    for name in sorted(paths, key=lambda name: name != default):
        if _recipe_dataset(paths[name]) == dataset:
            return name
    return None


def _recipe_dataset(path):
    """The dataset a zoo recipe trains on, read without building anything."""
    with open(path) as f:
        data = (yaml.safe_load(f) or {}).get("data") or {}
    return data.get("name", config_lib.DataConfig.name)


def expand_paths(args):
    """``~`` expanded in every string option (paths, and the paths inside dataset names),
    as a shell does only at the start of a word."""
    for name, value in vars(args).items():
        if isinstance(value, str):
            setattr(args, name, expand_dataset(value) if name == "dataset"
                    else os.path.expanduser(value))


def resolve_config(args):
    """Recipe (a preset name, a family's default preset, --config FILE, or the
    config.yaml of the run being resumed) < flags."""
    if getattr(args, "resume", None):
        if not os.path.isfile(os.path.join(args.resume, "config.yaml")):
            raise FileNotFoundError(f"--resume {args.resume}: not a ganzoo run directory.")
        recipe, config = args.resume, config_lib.load_yaml(os.path.join(args.resume,
                                                                        "config.yaml"))
    elif args.config:
        recipe, config = args.config, config_lib.load_yaml(args.config)
    else:
        name = args.target
        if name in FAMILIES:
            name = (args.dataset and recipe_for(name, args.dataset)
                    or FAMILIES.get(name).default_preset)
            if name is None:
                raise ValueError(f"Family '{args.target}' has no default recipe: name one of "
                                 "its recipes (ganzoo list presets) or give --config FILE.")
        elif name not in zoo_configs():
            raise ValueError(unknown_name("family or recipe", name,
                                          [*FAMILIES.names(), *zoo_configs()]))
        recipe, config = name, config_lib.load_yaml(zoo_config_path(name))
    flags = {
        "data.name": args.dataset, "data.resolution": args.resolution,
        "data.batch_size": args.batch_size, "data.data_dir": args.data_dir,
        "train.steps": args.steps, "train.g_lr": args.lr, "train.d_lr": args.lr,
        "train.precision": args.precision, "train.strategy": args.strategy,
        "train.seed": args.seed,
    }
    for item in args.set or []:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise ValueError(f"--set {item}: expected KEY=VALUE, e.g. --set train.steps=500.")
        try:
            flags[key] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ValueError(f"--set {item}: {value!r} is not a YAML value; quote it.") from None
    config = config_lib.override(config, {k: v for k, v in flags.items() if v is not None})
    return os.path.splitext(os.path.basename(recipe))[0], config


def cmd_train(args):
    from ganzoo import training

    recipe, config = resolve_config(args)
    short = dataset_short_name(config.data.name)
    run_dir = args.resume or args.out or os.path.join(
        "runs", recipe if short in recipe else f"{recipe}-{short}")
    initialize = None
    if args.init_from:
        from ganzoo import transfer

        initialize = transfer.initializer(args.init_from)
    model = training.train(config, run_dir, recipe=recipe, initialize=initialize)
    samples = os.path.join(run_dir, "samples")
    if os.path.isdir(samples):  # with several workers, only the chief writes samples
        print(f"Done. Samples: {os.path.join(samples, sorted(os.listdir(samples))[-1])}")
    if args.save_preset:
        from ganzoo import presets, runs

        _, info = runs.read_run(run_dir)
        print(f"Preset: {presets.save_preset(model, args.save_preset, config, info)}")


def cmd_sample(args):
    from ganzoo import presets, runs

    with warnings.catch_warnings():  # a preset without a discriminator: none is needed here
        warnings.simplefilter("ignore", UserWarning)
        model = presets.load_family(args.target)
    recipe = runs.recipe_of(args.target)
    data = recipe.data if recipe else config_lib.DataConfig()
    print(f"Wrote {model.preview(model.preview_inputs(data, args.n, args.seed), args.out)}")


def cmd_translate(args):
    from ganzoo.translate import translate_folder

    count = translate_folder(args.target, args.input, args.direction, args.out)
    print(f"Translated {count} images ({args.direction}) into {args.out}; "
          f"before/after grid: {os.path.join(args.out, 'before_after.png')}")


def cmd_upscale(args):
    from ganzoo.restore import upscale_folder

    count = upscale_folder(args.target, args.input, args.out)
    print(f"Upscaled {count} images into {args.out}; "
          f"before/after grid: {os.path.join(args.out, 'before_after.png')}")


def cmd_inpaint(args):
    from ganzoo.restore import inpaint_folder

    count = inpaint_folder(args.target, args.input, args.out, args.masks, args.box)
    print(f"Inpainted {count} images into {args.out}; "
          f"before/after grid: {os.path.join(args.out, 'before_after.png')}")


def cmd_generate(args):
    from ganzoo.text_to_image import generate_grid

    path = generate_grid(args.target, args.text, args.n, args.out, args.seed)
    print(f"Wrote {args.n} images of {args.text!r} to {path}")


def cmd_eval(args):
    from ganzoo.metrics import report

    metrics = args.metrics or ("fid,is" if args.reference_stats else "fid,kid,is,pr")
    record, default_out = report.evaluate_target(
        args.target, report.parse_metrics(metrics), args.n, args.batch_size, args.seed,
        args.split, args.extractor, args.inception_weights, args.cache_dir, args.fid_weights,
        args.reference_stats, args.protocol)
    print(report.format_table(record))
    print(f"Wrote {report.write_json(record, args.out or default_out)}")


def cmd_stats(args):
    from ganzoo.metrics import report

    path, count, extractor = report.dataset_stats(
        args.dataset, args.out, args.split, args.resolution, args.n, args.batch_size,
        args.extractor, args.fid_weights, args.data_dir)
    print(f"Wrote {path}: mu, sigma of {count} images ({extractor.name}: {extractor.protocol})")


def _seed_list(text):
    try:
        return [int(seed) for seed in text.split(",") if seed.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integer seeds, got {text!r}")


def _save_strip(outputs, path):
    """A one-row PNG strip, or an animated GIF when ``path`` ends in .gif (images only)."""
    from ganzoo import images

    if path.lower().endswith(".gif"):
        if outputs.ndim != 4:
            raise ValueError("A GIF needs an image model; write a .png for 2-D data.")
        return images.save_gif(outputs, path)
    return images.save_samples(outputs, path, columns=len(outputs))


def cmd_interpolate(args):
    from ganzoo import latent

    generator = latent.check_noise_generator(ganzoo.load_generator(args.target), args.target)
    seeds = args.seeds if args.seeds is not None else ([] if args.latent else [1, 2])
    latents = latent.common_space(
        generator, [*(latent.load_latent(path, generator) for path in args.latent),
                    *(latent.seed_latent(seed, generator.latent_dim) for seed in seeds)],
        args.label)
    outputs = latent.generate(generator, latent.path(latents, args.steps, args.method),
                              args.label)
    print(f"Wrote {_save_strip(outputs, args.out)}")


def cmd_arithmetic(args):
    import numpy as np

    from ganzoo import latent

    generator = latent.check_noise_generator(ganzoo.load_generator(args.target), args.target)
    plus = [*(latent.load_latent(path, generator) for path in args.latent),
            *(latent.seed_latent(seed, generator.latent_dim) for seed in args.plus)]
    minus = [*(latent.load_latent(path, generator) for path in args.minus_latent),
             *(latent.seed_latent(seed, generator.latent_dim) for seed in args.minus)]
    operands = latent.common_space(generator, [*plus, *minus], args.label)
    plus, minus = operands[:len(plus)], operands[len(plus):]
    in_w = bool(operands) and np.ndim(operands[0]) == 2
    directions = [args.scale * latent.digit_direction(generator, digit, args.direction_samples,
                                                      in_w=in_w)
                  for digit in args.attribute_direction]
    result = latent.arithmetic(plus, minus, directions)
    outputs = latent.generate(generator, np.stack([*plus, *minus, result]), args.label)
    print(f"Wrote {_save_strip(outputs, args.out)}")


def cmd_project(args):
    from ganzoo.project import project_files

    record = project_files(
        args.target, args.images, args.out, args.extractor, args.steps, args.seed,
        args.w_plus, args.restarts, args.label, args.pixel_weight, args.vgg_weights,
        args.inception_weights, args.fid_weights)
    print(f"Wrote {len(record['images'])} projection(s) ({record['latent']} latents, "
          f"NAME.npy) to {args.out}: {os.path.join(args.out, 'projection.json')}")


def cmd_export(args):
    from ganzoo.export import describe, export

    if args.classifier:
        from ganzoo.classifier import export_classifier

        record = export_classifier(args.target, args.out, args.name)
        print(f"Wrote classifier SavedModel {record['path']} (images -> probabilities, "
              f"classes; max abs diff {record['max_abs_diff']:.1e})")
        return
    print("\n".join(describe(export(args.target, args.format, args.out, args.name,
                                     args.tflite_batch))))


def cmd_augment(args):
    from ganzoo.augment import augment

    names = args.class_names.split(",") if args.class_names else None
    manifest = augment(args.target, args.per_class, args.out, args.seed, args.truncation_psi,
                       args.fill_up, names)
    print(f"Wrote {sum(manifest['counts'].values())} images to {args.out} "
          f"({manifest['labels']}); manifest: {os.path.join(args.out, 'manifest.json')}")


def cmd_query(args):
    from ganzoo.export.client import query

    path = query(args.out, args.rest, args.grpc, args.model, args.n, args.seed,
                 args.truncation_psi, args.text)
    print(f"Wrote {path}")


def cmd_report(args):
    from ganzoo.run_report import write_report

    print(f"Wrote {write_report(args.run_dir, args.out, args.exports)}")


def cmd_convert(args):
    folder = CONVERTERS.get(args.format).convert(args.source, args.out, args)
    print(f"Wrote preset {folder}: ganzoo.load_generator({folder!r})")


LIST_WIDTH = 100


def _table(rows, width=LIST_WIDTH - 2):
    """Rows of cells as aligned columns; the last cell wraps under itself within ``width``."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    indent = sum(widths) + 2 * len(widths)
    lines = []
    for row in rows:
        head = "".join(f"{cell:{w}s}  " for cell, w in zip(row, widths))
        wrapped = textwrap.wrap(row[-1], max(width - indent, 20)) or [""]
        lines.append((head + wrapped[0]).rstrip())
        lines.extend(" " * indent + more for more in wrapped[1:])
    return lines


def _family_title(family):
    """"Auxiliary Classifier GAN, Odena et al. 2017": the name and citation that open a
    family module's docstring."""
    text = " ".join(sys.modules[family.__module__].__doc__.split())
    match = re.match(r"(.+?) \((.+?\d{4})", text)
    return f"{match.group(1)}, {match.group(2)}" if match else text.split(". ")[0]


def _preset_lines():
    """Each zoo recipe with its family and dataset, or its metrics where pretrained weights
    ship."""
    from ganzoo import presets

    pretrained = presets.shipped_presets()
    return _table([
        [name, os.path.basename(os.path.dirname(path)),
         presets.describe(pretrained[name]) if name in pretrained
         else f"data: {_recipe_dataset(path)}"]
        for name, path in zoo_configs().items()])


def cmd_list(args):
    from ganzoo.data import dataset_names

    sections = {
        "families": lambda: _table([[n, _family_title(FAMILIES.get(n))]
                                    for n in FAMILIES.names()]),
        "datasets": dataset_names,
        "presets": _preset_lines,
        "networks": NETWORKS.names,
    }
    for section in [args.what] if args.what else sections:
        print(f"{section}:")
        for line in sections[section]():
            print(f"  {line}")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, when it has one to show."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or action.default == [] \
                or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (``--help`` shows the usage) and exit status 2; a mistyped
    command or choice gets a "did you mean"; help shows defaults."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        typo = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if typo:
            choices = re.findall(r"'([^']*)'", typo.group(2)) or typo.group(2).split(", ")
            message = unknown_name("choice", typo.group(1), choices)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _folder_command(sub, name, help, input_help, out_default, func):
    """A subcommand that applies a run or preset to a folder of images: TARGET --input DIR
    --out DIR (translate, upscale, inpaint)."""
    command = sub.add_parser(name, help=help)
    command.add_argument("target", help="run directory, preset name, preset folder or archive")
    command.add_argument("--input", required=True, help=input_help)
    command.add_argument("--out", default=out_default, help="output folder")
    command.set_defaults(func=func)
    return command


def parser(converters=True):
    """The ``ganzoo`` argument parser.

    Args:
        converters: bool, default True: list the converters' formats under ``convert``
            (it imports them, and with them TensorFlow).
    """
    p = _Parser(prog="ganzoo", description="A GAN model zoo for TF2/Keras 3.")
    p.add_argument("--version", action="version", version=f"ganzoo {ganzoo.__version__}")
    p.add_argument("--verbose", action="store_true",
                   help="show TensorFlow's log messages (hidden by default)")
    sub = p.add_subparsers(dest="command", required=True)

    listing = sub.add_parser("list", help="families, datasets, presets, networks")
    listing.add_argument("what", nargs="?", choices=["families", "datasets", "presets",
                                                     "networks"], help="one section (default: all)")
    listing.set_defaults(func=cmd_list)

    train = sub.add_parser("train", help="train a family or a zoo preset")
    recipe = "(default: the recipe's)"
    train.add_argument("target", nargs="?", default="dcgan", help="family (its recipe for "
                       "--dataset, else its default recipe) or zoo recipe name")
    train.add_argument("--dataset", help="digits, ring, grid, folder:PATH or a tfds name "
                       + recipe)
    train.add_argument("--config", help="a YAML recipe file instead of a zoo recipe")
    train.add_argument("--steps", type=int, help="total train steps (G updates) " + recipe)
    train.add_argument("--batch-size", type=int, help="global batch of one D step " + recipe)
    train.add_argument("--lr", type=float, help="learning rate of both G and D " + recipe)
    train.add_argument("--resolution", type=int, help="image size in pixels " + recipe)
    train.add_argument("--data-dir", help="tensorflow-datasets data folder (default: tfds')")
    train.add_argument("--precision", choices=config_lib.PRECISIONS, help=recipe)
    train.add_argument("--strategy", choices=config_lib.STRATEGIES,
                       help="tf.distribute strategy " + recipe)
    train.add_argument("--seed", type=int, help="seed of weights, data order and noise " + recipe)
    train.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="any config key, e.g. --set family_args.gp_weight=5")
    train.add_argument("--out", help="run directory (default: runs/<recipe>, plus "
                       "-<dataset> when --dataset is not the recipe's)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue a run")
    train.add_argument("--init-from", metavar="PRESET_OR_RUN",
                       help="start from this preset's or run's G, EMA G and D weights (fresh "
                       "optimizers, step 0; same networks needed)")
    train.add_argument("--save-preset", metavar="PATH",
                       help="also write the trained model as a zoo preset (folder, .tar.gz or .zip)")
    train.set_defaults(func=cmd_train)

    sample = sub.add_parser("sample", help="write a sample grid PNG from a run or preset")
    sample.add_argument("target", help="run directory, preset name, preset folder or archive")
    sample.add_argument("--n", type=int, default=64, help="number of samples")
    sample.add_argument("--seed", type=int, default=0, help="seed of the latents")
    sample.add_argument("--out", default="samples.png", help="PNG to write")
    sample.set_defaults(func=cmd_sample)

    translate = _folder_command(sub, "translate", "translate a folder of images with a "
                                "cyclegan or pix2pix run", "folder of images to translate",
                                "translated", cmd_translate)
    translate.add_argument("--direction", default="a2b", choices=["a2b", "b2a"],
                           help="domain A to B, or B to A")

    _folder_command(sub, "upscale", "super-resolve a folder of images with an srgan run or "
                    "preset", "folder of images (resized to the model's low-resolution input)",
                    "upscaled", cmd_upscale)

    inpaint = _folder_command(sub, "inpaint", "fill holes in a folder of images with an "
                              "inpaint run or preset", "folder of images (resized to the "
                              "model's resolution)", "inpainted", cmd_inpaint)
    holes = inpaint.add_mutually_exclusive_group(required=True)
    holes.add_argument("--masks", metavar="DIR", help="one mask per image, same file name, "
                       "white = hole")
    holes.add_argument("--box", metavar="X,Y,W,H", help="the same box hole in every image, in "
                       "the model's pixels")

    generate = sub.add_parser("generate", help="images of a caption from a text-to-image "
                              "run or preset (stackgan)")
    generate.add_argument("target", help="run directory, preset name, preset folder or archive")
    generate.add_argument("--text", required=True, help='caption, e.g. "a bold three"')
    generate.add_argument("--n", type=int, default=16, help="number of images")
    generate.add_argument("--seed", type=int, default=0, help="seed of the noise")
    generate.add_argument("--out", default="generated.png", help="PNG to write")
    generate.set_defaults(func=cmd_generate)

    evaluate = sub.add_parser("eval", help="FID, KID, IS, precision/recall of a run or preset")
    evaluate.add_argument("target", help="run directory, preset name or preset folder")
    evaluate.add_argument("--metrics", help="comma list of fid,kid,is,pr (default all four; "
                          "fid,is with --reference-stats), or accuracy: the discriminator "
                          "as a classifier on the held-out split (sgan, acgan)")
    evaluate.add_argument("--n", type=int, default=10000, help="images per side")
    evaluate.add_argument("--protocol", choices=["paper"], help="paper: the published FID "
                          "protocol: fid_inception, 50000 generated images vs every real image "
                          "of the split (overrides --n)")
    evaluate.add_argument("--batch-size", type=int, default=250, help="images per batch")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the generated images")
    evaluate.add_argument("--split", help="real data split (default: the training split)")
    evaluate.add_argument("--extractor", help="fid_inception, inception or digits (default: "
                          "digits for the digits dataset, else fid_inception when its weights "
                          "are found, else inception)")
    evaluate.add_argument("--inception-weights", metavar="PATH",
                          help="InceptionV3 ImageNet weights .h5 (default: the Keras cache)")
    evaluate.add_argument("--fid-weights", metavar="PATH", help="FID Inception weights: "
                          "pt_inception-2015-12-05-6726825d.pth or an .npz with its names "
                          "(default: ~/.ganzoo/weights/ or torch hub's checkpoints folder)")
    evaluate.add_argument("--reference-stats", metavar="FILE.npz", help="real statistics "
                          "(mu, sigma) of TTUR, pytorch-fid or ganzoo stats, instead of the data")
    evaluate.add_argument("--out", help="JSON file (default RUN_DIR/eval.json or ./eval_NAME.json)")
    evaluate.add_argument("--cache-dir", help="reference statistics cache "
                          "(default $GANZOO_REFERENCE_STATS or ~/.ganzoo/reference_stats)")
    evaluate.set_defaults(func=cmd_eval)

    stats = sub.add_parser("stats", help="FID statistics (mu, sigma) of a dataset, as the .npz "
                           "of TTUR and pytorch-fid")
    stats.add_argument("dataset", help="digits, folder:PATH or a tfds name")
    stats.add_argument("--out", required=True, help="the .npz to write")
    stats.add_argument("--split", default="train", help="dataset split")
    stats.add_argument("--resolution", type=int, help="image size (default: ganzoo's default "
                       "data resolution); the one the generators are compared at")
    stats.add_argument("--n", type=int, help="images (default: all of the split)")
    stats.add_argument("--batch-size", type=int, default=250, help="images per batch")
    stats.add_argument("--extractor", help="as for eval (default: fid_inception when its "
                       "weights are found)")
    stats.add_argument("--fid-weights", metavar="PATH", help="FID Inception weights, as for eval")
    stats.add_argument("--data-dir", help="tensorflow-datasets data folder")
    stats.set_defaults(func=cmd_stats)
    interpolate = sub.add_parser("interpolate", help="images along a latent path between seeds")
    interpolate.add_argument("target", help="run directory or preset")
    interpolate.add_argument("--seeds", type=_seed_list,
                             help="comma list of >= 2 seeds, e.g. 1,2,3 (default 1,2; none "
                             "with --latent), after the --latent files")
    interpolate.add_argument("--latent", action="append", default=[], metavar="FILE.npy",
                             help="a latent that `ganzoo project` wrote (repeatable): z, or a "
                             "StyleGAN's w+ (then seeds are mapped to W too)")
    interpolate.add_argument("--steps", type=int, default=8, help="images per segment")
    interpolate.add_argument("--method", choices=["slerp", "lerp"],
                             help="great-circle (slerp) or straight (lerp) path (default slerp "
                             "for z, lerp for w+)")
    interpolate.add_argument("--label", type=int, help="class, for a conditional generator")
    interpolate.add_argument("--out", default="interpolation.png", help="a .png strip or a .gif")
    interpolate.set_defaults(func=cmd_interpolate)

    arithmetic = sub.add_parser(
        "arithmetic", help="latent arithmetic: sum(plus) - sum(minus) + directions")
    arithmetic.add_argument("target", help="run directory or preset")
    arithmetic.add_argument("--plus", type=_seed_list, default=[], help="seeds to add, e.g. 3,5")
    arithmetic.add_argument("--minus", type=_seed_list, default=[], help="seeds to subtract")
    arithmetic.add_argument("--latent", action="append", default=[], metavar="FILE.npy",
                            help="a latent to add, as `ganzoo project` wrote it (repeatable)")
    arithmetic.add_argument("--minus-latent", action="append", default=[], metavar="FILE.npy",
                            help="a latent file to subtract (repeatable)")
    arithmetic.add_argument("--attribute-direction", type=int, action="append", default=[],
                            metavar="DIGIT", help="digits models: add the direction toward "
                            "DIGIT (mean latent of samples classified as DIGIT minus the rest)")
    arithmetic.add_argument("--scale", type=float, default=1.0, help="weight of each direction")
    arithmetic.add_argument("--direction-samples", type=int, default=1000,
                            help="samples classified to estimate each direction")
    arithmetic.add_argument("--label", type=int, help="class, for a conditional generator")
    arithmetic.add_argument("--out", default="arithmetic.png",
                            help="PNG strip: plus, minus, result (or a .gif)")
    arithmetic.set_defaults(func=cmd_arithmetic)

    projector = sub.add_parser("project", help="latents that reproduce real images "
                               "(StyleGAN: w or w+ as NVIDIA's projector; others: z)")
    projector.add_argument("target", help="run directory or preset")
    projector.add_argument("images", nargs="+", metavar="IMAGE",
                           help="image files (any size; resized to the model's)")
    projector.add_argument("--out", required=True, help="output folder: NAME_target.png, "
                           "NAME_projected.png, NAME.npy, projection.png, projection.json")
    projector.add_argument("--steps", type=int, default=1000, help="optimisation steps")
    projector.add_argument("--w-plus", action="store_true",
                           help="StyleGAN: one w per layer (w+) instead of one w")
    projector.add_argument("--restarts", type=int, default=4,
                           help="z families: random starts per image, the best kept")
    projector.add_argument("--label", type=int, help="class of the images, for a conditional "
                           "generator (required there)")
    projector.add_argument("--extractor", help="perceptual features: digits, fid_inception, "
                           "inception, vgg16 or pixels (default: digits for digits models, "
                           "vgg16 with --vgg-weights, else as eval picks)")
    projector.add_argument("--pixel-weight", type=float, default=10.0,
                           help="weight of the pixel MSE beside the feature distance")
    projector.add_argument("--vgg-weights", metavar="PATH", help="Keras VGG16 ImageNet "
                           "weights without top (.h5); never downloaded")
    projector.add_argument("--fid-weights", metavar="PATH", help="FID Inception weights, as "
                           "for eval")
    projector.add_argument("--inception-weights", metavar="PATH",
                           help="InceptionV3 ImageNet weights .h5, as for eval")
    projector.add_argument("--seed", type=int, default=0, help="seed of the starting points")
    projector.set_defaults(func=cmd_project)

    export = sub.add_parser("export", help="SavedModel for TF Serving and TFLite files")
    export.add_argument("target", help="run directory or preset")
    export.add_argument("--format", default="saved_model,tflite",
                        help="comma list of saved_model, tflite (default both)")
    export.add_argument("--out", default="exports", help="export folder (default exports/)")
    export.add_argument("--name", help="model name (default: the run's or preset's name)")
    export.add_argument("--tflite-batch", type=int, default=1, help="TFLite's static batch")
    export.add_argument("--classifier", action="store_true", help="export the discriminator "
                        "as a K-class classifier SavedModel instead (sgan, acgan)")
    export.set_defaults(func=cmd_export)

    augmenter = sub.add_parser("augment", help="a class-balanced labeled image folder "
                               "DIR/<class>/*.png from a conditional GAN (or an sgan)")
    augmenter.add_argument("target", help="run directory or preset (cgan, acgan, sgan, "
                           "conditional stylegan)")
    augmenter.add_argument("--per-class", type=int, required=True, help="images per class "
                           "(with --fill-up: the count each class is topped up to)")
    augmenter.add_argument("--out", required=True, help="output folder")
    augmenter.add_argument("--fill-up", metavar="FOLDER", help="labeled folder: generate only "
                           "what its classes lack")
    augmenter.add_argument("--seed", type=int, default=0, help="seed of the latents")
    augmenter.add_argument("--truncation-psi", type=float, help="for generators with a mean "
                           "latent (stylegan)")
    augmenter.add_argument("--class-names", help="comma list naming classes 0..K-1 (default "
                           "0..K-1; a folder dataset's sorted subfolder names)")
    augmenter.set_defaults(func=cmd_augment)

    query = sub.add_parser("query", help="ask TF Serving for samples, save a grid")
    server = query.add_mutually_exclusive_group(required=True)
    server.add_argument("--rest", metavar="URL", help="http://HOST:8501/v1/models/NAME")
    server.add_argument("--grpc", metavar="HOST:PORT", help="e.g. localhost:8500")
    query.add_argument("--model", help="model name (needed with --grpc)")
    query.add_argument("--n", type=int, default=16, help="number of samples")
    query.add_argument("--seed", type=int, default=0, help="seed of the served generate signature")
    query.add_argument("--truncation-psi", type=float, help="for models with a mean latent")
    query.add_argument("--text", help="a caption, for text-to-image models (stackgan): asks "
                       "their generate_text signature")
    query.add_argument("--out", default="grid.png", help="PNG to write")
    query.set_defaults(func=cmd_query)

    report = sub.add_parser("report", help="one self-contained HTML page about a run: "
                            "samples over time, curves, interpolation, eval, exports")
    report.add_argument("run_dir", help="training run directory")
    report.add_argument("--out", default="report.html", help="HTML file to write")
    report.add_argument("--exports", default="exports",
                        help="export folder whose records of this run are listed")
    report.set_defaults(func=cmd_report)

    convert = sub.add_parser("convert", help="a published checkpoint (read safely) -> a preset")
    formats = convert.add_subparsers(dest="format", required=True, metavar="FORMAT")
    for name in CONVERTERS.names() if converters else []:
        converter = CONVERTERS.get(name)
        one = formats.add_parser(name, help=converter.help)
        one.add_argument("source", help="the checkpoint file")
        one.add_argument("--out", required=True, help="preset folder to write")
        converter.add_arguments(one)
        one.set_defaults(func=cmd_convert)
    return p


# integer options that count something (the config layer checks train's own values)
AT_LEAST_ONE = ("n", "batch_size", "tflite_batch", "direction_samples", "restarts")


def check_values(args):
    """Refuses counts below 1 and non-finite floats among the parsed options."""
    for name, value in vars(args).items():
        flag = f"--{name.replace('_', '-')}"
        if name in AT_LEAST_ONE and args.command != "train" and value is not None and value < 1:
            raise ValueError(f"{flag} must be >= 1, got {value}.")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{flag} must be a finite number, got {value}.")
    if args.command in ("interpolate", "project") and args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}.")
    if args.command == "project" and args.pixel_weight < 0:
        raise ValueError(f"--pixel-weight must be >= 0, got {args.pixel_weight}.")


def quiet_tensorflow():
    """Imports TensorFlow and initialises its devices with file descriptor 2 on /dev/null:
    its C++ start-up lines (oneDNN, CUDA driver probes, cuInit) are written there before
    ``TF_CPP_MIN_LOG_LEVEL`` applies. Later messages, Python's included, are untouched."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            import tensorflow as tf

            tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parser(converters="convert" in argv).parse_args(argv)
    expand_paths(args)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0" if args.verbose else "3"
    if not args.verbose:
        quiet_tensorflow()
    try:
        check_values(args)
        args.func(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"ganzoo: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
