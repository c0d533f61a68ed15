"""Every route × every role × an object of another country, as declared by each feature
in tests/<feature>/matrix.py. A route missing from the declarations fails the test."""

import importlib
import pkgutil
from pathlib import Path

import pytest

import tests
from tests.authorization import ROLES, Route

IGNORED_ENDPOINTS = {"static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def declared_routes() -> list[Route]:
    routes = []
    for module in pkgutil.iter_modules([str(Path(tests.__file__).parent)]):
        if not module.ispkg:
            continue
        try:
            matrix = importlib.import_module(f"tests.{module.name}.matrix")
        except ModuleNotFoundError:
            continue
        routes.extend(matrix.ROUTES)
    return routes


def test_every_route_is_declared_in_the_matrix(app):
    declared = {(route.endpoint, route.method) for route in declared_routes()}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - IGNORED_METHODS):
            if (rule.endpoint, method) not in declared:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "Routes not declared in a tests/<feature>/matrix.py: " + ", ".join(missing)


def test_no_declared_route_is_stale(app):
    existing = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
                for method in rule.methods}
    stale = [f"{r.method} {r.endpoint}" for r in declared_routes() if (r.endpoint, r.method) not in existing]
    assert not stale, "Declared routes that no longer exist: " + ", ".join(stale)


@pytest.mark.parametrize("role", ("anonymous",) + ROLES)
def test_each_role_gets_the_declared_answer_on_every_route(app, world, client, actions, role):
    from flask import url_for

    if role != "anonymous":
        response = actions.login(world["ML"].user(role))
        assert response.status_code == 302
    token = actions.csrf_token("/login") if role == "anonymous" else actions.csrf_token("/account")
    wrong = []
    for route in declared_routes():
        with app.test_request_context():
            path = url_for(route.endpoint, **route.args(world))
        if route.method == "GET":
            response = client.get(path)
        else:
            data = {"csrf_token": token} | route.data(world)
            response = client.open(path, method=route.method, data=data)
        expected = route.expected(role)
        if response.status_code != expected:
            wrong.append(f"{route.method} {path}: {response.status_code}, expected {expected}")
        assert response.status_code != 500
        if route.endpoint in ("auth.logout",) and role != "anonymous":
            actions.login(world["ML"].user(role))
            token = actions.csrf_token("/account")
        if route.endpoint == "main.set_language":
            client.post("/language", data={"language": "fr", "csrf_token": token})
    assert not wrong, f"{role}: " + "; ".join(wrong)
