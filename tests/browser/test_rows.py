"""The rows of the group and third-party forms in Chromium. Without
JavaScript, adding or removing a person posts the whole form, and the page
comes back at the rows, not at its top, with what was typed kept; with it,
htmx swaps the rows and the focus goes to the new row or to the rows."""

import pytest

from tests.browser.helpers import (
    new_person,
    personal_path,
    register_by_http,
    wait_until_accepted,
)


def in_view(page, selector):
    return page.evaluate(
        """selector => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top > -1 && box.top < window.innerHeight;  // sub-pixel
        }""",
        selector,
    )


@pytest.mark.parametrize(
    ("path", "typed", "add", "rows", "new_row"),
    [
        (
            "/nl/register/group",
            "#last_name",
            "Persoon toevoegen",
            "#members",
            "member-1",
        ),
        (
            "/nl/register/others",
            "#people-0-last_name",
            "Nog een persoon toevoegen",
            "#people",
            "person-1",
        ),
    ],
)
def test_adding_a_row_without_javascript_comes_back_at_the_new_row(
    new_page, path, typed, add, rows, new_row
):
    page = new_page(path, js=False, width=360, height=640)
    page.fill(typed, "Vermeulen")
    page.get_by_role("button", name=add).click()

    page.wait_for_url(f"**{path}#{new_row}")
    assert in_view(page, f"#{new_row}")
    assert page.evaluate("window.scrollY") > 0
    assert page.input_value(typed) == "Vermeulen"

    page.locator(f"#{new_row} button[name^=remove_]").click()
    page.wait_for_url(f"**{path}{rows}")
    assert page.locator(f"#{new_row}").count() == 0
    assert in_view(page, rows)


@pytest.mark.parametrize(
    ("path", "add", "rows", "new_field"),
    [
        ("/nl/register/group", "Persoon toevoegen", "members", "members-1-ssin"),
        ("/nl/register/others", "Nog een persoon toevoegen", "people", "people-1-ssin"),
    ],
)
def test_with_javascript_the_focus_follows_an_added_or_removed_row(
    new_page, path, add, rows, new_field
):
    page = new_page(path, width=360, height=640)
    page.get_by_role("button", name=add).click()

    # The new row's first field, not the page, has the focus.
    focused = "id => document.activeElement && document.activeElement.id === id"
    page.wait_for_function(focused, arg=new_field)
    assert page.url.endswith(path)  # htmx, not a post of the whole form

    page.locator(f"#{new_field}").locator("xpath=ancestor::fieldset[1]").locator(
        "button[name^=remove_]"
    ).click()
    page.wait_for_function(focused, arg=rows)
    assert page.locator(f"#{new_field}").count() == 0


@pytest.fixture(scope="module")
def change_path(live_server):
    """The change page of someone on the list."""
    person = new_person("Mathilde")
    status_path, _ = register_by_http(live_server.base, person)
    wait_until_accepted(live_server.base, status_path, "nl")
    return personal_path(live_server.base, person.email) + "/change"


@pytest.mark.parametrize("path", ["/nl/register", "/nl/register/group", "change"])
def test_a_calendar_button_without_javascript_comes_back_at_the_calendar(
    new_page, request, path
):
    if path == "change":
        path = request.getfixturevalue("change_path")
    page = new_page(path, js=False, width=360, height=640)
    week = page.locator("button[name=calendar_action][value^='week:']").first
    week_table = week.locator("xpath=ancestor::table[1]")
    # Not the whole week yet (the change page shows what the person chose).
    assert week_table.locator("input[name=availability]:checked").count() < (
        week_table.locator("input[name=availability]").count()
    )
    week.click()

    page.wait_for_url(f"**{path}#availability")
    assert in_view(page, "#availability")
    assert page.evaluate("window.scrollY") > 0
    # The whole week is ticked: the form was posted to this same page.
    week_table = page.locator("table.calendar-week").first
    boxes = week_table.locator("input[name=availability]")
    assert boxes.count() > 0
    assert week_table.locator("input[name=availability]:checked").count() == (
        boxes.count()
    )


@pytest.mark.parametrize(
    ("path", "postcode"),
    [
        ("/nl/register", "#postcode"),
        ("/nl/register/group", "#postcode"),
        ("/nl/register/others", "#people-0-postcode"),
    ],
)
def test_show_centres_without_javascript_comes_back_at_the_centres(
    new_page, path, postcode
):
    page = new_page(path, js=False, width=360, height=640)
    page.fill(postcode, "9000")
    page.click("button[name=show_centres]")

    page.wait_for_url(f"**{path}#centres")
    assert in_view(page, "#centres")
    assert page.evaluate("window.scrollY") > 0
    assert page.input_value(postcode) == "9000"
    assert "Flanders Expo" in page.inner_text("#centres .choices")
