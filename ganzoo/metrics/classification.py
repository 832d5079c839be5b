"""Metrics of a classifier on labeled real data (not of a generator's samples).

"accuracy" is registered in ``ganzoo.registry.METRICS`` with ``needs = {"classifier"}``:
``ganzoo eval`` scores it with the run's discriminator as a classifier on held-out real
images (``ganzoo.classifier``), not with the generated-image pipeline of FID and the rest.
"""

import numpy as np

from ganzoo.registry import register_metric


@register_metric("accuracy")
def accuracy(labels, logits):
    """Top-1 accuracy: mean of [argmax_k logits_k == label] over the examples."""
    return {"accuracy": float(np.mean(np.argmax(logits, axis=1) == np.asarray(labels)))}


accuracy.needs = frozenset({"classifier"})
