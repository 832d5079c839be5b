"""Deploy a generator: a SavedModel for TF Serving and TFLite files, each parity-checked.

    from ganzoo.export import export
    record = export("runs/dcgan_digits", formats="saved_model,tflite", out="exports")

``signatures``: what the served functions take and return; ``saved_model`` / ``tflite``:
the writers; ``layout``: TF Serving's folder layout and models.config; ``validate``: the
parity checks; ``client``: REST and gRPC queries (``ganzoo query``).
"""

from ganzoo.export.exporter import FORMATS, describe, export
from ganzoo.export.layout import ExportError

__all__ = ["FORMATS", "ExportError", "describe", "export"]
