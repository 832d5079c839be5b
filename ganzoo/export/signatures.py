"""The functions a served generator exposes, shared by the SavedModel and TFLite exports.

``serving_default``: ``noise`` [batch, latent] float32, ``labels`` [batch] int32 for a
conditional generator, ``truncation_psi`` (scalar float32) for a generator with a mean
latent (``supports_truncation``) -> ``images`` [batch, H, W, C] float32 in [0, 1] and
``images_uint8``; a generator of points (2-D toy data, flat vectors) returns ``points``
[batch, *data_shape] float32 as they are.

``generate``: ``seed`` int64 + ``batch_size`` int32 (+ ``truncation_psi``, + the
``condition_inputs`` with ``batch_size`` rows) -> the same
outputs plus the ``noise`` (and ``labels``) drawn by stateless RNG: the same seed gives the
same samples, on any server.

An image-to-image generator (cyclegan, pix2pix) takes ``images`` [batch, H, W, C] float32
in [-1, 1] instead of noise, and has no ``generate``. Each generator says what it takes
(``serving_inputs``). A generator may also name ``condition_inputs``: served inputs the
client gives and ``generate`` never draws (stackgan's ``tokens`` [batch, L] int32); both
signatures take them, and the generator is called with [noise, labels?, *conditions].
A text-conditioned generator's SavedModel also serves ``generate_text``: ``text`` [batch]
string + ``seed``, tokenized in the graph with the generator's vocabulary.
"""

import tensorflow as tf


def makes_images(generator):
    return len(generator.data_shape) == 3


def takes_images(generator):
    """Whether ``generator`` translates images (cyclegan, pix2pix) rather than noise."""
    return "images" in generator.serving_inputs()


def check_exportable(generator):
    """A clear error for models that are not ganzoo generators."""
    if not callable(getattr(generator, "serving_inputs", None)):
        raise ValueError(f"{type(generator).__name__} is not a ganzoo generator: export "
                         "handles generators of noise or of images (ganzoo.networks).")
    if generator.get_config().get("dropout_at_inference"):
        raise ValueError(f"{generator.name} keeps dropout on at inference, so its outputs are "
                         "random: export a copy built with dropout_at_inference=False.")


def input_specs(generator, batch_size=None):
    """{name: TensorSpec} of ``serving_default``; ``batch_size=None`` is polymorphic."""
    return {name: tf.TensorSpec(shape, dtype, name)
            for name, (shape, dtype) in generator.serving_inputs(batch_size).items()}


def generate_specs(generator):
    """{name: TensorSpec} of ``generate``."""
    specs = {"seed": tf.TensorSpec([], tf.int64, "seed"),
             "batch_size": tf.TensorSpec([], tf.int32, "batch_size")}
    if getattr(generator, "supports_truncation", False):
        specs["truncation_psi"] = tf.TensorSpec([], tf.float32, "truncation_psi")
    served = input_specs(generator)
    return {**specs, **{name: served[name] for name in condition_names(generator)}}


def condition_names(generator):
    """The generator's served inputs that are given, never drawn (``condition_inputs``)."""
    return tuple(getattr(generator, "condition_inputs", ()))


def call_inputs(generator, served):
    """The generator's call inputs from served tensors by name: ``images``; else ``noise``,
    followed by ``labels`` and the ``condition_names`` the generator takes."""
    if served.get("images") is not None:
        return served["images"]
    given = [served[name] for name in ("labels", *condition_names(generator))
             if served.get(name) is not None]
    return [served["noise"], *given] if given else served["noise"]


def generator_outputs(generator, truncation_psi=None, **served):
    """The served outputs of one generator call (inference mode)."""
    extra = {} if truncation_psi is None else {"truncation_psi": truncation_psi}
    samples = tf.cast(generator(call_inputs(generator, served), training=False, **extra),
                      tf.float32)
    if not makes_images(generator):
        return {"points": samples}
    images = tf.clip_by_value((samples + 1.0) / 2.0, 0.0, 1.0)
    return {"images": images, "images_uint8": tf.cast(tf.round(images * 255.0), tf.uint8)}


def _with_signature(fn, specs):
    """A tf.function taking ``specs`` (in order) as positional tensors, named as in specs."""
    names = list(specs)
    return tf.function(lambda *tensors: fn(**dict(zip(names, tensors))),
                       input_signature=list(specs.values()))


def serving_function(generator, batch_size=None):
    return _with_signature(lambda **inputs: generator_outputs(generator, **inputs),
                           input_specs(generator, batch_size))


def _generate(generator):
    """The body of ``generate`` (see the module doc)."""

    def generate(seed, batch_size, truncation_psi=None, **conditions):
        noise = tf.random.stateless_normal([batch_size, generator.latent_dim],
                                           seed=tf.stack([seed, tf.constant(0, tf.int64)]))
        drawn = {"noise": noise}
        if generator.num_classes:
            drawn["labels"] = tf.random.stateless_uniform(
                [batch_size], seed=tf.stack([seed, tf.constant(1, tf.int64)]),
                minval=0, maxval=generator.num_classes, dtype=tf.int32)
        return {**generator_outputs(generator, **drawn, **conditions,
                                    truncation_psi=truncation_psi), **drawn}

    return generate


def generate_function(generator):
    return _with_signature(_generate(generator), generate_specs(generator))


def takes_text(generator):
    """Whether ``generator`` is conditioned on tokens of its own vocabulary (stackgan)."""
    return "tokens" in condition_names(generator) and hasattr(generator, "vocabulary")


def generate_text_function(generator, tokenizer):
    """``generate_text``: ``text`` [batch] string + ``seed`` int64 -> ``generate``'s outputs
    for the texts' ``tokens`` (``tokenizer``: a ``ganzoo.text.GraphTokenizer`` of the
    generator's vocabulary), which it returns too."""
    generate = _generate(generator)

    def generate_text(text, seed):
        tokens = tokenizer(text)
        return {**generate(seed, tf.shape(text)[0], tokens=tokens), "tokens": tokens}

    return _with_signature(generate_text, {"text": tf.TensorSpec([None], tf.string, "text"),
                                           "seed": tf.TensorSpec([], tf.int64, "seed")})


def module_for(generator):
    """A tf.Module that tracks the generator's variables but not the Keras model itself:
    tracking the model left READ_VARIABLE ops in the TFLite conversion (NaN outputs)."""
    module = tf.Module()
    module.generator_variables = [variable.value for variable in generator.variables]
    return module
