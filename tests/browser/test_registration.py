"""A person registers through the real form in Chromium, with JavaScript
(htmx fills in the centres and ticks the evenings) and without it (the same
through plain form posts), until the worker's check with the vaccination code
database simulator accepts them."""

import re

from tests.browser.helpers import ACCEPTED, new_person


def fill_person(page, person):
    page.fill("#ssin", person.ssin)
    page.fill("#last_name", person.last_name)
    page.fill("#first_name", person.first_name)
    page.fill("#email", person.email)
    page.fill("#mobile", person.mobile)


def test_register_with_javascript(new_page):
    person = new_person("Louis")
    page = new_page("/nl/register")
    fill_person(page, person)

    # htmx: typing the postcode brings the centre serving it, ticked.
    page.fill("#postcode", "9000")
    gent = page.locator("#centres input[value='vl-gent-flanders-expo']").first
    gent.wait_for()
    assert gent.is_checked()
    # htmx: "All evenings" ticks every evening that can still be chosen.
    evenings = page.locator("input[name=availability][value$=':evening']")
    assert evenings.count() > 0
    page.get_by_role("button", name="Alle avonden").click()
    # A function, not an expression: the page's CSP forbids eval().
    page.wait_for_function(
        "() => [...document.querySelectorAll('input[value$=\":evening\"]')]"
        ".every(i => i.checked)"
    )
    assert page.locator("input[name=availability]:checked").count() == evenings.count()

    page.get_by_role("button", name="Zet mij op de reservelijst").click()

    page.wait_for_url(re.compile(r"/nl/register/status/"))
    # The status block refreshes itself (htmx) until the check is done.
    page.get_by_text(ACCEPTED["nl"]).wait_for(timeout=60_000)
    assert page.locator("html").get_attribute("lang") == "nl"


def test_register_without_javascript(new_page):
    person = new_person("Marie")
    page = new_page("/fr/register", js=False)
    fill_person(page, person)
    page.fill("#postcode", "4700")

    # Without htmx the form offers buttons that post it back, filled in.
    page.get_by_role("button", name="Afficher les centres pour ce code postal").click()
    eupen = page.locator("#centres input[value='dg-eupen']").first
    assert eupen.is_checked()
    assert page.input_value("#last_name") == person.last_name
    page.get_by_role("button", name="Tous les soirs").click()
    evenings = page.locator("input[name=availability][value$=':evening']")
    assert evenings.count() > 0
    assert page.locator("input[name=availability]:checked").count() == evenings.count()

    page.get_by_role("button", name="M’inscrire sur la liste de réserve").click()

    assert "/fr/register/status/" in page.url
    for _ in range(120):
        if page.get_by_text(ACCEPTED["fr"]).count():
            break
        page.get_by_role("link", name="Actualiser cette page").click()
        page.wait_for_timeout(500)
    assert page.get_by_text(ACCEPTED["fr"]).count() == 1
    assert page.locator("html").get_attribute("lang") == "fr"
