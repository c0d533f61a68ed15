from tests.authorization import Route

ROUTES = [
    Route("api.me"),
    # The OpenAPI document is under /api/ (a problem document to a stranger), its page is not.
    Route("api_docs.openapi", expect={"anonymous": 401}),
    Route("api_docs.docs"),
]
