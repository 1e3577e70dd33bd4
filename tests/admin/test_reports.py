"""The reports pages: figures, the "<5" rule, CSV, and who may see what.

Staff pages follow the browser's language, Dutch by default: texts below
are Dutch.
"""

import csv
import io
from datetime import date

import pytest
from flask_babel import force_locale

from app.admin import presentation
from app.services import reports
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
    # Three bookings: too few for a median, and a rate would tell the count.
    assert figure(soup, "median_minutes_to_book") == "–"
    assert figure(soup, "booking_rate") == "–"
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
    # 4 booked of 7 sent: the 57.1% the operator sees on screen gives the 4 away.
    assert values["summary", "booking_rate"] == "–"
    assert values["summary", "median_minutes_to_book"] == "–"
    assert values["registered_regions", "Flanders"] == "8"
    assert values["registered_regions", "Wallonia"] == "<5"
    assert values["registered_postcodes", "9000"] == "8"
    assert values["invited_postcodes", "unknown"] == "<5"
    assert values["by_day", "2021-04-10"] == "0"


@pytest.mark.parametrize(
    ("lang", "province"),
    [("nl", "Oost-Vlaanderen"), ("fr", "Flandre orientale"), ("de", "Ostflandern")],
)
def test_provinces_are_named_in_the_readers_language(login, data, lang, province):
    client = login(OPERATOR)
    client.get(f"/staff/language/{lang}")

    text = page(client.get("/admin/reports", query_string=WEEK)).get_text()

    assert province in text


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


def summary_of(report, exact):
    with force_locale("nl"):
        return {
            key: text for key, _label, text in presentation.summary_rows(report, exact)
        }


def csv_summary_of(report):
    with force_locale("nl"):
        rows = list(csv.reader(io.StringIO(presentation.csv_text(report, None))))
    return {item: value for section, item, value in rows[1:] if section == "summary"}


def hand_made(sent, booked, minutes=None):
    """A report of `sent` invitations of which `booked` were booked."""
    return reports.Report(
        period=reports.Period(date(2021, 4, 5), date(2021, 4, 11)),
        centre_id=None,
        invitations_sent=sent,
        people_invited=sent,
        booked=booked,
        doses_booked=booked,
        booking_rate=booked / sent if sent else None,
        median_minutes_to_book=minutes,
    )


@pytest.mark.parametrize(
    ("sent", "booked", "minutes", "rate", "median"),
    [
        # A rate of nothing booked is a rate, not a small count.
        (12, 0, None, "0,0%", "–"),
        (20, 5, 7.5, "25,0%", "7,5 min"),
        (8, 8, 12.0, "100,0%", "12,0 min"),
        # 3 of 12 is 25%: with the 12 told, the rate would tell the 3.
        (12, 3, 4.0, "–", "–"),
        # On fewer than 5 invitations neither is shown, nor said to be "<5".
        (3, 0, None, "–", "–"),
        (4, 4, 6.0, "–", "–"),
        (0, 0, None, "–", "–"),
    ],
)
def test_rates_and_medians_are_never_small_counts_nor_give_one_away(
    app_ctx, sent, booked, minutes, rate, median
):
    report = hand_made(sent, booked, minutes)

    for summary in (summary_of(report, exact=False), csv_summary_of(report)):
        assert summary["booking_rate"] == rate
        assert summary["median_minutes_to_book"] == median
        assert summary["invitations_sent"] == reports.shown(sent)
        assert summary["booked"] == reports.shown(booked)


def test_operators_see_the_rate_and_median_of_small_counts_on_screen(app_ctx):
    summary = summary_of(hand_made(12, 3, 4.0), exact=True)

    assert summary["booking_rate"] == "25,0%"
    assert summary["median_minutes_to_book"] == "4,0 min"
    assert summary["booked"] == "3"
