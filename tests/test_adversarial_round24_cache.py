"""Adversarial round 24: a user's backend whose work is done by another module of the user's.

A project keeps its backend class in one file and its translating code in another (a helper module, a package of
its own): the translation cache must not serve what the helper's old code made once the helper is edited, and a
backend without one keeps the key it had.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from harness.config import GenerationSpec, ModelSpec, compose_config

BACKEND = '''
from harness.translate.backends.base import Backend
{imports}


class Helped(Backend):
    """A user's backend whose outputs come from the helper module beside it."""

    name = "helped"

    def translate_batch(self, texts, src_lang, tgt_lang):
{lazy}        return [{call}(text) for text in texts]
'''

IMPORTS = {   # how the backend reaches the helper: the import, and the call
    "import-module": ("import userhelper", "userhelper.transform"),
    "from-import": ("from userhelper import transform", "transform"),
    "package-relative": ("from .helper import transform", "transform"),
    "helper-of-helper": ("from userhelper import transform", "transform"),
    "inside-the-function": ("        from userhelper import transform\n", "transform"),   # when a batch runs
}


def backend_text(route: str, imports: str, call: str) -> str:
    lazy = route == "inside-the-function"
    return BACKEND.format(imports="" if lazy else imports, lazy=imports if lazy else "", call=call)


def helper(operation: str) -> str:
    return f"def transform(text):\n    return text.{operation}()\n"


def write_project(project: Path, route: str, operation: str) -> str:
    """The user's files for `route`, the helper doing `operation`; the backend's class path."""
    imports, call = IMPORTS[route]
    if route == "package-relative":
        package = project / "userpkg"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
        (package / "helper.py").write_text(helper(operation), encoding="utf-8")
        (package / "backend.py").write_text(backend_text(route, imports, call), encoding="utf-8")
        return "userpkg.backend.Helped"
    project.mkdir(parents=True, exist_ok=True)
    (project / "userbackend.py").write_text(backend_text(route, imports, call), encoding="utf-8")
    if route == "helper-of-helper":   # the backend's helper passes the work on to one more module
        (project / "userhelper.py").write_text("from userdeeper import transform\n", encoding="utf-8")
        (project / "userdeeper.py").write_text(helper(operation), encoding="utf-8")
    else:
        (project / "userhelper.py").write_text(helper(operation), encoding="utf-8")
    return "userbackend.Helped"


USER_MODULES = ("userbackend", "userhelper", "userdeeper", "userpkg", "userpkg.backend", "userpkg.helper")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The user's project folder on the path, its modules imported anew by each test (from their source: a
    bytecode file of an edit of the same size within the same second would be read as current)."""
    folder = tmp_path / "project"
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(folder))
    for name in USER_MODULES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield folder
    for name in USER_MODULES:
        sys.modules.pop(name, None)


def forget_user_modules() -> None:
    """As a new process would: the user's modules read again from their files."""
    for name in USER_MODULES:
        sys.modules.pop(name, None)
    importlib.invalidate_caches()


def first_output(tmp_path: Path, name: str, class_path: str) -> tuple[str, dict]:
    """The pipeline with the user's backend on 002's first segments: the first hypothesis, the record."""
    from harness import run
    forget_user_modules()
    config = compose_config([f"data.root={Path(__file__).parents[1] / 'seeds'}", "data.documents=[002]",
                             "data.max_segments=3", "metrics=[bleu]", "model=identity", "model.name=helped",
                             f"backend._target_={class_path}", "alignment.embeddings=false",
                             f"cache.dir={tmp_path / 'cache'}"])
    result = run(config, str(tmp_path / name))
    return (tmp_path / name / "hypotheses" / "002.txt").read_text(encoding="utf-8").splitlines()[0], result


@pytest.mark.parametrize("route", list(IMPORTS))
def test_a_helper_module_edited_between_runs_is_not_served_its_old_outputs(project, tmp_path, route):
    """Own (round 24): usercode.py's class called userhelper.transform (upper-casing); the helper edited to
    lower-case, the next run was served the 3 upper-cased outputs of the run before: the key held the hash of the
    class's own file only."""
    class_path = write_project(project, route, "upper")
    upper, _ = first_output(tmp_path, "upper", class_path)
    write_project(project, route, "lower")
    lower, result = first_output(tmp_path, "lower", class_path)
    assert upper == upper.upper() != lower == lower.lower()
    assert result["documents"][0]["cache_hits"] == 0
    again, result = first_output(tmp_path, "again", class_path)
    assert again == lower and result["documents"][0]["cache_hits"] == 3


def backend_code_key(class_path: str) -> dict[str, str]:
    forget_user_modules()
    module, _, name = class_path.rpartition(".")
    backend = getattr(importlib.import_module(module), name)(ModelSpec(name="helped"), GenerationSpec())
    return backend.fingerprint("fr", "en")["code"]


def test_the_key_holds_the_users_modules_and_no_librarys(project):
    """The helper's file is keyed beside the class's; the harness's modules and the installed libraries the code
    names (numpy here) are not: their changes are versioned, and keying them would make every upgrade translate
    again."""
    class_path = write_project(project, "from-import", "upper")
    (project / "userbackend.py").write_text("import json\nimport numpy\n" + (project / "userbackend.py").read_text())
    assert sorted(backend_code_key(class_path)) == ["userbackend", "userhelper"]


def test_a_library_imported_inside_a_function_is_neither_keyed_nor_imported_by_the_key(project):
    """The key reads the imports of the user's files without running them; finding an installed package's submodule
    would import the package (a backend that imports torch.nn when it loads its model)."""
    if "wsgiref.simple_server" in sys.modules:
        pytest.skip("wsgiref.simple_server is imported already in this process")
    project.mkdir()
    body = BACKEND.format(imports="", lazy="        import wsgiref.simple_server  # noqa: F401\n", call="str.strip")
    (project / "userbackend.py").write_text(body)
    assert list(backend_code_key("userbackend.Helped")) == ["userbackend"]
    assert "wsgiref.simple_server" not in sys.modules


def test_a_backend_that_imports_no_module_of_the_users_keeps_its_key(project):
    """A backend in one file is keyed by that file alone, as before round 24, so its cached outputs stay valid."""
    project.mkdir()
    (project / "userbackend.py").write_text(BACKEND.format(imports="import re", lazy="", call="str.strip"))
    assert list(backend_code_key("userbackend.Helped")) == ["userbackend"]
