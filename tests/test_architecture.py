"""House rules that a reviewer would otherwise have to remember (see ../shared/STYLE.md)."""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ("complaints", "customers", "compensation", "notifications", "config")


def _product_modules() -> list[Path]:
    return [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "management" not in path.parts
    ]


def _status_assignments(path: Path) -> list[tuple[str, int, str]]:
    """Places that assign ``<something>.status`` (attribute targets), with the enclosing function's name."""
    found: list[tuple[str, int, str]] = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            else:
                continue
            for target in targets:
                # Offers follow their own lifecycle in the compensation app.
                owner = (
                    target.value.id if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) else ""
                )
                if isinstance(target, ast.Attribute) and target.attr == "status" and "offer" not in owner:
                    found.append((str(path.relative_to(ROOT)), node.lineno, func.name))
    return found


def test_only_the_state_machine_assigns_a_complaint_status():
    assignments = [hit for path in _product_modules() for hit in _status_assignments(path)]
    assert [(file, func) for file, _line, func in assignments] == [("complaints/services/core.py", "_apply_transition")]


def test_no_complaint_status_is_changed_by_a_bulk_update():
    offenders = []
    for path in _product_modules():
        text = path.read_text(encoding="utf-8")
        if "Complaint.objects" in text:
            for number, line in enumerate(text.splitlines(), 1):
                if "Complaint.objects" in line and ".update(" in line and "status=" in line.split(".update(", 1)[1]:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


def test_tasks_only_call_services():
    """Celery tasks stay thin: each task body calls into its app's services and does no ORM work itself."""
    for path in ROOT.glob("*/tasks.py"):
        source = path.read_text(encoding="utf-8")
        assert ".objects" not in source, f"{path.relative_to(ROOT)} queries the database directly"
