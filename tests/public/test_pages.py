"""The public pages in three languages, the language choice and the centre finder."""

import pytest
from bs4 import BeautifulSoup


def page(client, url, status=200, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("fr-BE,fr;q=0.9,en;q=0.5", "/fr/"),
        ("de-DE,de;q=0.9", "/de/"),
        ("nl-BE", "/nl/"),
        ("en-GB,en;q=0.9", "/nl/"),
        ("", "/nl/"),
    ],
)
def test_root_picks_the_browser_language(client, accept, expected):
    response = client.get("/", headers={"Accept-Language": accept})

    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("nl", "Laat u sneller vaccineren"),
        ("fr", "Faites-vous vacciner plus tôt"),
        ("de", "Lassen Sie sich früher impfen"),
    ],
)
def test_landing_page_speaks_the_language_of_its_url(client, lang, heading):
    soup = page(client, f"/{lang}/")

    assert soup.html["lang"] == lang
    assert heading in soup.h1.get_text()
    assert soup.title.get_text().strip()
    assert soup.find("a", class_="skip-link")["href"] == "#main"


def test_language_switch_links_to_the_same_page_in_the_other_languages(client):
    soup = page(client, "/fr/centres?postcode=9000")

    switch = soup.find("ul", class_="languages")
    links = {a["lang"]: a["href"] for a in switch.find_all("a")}
    assert links == {
        "nl": "/nl/centres?postcode=9000",
        "de": "/de/centres?postcode=9000",
    }
    assert switch.find("span", attrs={"aria-current": "true"})["lang"] == "fr"


@pytest.mark.parametrize("lang", ["nl", "fr", "de"])
def test_information_page_gives_help_lines(client, lang):
    soup = page(client, f"/{lang}/info")

    phones = {a.get_text() for a in soup.select("ul.contacts a[href^='tel:']")}
    assert {"1700", "02 214 19 19", "1718", "1719", "0800 14 689"} == phones


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("9000", ["Vaccinatiecentrum Gent (Flanders Expo, hal 2)"]),
        (
            "4000",
            [
                "Centre de vaccination de Liège-Ville",
                "Centre de vaccination de Bressoux (hall omnisports)",
            ],
        ),
        ("4700", ["Impfzentrum Eupen"]),
    ],
)
def test_finder_lists_the_centres_serving_a_postcode(client, postcode, expected):
    soup = page(client, f"/nl/centres?postcode={postcode}")

    names = [li.strong.get_text() for li in soup.select("ul.centre-list li")]
    assert names == expected


def test_finder_lists_all_ten_brussels_centres_for_1000(client):
    soup = page(client, "/fr/centres?postcode=1000")

    names = [li.strong.get_text() for li in soup.select("ul.centre-list li")]
    assert len(names) == 10
    assert "Centre de vaccination Uccle / Ukkel" in names
    assert soup.h2.get_text().startswith("10 ")


def test_finder_accepts_a_postcode_with_spaces_and_country_prefix(client):
    soup = page(client, "/nl/centres?postcode=+B-9000+")

    assert [li.strong.get_text() for li in soup.select("ul.centre-list li")] == [
        "Vaccinatiecentrum Gent (Flanders Expo, hal 2)"
    ]


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("nl", "We kennen geen Belgische postcode 9999."),
        ("fr", "Nous ne connaissons pas le code postal 9999"),
        ("de", "Die Postleitzahl 9999 ist uns in Belgien nicht bekannt."),
    ],
)
def test_finder_says_so_for_an_unknown_postcode(client, lang, message):
    soup = page(client, f"/{lang}/centres?postcode=9999")

    error = soup.find(id="postcode-error")
    assert message in error.get_text()
    assert soup.find(id="postcode")["aria-invalid"] == "true"
    assert not soup.select("ul.centre-list")


@pytest.mark.parametrize(
    "value",
    ["abc", "12345", "0999", "<script>", "9000'; DROP TABLE centre;--", "x" * 5000],
)
def test_finder_rejects_what_is_not_a_postcode(client, value):
    response = client.get("/nl/centres", query_string={"postcode": value})

    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "4 cijfers" in soup.find(id="postcode-error").get_text()


def test_finder_answers_htmx_with_the_results_fragment_only(client):
    response = client.get("/de/centres?postcode=4700", headers={"HX-Request": "true"})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in body
    assert "Impfzentrum Eupen" in body


def test_finder_works_as_a_plain_form_without_javascript(client):
    soup = page(client, "/nl/centres")

    form = soup.find("form", class_="finder")
    assert form["method"] == "get"
    assert form["action"] == "/nl/centres"
    assert form.find("input", attrs={"name": "postcode"})
    assert form.find("button", attrs={"type": "submit"})
    assert soup.find("label", attrs={"for": "postcode"})


def test_unknown_page_is_a_translated_404(client):
    soup = page(client, "/fr/nothing-here", status=404)

    assert soup.html["lang"] == "fr"
    assert "Cette page n’existe pas" in soup.h1.get_text()


def test_finder_results_lead_to_registration_and_open_moments(client):
    soup = page(client, "/fr/centres?postcode=4000")

    register = soup.find("a", string="Inscrivez-vous sur la liste de réserve")
    moments = soup.find(
        "a",
        string="Moments de vaccination ouverts dans ces centres les prochains jours",
    )
    assert register["href"] == "/fr/register?postcode=4000"
    assert moments["href"] == "/fr/moments?postcode=4000"
    # The registration form arrives with the postcode and its centres first.
    form = page(client, register["href"])
    assert form.find("input", attrs={"name": "postcode"})["value"] == "4000"
    near = [i["value"] for i in form.select("#centres > fieldset > ul input")]
    assert near == ["wal-liege-feronstree", "wal-bressoux"]


def test_finder_without_a_postcode_offers_no_registration_link(client):
    soup = page(client, "/nl/centres?postcode=9999")

    assert not soup.select("a[href^='/nl/register?postcode']")
