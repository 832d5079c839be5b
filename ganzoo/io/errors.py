"""The errors a reader of third-party files raises: one line each, saying what to do."""

import os


class UnsafeFileError(ValueError):
    """A file names a global outside the reader's allow-list; nothing in it was executed."""

    def __init__(self, path, global_name):
        global_name = one_line(global_name)[:200]
        super().__init__(
            f"{os.fspath(path)}: refused: it asks to run {global_name}, which a checkpoint does "
            "not need; nothing in it was executed. Use a file from a source you trust.")
        self.path = path
        self.global_name = global_name


class CheckpointFormatError(ValueError):
    """A file is truncated, corrupt or of a format the readers do not know: ``problem`` says
    what was expected and what was found, ``advice`` what to do."""

    def __init__(self, path, problem,
                 advice="check that the file is complete (download it again) and is the "
                        "checkpoint you meant"):
        super().__init__(f"{os.fspath(path)}: {one_line(problem)}; {advice}.")
        self.path = path


def one_line(text):
    """``text`` with every run of whitespace (newlines included) as one space."""
    return " ".join(str(text).split())
