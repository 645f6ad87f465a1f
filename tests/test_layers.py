"""The house's rooms: imports run one way, CLI -> flows -> runtime -> stages and output ->
records, with no cycles anywhere, and the stages are plain Python (no Prefect, no
processes). Read from the source (every import, those inside functions too), not from
what happens to be imported at run time."""

from __future__ import annotations

import ast

from conftest import REPO

PACKAGES = ("lexnorm", "flows", "stages")

# Each module's room, by the longest matching prefix.
ROOMS = {
    "lexnorm.cli": "cli", "lexnorm.__main__": "cli", "lexnorm.testing": "cli",
    "flows": "flows",
    "lexnorm.runtime": "runtime",
    "stages": "stages",
    "lexnorm.output": "output",
    "stages.records": "records", "lexnorm": "records",  # the data model; the versions and the install hint
}  # fmt: skip
# Which rooms each room may import from.
MAY_IMPORT = {
    "cli": {"cli", "flows", "runtime", "stages", "output", "records"},
    "flows": {"flows", "runtime", "stages", "output", "records"},
    "runtime": {"runtime", "stages", "output", "records"},
    "stages": {"stages", "records"},
    "output": {"output", "records"},
    "records": {"records"},
}


def modules() -> dict[str, ast.Module]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


def imports(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The project's modules `name` imports anywhere in its source."""
    package = name if (REPO / name.replace(".", "/")).is_dir() else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                out.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {m for m in out if m in known and m != name}


def room(module: str) -> str:
    best = max((prefix for prefix in ROOMS if module == prefix or module.startswith(prefix + ".")), key=len)
    return ROOMS[best]


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, tree, set(found)) for name, tree in found.items()}


def test_every_module_has_a_room():
    rooms = {name: room(name) for name in graph()}
    assert set(rooms.values()) == set(MAY_IMPORT)
    assert rooms["stages.pipeline"] == "stages" and rooms["lexnorm.runtime.window"] == "runtime"
    assert rooms["lexnorm.output.tables"] == "output" and rooms["stages.records"] == "records"


def test_imports_run_one_way():
    wrong = [
        f"{name} ({room(name)}) imports {target} ({room(target)})"
        for name, targets in sorted(graph().items())
        for target in sorted(targets)
        if room(target) not in MAY_IMPORT[room(name)]
    ]
    assert wrong == []


def test_no_import_cycles():
    edges = graph()
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:  # depth-first; gray = on the current path
        state[node] = "gray"
        for target in sorted(edges[node]):
            if state.get(target) == "gray":
                cycles.append(" -> ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target, [*path, target])
        state[node] = "black"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_stages_are_plain_python():
    """No stage imports Prefect, multiprocessing or concurrent.futures' process pools:
    the runtime decides where a stage runs."""
    banned = ("prefect", "prefect_dask", "multiprocessing", "concurrent", "distributed")
    found = []
    for path in sorted((REPO / "stages").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] in banned]
    assert found == []


def test_the_checks_see_a_wrong_import():
    """The walk is not vacuous: a stage that imported the flow, or the runtime that
    imported the flow back, would be caught."""
    bad = ast.parse("from flows.normalize import normalize\nimport lexnorm.cli\n")
    known = set(graph())
    assert imports("stages.clauses", bad, known) == {"flows.normalize", "lexnorm.cli"}
    assert room("flows.normalize") not in MAY_IMPORT[room("stages.clauses")]
    assert room("lexnorm.cli") not in MAY_IMPORT[room("lexnorm.runtime.workers")]


def test_every_package_is_installed_with_its_data():
    """A wheel holds every package of the source (an explicit list once left out
    `stages.lang`, so that only editable installs worked) and the files the code reads."""
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = set(find_packages(where=str(REPO), include=config["packages"]["find"]["include"]))
    source = {
        ".".join(p.parent.relative_to(REPO).parts) for package in PACKAGES for p in (REPO / package).rglob("__init__.py")
    }
    assert source <= found and "stages.lang" in found and "lexnorm.runtime" in found
    data = config["package-data"]
    assert "templates/*" in data["lexnorm.output"] and "data/*" in data["stages"]
    assert (REPO / "lexnorm" / "output" / "templates" / "report.html.j2").is_file()
