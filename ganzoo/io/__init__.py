"""Readers of third-party files and converters from their parameter names to ganzoo.

Readers never execute anything from a file: torch checkpoints and network pickles go
through a restricted unpickler that rebuilds tensors as numpy arrays and refuses every
other global. A converter (``@register_converter("name")``) turns such a file into a
ganzoo preset; ``ganzoo convert NAME SOURCE --out DIR`` runs it.
"""

from ganzoo.io import stylegan2_ada  # noqa: F401  (registers the converter)
from ganzoo.io import cyclegan  # noqa: F401  (registers the converters)
