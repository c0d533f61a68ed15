"""Mali traces an AK-pattern rifle with Côte d'Ivoire, its country of last legal import,
from two browsers: request, acknowledgement, a photo of the markings asked and given,
the answer, its acceptance; the weapon record and both sides' figures show it."""

import io
import re

from PIL import Image
from sqlalchemy import select

from registry.extensions import db
from registry.notifications.models import Notification
from registry.tracing.models import TraceEvent, TraceRequest
from tests.tracing.conftest import ITI_CONTENT


def png_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (120, 90, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def trace_id_from(response) -> int:
    match = re.search(r"/tracing/(\d+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def test_mali_traces_a_rifle_with_ivory_coast_from_request_to_accepted_answer(app, world, ivory_coast,
                                                                              rifle, browser):
    mali = browser(world["ML"].user("tracing_officer"))
    ivorian = browser(ivory_coast.user("tracing_officer"))

    # Mali starts the trace from the weapon record and sends it.
    page = mali.client.get(f"/tracing/new?weapon={rifle.id}").get_data(as_text=True)
    assert rifle.reference in page and "CI ABJ 2009" in page
    response = mali.post("/tracing/new", {"weapon": rifle.id, "requested_country_code": "CI",
                                          "requested_agency_id": "", "urgency": "normal",
                                          "then": "send", **ITI_CONTENT},
                         token_from=f"/tracing/new?weapon={rifle.id}")
    assert response.status_code == 302, response.get_data(as_text=True)
    trace_id = trace_id_from(response)
    trace = db.session.get(TraceRequest, trace_id)
    assert re.fullmatch(r"TR-ML-\d{4}-0001", trace.reference)
    assert trace.status.value == "sent" and trace.requested_agency_id == ivory_coast.agency.id
    assert trace.weapons[0].description["raw_serial"] == "KA-1987-4421"
    reference, page_path = trace.reference, f"/tracing/{trace_id}"

    # Côte d'Ivoire finds it in its inbox, acknowledges it, asks for a photo of the markings.
    inbox = ivorian.client.get("/tracing/inbox").get_data(as_text=True)
    assert reference in inbox
    assert ivorian.post(f"{page_path}/acknowledge", {}, token_from=page_path).status_code == 302
    response = ivorian.post(f"{page_path}/request_information",
                            {"note": "Please send a photo of the markings."}, token_from=page_path)
    assert response.status_code == 302
    page = mali.client.get(page_path).get_data(as_text=True)
    assert "Please send a photo of the markings." in page
    assert "Informations demandées" in page  # the status, in the user's French

    # Mali sends the photo and sends the request again.
    photo = png_photo()
    response = mali.post(f"{page_path}/attachments",
                         {"file": (io.BytesIO(photo), "markings.png"), "description": "Left side"},
                         token_from=page_path, content_type="multipart/form-data")
    assert response.status_code == 302
    assert mali.post(f"{page_path}/resend", {"note": "Photo attached."}, token_from=page_path).status_code == 302

    # Côte d'Ivoire sees the photo and answers "traced" with the last legal importer.
    page = ivorian.client.get(page_path).get_data(as_text=True)
    assert "markings.png" in page
    link = re.search(rf'href="({page_path}/attachments/\d+)"', page).group(1)
    download = ivorian.client.get(link)
    assert download.status_code == 200 and download.data == photo
    assert download.mimetype == "image/png"
    response = ivorian.post(f"{page_path}/answer", {
        "outcome": "traced", "answer_text": "Imported under licence 2009/114, sold to a dealer.",
        "importer": "Société ivoirienne d'armement", "importer_country_code": "CI",
        "import_date": "2009-05-12", "last_legal_holder": "Armurerie du Plateau, Abidjan",
        "last_legal_holder_country_code": "CI"}, token_from=page_path)
    assert response.status_code == 302

    # Mali accepts the answer: the request closes, the weapon record takes the country.
    page = mali.client.get(page_path).get_data(as_text=True)
    assert "Société ivoirienne d&#39;armement" in page
    assert mali.post(f"{page_path}/accept", {}, token_from=page_path).status_code == 302
    db.session.expire_all()
    trace = db.session.get(TraceRequest, trace_id)
    assert trace.status.value == "closed" and trace.outcome.value == "traced"
    weapon = db.session.get(type(rifle), rifle.id)
    assert weapon.last_import_country_code == "CI"
    from registry.weapons.models import WeaponChange

    history = db.session.scalars(select(WeaponChange).where(WeaponChange.weapon_id == rifle.id)).all()
    assert any(change.field == "last_import_country_code" and change.new_value == "CI" for change in history)
    assert any(change.field == "trace_request" and reference in change.new_value for change in history)

    record_page = mali.client.get(f"/weapons/{rifle.id}?tab=history").get_data(as_text=True)
    assert reference in record_page and "Pays de la dernière importation légale" in record_page
    assert "Côte d&#39;Ivoire" in record_page or "Côte d'Ivoire" in record_page  # named, not "CI"

    # Every step is in the history, and both agencies were told.
    actions = [event.action for event in db.session.scalars(
        select(TraceEvent).where(TraceEvent.trace_request_id == trace_id).order_by(TraceEvent.id))]
    assert actions == ["create", "send", "acknowledge", "request_information", "attachment", "resend",
                       "answer", "accept"]
    for agency in (world["ML"].agency, ivory_coast.agency):
        kinds = set(db.session.scalars(select(Notification.kind).where(Notification.agency_id == agency.id)))
        assert {"trace.send", "trace.answer", "trace.accept"} <= kinds

    # Both sides' figures count it.
    for side, country, column, expected in ((mali, "ML", "sent", "1"), (ivorian, "CI", "received", "1"),
                                            (ivorian, "CI", "answered", "1"), (mali, "CI", "answered", "1")):
        page = side.client.get("/tracing/dashboard").get_data(as_text=True)
        row = re.search(rf'<tr data-country="{country}">(.*?)</tr>', page, re.S).group(1)
        assert re.search(rf'class="{column}">{expected}<', row), (country, column, row)

    # The printed request carries the reference and a checksum of its content.
    printed = mali.client.get(f"{page_path}/print").get_data(as_text=True)
    assert reference in printed and re.search(r'class="checksum">[0-9a-f]{64}<', printed)
