"""StackGAN's networks (Zhang et al. 2017, "StackGAN: Text to Photo-realistic Image
Synthesis with Stacked Generative Adversarial Networks"), scaled to small images.

Generator: a caption's token ids -> ``TextEncoder`` -> ``ConditioningAugmentation`` c;
stage I draws a coarse image at half the resolution from (z, c) (dense 4x4, then
nearest-upsample + 3x3 conv + BatchNorm + ReLU blocks, as the paper's Stage-I G); stage II
encodes that image (3x3 conv, then a stride-2 conv to a quarter of the resolution), joins
its own c tiled over the grid, refines it with residual blocks and upsamples twice to the
full resolution (the paper's Stage-II G). Each stage has its own conditioning
augmentation, both drawing on the same eps. Stage II sees the stage-I image through
``stop_gradient``: each stage is trained by its own discriminator, as in the paper where
stage I is frozen while stage II trains.

Noise input: the generator's ``latent_dim`` columns are [z | eps]: the first
``latent_dim - condition_dim`` are z, the last ``condition_dim`` are the conditioning
augmentation's eps. Both are standard normal; the served graph has no random op, and
eps = 0 gives the mean condition mu.

Discriminator: one conditional critic per stage (stride-2 4x4 convs + LeakyReLU(0.2) down
to 4x4, the compressed text embedding tiled and concatenated there, a 3x3 conv, then a
float32 logit), sharing one text encoder. Unlike the paper's, the critics have no
BatchNorm: the family scores matched, generated and mismatched pairs in one batch, and
batch statistics over that mixture (then over fakes alone in G's step) broke training.
Called with [stage-I image, image, tokens], it returns [stage-I logits, stage-II logits].
"""

import math

import keras
import numpy as np
from keras import layers, ops

from ganzoo import text
from ganzoo.layers.text import ConditioningAugmentation, TextEncoder
from ganzoo.networks.base import Discriminator, Generator
from ganzoo.registry import register_network

DEFAULT_PREVIEW = tuple(f"a {digit}" for digit in text.DIGIT_WORDS)


def _stage_one_upsamples(resolution):
    """Upsampling blocks of stage I (4x4 -> resolution / 2)."""
    blocks = math.log2(resolution) - 3
    if resolution < 8 or resolution > 256 or blocks != int(blocks):
        raise ValueError(f"StackGAN resolution must be a power of two in 8..256, got "
                         f"{resolution}.")
    return int(blocks)


def _conv_block(width, upsample=False, stride=1):
    return keras.Sequential([*([layers.UpSampling2D()] if upsample else []),
                             layers.Conv2D(width, 3 if stride == 1 else 4, stride, "same",
                                           use_bias=False),
                             layers.BatchNormalization(), layers.ReLU()])


@keras.saving.register_keras_serializable("ganzoo")
class ResidualBlock(layers.Layer):
    """x + BN(conv(ReLU(BN(conv(x))))), then ReLU (the Stage-II G's residual block).

    Args:
        width (int): channels of x.
    """

    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.body = keras.Sequential([
            layers.Conv2D(width, 3, padding="same", use_bias=False), layers.BatchNormalization(),
            layers.ReLU(), layers.Conv2D(width, 3, padding="same", use_bias=False),
            layers.BatchNormalization()])

    def call(self, x, training=False):
        return ops.relu(x + self.body(x, training=training))

    def get_config(self):
        return {**super().get_config(), "width": self.width}


def _tiled(vector, grid):
    """[B, C] -> [B, grid, grid, C]."""
    return ops.tile(vector[:, None, None, :], (1, grid, grid, 1))


def _split_text_inputs(network, inputs, count):
    if not isinstance(inputs, (list, tuple)) or len(inputs) != count:
        raise ValueError(f"{network.name} is text-conditioned: call it with "
                         f"{network.call_form}.")
    return inputs


@register_network("stackgan_generator")
@keras.saving.register_keras_serializable("ganzoo")
class StackGANGenerator(Generator):
    """Two-stage text-conditioned generator; ``G([noise, tokens])`` -> images in [-1, 1].

    Args:
        latent_dim (int, 64): noise width: z (``latent_dim - condition_dim``) + eps.
        data_shape (tuple, (32, 32, 1)): output image shape; resolution a power of two >= 8.
        num_classes (int, 0): must be 0 (the condition is text).
        vocabulary (list, ``text.VOCABULARY``): the tokenizer's words, ids 0 and 1 = pad, unk.
        max_tokens (int, 8): caption length L in tokens.
        embed_dim (int, 32): word-embedding width.
        text_dim (int, 64): text-embedding width.
        condition_dim (int, None): width of c (and of eps); None: latent_dim // 4.
        width (int, 32): channels at the stage-I image's resolution; 4x4 has 4 x width.
        residual_blocks (int, 2): residual blocks of stage II.
        preview_captions (list): captions of the previews and of ``sample_inputs``.
    """

    call_form = "[noise [B, latent_dim], tokens [B, max_tokens] int32]"
    condition_inputs = ("tokens",)

    def __init__(self, latent_dim=64, data_shape=(32, 32, 1), num_classes=0,
                 vocabulary=text.VOCABULARY, max_tokens=text.MAX_TOKENS, embed_dim=32,
                 text_dim=64, condition_dim=None, width=32, residual_blocks=2,
                 preview_captions=DEFAULT_PREVIEW, **kwargs):
        data_shape, vocabulary = tuple(data_shape), text.check_vocabulary(vocabulary)
        preview_captions = list(preview_captions)
        condition_dim = condition_dim or max(latent_dim // 4, 1)
        if num_classes:
            raise ValueError("stackgan is conditioned on captions, not class labels: use a "
                             "captioned dataset (digits_captions, captions:DIR).")
        if not 1 <= condition_dim < latent_dim:
            raise ValueError(f"condition_dim must be in [1, latent_dim) = [1, {latent_dim}) "
                             f"(latent_dim holds z and the eps of c); got {condition_dim}.")
        super().__init__(latent_dim=latent_dim, data_shape=data_shape, num_classes=0,
                         vocabulary=vocabulary, max_tokens=max_tokens, embed_dim=embed_dim,
                         text_dim=text_dim, condition_dim=condition_dim, width=width,
                         residual_blocks=residual_blocks, preview_captions=preview_captions,
                         **kwargs)
        self.latent_dim, self.data_shape, self.num_classes = latent_dim, data_shape, 0
        self.vocabulary, self.max_tokens = vocabulary, max_tokens
        self.condition_dim, self.preview_captions = condition_dim, preview_captions
        resolution, channels = data_shape[0], data_shape[-1]
        upsamples = _stage_one_upsamples(resolution)
        self.text_encoder = TextEncoder(len(vocabulary), embed_dim, text_dim)
        self.augment_one = ConditioningAugmentation(condition_dim)
        self.augment_two = ConditioningAugmentation(condition_dim)
        self.stage_one = keras.Sequential(
            [layers.Dense(4 * 4 * 4 * width, use_bias=False), layers.BatchNormalization(),
             layers.ReLU(), layers.Reshape((4, 4, 4 * width))]
            + [_conv_block(max(4 * width // 2 ** (i + 1), width), upsample=True)
               for i in range(upsamples)]
            + [layers.Conv2D(channels, 3, padding="same")])
        self.encode = keras.Sequential([layers.Conv2D(width, 3, padding="same"), layers.ReLU(),
                                        _conv_block(2 * width, stride=2)])
        self.join = _conv_block(2 * width)
        self.residuals = [ResidualBlock(2 * width) for _ in range(residual_blocks)]
        self.stage_two = keras.Sequential(
            [_conv_block(width, upsample=True), _conv_block(max(width // 2, 1), upsample=True),
             layers.Conv2D(channels, 3, padding="same")])
        self.tanh = layers.Activation("tanh", dtype="float32")

    def stages(self, inputs, training=False):
        """{"low": stage-I images [B, R/2, R/2, C], "image": stage-II images [B, R, R, C],
        "mu", "log_variance": of both conditioning augmentations, stacked [2, B, dim]}."""
        noise, tokens = _split_text_inputs(self, inputs, 2)
        noise = ops.cast(noise, self.compute_dtype)
        z, eps = noise[:, :-self.condition_dim], noise[:, -self.condition_dim:]
        embedding = self.text_encoder(tokens)
        c_one, mu_one, log_var_one = self.augment_one(embedding, eps)
        c_two, mu_two, log_var_two = self.augment_two(embedding, eps)
        low = self.tanh(self.stage_one(ops.concatenate([z, c_one], axis=-1), training=training))
        x = self.encode(ops.cast(ops.stop_gradient(low), self.compute_dtype), training=training)
        x = self.join(ops.concatenate([x, _tiled(c_two, x.shape[1])], axis=-1),
                      training=training)
        for block in self.residuals:
            x = block(x, training=training)
        return {"low": low, "image": self.tanh(self.stage_two(x, training=training)),
                "mu": ops.stack([mu_one, mu_two]),
                "log_variance": ops.stack([log_var_one, log_var_two])}

    def call(self, inputs, training=False):
        return self.stages(inputs, training=training)["image"]

    def tokenize(self, captions):
        """Token ids [len(captions), max_tokens] with this generator's vocabulary."""
        return text.tokenize(list(captions), self.vocabulary, self.max_tokens)

    def sample_inputs(self, n, seed=0, labels="cycle", captions=None):
        """[noise [n, latent_dim], tokens [n, max_tokens]]: noise drawn from ``seed`` (an
        int or a ``np.random.Generator``); tokens of ``captions`` (a list, cycled over the
        rows) or of ``preview_captions``, row i the caption i mod count ("cycle") or drawn
        after the noise ("uniform")."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        noise = rng.standard_normal((n, self.latent_dim)).astype(np.float32)
        captions = list(captions or self.preview_captions)
        rows = (rng.integers(0, len(captions), n) if labels == "uniform"
                else np.arange(n) % len(captions))
        return [noise, self.tokenize(captions)[rows]]

    def example_conditions(self, rows):
        """{"tokens": preview captions' ids, cycled over ``rows``} (export parity checks)."""
        return {"tokens": self.sample_inputs(rows)[1]}

    def serving_inputs(self, batch_size=None):
        return {"noise": ((batch_size, self.latent_dim), "float32"),
                "tokens": ((batch_size, self.max_tokens), "int32")}

    def build_for_data(self):
        self([ops.zeros((1, self.latent_dim)), ops.zeros((1, self.max_tokens), "int32")])
        return self


def _critic(width, grid_from):
    """Conv layers from ``grid_from`` down to 4x4 (the text is joined there) and after."""
    steps = int(math.log2(grid_from)) - 2
    down = [layers.Conv2D(min(width * 2 ** i, 8 * width), 4, 2, "same") for i in range(steps)]
    body = [layer for conv in down for layer in (conv, layers.LeakyReLU(0.2))]
    after = [layers.Conv2D(min(width * 2 ** max(steps - 1, 0), 8 * width), 3, padding="same"),
             layers.LeakyReLU(0.2), layers.Flatten(), layers.Dense(1, dtype="float32")]
    return keras.Sequential(body or [layers.Identity()]), keras.Sequential(after)


@register_network("stackgan_discriminator")
@keras.saving.register_keras_serializable("ganzoo")
class StackGANDiscriminator(Discriminator):
    """The two stages' text-conditioned critics; ``D([low, image, tokens])`` ->
    [logits [B, 1] of the stage-I image, logits [B, 1] of the full image].

    Args:
        data_shape (tuple, (32, 32, 1)): full image shape (stage I is at half of it).
        num_classes, aux_classes (int, 0): must be 0.
        vocabulary (list, ``text.VOCABULARY``): the generator's vocabulary (its length
            sizes the word embedding).
        embed_dim (int, 32): word-embedding width.
        text_dim (int, 32): compressed text-embedding width (N_d in the paper).
        width (int, 32): channels of the first convolution; they double per step to 8x.
    """

    call_form = "[stage-I images, images, tokens [B, max_tokens] int32]"

    def __init__(self, data_shape=(32, 32, 1), num_classes=0, aux_classes=0,
                 vocabulary=text.VOCABULARY, embed_dim=32, text_dim=32, width=32, **kwargs):
        data_shape, vocabulary = tuple(data_shape), text.check_vocabulary(vocabulary)
        if num_classes or aux_classes:
            raise ValueError("stackgan's discriminator is conditioned on captions, not on "
                             "class labels.")
        super().__init__(data_shape=data_shape, num_classes=0, aux_classes=0,
                         vocabulary=vocabulary, embed_dim=embed_dim, text_dim=text_dim,
                         width=width, **kwargs)
        self.data_shape, self.num_classes, self.aux_classes = data_shape, 0, 0
        self.vocabulary = vocabulary
        resolution = data_shape[0]
        _stage_one_upsamples(resolution)
        self.text_encoder = TextEncoder(len(vocabulary), embed_dim, text_dim)
        self.critics = [_critic(width, resolution // 2), _critic(width, resolution)]

    def call(self, inputs, training=False):
        low, image, tokens = _split_text_inputs(self, inputs, 3)
        embedding = self.text_encoder(tokens)
        logits = []
        for (down, after), x in zip(self.critics, (low, image)):
            x = down(ops.cast(x, self.compute_dtype), training=training)
            joined = ops.concatenate([x, _tiled(embedding, x.shape[1])], axis=-1)
            logits.append(after(joined, training=training))
        return logits

    def build_for_data(self):
        resolution, _, channels = self.data_shape
        self([ops.zeros((1, resolution // 2, resolution // 2, channels)),
              ops.zeros((1, *self.data_shape)), ops.zeros((1, 1), "int32")])
        return self
