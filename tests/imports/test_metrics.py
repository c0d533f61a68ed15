"""An import's commit is counted in the metrics: rows written and time spent."""

from registry import jobs
from registry.extensions import db
from registry.imports.jobs import start_analysis_job, start_commit_job
from tests.imports.test_jobs import fresh, uploaded


def _value(text: str, name: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[-1])


def test_a_commit_adds_its_rows_to_the_import_metrics(app, world, reference, tmp_path, client):
    before = _value(client.get("/metrics").get_data(as_text=True), "registry_import_rows_committed_total")
    officer, import_ = uploaded(world, tmp_path)
    job_id = start_analysis_job(officer, import_)
    db.session.commit()
    assert jobs.wait(job_id)
    job_id = start_commit_job(officer, fresh(import_.id))
    db.session.commit()
    assert jobs.wait(job_id)
    assert fresh(import_.id).counts["created"] == 2
    text = client.get("/metrics").get_data(as_text=True)
    assert _value(text, "registry_import_rows_committed_total") == before + 2
    assert _value(text, "registry_import_commit_seconds_total") > 0
    assert _value(text, "registry_import_rows_per_second") > 0
