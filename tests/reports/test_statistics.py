"""The statistics service: the figures of a state, its filters, its scope and its bad input."""

import pytest

from registry.errors import DomainError
from registry.reports.service import Filters, statistics
from tests.reports.helpers import mali_year, record

YEAR_2024 = {"date_from": "2024-01-01", "date_to": "2024-12-31"}


def figures(user, **values):
    return statistics(user, Filters.parse(YEAR_2024 | values))


def counts(rows):
    return {row["name"] if "name" in row else row["key"]: row["count"] for row in rows}


def test_a_mali_officer_counts_the_records_of_mali_in_the_period_by_each_dimension(world, reference):
    mali_year(world)
    report = figures(world["ML"].user("viewer"))
    assert report["state"] == "ML" and report["total"] == 5
    assert {row["key"]: row["count"] for row in report["by_status"]} == {
        "seized": 3, "found": 1, "surrendered": 1}
    assert counts(report["by_make"]) == {"Kalashnikov": 3, "Beretta": 1, "Mosin-Nagant": 1}
    assert counts(report["by_type"]) == {"Assault rifle": 3, "Pistol": 1, "Rifle": 1}
    assert counts(report["by_model"])["Kalashnikov AK-47"] == 3
    assert counts(report["by_country_of_manufacture"]) == {"Russian Federation": 1, None: 4}
    months = {row["key"]: row["count"] for row in report["by_month"]}
    assert len(months) == 12 and months["2024-01"] == 2 and months["2024-02"] == 0 and months["2024-07"] == 1


def test_typed_regions_are_counted_by_iso_subdivision_and_the_unmatched_are_listed(world, reference):
    mali_year(world)
    report = figures(world["ML"].user("viewer"))
    regions = {row["key"]: row["count"] for row in report["by_region"]}
    assert regions == {"ML-6": 2, "ML-7": 1, None: 1}
    assert [row["name_fr"] for row in report["by_region"]][:2] == ["Tombouctou", "Gao"]
    assert report["unmatched_regions"] == [{"text": "Nowhereland", "count": 1}]


def test_filters_narrow_the_figures(world, reference):
    mali_year(world)
    user = world["ML"].user("viewer")
    assert figures(user, status="found")["total"] == 1
    assert figures(user, region="Tombouctou")["total"] == 2
    assert figures(user, region="ML-7")["total"] == 1
    assert figures(user, make="Kalashnikov")["total"] == 3
    assert figures(user, type="Pistol")["total"] == 1
    assert figures(user, country_of_manufacture="RU")["total"] == 1
    assert figures(user, agency="ML-CNLPAL")["total"] == 5
    assert figures(user, source="import")["total"] == 0
    assert figures(user, source="form")["total"] == 5
    assert figures(user, date_from="2023-01-01", date_to="2023-12-31")["total"] == 1


def test_sdg_16_4_2_leaves_antiques_out_of_its_denominator(world, reference):
    mali_year(world)
    sdg = figures(world["ML"].user("viewer"))["sdg_16_4_2"]
    # Three seized and one found; the surrendered rifle of 1891 is an antique.
    assert (sdg["numerator"], sdg["denominator"], sdg["value"]) == (0, 4, 0.0)
    assert "1900" in sdg["definitions"]["denominator"]


def test_a_national_user_never_gets_another_state_figures(world, reference):
    mali_year(world)
    user = world["ML"].user("supervisor")
    with pytest.raises(DomainError) as refused:
        figures(user, state="NE")
    assert refused.value.field == "state"
    with pytest.raises(DomainError):
        figures(user, state="all")
    # Niger's seizure is in none of Mali's figures.
    assert "NE-B-1" not in str(figures(user))


def test_shared_records_are_counted_apart_and_only_when_asked(world, reference):
    mali_year(world)
    record(world["NE"].user("officer"), status="stolen", sharing="all", raw_make="Beretta", raw_serial="NE-S-9",
           event_date="2024-04-04")
    user = world["ML"].user("viewer")
    assert figures(user)["shared"] is None
    shared = figures(user, include_shared="1")
    assert shared["total"] == 5
    assert shared["shared"]["by_state"][0]["key"] == "NE"
    assert shared["shared"]["by_state"][0]["by_status"] == {"stolen": 1}


def test_the_platform_administrator_sees_every_state_side_by_side(world, reference):
    mali_year(world)
    report = figures(world["ML"].user("platform_admin"), state="all")
    by_state = {row["key"]: row["total"] for row in report["states"]}
    assert by_state["ML"] == 5 and by_state["NE"] == 1
    assert figures(world["ML"].user("platform_admin"), state="NE")["total"] == 1


@pytest.mark.parametrize("values, field", [
    ({"date_from": "2024-12-31", "date_to": "2024-01-01"}, "date_to"),
    ({"date_from": "31/12/2024"}, "date_from"),
    ({"status": "misplaced"}, "status"),
    ({"agency": "NE-CNCCAI"}, "agency"),
    ({"make": "Zorglub"}, "make"),
    ({"state": "ZZ"}, "state"),
])
def test_bad_filters_are_refused_with_the_field_named(world, values, field):
    with pytest.raises(DomainError) as refused:
        figures(world["ML"].user("viewer"), **values)
    assert refused.value.field == field


def test_a_year_without_record_and_a_region_matching_nothing_give_an_empty_report_that_says_so(world, reference):
    mali_year(world)
    user = world["ML"].user("viewer")
    empty = figures(user, date_from="2019-01-01", date_to="2019-12-31")
    assert empty["total"] == 0 and "Aucune fiche" in empty["notice"]  # French first
    nowhere = figures(user, region="Atlantis")
    assert nowhere["total"] == 0 and "Atlantis" in nowhere["notice"]


def test_coverage_counts_checked_hit_traced_and_lists_the_untraced(world, reference):
    weapons = mali_year(world)
    coverage = figures(world["ML"].user("viewer"))["coverage"]
    assert coverage["totals"]["records"] == 5 and coverage["totals"]["searched"] == 5
    assert coverage["totals"]["traced"] == 0
    assert coverage["untraced_count"] == 5
    assert {item["reference"] for item in coverage["untraced"]} == {w.reference for w in weapons[:5]}


def test_tracing_figures_and_the_sdg_numerator_follow_the_answers_of_the_partner_states(world, reference):
    from registry.tracing import service as tracing
    from tests.tracing.helpers import sent_trace

    weapons = mali_year(world)
    sender = world["ML"].user("tracing_officer")
    answered = sent_trace(sender, weapons[0], country="NE")
    sent_trace(sender, weapons[1], country="BF")
    tracing.answer(world["NE"].user("tracing_officer"), answered, outcome="traced",
                   importer="Etat X", importer_country_code="RU")
    incoming = sent_trace(world["NE"].user("tracing_officer"),
                          record(world["NE"].user("officer"), raw_serial="NE-77"), country="ML")
    assert incoming.requested_country_code == "ML"

    report = statistics(world["ML"].user("viewer"), Filters.parse({}))
    sent, received = report["tracing"]["sent"], report["tracing"]["received"]
    assert (sent["count"], sent["answered"], sent["origin_established"], sent["within_deadline"]) == (2, 1, 1, 1)
    assert sent["median_days_to_answer"] is not None
    assert (received["count"], received["answered"]) == (1, 0)
    partners = {row["key"]: row for row in report["tracing"]["by_partner"]}
    assert partners["NE"]["sent"]["origin_established"] == 1 and partners["NE"]["received"]["count"] == 1
    assert partners["BF"]["sent"]["answered"] == 0
    assert report["sdg_16_4_2"]["numerator"] == 1
    coverage = report["coverage"]
    assert (coverage["totals"]["traced"], coverage["totals"]["answered"]) == (2, 1)
    assert coverage["untraced_count"] == 4  # the 2023 record counts too: no period here


def test_a_record_without_event_date_counts_on_the_day_it_was_recorded(world, reference):
    from registry.extensions import utcnow

    record(world["ML"].user("officer"), raw_make="Beretta", raw_serial="NO-DATE-1")
    today = utcnow().date()
    report = statistics(world["ML"].user("viewer"), Filters.parse({"year": str(today.year)}))
    assert report["total"] == 1
    assert {row["key"]: row["count"] for row in report["by_month"]}[today.strftime("%Y-%m")] == 1
