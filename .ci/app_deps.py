"""Print which app under apps/ imports which (the layering of issue 14).

Usage: .venv/bin/python .ci/app_deps.py [--lazy] [APPS_DIR]
(APPS_DIR: another checkout's apps/, e.g. from `git archive REV apps | tar -x -C DIR`.)
Each row is an importing app; the columns are the apps it imports. A cell counts the
import statements; with --lazy, only the imports written inside a function are counted.
Migrations are left out: they name other apps as strings, not imports.
"""

import ast
import sys
from collections import Counter
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "apps"


def imported_modules(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def walk(tree: ast.AST, lazy_only: bool):
    def visit(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import | ast.ImportFrom) and (in_function or not lazy_only):
                yield from imported_modules(child)
            yield from visit(child, inside)

    yield from visit(tree, False)


def main() -> None:
    lazy_only = "--lazy" in sys.argv
    paths = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    root = Path(paths[0]) if paths else DEFAULT_ROOT
    apps = sorted(p.name for p in root.iterdir() if (p / "__init__.py").exists())
    edges: Counter[tuple[str, str]] = Counter()
    for app in apps:
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for module in walk(ast.parse(path.read_text()), lazy_only):
                parts = module.split(".")
                if parts[0] == "apps" and len(parts) > 1 and parts[1] != app:
                    edges[(app, parts[1])] += 1
    width = max(len(a) for a in apps)
    print(" " * width + " | " + " ".join(a[:6].rjust(6) for a in apps))
    for app in apps:
        cells = [str(edges[(app, other)] or "").rjust(6) for other in apps]
        print(app.ljust(width) + " | " + " ".join(cells))
    cycles = sorted({tuple(sorted(e)) for e in edges if (e[1], e[0]) in edges})
    print("\nimports both ways:", ", ".join(f"{a}<->{b}" for a, b in cycles) or "none")


if __name__ == "__main__":
    main()
