"""Reads a StyleGAN2-ADA network pickle (``{'G', 'D', 'G_ema', 'augment_pipe',
'training_set_kwargs'}``) without torch and without executing the code embedded in it.

Each network is pickled by NVlabs/stylegan2-ada-pytorch torch_utils/persistence.py as
``torch_utils.persistence._reconstruct_persistent_obj(meta)``, ``meta = {'type': 'class',
'version', 'module_src' (the module's source code), 'class_name', 'state'}``, ``state`` being
the torch.nn.Module's ``__dict__``: ``_parameters``, ``_buffers``, ``_modules`` (OrderedDicts),
``_non_persistent_buffers_set``, the constructor's ``_init_args``/``_init_kwargs`` and plain
attributes. Each becomes a ``PersistentModule`` record; ``module_src`` is never executed or
compiled, only its sha256 is kept. Tensors are read as in ``torch_files`` (the storages are
``torch.storage._load_from_bytes`` payloads in torch's legacy format). The released pickles
hold their constructor arguments and ``training_set_kwargs`` as ``dnnlib.util.EasyDict``
(a dict subclass, pickled as NEWOBJ + its items): read as a plain dict.
"""

import dataclasses
import hashlib
import io

import numpy as np

from ganzoo.io.torch_files import torch_globals
from ganzoo.io.unpickler import ReadContext, unpickle

NETWORK_KEYS = ("G", "D", "G_ema")
MAX_PLAIN_ITEMS = 100_000


@dataclasses.dataclass(eq=False)
class PersistentModule:
    """One network of a network pickle, as data.

    Attributes:
        class_name: the class in ``module_src``, e.g. ``"Generator"``.
        version: persistence format version (6 in stylegan2-ada-pytorch).
        init_args, init_kwargs: the constructor's arguments, as plain Python data.
        attributes: the module's other public attributes (``training``, ``z_dim``, ...).
        parameters, buffers: {name: np.ndarray or None}; modules: {name: PersistentModule or
            None}; non_persistent_buffers: buffer names that a state_dict leaves out.
        module_src_sha256: hex digest of the embedded source code (never executed).
    """

    class_name: str
    version: int
    init_args: tuple
    init_kwargs: dict
    attributes: dict
    parameters: dict
    buffers: dict
    modules: dict
    non_persistent_buffers: frozenset
    module_src_sha256: str

    def __setstate__(self, state):
        raise TypeError("a persistent module takes no state")

    def state_dict(self, prefix=""):
        """{dotted key: array} in torch's ``Module.state_dict()`` naming and order: the
        module's parameters, then its persistent buffers, then each submodule's, recursively
        with ``name.`` prefixes; None entries skipped."""
        result = {prefix + name: value for name, value in self.parameters.items()
                  if value is not None}
        result.update((prefix + name, value) for name, value in self.buffers.items()
                      if value is not None and name not in self.non_persistent_buffers)
        for name, module in self.modules.items():
            if module is not None:
                result.update(module.state_dict(f"{prefix}{name}."))
        return result


def read_network_pickle(path):
    """The networks of a StyleGAN2-ADA network pickle, read without torch.

    Returns:
        the pickle's dict: ``'G'``, ``'D'``, ``'G_ema'`` (and ``'augment_pipe'`` when
        present) as ``PersistentModule`` records, ``'training_set_kwargs'`` as plain data.

    Raises:
        UnsafeFileError: the pickle names a global outside the allow-list.
        CheckpointFormatError: it is truncated, corrupt or not a network pickle.
    """
    with open(path, "rb") as stream:
        data = stream.read()
    context = ReadContext(path, len(data))
    if not data.startswith(b"\x80"):
        raise context.error(f"expected a network pickle (a binary pickle), found bytes "
                            f"starting {data[:8]!r}")
    networks = unpickle(io.BytesIO(data), context, network_globals(context))
    if not (isinstance(networks, dict)
            and all(isinstance(networks.get(key), PersistentModule) for key in NETWORK_KEYS)):
        found = list(networks)[:8] if isinstance(networks, dict) else type(networks).__name__
        raise context.error(f"expected a StyleGAN2-ADA network pickle (a dict whose 'G', "
                            f"'D', 'G_ema' are networks), found {found!r:.120}")
    for key in NETWORK_KEYS:
        check_tree(networks[key], context)
    return dict(networks, training_set_kwargs=plain_data(
        networks.get("training_set_kwargs"), context))


class EasyDictRecord(dict):
    """``dnnlib.util.EasyDict``: a plain dict (its attribute access is not needed)."""

    def __setstate__(self, state):
        if state is not None and not isinstance(state, dict):
            raise TypeError("an EasyDict's state must be a dict")


def network_globals(context):
    """The allow-list of a network pickle: a torch pickle's, the persistence records
    (as ``PersistentModule``) and ``dnnlib.util.EasyDict`` (as a dict)."""
    allowed = torch_globals(context)
    allowed[("torch_utils.persistence", "_reconstruct_persistent_obj")] = (
        lambda meta: persistent_module(meta, context))
    allowed[("dnnlib.util", "EasyDict")] = EasyDictRecord
    return allowed


def persistent_module(meta, context):
    """``_reconstruct_persistent_obj(meta)`` as a ``PersistentModule`` record."""
    if not (isinstance(meta, dict) and meta.get("type") == "class"
            and isinstance(meta.get("class_name"), str) and isinstance(meta.get("state"), dict)
            and isinstance(meta.get("module_src"), str)):
        raise context.error("a persistent object's record is not {'type': 'class', "
                            "'class_name', 'module_src', 'state'}")
    state = meta["state"]
    parts = {name: state.get(name) or {} for name in ("_parameters", "_buffers", "_modules")}
    if not all(isinstance(part, dict) for part in parts.values()):
        raise context.error(f"{meta['class_name']}'s parameters, buffers or modules are "
                            "not dicts")
    tensors = list(parts["_parameters"].values()) + list(parts["_buffers"].values())
    if not all(value is None or isinstance(value, np.ndarray) for value in tensors):
        raise context.error(f"{meta['class_name']} holds a parameter or buffer that is "
                            "not a tensor")
    if not all(value is None or isinstance(value, PersistentModule)
               for value in parts["_modules"].values()):
        raise context.error(f"{meta['class_name']} has a submodule that is not a "
                            "persistent module")
    non_persistent = state.get("_non_persistent_buffers_set") or set()
    return PersistentModule(
        class_name=meta["class_name"],
        version=meta.get("version"),
        init_args=tuple(plain_data(list(state.get("_init_args", ())), context)),
        init_kwargs=plain_data(dict(state.get("_init_kwargs", {})), context),
        attributes=plain_data({name: value for name, value in state.items()
                               if not name.startswith("_")}, context),
        parameters=dict(parts["_parameters"]),
        buffers=dict(parts["_buffers"]),
        modules=dict(parts["_modules"]),
        non_persistent_buffers=frozenset(non_persistent),
        module_src_sha256=hashlib.sha256(meta["module_src"].encode("utf-8")).hexdigest(),
    )


def check_tree(module, context):
    """Refuses a network whose submodules are shared or nested too deep, so that
    ``state_dict()`` stays as long as the file."""
    seen, pending = set(), [(module, 0)]
    while pending:
        current, depth = pending.pop()
        if id(current) in seen or depth > 100:
            raise context.error(f"{current.class_name} appears twice in one network, which a "
                                "StyleGAN2-ADA network never does")
        seen.add(id(current))
        pending.extend((child, depth + 1) for child in current.modules.values()
                       if child is not None)


def plain_data(value, context):
    """``value`` as plain Python data (dicts, lists, tuples, str, numbers, None): numpy
    scalars become Python numbers, OrderedDicts dicts; at most MAX_PLAIN_ITEMS items."""
    budget = [MAX_PLAIN_ITEMS]

    def convert(item, depth):
        budget[0] -= 1
        if budget[0] < 0 or depth > 50:
            raise context.error("a network's arguments are nested too deep or too many")
        if isinstance(item, dict):
            return {convert(key, depth + 1): convert(entry, depth + 1)
                    for key, entry in item.items()}
        if isinstance(item, (list, tuple, set, frozenset)):
            converted = [convert(entry, depth + 1) for entry in item]
            return converted if isinstance(item, list) else type(item)(converted)
        if isinstance(item, np.generic):
            return item.item()
        if item is None or isinstance(item, (str, bytes, int, float, complex, np.ndarray)):
            return item
        raise context.error(f"a network's arguments hold a {type(item).__name__}, "
                            "which is not plain data")

    return convert(value, 0)
