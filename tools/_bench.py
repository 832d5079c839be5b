"""What both benchmarks share: the machine record, interleaved timing, tables and JSON.

On a noisy machine the variants are run round-robin (A B C A B C ...) and each one's
median is reported, so that the ratios between variants measured in one run are fair.
"""

import datetime
import json
import os
import platform
import statistics
import time

import keras
import tensorflow as tf

from ganzoo import config as config_lib


def bench_config(family, latent_dim, resolution, width, batch_size=64, precision="float32"):
    """The fixed config both benchmarks use: ganzoo's dcgan networks on digits."""
    net = {"arch": "dcgan", "args": {"width": width}}
    return config_lib.from_dict({
        "family": family, "latent_dim": latent_dim,
        "data": {"name": "digits", "resolution": resolution, "batch_size": batch_size},
        "generator": net, "discriminator": net, "train": {"precision": precision},
    })


def clock():
    """(wall, CPU seconds of this process, all threads): subtract two to time a span."""
    return time.perf_counter(), time.process_time()


def use_logical_cpus(count):
    """Splits the first physical CPU into ``count`` logical devices; call before TF runs."""
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration() for _ in range(count)])


def machine():
    """Where the numbers come from: CPU model, cores, accelerators, versions, load now."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def interleaved(variants, repeats):
    """Runs ``variants`` ({name: fn() -> measurement}) round-robin ``repeats`` times.

    Returns {name: [measurement of each repeat]}; each fn times its own work and leaves
    set-up out of what it returns.
    """
    times = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            times[name].append(fn())
    return times


def median(values):
    return statistics.median(values)



def print_table(rows, columns):
    """Prints a Markdown table of ``rows`` (dicts) with the given ``columns`` (keys)."""
    def cell(value):
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = [[cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in lines)) for i, c in enumerate(columns)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(line, widths)) + " |")


def write_json(path, payload, started):
    """Writes ``payload`` to ``path`` with ``started`` (``machine()`` taken when the run
    began) and the load average at the end."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"machine": started, "load_average_end": [round(x, 2) for x in os.getloadavg()],
                   **payload}, f, indent=2)
    print(f"Wrote {path}")
