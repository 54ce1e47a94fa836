"""The shape of wippy/sql: imports go one way (database -> transaction -> statements)."""
import ast
from pathlib import Path

import wippy.sql

SQL = Path(wippy.sql.__file__).parent


def local_imports() -> dict[str, set[str]]:
    """module -> the wippy.sql modules it imports, TYPE_CHECKING blocks included."""
    graph = {}
    for path in SQL.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(alias.name for alias in node.names)
        graph[path.stem] = deps & {p.stem for p in SQL.glob("*.py")}
    return graph


def test_no_import_cycles_not_even_for_type_checking():
    graph = local_imports()

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for dep in graph.get(start, ()):
            if dep == target or (dep not in seen and reaches(dep, target, seen | {dep})):
                return True
        return False
    cyclic = sorted(m for m in graph if reaches(m, m, {m}))
    assert cyclic == []
    assert "transaction" in graph["database"] and "database" not in graph["transaction"]


def test_connection_threads_live_in_threads_py():
    assert (SQL / "threads.py").exists() and not (SQL / "worker.py").exists()
