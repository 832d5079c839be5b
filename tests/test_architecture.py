"""The layout's rules, checked on the source: ganzoo's modules import each other without a
cycle (dependencies go one way: registry < config/factory < runs < consumers < cli), and
consumers ask a family instead of branching on its kind."""

import ast
import os
import re

import ganzoo

PACKAGE_DIR = os.path.dirname(os.path.abspath(ganzoo.__file__))


def module_files():
    """{dotted module name: path} of every ganzoo module."""
    found = {}
    for folder, _, files in os.walk(PACKAGE_DIR):
        for filename in files:
            if filename.endswith(".py"):
                path = os.path.join(folder, filename)
                relative = os.path.relpath(path, os.path.dirname(PACKAGE_DIR))[:-3]
                name = relative.replace(os.sep, ".").removesuffix(".__init__")
                found[name] = path
    return found


def imports_of(path, modules):
    """The ganzoo modules that the file at ``path`` imports, anywhere in it (functions
    included): ``import a.b``, ``from a import b`` (module b, else a's package)."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return {name for name in found if name in modules}


def import_graph():
    modules = module_files()
    return {name: imports_of(path, modules) for name, path in modules.items()}


def find_cycle(graph):
    """One import cycle as a list of modules, or None (depth-first search)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_finds_a_cycle_when_there_is_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_ganzoo_modules_import_each_other_without_a_cycle():
    graph = import_graph()
    assert len(graph) > 50 and graph["ganzoo.training"], "the graph was not read"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_reading_runs_does_not_import_the_trainer_or_a_consumer():
    graph = import_graph()
    consumers = {"ganzoo.training", "ganzoo.presets", "ganzoo.cli", "ganzoo.translate",
                 "ganzoo.latent", "ganzoo.export", "ganzoo.metrics"}
    reached, todo = set(), ["ganzoo.runs"]
    while todo:
        for target in graph[todo.pop()] - reached:
            reached.add(target)
            todo.append(target)
    assert not {m for m in reached if m in consumers or m.startswith(
        ("ganzoo.export.", "ganzoo.metrics."))}


def test_input_kind_is_declared_by_families_only():
    """Consumers ask the family (preview, sample_inputs, serving_inputs); the input kind
    appears where the contract is defined and where a family declares it."""
    users = sorted(name for name, path in module_files().items()
                   if re.search(r"\binput_kind\b", open(path).read()))
    assert users == ["ganzoo.families.base", "ganzoo.families.image_to_image"]
