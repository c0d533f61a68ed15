"""The users of bench/load.py: officers of four states who search by serial, open records,
browse filtered lists, their traces inbox and the tracing dashboard.

Read by Locust (`locust -f bench/locustfile.py`); bench/load.py starts it with, in the JSON
file BENCH_TARGETS, the users' sessions (logged in beforehand), the serials to look for
and each state's record ids.
"""

import json
import os
import random
from itertools import count

from locust import HttpUser, between, task

with open(os.environ["BENCH_TARGETS"], encoding="utf-8") as source:
    TARGETS = json.load(source)
STATUSES = ("seized", "found", "lost", "stolen", "trafficked")
_next_user = count()


class Officer(HttpUser):
    # Think time between two pages, as a person reads them.
    wait_time = between(0.5, 2)

    def on_start(self):
        number = next(_next_user)
        session = TARGETS["sessions"][number % len(TARGETS["sessions"])]
        self.client.headers["Cookie"] = session["cookie"]
        self.country = session["country"]
        self.rng = random.Random(number)

    def _get(self, path: str, name: str):
        # A redirect (to the login page) is a failure too: the page itself must answer.
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")

    @task(4)
    def search_serial(self):
        serial = self.rng.choice(TARGETS["serials"])
        self._get(f"/weapons/?serial={serial}", "search by serial")

    @task(4)
    def record_page(self):
        weapon_id = self.rng.choice(TARGETS["records"][self.country])
        self._get(f"/weapons/{weapon_id}", "record page")

    @task(2)
    def filtered_list(self):
        status = self.rng.choice(STATUSES)
        self._get(f"/weapons/?status={status}&page={self.rng.randint(1, 3)}", "filtered list")

    @task(1)
    def inbox(self):
        self._get("/tracing/inbox", "traces inbox")

    @task(1)
    def dashboard(self):
        self._get("/tracing/dashboard", "tracing dashboard")
