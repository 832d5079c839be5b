"""StyleGAN2 networks (Karras et al. 2020, "Analyzing and Improving the Image Quality of
StyleGAN"), computing exactly what ``training/networks.py`` of NVlabs/stylegan2-ada-pytorch
(Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data") computes
for its default ("skip") generator and ("resnet") discriminator, in NHWC.

Channels at resolution r: min(channel_base // r, channel_max). Every weight has an
equalized learning rate. ``ganzoo.io.stylegan2_ada`` reads the official weights into them.
"""

import math

import keras
import tensorflow as tf
from keras import ops

from ganzoo.layers.equalized import EqualizedDense
from ganzoo.layers.fir import fir_filter, upsample2d
from ganzoo.layers.resample import ResampleConv2D
from ganzoo.layers.style import MappingNetwork, ModulatedConv2D, ToRGB
from ganzoo.networks.base import Discriminator, Generator
from ganzoo.networks.progan import num_levels
from ganzoo.registry import register_network


def channels_at(resolution, channel_base, channel_max):
    return min(channel_base // resolution, channel_max)


@register_network("stylegan_generator")
@keras.saving.register_keras_serializable("ganzoo")
class StyleGANGenerator(Generator):
    """``Generator`` = ``MappingNetwork`` + ``SynthesisNetwork`` ("skip" architecture).

    ``mapping(z, labels=None, truncation_psi=1.0, truncation_cutoff=None)`` -> ws
    [B, num_ws, w_dim]: w = MappingNetwork(z, labels) broadcast to the ``num_ws`` layers;
    truncation (Karras et al. 2019) replaces the first ``truncation_cutoff`` (all when
    None) by w_avg + psi (w - w_avg).
    ``synthesis(ws, noise_mode="const")`` -> images [B, H, W, C] float32: from the learned
    4x4 constant, per resolution a modulated 3x3 convolution (upsampling from 8x8 on, by a
    transposed convolution and the [1, 3, 3, 1] filter) and a second one, each with noise,
    and a toRGB whose images, FIR-upsampled, are summed. Layer i takes ws[:, i]; a block's
    toRGB shares the w of the next block's first convolution.
    ``call(inputs, training=False, truncation_psi=1.0, truncation_cutoff=None,
    noise_mode=None)``: z or [z, labels] -> images; noise_mode defaults to "random" when
    training and to "const" (deterministic, no random ops) otherwise.
    ``w_avg`` (not trained) is the mean w; ``update_w_avg`` moves it to the batch mean by
    1 - ``w_avg_beta`` during training.

    Args:
        latent_dim: int, default 512, size of z.
        data_shape: tuple, default (64, 64, 3), image shape (a power of two >= 4 square).
        num_classes: int, default 0, classes of the integer labels (0: unconditional).
        w_dim: int or None, default None (= latent_dim), size of w.
        mapping_layers: int, default 8, dense layers of the mapping network.
        mapping_lr: float, default 0.01, learning-rate multiplier of the mapping layers.
        w_avg_beta: float, default 0.995, decay of the running mean ``w_avg``.
        channel_base: int, default 32768, channels at resolution r are channel_base // r ...
        channel_max: int, default 512, ... at most channel_max.
        conv_clamp: float or None, default 256, clamp of every convolution's output.
    """

    supports_truncation = True

    def __init__(self, latent_dim=512, data_shape=(64, 64, 3), num_classes=0, w_dim=None,
                 mapping_layers=8, mapping_lr=0.01, w_avg_beta=0.995, channel_base=32768,
                 channel_max=512, conv_clamp=256, **kwargs):
        data_shape = tuple(data_shape)
        super().__init__(latent_dim=latent_dim, data_shape=data_shape, num_classes=num_classes,
                         w_dim=w_dim, mapping_layers=mapping_layers, mapping_lr=mapping_lr,
                         w_avg_beta=w_avg_beta, channel_base=channel_base,
                         channel_max=channel_max, conv_clamp=conv_clamp, **kwargs)
        self.latent_dim, self.data_shape, self.num_classes = latent_dim, data_shape, num_classes
        self.w_dim, self.w_avg_beta = w_dim or latent_dim, w_avg_beta
        resolutions = [4 * 2 ** i for i in range(num_levels(data_shape[0], "StyleGAN") + 1)]
        widths = [channels_at(r, channel_base, channel_max) for r in resolutions]
        self.num_ws = 2 * len(resolutions)
        self.mapping_network = MappingNetwork(self.w_dim, mapping_layers, num_classes,
                                              mapping_lr, dtype="float32", name="mapping")
        self.w_avg = self.add_weight(name="w_avg", shape=(self.w_dim,), initializer="zeros",
                                     trainable=False, autocast=False,
                                     aggregation="only_first_replica")
        self.const = self.add_weight(name="const", shape=(4, 4, widths[0]),
                                     initializer=keras.initializers.RandomNormal(0.0, 1.0))
        self.convs = [ModulatedConv2D(widths[0], 4, conv_clamp=conv_clamp)]
        for resolution, width in zip(resolutions[1:], widths[1:]):
            self.convs += [ModulatedConv2D(width, resolution, up=2, conv_clamp=conv_clamp),
                           ModulatedConv2D(width, resolution, conv_clamp=conv_clamp)]
        self.to_rgb = [ToRGB(data_shape[-1], conv_clamp, dtype="float32") for _ in widths]

    def mapping(self, z, labels=None, truncation_psi=1.0, truncation_cutoff=None):
        """z [B, latent_dim] (and integer labels [B]) -> ws [B, num_ws, w_dim] float32."""
        if self.num_classes and labels is None:
            raise ValueError(f"{self.name} is conditional: give mapping() labels.")
        w = self.mapping_network(z, labels if self.num_classes else None)
        ws = ops.repeat(w[:, None], self.num_ws, axis=1)
        if isinstance(truncation_psi, (int, float)) and truncation_psi == 1:
            return ws
        w_avg = ops.cast(self.w_avg, ws.dtype)
        truncated = w_avg + ops.cast(truncation_psi, ws.dtype) * (ws - w_avg)
        if truncation_cutoff is None:
            return truncated
        return ops.concatenate([truncated[:, :truncation_cutoff], ws[:, truncation_cutoff:]],
                               axis=1)

    def synthesis(self, ws, noise_mode="const"):
        """ws [B, num_ws, w_dim] -> images [B, H, W, C] float32."""
        ws = ops.cast(ws, "float32")
        x = ops.broadcast_to(ops.cast(self.const, self.compute_dtype)[None],
                             (ops.shape(ws)[0], *self.const.shape))
        x = self.convs[0](x, ws[:, 0], noise_mode=noise_mode)
        images = self.to_rgb[0](x, ws[:, 1])
        for level, to_rgb in enumerate(self.to_rgb[1:], start=1):
            x = self.convs[2 * level - 1](x, ws[:, 2 * level - 1], noise_mode=noise_mode)
            x = self.convs[2 * level](x, ws[:, 2 * level], noise_mode=noise_mode)
            images = upsample2d(images, fir_filter()) + to_rgb(x, ws[:, 2 * level + 1])
        return images

    def call(self, inputs, training=False, truncation_psi=1.0, truncation_cutoff=None,
             noise_mode=None):
        z, labels = self.split_inputs(inputs)
        ws = self.mapping(z, labels, truncation_psi, truncation_cutoff)
        return self.synthesis(ws, noise_mode or ("random" if training else "const"))

    def update_w_avg(self, w):
        """w_avg <- mean + w_avg_beta (w_avg - mean), mean the batch mean of w [B, w_dim]
        over all replicas, so that every replica keeps the same w_avg."""
        mean = tf.distribute.get_replica_context().all_reduce(
            "mean", tf.stop_gradient(ops.mean(ops.cast(w, "float32"), axis=0)))
        self.w_avg.assign(mean + self.w_avg_beta * (self.w_avg - mean))


def minibatch_stddev(x, group_size, num_channels):
    """``MinibatchStdLayer``: appends ``num_channels`` maps, the standard deviation over
    groups of ``group_size`` samples (sample g M + m is in group m), averaged over positions
    and over each of ``num_channels`` slices of the channels. A batch that is not a
    multiple of the group size (or any batch, with ``group_size`` None) is one group."""
    batch = ops.shape(x)[0]
    group = batch if group_size is None else ops.minimum(group_size, batch)
    group = ops.where(batch % group == 0, group, batch)
    height, width, channels = x.shape[1:]
    y = ops.reshape(x, (group, -1, height, width, num_channels, channels // num_channels))
    y = ops.sqrt(ops.var(y, axis=0) + 1e-8)
    y = ops.tile(ops.mean(y, axis=(1, 2, 4)), (group, 1))
    y = ops.broadcast_to(y[:, None, None, :], (batch, height, width, num_channels))
    return ops.concatenate([x, y], axis=-1)


@register_network("stylegan_discriminator")
@keras.saving.register_keras_serializable("ganzoo")
class StyleGANDiscriminator(Discriminator):
    """``Discriminator`` ("resnet" architecture): fromRGB (1x1, lrelu) at full resolution;
    per resolution down to 8x8 a block x <- skip(x) + conv1(conv0(x)), conv0 a 3x3 lrelu
    convolution, conv1 a 3x3 lrelu one downsampling by the [1, 3, 3, 1] filter and stride
    2, skip a filtered, subsampled 1x1 convolution without bias, both at gain sqrt(1/2);
    the 4x4 epilogue (float32): minibatch stddev, 3x3 conv, dense (lrelu), dense ``out``.
    Conditional: ``out`` has ``cmap_dim`` units and the logit is
    sum(out * cmap) / sqrt(cmap_dim), cmap a mapping network of the label.

    Args:
        data_shape: tuple, default (64, 64, 3), image shape.
        num_classes: int, default 0, classes of the integer labels (0: unconditional).
        aux_classes: int, default 0; must be 0 (no auxiliary classifier).
        channel_base: int, default 32768, channels at resolution r are channel_base // r ...
        channel_max: int, default 512, ... at most channel_max.
        conv_clamp: float or None, default 256, clamp of the convolutions' outputs.
        mbstd_group_size: int or None, default 4, minibatch-stddev group size (None: the
            whole batch).
        mbstd_num_channels: int, default 1, minibatch-stddev maps (0: none).
        mapping_layers: int, default 8, dense layers of the label mapping.
        mapping_lr: float, default 0.01, their learning-rate multiplier.
        cmap_dim: int or None, default None (the channels at 4x4), size of cmap.
    """

    def __init__(self, data_shape=(64, 64, 3), num_classes=0, aux_classes=0,
                 channel_base=32768, channel_max=512, conv_clamp=256, mbstd_group_size=4,
                 mbstd_num_channels=1, mapping_layers=8, mapping_lr=0.01, cmap_dim=None,
                 **kwargs):
        if aux_classes:
            raise ValueError("stylegan_discriminator has no auxiliary classifier "
                             "(aux_classes must be 0).")
        data_shape = tuple(data_shape)
        super().__init__(data_shape=data_shape, num_classes=num_classes, aux_classes=0,
                         channel_base=channel_base, channel_max=channel_max,
                         conv_clamp=conv_clamp, mbstd_group_size=mbstd_group_size,
                         mbstd_num_channels=mbstd_num_channels, mapping_layers=mapping_layers,
                         mapping_lr=mapping_lr, cmap_dim=cmap_dim, **kwargs)
        self.data_shape, self.num_classes, self.aux_classes = data_shape, num_classes, 0
        self.mbstd_group_size, self.mbstd_num_channels = mbstd_group_size, mbstd_num_channels
        resolutions = [4 * 2 ** i for i in range(num_levels(data_shape[0], "StyleGAN"), 0, -1)]
        width = {r: channels_at(r, channel_base, channel_max) for r in [*resolutions, 4]}
        gain = math.sqrt(0.5)
        self.from_rgb = ResampleConv2D(width[resolutions[0]], 1, activation="lrelu",
                                       conv_clamp=conv_clamp)
        self.conv0 = [ResampleConv2D(width[r], 3, activation="lrelu", conv_clamp=conv_clamp)
                      for r in resolutions]
        self.conv1 = [ResampleConv2D(width[r // 2], 3, down=2, activation="lrelu", gain=gain,
                                     conv_clamp=conv_clamp) for r in resolutions]
        self.skip = [ResampleConv2D(width[r // 2], 1, down=2, use_bias=False, gain=gain)
                     for r in resolutions]
        self.cmap_dim = (cmap_dim or width[4]) if num_classes else 0
        self.mapping = (MappingNetwork(self.cmap_dim, mapping_layers, num_classes, mapping_lr,
                                       dtype="float32", name="mapping")
                        if num_classes else None)
        self.conv = ResampleConv2D(width[4], 3, activation="lrelu", conv_clamp=conv_clamp,
                                   dtype="float32")
        self.fc = EqualizedDense(width[4], activation="lrelu", dtype="float32")
        self.out = EqualizedDense(self.cmap_dim or 1, dtype="float32")

    def features(self, inputs, training=False):
        """The epilogue's dense features [B, channels at 4x4] (before ``out``)."""
        x, _ = self.split_inputs(inputs)
        x = self.from_rgb(ops.cast(x, self.compute_dtype))
        for conv0, conv1, skip in zip(self.conv0, self.conv1, self.skip):
            x = skip(x) + conv1(conv0(x))
        x = ops.cast(x, "float32")
        if self.mbstd_num_channels:
            x = minibatch_stddev(x, self.mbstd_group_size, self.mbstd_num_channels)
        return self.fc(ops.reshape(self.conv(x), (ops.shape(x)[0], -1)))

    def call(self, inputs, training=False):
        _, labels = self.split_inputs(inputs)
        x = self.out(self.features(inputs, training))
        if self.mapping is None:
            return x
        cmap = self.mapping(labels=labels)
        return ops.sum(x * cmap, axis=1, keepdims=True) * (1.0 / math.sqrt(self.cmap_dim))
