"""Global batches as a function of the step, so that a resumed run and each worker of a
multi-worker run read only the examples they use.

Data read by index (decoded examples held by cache.py in memory or on disk, or image files
decoded as they are read) is batched as indices first: row r of index batch t is

    [index, position] = [order[t * B + r], t * B + r],  order = range(N).shuffle(buffer, seed)
                                                                .repeat()  (reshuffled each epoch)

and only then are examples read. Global batch t is so a function of (seed, t) alone:

- a run resumed at step s skips s index batches, which reads no example (the input's
  position is the step the checkpoint stores);
- a replica, or a worker of a multi-worker run, reads only its rows of each global batch:
  the workers' batches are disjoint, their union is the batch one process would read,
  and image files are decoded once over all workers, not once per worker;
- random crops (``data.preprocess: resize_and_crop``) are stateless draws seeded by
  (seed, position), the same whichever step a run started from and whoever reads the row.

Streamed data (a tfds dataset larger than the in-memory limit, without ``data.cache``) is
read in order: starting at step s reads s batches and drops them, with a warning that names
the cost, and the workers of a multi-worker run split it by tf.data's auto-sharding (by
file for tfds' record files).
"""

import warnings

import tensorflow as tf

ROW = 2  # an index batch row: [index, position]


def _options(shard_policy):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = shard_policy
    return options


class IndexedBatches:
    """Global batches of ``count`` examples read by index (see the module doc).

    Args:
        count: int, the number of examples.
        global_batch_size: int, B.
        seed: int, the shuffle's seed.
        shuffle_buffer: int, the index shuffle's buffer.
        repeat: bool, repeat the epochs (else one epoch, the last partial batch dropped).
        read_rows: callable, an int64 [k, 2] row tensor -> the k examples, batched; or
        read_row: callable, one int64 [2] row -> one example (decoded per example in
            parallel threads, then batched).
    """

    streamed = False

    def __init__(self, count, global_batch_size, seed, shuffle_buffer, repeat,
                 read_rows=None, read_row=None):
        self.count, self.global_batch_size = count, global_batch_size
        self.seed, self.shuffle_buffer, self.repeat = seed, shuffle_buffer, repeat
        self.read_rows, self.read_row = read_rows, read_row
        self.element_spec = self.dataset().element_spec

    def index_batches(self):
        """The int64 [B, 2] rows [index, position] of every global batch, from step 0."""
        size = self.global_batch_size
        order = tf.data.Dataset.range(self.count).shuffle(
            self.shuffle_buffer, seed=self.seed, reshuffle_each_iteration=True)
        if self.repeat:
            order = order.repeat()
        return order.batch(size, drop_remainder=True).enumerate().map(
            lambda step, index: tf.stack([index, step * size + tf.range(size, dtype=tf.int64)],
                                         axis=1))

    def dataset(self, start=0, reorder=None, rows=None, parts=1):
        """Batches from global step ``start``.

        Args:
            start: int, global batches to skip (no example of them is read).
            reorder: callable on a [B, ...] tensor that permutes its rows, applied to each
                global batch before ``rows`` (``training.replica_row_order``), or None.
            rows: (begin, end) of each global batch that this reader keeps, or None (all).
            parts: int, each kept block is yielded as ``parts`` consecutive batches of
                equal size (one per replica of this reader).
        """
        batches = self.index_batches().skip(start)
        if reorder is not None:
            batches = batches.map(reorder)
        begin, end = rows or (0, self.global_batch_size)
        size = (end - begin) // parts
        batches = batches.map(lambda batch: tf.reshape(batch[begin:end], [parts, size, ROW]))
        batches = batches.unbatch()
        if self.read_row is None:
            examples = batches.map(self.read_rows, num_parallel_calls=tf.data.AUTOTUNE)
        else:
            examples = batches.unbatch().map(self.read_row, num_parallel_calls=tf.data.AUTOTUNE)
            examples = examples.batch(size, drop_remainder=True)
        return examples.with_options(_options(tf.data.experimental.AutoShardPolicy.OFF)).prefetch(
            tf.data.AUTOTUNE)

    def distribute(self, strategy, start=0, reorder=None):
        """``strategy``'s distribution from step ``start``: each input pipeline (one per
        worker) reads its workers' rows of each global batch, split between its replicas."""

        def pipeline(context):
            rows = self.global_batch_size // context.num_input_pipelines
            begin = context.input_pipeline_id * rows
            return self.dataset(start, reorder, (begin, begin + rows),
                                context.num_replicas_in_sync // context.num_input_pipelines)

        return strategy.distribute_datasets_from_function(pipeline)


class StreamedBatches:
    """Global batches of a streamed, already batched dataset (see the module doc)."""

    streamed = True

    def __init__(self, batched, global_batch_size):
        self.batched, self.global_batch_size = batched, global_batch_size
        self.element_spec = batched.element_spec

    def dataset(self, start=0, reorder=None):
        """Batches from global step ``start``: the first ``start`` are read and dropped."""
        batches = self.batched
        if start:
            warnings.warn(
                f"Resuming at step {start} reads the {start} consumed batches "
                f"({start * self.global_batch_size} examples) again to skip them: the data is "
                "streamed (set data.cache to a folder to read it by index).", stacklevel=3)
            batches = batches.skip(start)
        if reorder is not None:
            batches = batches.map(lambda *parts: tf.nest.map_structure(
                reorder, parts if len(parts) > 1 else parts[0]))
        return batches.with_options(
            _options(tf.data.experimental.AutoShardPolicy.AUTO)).prefetch(tf.data.AUTOTUNE)

    def distribute(self, strategy, start=0, reorder=None):
        """``strategy``'s distribution of the batches from step ``start``."""
        return strategy.experimental_distribute_dataset(self.dataset(start, reorder))
