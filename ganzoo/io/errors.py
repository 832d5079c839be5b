"""The errors a reader of third-party files raises: one line each, saying what to do."""

import os


class UnsafeFileError(ValueError):
    """A file names a global outside the reader's allow-list; nothing in it was executed."""

    def __init__(self, path, global_name):
        super().__init__(
            f"{os.fspath(path)}: refused: it asks to run {global_name}, which a checkpoint does "
            "not need; nothing in it was executed. Use a file from a source you trust.")
        self.path = path
        self.global_name = global_name


class CheckpointFormatError(ValueError):
    """A file is truncated, corrupt or of a format the readers do not know."""

    def __init__(self, path, problem):
        problem = " ".join(str(problem).split())
        super().__init__(f"{os.fspath(path)}: {problem}")
        self.path = path
