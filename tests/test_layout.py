"""The package's shape (docs/architecture.md): few modules at the top, every module and
package listed in the "Where things live" table, no import cycle at import time, and
comments and docs that cite documents inside the repository only."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "wippy"
# docs/architecture.md "The shape": a new module at the top belongs in a folder instead
TOP_MODULES = ["aio.py", "errors.py", "logs.py", "runtime.py", "runtime_apply.py",
               "supervisor.py", "testing.py"]


def _where_things_live() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    start = text.index("## Where things live")
    return text[start:text.index("\n## ", start + 1)]


def test_few_modules_at_the_top_and_each_one_has_a_row_in_the_table():
    modules = sorted(p.name for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert modules == TOP_MODULES
    table = _where_things_live()
    missing = [m for m in modules if f"`{m}`" not in table]
    assert not missing, f"top-level modules without a row in docs/architecture.md: {missing}"


def test_every_package_is_in_the_table():
    table = _where_things_live()
    packages = sorted(str(p.parent.relative_to(PACKAGE)) for p in PACKAGE.rglob("__init__.py")
                      if p.parent != PACKAGE and p.parent.parent.name != "modules")
    missing = [p for p in packages if f"`{p}/" not in table]
    assert not missing, f"packages without a row in docs/architecture.md: {missing}"


def test_every_path_in_the_table_exists():
    """A path in the "where" column is relative to wippy/, or to a folder the same row
    names (`ops/` (`metrics.py`, ...)); `lua/modules/<name>/` stands for any module."""
    bad = []
    for row in _where_things_live().splitlines():
        cells = row.split("|")
        if len(cells) < 4 or set(cells[2].strip()) <= {"-"}:
            continue
        names = [n for n in re.findall(r"`([^`]+)`", cells[2])
                 if re.fullmatch(r"[\w./<>-]+", n) and n.endswith((".py", ".lua", "/"))]
        bases = [PACKAGE] + [PACKAGE / n for n in names if n.endswith("/") and "<" not in n]
        if "lua/modules/<name>/" in names:
            modules = PACKAGE / "lua" / "modules"
            bases += [modules] + [p for p in modules.iterdir() if p.is_dir()]
        bad += [n for n in names if "<" not in n and not any((b / n).exists() for b in bases)]
    assert not bad, f"docs/architecture.md names paths that do not exist: {bad}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_time_imports(tree: ast.Module):
    """Import statements that run when the module is imported: not those in function bodies
    (run later) nor under `if TYPE_CHECKING:` (never run)."""
    def walk(nodes):
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                yield from walk(node.orelse)
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node
            yield from walk(ast.iter_child_nodes(node))
    yield from walk(tree.body)


def _import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in _import_time_imports(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                deps.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base)
        graph[name] = {d for d in deps if d in files and d != name}
    return graph


def test_no_import_cycle_at_import_time():
    graph = _import_graph()
    assert len(graph) > 100   # the walk found the package
    state: dict[str, int] = {}   # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_the_import_graph_has_the_edges_python_runs():
    """The graph the cycle check walks is built right: relative imports resolve, and
    TYPE_CHECKING-only imports are left out."""
    graph = _import_graph()
    assert "wippy.errors" in graph["wippy.supervisor"]            # from .errors import ...
    assert "wippy.common.backoff" in graph["wippy.supervisor"]    # from .common.backoff import
    assert "wippy.runtime" not in graph["wippy.runtime_apply"]    # only under TYPE_CHECKING


OUTSIDE = re.compile(r"\.\./shared|shared/(design|reference)|reference §")
DECISION = re.compile(r"\bD\d{1,2}\b")


def _shipped_text():
    yield from PACKAGE.rglob("*.py")
    yield from PACKAGE.rglob("*.lua")
    yield from (p for p in (ROOT / "docs").rglob("*.md") if p.name != "decisions.md")
    yield ROOT / "README.md"


def test_comments_and_docs_cite_only_documents_in_the_repository():
    bad = []
    for path in _shipped_text():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if OUTSIDE.search(line) or (DECISION.search(line) and "decisions.md" not in line):
                bad.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bad, "cite docs/decisions.md or another page in docs/:\n" + "\n".join(bad)


def test_the_readme_names_every_dependency():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0] for spec in project["dependencies"]]
    text = (ROOT / "README.md").read_text()
    paragraph = text[text.index("Dependencies:"):]
    paragraph = paragraph.split("\n\n", 1)[0]
    missing = [name for name in names if name.lower() not in paragraph.lower()]
    assert not missing, f"README.md's Dependencies paragraph does not name {missing}"


def test_every_wippy_path_named_in_code_docs_and_tests_exists():
    """A comment or page that names a module under wippy/ after it moved is no longer true."""
    named = re.compile(r"(?<![.\w])wippy/[\w/]+\.(?:py|lua)\b")
    sources = [*_shipped_text(), *(ROOT / "tests").rglob("*.py")]
    bad = [f"{path.relative_to(ROOT)}: {m}" for path in sources
           for m in named.findall(path.read_text()) if not (ROOT / m).exists()]
    assert not bad, bad


def test_every_docs_page_named_in_code_docs_and_tests_exists():
    """A docstring or page that cites a page under docs/ sends the reader there: it must exist."""
    named = re.compile(r"(?<![.\w/])docs/[\w/.-]+\.md\b")
    sources = [*_shipped_text(), *(ROOT / "tests").rglob("*.py")]
    bad = [f"{path.relative_to(ROOT)}: {m}" for path in sources
           for m in named.findall(path.read_text()) if not (ROOT / m).exists()]
    assert not bad, bad


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors, fenced = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            anchors.add(_slug(line.lstrip("#")))
    return anchors


def test_every_relative_link_in_the_docs_resolves():
    """Links between pages (and their #anchors) still land after a page or heading moved."""
    link = re.compile(r"\]\(([^)\s]+)\)")
    bad = []
    for page in [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"]:
        for target in link.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):   # http:, https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                bad.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                bad.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not bad, bad
