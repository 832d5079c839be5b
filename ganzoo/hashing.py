"""sha256 of files: the one helper behind every integrity check in ganzoo (presets,
archives, extractor weights, converted checkpoints)."""

import hashlib


def sha256_of(path):
    """Hex sha256 of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
