"""SRGAN on held-out digits against bicubic upsampling.

Trains the ``srgan_digits`` recipe (8x8 -> 32x32, the first 80% of digits) and scores the
held-out 20% (``train[80%:]``, 360 images): each 32x32 image is downsampled (bicubic,
antialiased, as in training), then upscaled by the generator and by bicubic
interpolation. Reports PSNR and SSIM against the original and the shipped digits
classifier's accuracy on the upscaled images (and on the originals, the ceiling). Prints a
Markdown table and writes every number to ``--out``.

    python tools/srgan_study.py --seed 0
"""

import _restoration_study as study
from ganzoo.families.restoration import downsample
from ganzoo.metrics import restoration
from ganzoo.translate import in_batches


def scores(images, references, labels):
    return {"psnr": float(restoration.psnr(images, references).mean()),
            "ssim": float(restoration.ssim(images, references).mean()),
            "accuracy": restoration.digit_accuracy(images, labels)}


def measure(generator, data):
    """{bicubic, srgan: {psnr, ssim, accuracy}, original: {accuracy}, held_out: count} of
    ``generator`` on the held-out 20% of ``data`` (downsampled, then upscaled)."""
    originals, labels = study.held_out(data)
    small = downsample(originals, generator.scale).numpy()
    return {"bicubic": scores(restoration.bicubic_upsample(small, generator.scale), originals,
                              labels),
            "srgan": scores(in_batches(generator, small, 64), originals, labels),
            "original": {"accuracy": restoration.digit_accuracy(originals, labels)},
            "held_out": len(labels)}


def main():
    args = study.arguments(__doc__.splitlines()[0], "srgan_digits").parse_args()
    model, config, minutes = study.train(args)
    results = measure(model.sampling_generator(), config.data)
    results["settings"] = {**vars(args), "steps": config.train.steps, "train_minutes": minutes,
                           "held_out": results["held_out"]}
    study.write(results, args.out)
    print(f"{config.train.steps} steps in {minutes:.1f} min; {results['held_out']} held-out images")
    print("| 8x8 -> 32x32 | PSNR (dB) | SSIM | classifier accuracy |\n|---|---|---|---|")
    for method in ("bicubic", "srgan"):
        r = results[method]
        print(f"| {method} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['accuracy']:.4f} |")
    print(f"| original 32x32 | - | - | {results['original']['accuracy']:.4f} |")


if __name__ == "__main__":
    main()
