"""The layers of laaos: no import cycle among its own modules.

Every import counts, at module level or inside a function (an import inside a function
hides a cycle from the interpreter, not from the design).  A package's ``__init__`` is
the package's node.  Names imported through a package (``from . import x``,
``from laaos import Store``) count as imports of the module that defines them: of the
submodule ``x``, of the module the package re-exports ``Store`` from (its own
``from .store import Store``, or its table of lazy names), or of the package itself for
a name its ``__init__`` defines.  ``importlib.import_module`` counts where its argument
is a literal (an f-string of ``__name__`` and literal text included).
"""

import ast
import pathlib
import re
import sys

import laaos
import laaos._limits

PACKAGE = pathlib.Path(laaos.__file__).parent


def module_files():
    """``{module name: path}`` of every module of the package, packages by their ``__init__``."""
    files = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("laaos",) + path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


def is_package(name, files):
    return files[name].name == "__init__.py"


def resolve(importer, level, module, files):
    """The absolute name of ``from <level dots><module> import ...`` in ``importer``."""
    if level == 0:
        return module
    base = importer.split(".")
    if not is_package(importer, files):
        base = base[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def lazy_table(tree):
    """The package's ``_LAZY`` table (``{public name: submodule}``), if any."""
    for node in tree.body:
        names = [t.id for t in getattr(node, "targets", ()) if isinstance(t, ast.Name)]
        if isinstance(node, ast.Assign) and "_LAZY" in names:
            return ast.literal_eval(node.value)
    return {}


def reexports(package, tree, files):
    """``{name: module}`` of the names a package's ``__init__`` imports from its submodules."""
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            source = resolve(package, node.level, node.module, files)
            for alias in node.names:
                names[alias.asname or alias.name] = source
    for name, submodule in lazy_table(tree).items():
        names[name] = f"{package}.{submodule}"
    return names


def literal_module(arg, importer):
    """The module an ``import_module`` argument names when it is a literal, else None."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr):
        text = []
        for part in arg.values:
            if isinstance(part, ast.Constant):
                text.append(part.value)
            elif isinstance(part.value, ast.Name) and part.value.id == "__name__":
                text.append(importer)
            else:
                return None
        return "".join(text)
    return None


def import_graph():
    """``{module: {modules it imports}}`` among laaos's own modules."""
    files = module_files()
    trees = {name: ast.parse(path.read_text(encoding="utf-8"), str(path)) for name, path in files.items()}
    exported = {name: reexports(name, trees[name], files) for name in files if is_package(name, files)}

    compiled = {"laaos." + path.name.split(".")[0] for path in PACKAGE.iterdir()
                if path.suffix in (".so", ".pyd", ".pyi")}

    def owner(name):
        """The module of laaos that ``name`` (a module, or a module's attribute) comes from."""
        if name in compiled:
            return name  # (an extension module: it imports nothing of laaos)
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for importer, tree in trees.items():
        edges = set()
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = resolve(importer, node.level, node.module, files)
                for alias in node.names:
                    if f"{source}.{alias.name}" in files or f"{source}.{alias.name}" in compiled:
                        targets.append(f"{source}.{alias.name}")  # a submodule, through its package
                    elif source in exported and alias.name in exported[source]:
                        targets.append(exported[source][alias.name])  # a name the package re-exports
                    else:
                        targets.append(source)
            elif (isinstance(node, ast.Call) and node.args
                  and (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"
                       or isinstance(node.func, ast.Name) and node.func.id == "import_module")):
                named = literal_module(node.args[0], importer)
                if named:
                    targets = [named]
            for target in targets:
                target = owner(target)
                if target and target != importer:
                    edges.add(target)
        graph[importer] = edges
    for package, names in exported.items():  # the lazy names: imported by the package's __getattr__
        graph[package] |= {owner(module) for module in names.values() if owner(module)} - {package}
    return graph


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def describe(component, graph):
    members = set(component)
    return "\n".join(f"  {m} -> {', '.join(sorted(graph[m] & members))}" for m in component)


def test_the_graph_sees_imports_inside_functions_and_through_the_package():
    graph = import_graph()
    assert "laaos.many" in graph["laaos"]  # a lazy name of the package
    assert "laaos._speedups" in graph["laaos._backend"]  # the compiled twin, not the package
    assert "laaos._pure" in graph["laaos._backend"]  # `from . import _pure` inside a function
    assert "laaos.store" in graph["laaos"]


def test_no_import_cycle_among_laaos_modules():
    graph = import_graph()
    found = cycles(graph)
    assert not found, ("import cycles among laaos's modules:\n"
                       + "\n\n".join(describe(c, graph) for c in found))


def test_the_format_limits_are_defined_in_one_module():
    files = module_files()
    limits = {node.targets[0].id for node in ast.parse(files["laaos._limits"].read_text()).body
              if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    assert {"MAX_DEPTH", "MAX_WRITTEN_STATEMENT", "MAX_VALUE_DEPTH", "MAX_LITERAL_DEPTH",
            "MAX_INT_DIGITS"} <= limits
    elsewhere = sorted(
        f"{name}: {target.id}"
        for name, path in files.items() if name != "laaos._limits"
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id.lstrip("_") in limits
    )
    assert not elsewhere, "limits of the format defined outside laaos._limits:\n" + "\n".join(elsewhere)


def test_the_extension_reads_the_format_limits_from_laaos_limits():
    """Both backends take each limit from ``laaos._limits``: the extension's sources
    read a limit only through a module alias of ``laaos._limits`` or an import from it."""
    limits = {name for name in vars(laaos._limits) if name.isupper()}
    sources = sorted((pathlib.Path(__file__).parent.parent / "src_ext").glob("*.p*x*"))
    assert sources, "no extension sources in the checkout"
    aliases = {"_limits"}
    wrong = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        aliases |= set(re.findall(r"^from laaos import _limits as (\w+)", text, re.M))
        for module, names in re.findall(r"^from laaos\.(\w+) import (.+)$", text, re.M):
            wrong += [f"{path.name}: {n.split()[0]} from laaos.{module}" for n in names.split(",")
                      if n.split()[0] in limits and module != "_limits"]
    for path in sources:
        for module, name in re.findall(r"\b(\w+)\.([A-Z_]+)\b", path.read_text(encoding="utf-8")):
            if name in limits and module not in aliases:
                wrong.append(f"{path.name}: {module}.{name}")
    assert not wrong, "limits the extension reads elsewhere than laaos._limits:\n" + "\n".join(wrong)
