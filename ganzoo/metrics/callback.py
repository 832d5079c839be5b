"""FID during training: a Keras callback that scores the sampling generator every N steps.

Enabled by ``train.fid_every`` (0 = off) with ``train.fid_samples`` images per side. The
extractor is ``train.fid_extractor`` or, by default, ``report.default_extractor`` of the
dataset, as for ``ganzoo eval``: digits for digits, else the FID Inception when its weights
are found (``extractors.find_fid_weights``), else Keras' InceptionV3 (whose weights must then
be present locally); the real statistics are computed once and cached like ``ganzoo eval``'s.
Values are printed and logged as the TensorBoard scalar ``fid`` under ``<run_dir>/logs/fid``.
"""

import os

import keras
import tensorflow as tf

from ganzoo.metrics import evaluation, report
from ganzoo.registry import METRICS


class FID(keras.callbacks.Callback):
    """FID of ``config.train.fid_samples`` generated vs real images every ``fid_every`` steps."""

    def __init__(self, run_dir, config, info, cache_dir=None):
        super().__init__()
        report.check_images(info.shape, info.name)
        self.log_dir = os.path.join(run_dir, "logs", "fid")
        self.data, self.settings = config.data, config.train
        self.cache_dir = cache_dir or report.default_cache_dir()
        self.batch_size = min(self.settings.fid_samples, 250)

    def on_train_begin(self, logs=None):
        report.sampler(self.model.sampling_generator())  # fails now for a generator without noise
        # Float32 features whatever the training precision. Built outside the strategy's
        # scope: plain variables, as only the chief runs this (mirrored variables would wait
        # for the other workers under multi-worker training).
        policy = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy("float32")
        try:
            self.extractor = report.build_extractor(
                self.settings.fid_extractor or report.default_extractor(self.data.name))
        finally:
            keras.mixed_precision.set_global_policy(policy)
        self.real = evaluation.reference_stats(
            report.real_batches(self.data, self.data.batch_size, self.settings.seed),
            self.extractor, self.settings.fid_samples, keep_features=False,
            cache_dir=self.cache_dir, ref_key=(self.data.name, self.data.split,
                                               self.data.resolution))
        self.writer = tf.summary.create_file_writer(self.log_dir)

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.g_optimizer.iterations.numpy())
        if step % self.settings.fid_every:
            return
        sample_fn = report.sampler(self.model.sampling_generator(), self.settings.seed)
        n = self.settings.fid_samples
        generated = evaluation.generated_batches(sample_fn, n, self.batch_size)
        fake = evaluation.collect(generated, self.extractor, n)
        value = METRICS.get("fid")(self.real, fake)["fid"]
        with self.writer.as_default():
            tf.summary.scalar("fid", value, step=step)
        self.writer.flush()
        print(f"\nstep {step}: fid {value:.4f} ({fake.count} samples, {self.extractor.name})")

    def on_train_end(self, logs=None):
        self.writer.close()
