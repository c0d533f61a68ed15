from tests.authorization import Route

ROUTES = [
    Route("reports.statistics"),
    # Another state's figures: refused with a message (400), never shown; the platform
    # administrator may see every state.
    Route("reports.statistics", args=lambda world: {"state": "NE"}, default=400,
          expect={"platform_admin": 200}),
    Route("reports.region_map"),
    Route("reports.region_map", args=lambda world: {"state": "NE"}, default=400,
          expect={"platform_admin": 200}),
    Route("reports.export", args=lambda world: {"name": "status", "extension": "csv"}),
    Route("reports.export", args=lambda world: {"name": "make", "extension": "xlsx", "state": "NE"},
          default=400, expect={"platform_admin": 200}),
    Route("reports.yearly", args=lambda world: {"extension": "xlsx", "year": "2024"}),
    Route("reports.yearly", args=lambda world: {"extension": "pdf", "year": "2024", "state": "NE"},
          default=400, expect={"platform_admin": 200}),
    Route("reports_api.statistics"),
    Route("reports_api.statistics", args=lambda world: {"state": "NE"}, default=400,
          expect={"platform_admin": 200}),
]
