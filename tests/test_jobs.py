"""The job layer knows no feature: each feature registers its jobs in its own jobs.py,
and the application (web process or worker) knows all of them."""

import subprocess
import sys

from registry import jobs


def test_the_application_knows_every_features_jobs_and_the_hourly_reminder(app):
    assert {"imports.analyse", "imports.commit", "notifications.send", "tracing.remind"} <= set(jobs.JOBS)
    assert jobs.PERIODIC["tracing.remind"] == 60 * 60


def test_the_job_layer_imports_no_feature():
    code = ("import sys, registry.jobs; "
            "print(' '.join(sorted(name for name in sys.modules if name.startswith('registry.'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    features = {"auth", "audit", "weapons", "tracing", "imports", "notifications", "reference", "reports"}
    assert not [name for name in loaded if name.split(".")[1] in features]


def test_the_worker_command_is_offered_by_the_application(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert "REGISTRY_REDIS_URL is not set" in result.output
