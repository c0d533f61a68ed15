"""A whole trace cycle between Niger and Mali, each side in its own browser: sent,
acknowledged, information asked for and given, answered, accepted."""

import pytest
from playwright.sync_api import expect

from tests.browser.flows import new_serial, record_weapon, trace_move


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_niger_traces_a_seized_weapon_with_mali_from_sending_to_closing(open_browser, language):
    niger = open_browser(language)
    niger.log_in("tracing_officer", "NE")
    reference = record_weapon(niger, status="Seized", serial=new_serial("TR"),
                              **{"Country of last legal import": "Mali"})
    niger.page.get_by_role("link", name=niger.t("Start a trace")).click()
    page = niger.page
    expect(page.get_by_label(niger.t("Requested state"), exact=True)).to_contain_text("(ML)")
    page.get_by_label(niger.t("Requested state"), exact=True).select_option(value="ML")
    niger.fill("Why the weapon is considered illicit", "Held without a licence at a checkpoint.")
    niger.fill("Information sought", "Last legal holder and date of import.")
    niger.press("Save and send")
    # One part missing: the request is not sent, the part is named, nothing typed is lost.
    expect(page.locator("#error-summary")).to_contain_text(niger.t("Circumstances of recovery"))
    expect(page.get_by_label(niger.t("Information sought"), exact=True)).to_have_value(
        "Last legal holder and date of import.")
    niger.fill("Circumstances of recovery", "Seized at the Gaya checkpoint.")
    niger.press("Save and send")
    trace_reference = page.locator("h1").inner_text().split()[-1]
    expect(page.locator(".flash-success")).to_contain_text(trace_reference)  # it says which was sent
    expect(page.get_by_text(reference)).to_be_visible()

    mali = open_browser(language)
    mali.log_in("tracing_officer", "ML")
    mali.go("/tracing/inbox")
    mali.page.get_by_role("link", name=trace_reference).click()
    trace_move(mali, "Acknowledge receipt")
    trace_move(mali, "Ask for information", note="Send the photo of the importer marking.")
    # The question is in the conversation; the deadline waits for the information.
    expect(mali.page.locator("#thread")).to_contain_text("Send the photo of the importer marking.")
    expect(mali.page.locator(".waiting")).to_contain_text(
        mali.tn("The answer's deadline is paused: %(num)d day will be left when the information comes.",
                "The answer's deadline is paused: %(num)d days will be left when the information comes.",
                30))

    niger.page.reload()
    expect(niger.page.locator("#thread")).to_contain_text("Send the photo of the importer marking.")
    trace_move(niger, "Send again with the information", note="The marking reads ML-2019.")
    expect(niger.page.locator(".flash-success")).to_contain_text(
        niger.t("The information asked for was sent to %(state)s with %(reference)s; the "
                "answer's deadline runs again.")[:12])
    thread = niger.page.locator("#thread li")
    expect(thread.last).to_contain_text("The marking reads ML-2019.")
    expect(thread.nth(thread.count() - 2)).to_contain_text("Send the photo of the importer marking.")

    mali.page.reload()
    # A country that does not exist: the answer comes back with everything typed.
    trace_move(mali, "Answer", **{"Outcome": "Traced", "Answer": "Imported by the Mali police in 2019.",
                                  "Last legal holder": "Police nationale du Mali", "Its country": "Atlantis"})
    expect(mali.page.locator("#error-summary")).to_contain_text("Atlantis")
    expect(mali.page.get_by_label(mali.t("Answer"), exact=True)).to_have_value(
        "Imported by the Mali police in 2019.")
    mali.page.locator("#error-summary a").first.click()
    expect(mali.page.get_by_label(mali.t("Its country"), exact=True)).to_be_focused()
    trace_move(mali, "Answer", **{"Its country": "Mali"})
    expect(mali.page.locator("#answer")).to_contain_text("Police nationale du Mali")

    niger.page.reload()
    expect(niger.page.locator("#answer")).to_contain_text(niger.t("Traced"))
    trace_move(niger, "Accept the answer")
    expect(niger.page.locator(".trace-status")).to_have_text(niger.t("Closed"))
