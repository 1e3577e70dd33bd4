"""Where citizens get help: the public information lines shown on the info page."""

from flask_babel import lazy_gettext as _l

# Limitation: these are the general public information lines of each region and
# of the federal government; the contracting authority must confirm the
# vaccination contact-centre numbers before the service goes live.
HELP_LINES = (
    {
        "region": _l("Flanders"),
        "phone": "1700",
        "tel": "1700",
        "site": "https://www.laatjevaccineren.be",
        "site_name": "laatjevaccineren.be",
    },
    {
        "region": _l("Brussels"),
        "phone": "02 214 19 19",
        "tel": "+3222141919",
        "site": "https://coronavirus.brussels",
        "site_name": "coronavirus.brussels",
    },
    {
        "region": _l("Wallonia"),
        "phone": "1718",
        "tel": "1718",
        "site": "https://www.jemevaccine.be",
        "site_name": "jemevaccine.be",
    },
    {
        "region": _l("German-speaking Community"),
        "phone": "1719",
        "tel": "1719",
        "site": "https://www.ostbelgienlive.be",
        "site_name": "ostbelgienlive.be",
    },
    {
        "region": _l("Federal information line"),
        "phone": "0800 14 689",
        "tel": "+3280014689",
        "site": "https://www.info-coronavirus.be",
        "site_name": "info-coronavirus.be",
    },
)
