from tests.authorization import Route

ROUTES = [
    Route("api.me"),
    Route("api.openapi"),
]
