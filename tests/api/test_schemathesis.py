"""Schemathesis reads the OpenAPI document and calls every operation with data it makes
from the schemas, valid and invalid, as a Mali supervisor with a read and write token:
no answer is a 500, every answer matches its documented schema and content type, and
invalid input is refused. A bounded number of examples keeps the suite fast. (Each
operation is driven through Hypothesis here rather than Schemathesis's pytest plugin,
which does not run under pytest 9.2.)

Then every operation that takes an id is called with the ids of another state's objects
(Niger's): each must answer 404, so a new endpoint cannot leak across states unnoticed."""

import re

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from registry.auth.service import create_api_token
from registry.extensions import db

EXAMPLES = 10  # per operation and kind (valid, invalid): enough to find a 500, CI stays fast


def test_every_operation_answers_within_its_schema_and_never_fails(app, world):
    _token, plain = create_api_token(world["ML"].user("supervisor"), "schemathesis")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        _explore(operation, GenerationMode.POSITIVE, headers, checks)
        _explore(operation, GenerationMode.NEGATIVE, headers, checks + [negative_data_rejection])


def _explore(operation, mode, headers: dict, checks: list) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def call(case):
        case.call_and_validate(headers=headers, checks=checks)

    call()


# Path parameter -> the world's object of another state (Niger) that Mali may not reach.
FOREIGN_IDS = {
    "trace_id": lambda world: world.ne_trace_id,
    "import_id": lambda world: world.ne_import_id,
    "notification_id": lambda world: world.foreign_notification_id,
    "weapon_id": lambda world: world.ne_weapon_id,
    "photo_id": lambda world: world.ne_photo_id,
    "hit_id": lambda world: world.ne_hit_id,
}
# Path parameters that are not ids, and a value each that the endpoint accepts.
OTHER_PARAMETERS = {"action": "acknowledge"}
# The reference table belongs to no state: its ids name nobody's object (tests/reference
# checks that an id it does not hold answers 404, and that only the platform administrator
# changes it).
NO_STATE_PATHS = ("/api/v1/reference/",)


def test_every_operation_refuses_another_states_ids(app, world, client):
    from tests.tracing.conftest import make_rifle
    from tests.tracing.helpers import sent_trace

    niger = world["NE"]
    # A trace between Niger and Burkina Faso: Mali sees nothing of it.
    niger_rifle = make_rifle(niger.user("officer"), raw_serial="NE-77")
    world.ne_trace_id = sent_trace(niger.user("tracing_officer"), niger_rifle, country="BF").id
    _token, plain = create_api_token(world["ML"].user("supervisor"), "probe")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    document = client.get("/api/v1/openapi.json", headers=headers).json
    probed = []
    for path, item in document["paths"].items():
        names = re.findall(r"{(\w+)}", path)
        if not names or path.startswith(NO_STATE_PATHS):
            continue
        values = {}
        for name in names:
            assert name in FOREIGN_IDS or name in OTHER_PARAMETERS, (
                f"{path}: say in FOREIGN_IDS which object of another state {name} names")
            values[name] = FOREIGN_IDS[name](world) if name in FOREIGN_IDS else OTHER_PARAMETERS[name]
        url = path
        for name, value in values.items():
            url = url.replace(f"{{{name}}}", str(value))
        for method in item:
            if method == "parameters":
                continue
            response = client.open(url, method=method.upper(), headers=headers, json={})
            assert response.status_code == 404, (method, url, response.status_code, response.json)
            assert response.mimetype == "application/problem+json"
            probed.append(f"{method} {path}")
    assert len(probed) >= 5, probed
