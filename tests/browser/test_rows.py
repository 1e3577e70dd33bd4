"""The rows of the group and third-party forms in Chromium without
JavaScript: adding or removing a person posts the whole form, and the page
comes back at the rows, not at its top, with what was typed kept."""

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
