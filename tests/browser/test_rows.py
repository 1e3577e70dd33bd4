"""The rows of the group and third-party forms in Chromium. Without
JavaScript, adding or removing a person posts the whole form, and the page
comes back at the rows, not at its top, with what was typed kept; with it,
htmx swaps the rows and the focus goes to the new row or to the rows."""

import pytest


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
