"""The reports pages: figures, the "<5" rule, CSV, and who may see what.

Staff pages follow the browser's language, Dutch by default: texts below
are Dutch.
"""

import csv
import io

import pytest

from tests.admin import dataset
from tests.admin.conftest import MONITOR, OPERATOR, STAFF, page

WEEK = {"from": "2021-04-05", "to": "2021-04-11"}


def figure(soup, key):
    return soup.select_one(f"#figure-{key} td").get_text(strip=True)


def test_operator_sees_exact_figures_for_all_centres(login, data):
    client = login(OPERATOR)

    response = client.get("/admin/reports", query_string=WEEK)

    assert response.status_code == 200
    soup = page(response)
    assert soup.h1.get_text(strip=True) == "Rapporten voor alle centra"
    assert figure(soup, "people_registered") == "12"
    assert figure(soup, "groups") == "1"
    assert figure(soup, "companions") == "1"
    assert figure(soup, "third_party_people") == "2"
    assert figure(soup, "doctor_registrations") == "1"
    assert figure(soup, "agent_registrations") == "1"
    assert figure(soup, "invitations_sent") == "7"
    assert figure(soup, "people_invited") == "10"
    assert figure(soup, "third_party_invitations") == "2"
    assert figure(soup, "booked") == "4"
    assert figure(soup, "doses_booked") == "7"
    assert figure(soup, "expired") == "2"
    assert figure(soup, "booking_rate") == "57,1%"
    assert figure(soup, "median_minutes_to_book") == "15,0 min"


def test_charts_are_svg_with_title_description_and_values(login, data):
    client = login(OPERATOR)

    soup = page(client.get("/admin/reports", query_string=WEEK))

    chart = soup.select_one("#table-registered_regions svg")
    assert chart["role"] == "img"
    assert chart.title.get_text() == "Geregistreerde personen, per regio"
    assert "Vlaanderen: 8; Brussel: 2; Wallonië: 2" in chart.desc.get_text()
    texts = [t.get_text() for t in chart.find_all("text")]
    assert texts == ["Vlaanderen", "8", "Brussel", "2", "Wallonië", "2"]
    assert len(chart.find_all("rect")) == 3
    assert soup.select_one("#table-by_day svg") is not None


def test_operator_can_choose_one_centre(login, data):
    client = login(OPERATOR)

    response = client.get(
        "/admin/reports", query_string={**WEEK, "centre": data.gent_id}
    )

    soup = page(response)
    assert "Flanders Expo" in soup.h1.get_text()
    assert figure(soup, "people_registered") == "8"
    assert figure(soup, "groups") == "1"  # exact for operators
    assert figure(soup, "doses_booked") == "6"


def test_centre_staff_see_their_centre_with_small_counts_hidden(login, data):
    client = login(STAFF, centre_code=dataset.GENT)

    response = client.get("/admin/reports", query_string=WEEK)

    assert response.status_code == 200
    soup = page(response)
    assert "Flanders Expo" in soup.h1.get_text()
    assert figure(soup, "people_registered") == "8"
    assert figure(soup, "groups") == "<5"
    assert figure(soup, "doctor_registrations") == "<5"
    assert figure(soup, "people_invited") == "7"
    assert figure(soup, "booked") == "<5"
    # Three bookings: too few for a median or a rate that tells nothing.
    assert figure(soup, "median_minutes_to_book") == "<5"
    assert figure(soup, "booking_rate") == "<5"
    assert soup.find("select", id="centre") is None
    # A hidden count draws no bar: its length would give it away.
    chart = soup.select_one("#table-by_kind svg")
    texts = [t.get_text() for t in chart.find_all("text")]
    assert texts == ["Groep", "<5", "Patiënt van een arts", "<5", "Zelf", "<5"]
    assert chart.find_all("rect") == []


def test_centre_staff_cannot_see_another_centre(login, data):
    client = login(STAFF, centre_code=dataset.GENT)

    response = client.get(
        "/admin/reports", query_string={**WEEK, "centre": data.liege_id}
    )
    download = client.get(
        "/admin/reports.csv", query_string={**WEEK, "centre": data.liege_id}
    )

    assert response.status_code == 403
    assert download.status_code == 403


@pytest.mark.parametrize(
    "path", ["/admin/reports", "/admin/reports.csv", "/admin/audit"]
)
def test_monitor_sees_no_reports_and_no_audit_trail(login, data, path):
    client = login(MONITOR)

    assert client.get(path, query_string=WEEK).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/reports")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


def rows_of(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_hides_small_counts_even_for_operators(login, data):
    client = login(OPERATOR)

    response = client.get("/admin/reports.csv", query_string=WEEK)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == ["section", "item", "value"]
    values = {(section, item): value for section, item, value in rows[1:]}
    assert values["period", "from"] == "2021-04-05"
    assert values["period", "centre"] == "all"
    assert values["summary", "people_registered"] == "12"
    assert values["summary", "people_invited"] == "10"
    assert values["summary", "groups"] == "<5"
    assert values["summary", "booked"] == "<5"
    assert values["summary", "doses_booked"] == "7"
    assert values["registered_regions", "Flanders"] == "8"
    assert values["registered_regions", "Wallonia"] == "<5"
    assert values["registered_postcodes", "9000"] == "8"
    assert values["invited_postcodes", "unknown"] == "<5"
    assert values["by_day", "2021-04-10"] == "0"


def test_a_period_the_wrong_way_round_is_refused(login):
    client = login(OPERATOR)

    response = client.get(
        "/admin/reports", query_string={"from": "2021-04-11", "to": "2021-04-05"}
    )

    assert response.status_code == 422
    soup = page(response)
    assert (
        "De begindatum moet op of voor de einddatum vallen."
        in soup.select_one(".error-summary").get_text()
    )


def test_a_date_that_is_not_a_date_is_refused(login):
    client = login(OPERATOR)

    response = client.get("/admin/reports.csv", query_string={"from": "yesterday"})

    assert response.status_code == 422
    assert "Geef een datum als jaar-maand-dag" in response.get_data(as_text=True)


def test_without_dates_the_last_seven_days_are_shown(login):
    client = login(OPERATOR)

    response = client.get("/admin/reports")

    assert response.status_code == 200
    soup = page(response)
    assert soup.find("input", id="from")["value"]
    assert figure(soup, "people_registered") == "0"
