"""StackGAN's own parts: the tokenizer, the measured digit attributes and the captions
made from them, the caption folder, the text encoder and KL term, ``ganzoo generate``, and
the served ``generate_text`` (tokenized in the graph) with ``ganzoo query --text``.
(The family's training, checkpoint, preset and export round trips run in the shared
harness; the measured study is tools/stackgan_study.py.)"""

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import tiny_config
from ganzoo import presets, text, text_to_image
from ganzoo.factory import build_family
from ganzoo.cli import main
from ganzoo.config import DataConfig
from ganzoo.data import DatasetError, load_dataset
from ganzoo.data.captions import digit_captions
from ganzoo.layers.text import TextEncoder, kl_divergence
from ganzoo.data import digit_attributes
from ganzoo.export import client, saved_model
from test_export import FakePredictionService, rest_server


def test_tokenizer_rules():
    ids = text.tokenize("A BOLD, slanted 3-seven!! zebra", max_tokens=6)
    assert text.detokenize(ids) == "a bold slanted seven <unk>"
    assert ids.tolist()[-1] == text.PAD and ids.dtype == np.int32
    assert text.tokenize(["a one a two a three"], max_tokens=4)[0].tolist() == [
        2, text.VOCABULARY.index("one"), 2, text.VOCABULARY.index("two")]
    assert text.unknown_words("a Fat 7 seven", text.VOCABULARY) == ["fat"]
    with pytest.raises(ValueError, match="starting with"):
        text.check_vocabulary(["a", "b"])


def _bars(widths, shear=0.0, height=20, side=32):
    """Vertical ink bars [N, side, side, 1] in [-1, 1]: one per width, sheared."""
    images = -np.ones((len(widths), side, side, 1), np.float32)
    for i, width in enumerate(widths):
        for row in range(6, 6 + height):
            left = int(round(13 + shear * (row - 16)))
            images[i, row, left:left + width] = 1.0
    return images


def test_attributes_measure_what_they_name():
    thickness = digit_attributes.thickness(_bars([2, 6]))
    np.testing.assert_allclose(thickness * 32, [2 * 20 * 2 / 44, 2 * 20 * 6 / 52], rtol=1e-5)
    assert np.allclose(digit_attributes.slant(_bars([3])), 0.0, atol=1e-6)
    assert abs(digit_attributes.slant(_bars([3], shear=0.5))[0] - 0.5) < 0.05
    small, large = digit_attributes.size(np.concatenate([_bars([3], height=10),
                                                         _bars([3], height=24)]))
    assert large > 2 * small
    with pytest.raises(ValueError, match="one-channel"):
        digit_attributes.measure(np.zeros((2, 8, 8, 3)))


def test_digit_captions_name_the_digit_and_split_attributes_in_thirds():
    from sklearn.datasets import load_digits

    digits = load_digits()
    captions = digit_captions(digits.images[..., None] / 8.0 - 1.0, digits.target)
    assert all(caption.split()[-1] == text.DIGIT_WORDS[label]
               for caption, label in zip(captions, digits.target))
    assert captions[0].split()[0] in ("a", "an")
    for low, high in text.ATTRIBUTE_WORDS.values():
        for label in range(10):
            rows = [c.split() for c, y in zip(captions, digits.target) if y == label]
            share = np.mean([low in words for words in rows]), np.mean([high in words
                                                                          for words in rows])
            assert 0.28 < share[0] < 0.4 and 0.28 < share[1] < 0.4, (low, label, share)


def test_caption_folder(tmp_path):
    for name, caption in (("one", "a Bold seven"), ("two", "an upright zebra")):
        Image.fromarray(np.full((12, 12), 200, np.uint8)).save(tmp_path / f"{name}.png")
        (tmp_path / f"{name}.txt").write_text(caption)
    dataset, info = load_dataset(DataConfig(name=f"captions:{tmp_path}", resolution=8), 2,
                                 repeat=False)
    images, tokens = next(iter(dataset))
    assert info.shape == (8, 8, 1) and images.shape == (2, 8, 8, 1)
    assert sorted(text.detokenize(row) for row in tokens.numpy()) == [
        "a bold seven", "an upright <unk>"]
    os.remove(tmp_path / "two.txt")
    with pytest.raises(DatasetError, match="no caption file"):
        load_dataset(DataConfig(name=f"captions:{tmp_path}", resolution=8), 2)


def test_text_encoder_ignores_pads_and_order_and_kl_is_zero_at_the_prior():
    encoder = TextEncoder(len(text.VOCABULARY), 4, 3)
    ids = text.tokenize(["a bold seven", "seven bold a"], max_tokens=5)
    longer = text.tokenize(["a bold seven"], max_tokens=9)
    out = np.asarray(encoder(ids))
    np.testing.assert_allclose(out[0], out[1], atol=1e-6)
    np.testing.assert_allclose(np.asarray(encoder(longer))[0], out[0], atol=1e-6)
    assert float(kl_divergence(np.zeros((2, 3)), np.zeros((2, 3)))) == 0.0
    assert float(kl_divergence(np.ones((2, 3)), np.zeros((2, 3)))) == pytest.approx(0.5)


@pytest.fixture(scope="module")
def tiny_preset(tmp_path_factory):
    config = tiny_config("stackgan")
    _, info = load_dataset(config.data, 4)
    folder = str(tmp_path_factory.mktemp("preset") / "tiny_stackgan")
    return presets.save_preset(build_family(config, info), folder, config, info)


def test_generate_command(tiny_preset, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["generate", tiny_preset, "--text", "a bold three", "--n", "4",
                 "--out", str(out)]) == 0
    side = (2 * (8 + 2) + 2) * 8  # a 2x2 grid of 8 px images, 2 px gaps, scaled 8x
    assert Image.open(out).size == (side, side)
    assert main(["generate", tiny_preset, "--text", "a fat three", "--out",
                 str(tmp_path / "bad.png")]) == 2
    assert "Unknown word(s) 'fat'" in capsys.readouterr().err
    assert main(["generate", "dcgan_digits", "--text", "a three", "--out",
                 str(tmp_path / "bad.png")]) == 2
    assert "not a text-to-image model" in capsys.readouterr().err
    assert not (tmp_path / "bad.png").exists()
    generator = text_to_image.text_generator(tiny_preset)
    assert text.detokenize(text_to_image.checked_tokens(generator, "A Bold 3 three")) == (
        "a bold three")
    for caption, message in (("123", "has no words"), ("a " * 9, "at most 8")):
        with pytest.raises(ValueError, match=message):
            text_to_image.checked_tokens(generator, caption)


CAPTIONS = ["a bold three", "A Bold-THREE!!", "", "zebra nine", "Straße nine",
            "one two three four five six seven eight nine"]


def test_served_generate_text_tokenizes_as_python_and_query_sends_text(tiny_preset, tmp_path):
    generator = text_to_image.text_generator(tiny_preset)
    path = saved_model.write_served(generator, str(tmp_path / "served"), "tiny")
    served = tf.saved_model.load(path).signatures
    seed = tf.constant(3, tf.int64)
    by_text = served["generate_text"](text=tf.constant(CAPTIONS), seed=seed)
    tokens = text.tokenize(CAPTIONS, generator.vocabulary, generator.max_tokens)
    np.testing.assert_array_equal(by_text["tokens"], tokens)
    by_tokens = served["generate"](seed=seed, batch_size=tf.constant(len(CAPTIONS)),
                                   tokens=tf.constant(tokens))
    np.testing.assert_array_equal(by_text["images"], by_tokens["images"])
    rest = rest_server(FakePredictionService(path))
    try:
        url = f"http://localhost:{rest.server_port}/v1/models/tiny"
        grid = client.query(str(tmp_path / "grid.png"), rest=url, n=4, text="a bold three")
        outputs = client.query_rest(url, client.text_inputs("a bold three", 2, 3),
                                    "generate_text")
    finally:
        rest.shutdown()
    assert os.path.getsize(grid) > 0
    np.testing.assert_array_equal(outputs["tokens"], [tokens[0]] * 2)
