"""Every action the code records has words on the audit page, in French and English."""

import ast
from pathlib import Path

from flask_babel import force_locale

from registry.audit.actions import ACTIONS
from registry.tracing.workflow import Action

SOURCES = Path(__file__).resolve().parents[2] / "registry"

# The actions written from a value rather than a literal, by the text of the expression,
# with every code it can give. A new expression of this kind fails the test until it is
# written here (or, better, as literals).
COMPUTED = {
    "f'trace.{action.value}'": [f"trace.{action.value}" for action in Action],
}


def _codes(expression: ast.expr, where: str, unknown: list[str]) -> list[str]:
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return [expression.value]
    if isinstance(expression, ast.IfExp):
        return _codes(expression.body, where, unknown) + _codes(expression.orelse, where, unknown)
    text = ast.unparse(expression)
    if text in COMPUTED:
        return COMPUTED[text]
    unknown.append(f"{where}: {text}")
    return []


def recorded_actions() -> tuple[dict[str, str], list[str]]:
    """action code -> first place it is recorded, and the expressions this test cannot read."""
    found: dict[str, str] = {}
    unknown: list[str] = []
    for path in sorted(SOURCES.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "record":
                continue
            where = f"{path.relative_to(SOURCES.parent)}:{node.lineno}"
            action = node.args[0] if node.args else next(
                (keyword.value for keyword in node.keywords if keyword.arg == "action"), None)
            if action is None:
                unknown.append(f"{where}: record() without an action")
                continue
            for code in _codes(action, where, unknown):
                found.setdefault(code, where)
    return found, unknown


def test_the_scan_reads_the_calls_of_the_code_base():
    found, _ = recorded_actions()
    # A few known calls, literal, conditional and computed, so that a scan reading nothing fails.
    assert found["weapon.view"].startswith("registry/weapons/")
    assert "weapon.photo_download" in found and "weapon.photo_thumbnail" in found
    assert "trace.acknowledge" in found and "trace.inbox" in found
    assert len(found) > 80


def test_every_recorded_action_has_words():
    found, unknown = recorded_actions()
    assert not unknown, f"actions this test cannot read (write them as literals): {unknown}"
    missing = {code: where for code, where in found.items() if code not in ACTIONS}
    assert not missing, f"actions without words in registry/audit/actions.py: {missing}"


def test_every_action_reads_differently_in_french_and_english(app):
    same = []
    for code, words in ACTIONS.items():
        with force_locale("en"):
            english = str(words)
        with force_locale("fr"):
            french = str(words)
        if english == french:
            same.append(code)
    assert not same, f"actions without French words: {same}"
