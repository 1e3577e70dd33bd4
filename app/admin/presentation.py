"""A report as people read it: labelled rows, tables, charts and CSV.

`exact` is True only for operators on screen; everywhere else (centre staff,
every CSV) counts of 1 to 4 read "<5". A share or a median is no count: it
reads "–", not shown, when it rests on 1 to 4 invitations or bookings, or
would give such a count away (4 booked of 10 sent is 40%).
"""

import csv
import io

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from app.admin.charts import bar_chart
from app.services import reports
from app.services.centres import AREA_LABELS
from app.services.reports import KIND_LABELS, REGION_LABELS, STATE_LABELS, shown

# Longest period drawn day by day; longer periods get the table only.
MAX_CHART_DAYS = 62


def summary_rows(report, exact):
    """[(key, label, text)] of the headline figures, in reading order."""
    r = report
    count_rows = [
        ("people_registered", _("People registered"), r.people_registered),
        ("groups", _("Groups registered"), r.groups),
        ("people_in_groups", _("People in those groups"), r.people_in_groups),
        ("companions", _("Companions registered"), r.companions),
        ("third_party_people", _("Third parties registered"), r.third_party_people),
        (
            "doctor_registrations",
            _("People registered by doctors"),
            r.doctor_registrations,
        ),
        (
            "agent_registrations",
            _("People registered by contact-centre agents"),
            r.agent_registrations,
        ),
        ("invitations_sent", _("Invitations sent"), r.invitations_sent),
        ("people_invited", _("People invited"), r.people_invited),
        (
            "third_party_invitations",
            _("Invitations sent to third parties"),
            r.third_party_invitations,
        ),
        ("booked", _("Invitations booked"), r.booked),
        ("doses_booked", _("Places booked"), r.doses_booked),
        ("expired", _("Invitations expired unbooked"), r.expired),
    ]
    rows = [(key, label, shown(value, exact)) for key, label, value in count_rows]
    rows.append(("booking_rate", _("Share of invitations booked"), rate_text(r, exact)))
    rows.append(
        ("median_minutes_to_book", _("Median time to book"), median_text(r, exact))
    )
    return rows


def _hidden(count):
    """Whether `count` is a small count that reads "<5"."""
    return shown(count) == reports.SMALL_TEXT


def rate_text(report, exact):
    """Booked ÷ sent; with both counts told exactly, it tells nothing more."""
    if report.booking_rate is None:
        return "–"
    if not exact and (_hidden(report.invitations_sent) or _hidden(report.booked)):
        return "–"
    return format_percent(report.booking_rate, "#,##0.0%")


def median_text(report, exact):
    """One booking's time to book, or two's, would be told by their median."""
    if report.median_minutes_to_book is None:
        return "–"
    if not exact and report.booked < reports.SMALL_COUNT:
        return "–"
    minutes = format_decimal(report.median_minutes_to_book, "#,##0.0")
    return _("%(minutes)s min", minutes=minutes)


def _kind_rows(report):
    return [
        (kind, str(KIND_LABELS.get(kind, kind)), count)
        for kind, count in sorted(report.people_by_kind.items())
    ]


def _state_rows(report):
    return [
        (state, str(STATE_LABELS.get(state, state)), report.invitations_by_state[state])
        for state in STATE_LABELS
        if report.invitations_by_state.get(state)
    ]


def _by_count(rows):
    """Largest first; equal counts in the order of their labels."""
    return sorted(rows, key=lambda row: (-row[2], row[1]))


def _region_rows(counts):
    return _by_count(
        (region, str(REGION_LABELS.get(region, region)), count)
        for region, count in counts.items()
    )


def _province_rows(counts):
    """Provinces keyed by their Dutch name, named in the reader's language."""
    return _by_count(
        (key, str(AREA_LABELS.get(key) or REGION_LABELS.get(key, key)), count)
        for key, count in counts.items()
    )


def _postcode_rows(counts):
    return [(code, code, count) for code, count in sorted(counts.items())]


def _day_rows(report):
    return [
        (day.isoformat(), day.isoformat(), count)
        for day, count in report.people_by_day.items()
    ]


def tables(report, exact):
    """Named breakdowns: {name: (title, [(label, text)])}."""
    return {
        name: (title, [(label, shown(count, exact)) for _c, label, count in rows])
        for name, (title, rows) in _raw_tables(report).items()
    }


def _raw_tables(report):
    """{name: (title, [(code, label, count)])}."""
    registered = report.registered_spread
    invited = report.invited_spread
    return {
        "by_day": (_("People registered, per day"), _day_rows(report)),
        "by_kind": (_("People registered, by way of registering"), _kind_rows(report)),
        "by_state": (_("Invitations sent, by outcome"), _state_rows(report)),
        "registered_regions": (
            _("People registered, by region"),
            _region_rows(registered.by_region),
        ),
        "invited_regions": (
            _("People invited, by region"),
            _region_rows(invited.by_region),
        ),
        "registered_provinces": (
            _("People registered, by province"),
            _province_rows(registered.by_province),
        ),
        "invited_provinces": (
            _("People invited, by province"),
            _province_rows(invited.by_province),
        ),
        "registered_postcodes": (
            _("People registered, by postcode"),
            _postcode_rows(registered.by_postcode),
        ),
        "invited_postcodes": (
            _("People invited, by postcode"),
            _postcode_rows(invited.by_postcode),
        ),
    }


CHARTS = (
    "by_day",
    "by_kind",
    "by_state",
    "registered_regions",
    "invited_regions",
    "registered_provinces",
    "invited_provinces",
)


def charts(report, exact):
    """{name: svg} for the breakdowns drawn as charts."""
    drawn = {}
    for name, (title, rows) in _raw_tables(report).items():
        if name not in CHARTS:
            continue
        if name == "by_day" and report.period.days > MAX_CHART_DAYS:
            continue
        bars = []
        for _code, label, count in rows:
            text = shown(count, exact)
            # A hidden small count gets no bar: its length would tell it.
            bars.append((label, count if text == str(count) else 0, text))
        drawn[name] = bar_chart(
            f"chart-{name.replace('_', '-')}",
            title,
            _("Bar chart; the value is written next to each bar."),
            bars,
            _("No figures for this period."),
        )
    return drawn


def csv_text(report, centre_code):
    """The report as CSV, counts of 1 to 4 written "<5" whoever downloads it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "item", "value"])
    writer.writerow(["period", "from", report.period.first.isoformat()])
    writer.writerow(["period", "to", report.period.last.isoformat()])
    writer.writerow(["period", "centre", centre_code or "all"])
    for key, _label, text in summary_rows(report, exact=False):
        writer.writerow(["summary", key, text])
    for name, (_title, rows) in _raw_tables(report).items():
        for code, _label, count in rows:
            writer.writerow([name, _safe_cell(code), shown(count)])
    return out.getvalue()


def _safe_cell(value):
    """Keep spreadsheet programs from reading a cell as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
