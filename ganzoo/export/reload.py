"""Reloads an exported SavedModel the way a server would, in a fresh process.

``validate.py`` runs this file as a script (it imports numpy and tensorflow only, never
ganzoo, so it proves the SavedModel is self-contained):

    python -c "import runpy; runpy.run_path('reload.py', run_name='__main__')" \\
        SAVED_MODEL INPUTS.npz OUTPUTS.npz SEED CLI_OUTDIR

1. ``tf.saved_model.load``: ``serving_default`` on the inputs and on their first row
   (batch polymorphism), ``generate`` twice with SEED (and the inputs it also takes:
   truncation_psi, token ids); every output -> OUTPUTS.npz as
   ``<call>__<output name>``.
2. ``saved_model_cli run --signature_def serving_default`` on the same inputs
   -> CLI_OUTDIR/<output name>.npy (its ``main`` exits the process).
"""

import sys

import numpy as np
import tensorflow as tf


def reload_outputs(path, inputs, seed):
    """{"<call>__<output>": array} from the signatures of the SavedModel at ``path``."""
    model = tf.saved_model.load(path)
    rows = len(inputs["noise"] if "noise" in inputs else inputs["images"])
    results = {}
    for batch in (rows, 1):
        feed = {k: tf.constant(v if np.ndim(v) == 0 else v[:batch]) for k, v in inputs.items()}
        for name, value in model.signatures["serving_default"](**feed).items():
            results[f"serving_default_{batch}__{name}"] = value.numpy()
    generate = {"seed": tf.constant(seed, tf.int64), "batch_size": tf.constant(rows, tf.int32)}
    for run in ("first", "second") if "generate" in model.signatures else ():
        takes = model.signatures["generate"].structured_input_signature[1]
        given = {k: tf.constant(v) for k, v in inputs.items() if k in takes and k not in generate}
        for name, value in model.signatures["generate"](**generate, **given).items():
            results[f"generate_{run}__{name}"] = value.numpy()
    return results


def saved_model_cli_run(path, inputs_path, names, outdir):
    """``saved_model_cli run`` through its own entry point (which calls sys.exit)."""
    from tensorflow.python.tools import saved_model_cli

    sys.argv = ["saved_model_cli", "run", "--dir", path, "--tag_set", "serve",
                "--signature_def", "serving_default", "--outdir", outdir,
                "--inputs", ";".join(f"{name}={inputs_path}[{name}]" for name in names)]
    saved_model_cli.main()


if __name__ == "__main__":
    saved_model, inputs_file, outputs_file, seed_text, cli_outdir = sys.argv[1:]
    loaded = dict(np.load(inputs_file))
    np.savez(outputs_file, **reload_outputs(saved_model, loaded, int(seed_text)))
    saved_model_cli_run(saved_model, inputs_file, list(loaded), cli_outdir)
