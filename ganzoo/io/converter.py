"""The converter contract: what ``ganzoo convert NAME SOURCE --out DIR`` calls.

A converter is a class registered with ``@register_converter("name")``:

    help = "one line for ``ganzoo convert --help``"

    @staticmethod
    def add_arguments(parser):      # its own flags (the official defaults), optional
        ...

    @staticmethod
    def convert(source, out, args): # reads ``source`` safely, writes a preset folder ``out``
        ...                         # returns the preset folder; raises ValueError on bad input
"""


class Converter:
    """Base of every converter: no extra flags by default."""

    help = ""

    @staticmethod
    def add_arguments(parser):
        """Adds the converter's own flags to its ``ganzoo convert NAME`` parser."""

    @staticmethod
    def convert(source, out, args):
        raise NotImplementedError
