"""Inpainting GAN: Pathak et al. 2016 ("Context Encoders: Feature Learning by
Inpainting"), with pix2pix's encoder-decoder and L1 (Isola et al. 2017).

Every step draws one mask per clean image (1 = hole): a ``hole_size`` square at a
uniform position ("box", the context encoder's random-block masks), free-form strokes
("free_form": ``strokes`` segments between uniform points, ``stroke_width`` wide), or
either with probability 1/2 ("mixed"). G (``networks/inpaint.py``) sees the image with
the hole and the mask, concat(x * (1 - m), m), and returns its fill composited into the
known pixels. Its loss is the reconstruction of the hole plus the adversarial term,

    L_G = reconstruction_weight * sum(|G(x, m) - x| m) / sum(m) + adversarial_weight * -log D(G(x, m))

(Pathak et al. weigh an L2 reconstruction 0.999 against 0.001 adversarial; here the L1
of pix2pix, averaged over the hole's pixels). D judges whole images, real against filled.
"""

import keras
from keras import ops

from ganzoo.families.base import replica_rows
from ganzoo.families.restoration import RestorationGAN
from ganzoo.networks.inpaint import InpaintGenerator
from ganzoo.registry import check_choice, register_family

MASK_KINDS = ("box", "free_form", "mixed")


def box_at(top, left, box_height, box_width, height, width):
    """[N, H, W, 1] float32 masks, 1 inside the box at (top, left) of each row ([N, 1, 1, 1]
    tensors or numbers)."""
    rows = ops.reshape(ops.arange(height), (1, height, 1, 1))
    cols = ops.reshape(ops.arange(width), (1, 1, width, 1))
    inside = ((rows >= top) & (rows < top + box_height)
              & (cols >= left) & (cols < left + box_width))
    return ops.cast(inside, "float32")


def box_masks(n, height, width, size, seed):
    """``n`` masks, each one ``size`` x ``size`` hole at a uniform position."""
    top = keras.random.randint((n, 1, 1, 1), 0, height - size + 1, seed=seed)
    left = keras.random.randint((n, 1, 1, 1), 0, width - size + 1, seed=seed)
    return box_at(top, left, size, size, height, width)


def free_form_masks(n, height, width, strokes, stroke_width, seed):
    """``n`` masks of ``strokes`` segments between uniform points: a pixel is in the hole
    when its distance to a segment is at most ``stroke_width`` / 2."""
    ends = keras.random.uniform((n, strokes, 1, 1, 4), seed=seed) * ops.convert_to_tensor(
        [height - 1.0, width - 1.0, height - 1.0, width - 1.0])
    start, end = ends[..., :2], ends[..., 2:]
    grid = ops.stack(ops.meshgrid(ops.arange(height, dtype="float32"),
                                  ops.arange(width, dtype="float32"), indexing="ij"), -1)
    along, offset = end - start, grid - start  # [n, S, 1, 1, 2], [n, S, H, W, 2]
    t = ops.clip(ops.sum(offset * along, -1, keepdims=True)
                 / ops.maximum(ops.sum(along * along, -1, keepdims=True), 1e-6), 0.0, 1.0)
    distance2 = ops.sum(ops.square(offset - t * along), -1)  # [n, S, H, W]
    inside = ops.any(distance2 <= (stroke_width / 2.0) ** 2, axis=1)
    return ops.cast(inside, "float32")[..., None]


def with_mask(images, masks):
    """The generator's input: the images and their masks on the last axis."""
    return ops.concatenate([ops.cast(images, "float32"), ops.cast(masks, "float32")], -1)


@register_family("inpaint")
class Inpaint(RestorationGAN):
    """Args (``family_args``; see also ``RestorationGAN``):
        masks (str, default "mixed"): "box", "free_form" or "mixed".
        hole_size (int, default None): side of a box hole; None = 3/8 of the image side
            (12 at 32 px).
        strokes (int, default 4): segments of a free-form mask.
        stroke_width (float, default None): their width; None = 1/10 of the image side.
        reconstruction_weight (float, default 1.0): weight of the hole's L1.
        adversarial_weight (float, default 0.01): weight of G's adversarial loss.
    """

    default_preset = "inpaint_digits"
    generator_kind = InpaintGenerator
    command = "inpaint"
    log_names = ("hole_l1",)

    def __init__(self, generator, discriminator, masks="mixed", hole_size=None, strokes=4,
                 stroke_width=None, reconstruction_weight=1.0, adversarial_weight=0.01,
                 **kwargs):
        super().__init__(generator, discriminator, adversarial_weight=adversarial_weight,
                         **kwargs)
        self.masks = check_choice("masks", masks, MASK_KINDS)
        side = min(generator.data_shape[:2])
        self.hole_size = max(1, round(side * 3 / 8)) if hole_size is None else hole_size
        if not isinstance(self.hole_size, int) or not 1 <= self.hole_size < side:
            raise ValueError(f"inpaint: hole_size must be in [1, {side - 1}] at this "
                             f"resolution; got {hole_size}.")
        if strokes < 1:
            raise ValueError(f"inpaint: strokes must be >= 1; got {strokes}.")
        self.strokes = strokes
        self.stroke_width = float(stroke_width or max(1.0, side / 10))
        self.reconstruction_weight = reconstruction_weight

    def draw_masks(self, n, seed):
        """``n`` masks [n, H, W, 1] of the family's kind, drawn from ``seed``."""
        height, width = self.generator.data_shape[:2]
        if self.masks != "free_form":
            boxes = box_masks(n, height, width, self.hole_size, seed)
        if self.masks != "box":
            strokes = free_form_masks(n, height, width, self.strokes, self.stroke_width, seed)
        if self.masks == "mixed":
            pick_box = keras.random.uniform((n, 1, 1, 1), seed=seed) < 0.5
            return ops.where(pick_box, boxes, strokes)
        return boxes if self.masks == "box" else strokes

    def degrade(self, clean, seed=None):
        masks = replica_rows(lambda n: self.draw_masks(
            n, self.seed_generator if seed is None else seed),
                             ops.shape(clean)[0])
        return with_mask(clean, masks)

    def restoration_loss(self, restored, clean, degraded):
        hole = ops.cast(degraded[..., -1:], "float32")
        difference = ops.abs(ops.cast(restored, "float32") - ops.cast(clean, "float32")) * hole
        hole_l1 = ops.sum(difference) / ops.maximum(ops.sum(hole) * clean.shape[-1], 1.0)
        self.log("hole_l1", hole_l1)
        return self.reconstruction_weight * hole_l1

    def show_degraded(self, degraded):
        """The images with their holes in mid gray."""
        degraded = keras.ops.convert_to_numpy(degraded)
        hole = degraded[..., -1:]
        return degraded[..., :-1] * (1.0 - hole)
