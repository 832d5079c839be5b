"""Runs ``ganzoo train ...`` with test hooks, for the kill/resume and multi-worker tests.

    python tools/train_with_hooks.py [--pause-at 4 --marker DIR] [--save-final PATH] \\
        -- train --config c.yaml --out RUN

``--pause-at N --marker DIR``: after step N (and its checkpoint, if one is due) create
``DIR/paused`` and wait until ``DIR/continue`` exists, so that a test can SIGKILL or
SIGTERM the run at a known step between checkpoints.
``--save-final PATH``: at the end, this process (every worker, chief or not) writes its
own copy of the weights to PATH.
The exit status is the CLI's (143 after SIGTERM).
"""

import argparse
import os
import sys
import time

import keras

from ganzoo import cli, training
from ganzoo.checkpointing import StepCallback


class PauseAt(StepCallback):
    """Creates ``marker/paused`` after step ``at`` and waits for ``marker/continue``."""

    def __init__(self, at, marker):
        super().__init__()
        self.at, self.marker = at, marker

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self.step != self.at:
            return
        open(os.path.join(self.marker, "paused"), "w").close()
        while not os.path.exists(os.path.join(self.marker, "continue")):
            time.sleep(0.05)


class SaveFinal(keras.callbacks.Callback):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_train_end(self, logs=None):
        self.model.save_weights(self.path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pause-at", type=int)
    parser.add_argument("--marker", help="folder for the paused/continue files")
    parser.add_argument("--save-final", metavar="PATH")
    parser.add_argument("cli_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    run_steps = training.run_steps

    def run_steps_with_hooks(model, dataset, start, steps, steps_per_epoch, callbacks):
        hooks = [PauseAt(args.pause_at, args.marker)] if args.pause_at else []
        hooks += [SaveFinal(args.save_final)] if args.save_final else []
        return run_steps(model, dataset, start, steps, steps_per_epoch, [*callbacks, *hooks])

    training.run_steps = run_steps_with_hooks
    return cli.main([a for a in args.cli_args if a != "--"])


if __name__ == "__main__":
    sys.exit(main())
