"""The type stubs describe the runtime exactly: every name they declare exists, and every
public attribute of the runtime classes is declared."""

from __future__ import annotations

import ast
import importlib
import inspect
import os

import pushmetrics

PKG = os.path.dirname(pushmetrics.__file__)


def stub_tree(module: str) -> ast.Module:
    path = os.path.join(PKG, module.split(".")[-1] + ".pyi")
    with open(path) as f:
        return ast.parse(f.read())


def declared(node: ast.ClassDef) -> set[str]:
    names = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            names.add(item.name)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.add(item.target.id)
    return names


def test_every_stub_name_is_importable_and_every_runtime_member_is_declared():
    mod = importlib.import_module("pushmetrics._pushmetrics")
    tree = stub_tree("pushmetrics._pushmetrics")
    checked = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if not node.level:
                continue  # typing helpers for the checker, not part of the package
            src = importlib.import_module("pushmetrics." + node.module)
            for alias in node.names:
                assert hasattr(src, alias.name), f"{node.module}.{alias.name}"
                checked += 1
        elif isinstance(node, ast.ClassDef):
            cls = getattr(mod, node.name)
            stub = declared(node)
            for name in stub - {"__init__"}:
                assert hasattr(cls, name), f"{node.name}.{name} is in the stub only"
            runtime = {n for n in vars(cls) if not n.startswith("_")}
            assert runtime <= stub, (
                f"{node.name}: {runtime - stub} missing from the stub"
            )
            checked += 1
        elif isinstance(node, ast.FunctionDef):
            fn = getattr(mod, node.name)
            params = [a.arg for a in node.args.args + node.args.kwonlyargs]
            sig = inspect.signature(fn)
            for p in params:
                assert p in sig.parameters, (
                    f"{node.name}({p}) is not accepted at runtime"
                )
            checked += 1
        elif isinstance(node, ast.AnnAssign):
            assert hasattr(mod, node.target.id), node.target.id
            checked += 1
    public = {n for n in vars(mod) if not n.startswith("__")}
    in_stub = {
        getattr(n, "name", None) or getattr(getattr(n, "target", None), "id", None)
        for n in tree.body
    }
    assert public <= in_stub, f"runtime names without a stub: {public - in_stub}"
    assert checked > 20


def test_package_exports_what_all_lists():
    for name in pushmetrics.__all__:
        assert hasattr(pushmetrics, name), name
    assert os.path.exists(os.path.join(PKG, "py.typed"))


def test_pusher_options_are_all_accepted_by_the_runtime(pgw_url, job):
    opts = dict.fromkeys(
        pushmetrics.PusherOptions.__annotations__
    )  # None = core default
    with pushmetrics.Pusher(pgw_url, job, registry=pushmetrics.Registry(), **opts) as p:
        assert not p.is_shut_down
