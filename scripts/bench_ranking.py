"""Benchmark of campaign ranking at national volume, on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python scripts/bench_ranking.py [--people N] [--keep] \\
        [--seed S] [--analyze-only]

Works only inside its own schema, lmb_bench: drops and creates it, runs the
migrations and loads the reference data into it, fills it with a reserve
list of N people (default 1,200,000), then times
app.services.ranking.rank_for_campaign for a wave of 50 at the busiest centre
for several windows, and shows the plan PostgreSQL uses. The schema is dropped
at the end unless --keep is given. Nothing outside lmb_bench is touched.

How the list is made (all random draws from --seed):

- Age and place: each entry's postcode and its first member's age band are
  drawn from Statbel's adults (app/data/population.csv, 18+) by municipality
  and age band, weighted by how likely each band is to join a low-threshold
  reserve list (BAND_WEIGHTS below: working-age adults sign up online most,
  the very old least, since the regular system invited them first and they
  are less often online). A municipality's people are split evenly over its
  postcodes.
- 2% of entries are companions (one day part, ranked first), 5% are groups of
  2-4 people (the others' age bands drawn from the national weighted figures;
  a group is ranked by its oldest), 0.3% have no reliable birth date (ranked
  last).
- Each entry chooses 1 centre (80%), 2 (15%) or 3 (5%) among those serving
  its postcode, and 4-15 day parts (mostly about 7) over the next 14 days:
  scattered parts, one part of the day on several days, or whole days.
  Evenings and weekends are chosen more often.
- registered_at spreads over the past 14 days, 30% on launch day.
- 95% of entries are active (rankable); the rest are pending, paused or
  withdrawn.
- 1,500 past campaigns with 20 closed invitations each and 300 of today with
  10 open invitations each, so the exclusions read a table of real size.

Person rows are not created: ranking reads entry_centre only. The loaded
tables are then vacuumed and analysed (--analyze-only: analysed only, so
index-only scans must also visit the table, as after many updates).

Each window is a campaign of today at the centre with the most entry_centre
rows, timed twice: for its first wave, and for a fifth wave, after 200 people
were invited by it earlier (invitations expired) and the next 100 hold an
open invitation of another campaign. The timings are of the whole call, from
Python, each run in its own transaction; "server ms" is PostgreSQL's
execution time of its first query (EXPLAIN ANALYZE).
"""

import argparse
import bisect
import csv
import io
import logging
import os
import random
import statistics
import sys
import time as clock
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

import config  # noqa: E402
from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Campaign, Invitation, InvitationState  # noqa: E402
from app.services import centres, ranking  # noqa: E402
from app.services.availability import BRUSSELS, day_number  # noqa: E402

logger = logging.getLogger("lmb.bench_ranking")

SCHEMA = "lmb_bench"
DATA_DIR = ROOT / "app" / "data"
WAVE = 50
RUNS = 50
WARM_UP = 5

# Relative chance that an adult of each band joins the reserve list.
BAND_WEIGHTS = {
    "18-24": 0.9,
    "25-34": 1.2,
    "35-44": 1.2,
    "45-54": 1.1,
    "55-64": 1.0,
    "65-74": 0.8,
    "75-84": 0.5,
    "85+": 0.25,
}
COMPANION_SHARE = 0.02
GROUP_SHARE = 0.05
GROUP_SIZES = ((2, 0.60), (3, 0.25), (4, 0.15))
UNKNOWN_BIRTH_SHARE = 0.003
CENTRES_CHOSEN = ((1, 0.80), (2, 0.15), (3, 0.05))
STATES = (("active", 0.95), ("pending", 0.02), ("paused", 0.02), ("withdrawn", 0.01))
PART_WEIGHTS = (1.0, 1.0, 1.5)  # morning, afternoon, evening
WEEKEND_WEIGHT = 1.3
HORIZON = 14

SCENARIOS = (
    ("morning 08-13", time(8), time(13), None),
    ("afternoon 13-17", time(13), time(17), None),
    ("evening 17-22", time(17), time(22), None),
    ("15-19 (two parts)", time(15), time(19), None),
    ("afternoon, 65+", time(13), time(17), 65),
    ("afternoon, 80+", time(13), time(17), 80),
)


def out(text=""):
    """The report goes to stdout; progress goes to the log (stderr)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_200_000)
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--analyze-only",
        action="store_true",
        help="ANALYZE without VACUUM: no page is marked all-visible, so index-only "
        "scans also read the table, as after many updates between autovacuums",
    )
    return parser.parse_args(argv)


def bench_url(url):
    parts = urlsplit(url)
    option = "options=" + quote(f"-csearch_path={SCHEMA}")
    query = f"{parts.query}&{option}" if parts.query else option
    return urlunsplit(parts._replace(query=query))


def weighted(pairs):
    values = [value for value, _ in pairs]
    cumulative = []
    total = 0.0
    for _, weight in pairs:
        total += weight
        cumulative.append(total)
    return values, cumulative


def pick(rng, values, cumulative):
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


# --- the population ---------------------------------------------------------


class Population:
    """Where and how old the people on the list are, drawn from Statbel."""

    def __init__(self, rng, served):
        self.rng = rng
        nis_postcodes = defaultdict(list)
        self.region = {}
        with (DATA_DIR / "postcodes.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["postcode"] in served:
                    nis_postcodes[row["nis_code"]].append(row["postcode"])
                    self.region[row["postcode"]] = row["region"]
        cells = []
        bands = Counter()
        self.band_ages = {}
        with (DATA_DIR / "population.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                band = row["age_band"]
                if band not in BAND_WEIGHTS or row["nis_code"] not in nis_postcodes:
                    continue
                self.band_ages[band] = (int(row["age_min"]), int(row["age_max"] or 0))
                weight = int(row["count"]) * BAND_WEIGHTS[band]
                bands[band] += weight
                postcodes = nis_postcodes[row["nis_code"]]
                for postcode in postcodes:
                    cells.append(((postcode, band), weight / len(postcodes)))
        self.cells = weighted(cells)
        self.bands = weighted(sorted(bands.items()))

    def place_and_band(self):
        return pick(self.rng, *self.cells)

    def other_band(self):
        return pick(self.rng, *self.bands)

    def birth_day(self, band, today_number):
        low, high = self.band_ages[band]
        if band == "85+":
            age = 85 + min(int(self.rng.expovariate(1 / 5)), 20)
        else:
            age = self.rng.randint(low, high)
        return today_number - int((age + self.rng.random()) * 365.2425)


PARTS = weighted(list(enumerate(PART_WEIGHTS)))


def some_day(rng, weekend):
    """A day of the next 14 (0 today); weekend days WEEKEND_WEIGHT times as
    likely as the others."""
    while True:
        day = rng.randrange(HORIZON)
        if day in weekend or rng.random() < 1 / WEEKEND_WEIGHT:
            return day


def availability(rng, today_number, weekend, parts_count):
    """(first day, bits, last day) of about `parts_count` day parts in 14 days;
    exactly one when `parts_count` is 1 (a companion)."""
    profile = rng.random()
    chosen = set()
    if parts_count == 1:
        chosen.add((some_day(rng, weekend), pick(rng, *PARTS)))
    elif profile < 0.5:  # scattered
        while len(chosen) < parts_count:
            chosen.add((some_day(rng, weekend), pick(rng, *PARTS)))
    elif profile < 0.8:  # one part of the day on several days
        part = pick(rng, *PARTS)
        for day in rng.sample(range(HORIZON), min(parts_count, HORIZON)):
            chosen.add((day, part))
    else:  # whole days
        for day in rng.sample(range(HORIZON), max(1, round(parts_count / 3))):
            chosen.update((day, part) for part in range(3))
    first = min(day for day, _ in chosen)
    bits = 0
    for day, part in chosen:
        bits |= 1 << ((day - first) * 3 + part)
    last = max(day for day, _ in chosen)
    return today_number + first, bits, today_number + last


# --- loading ------------------------------------------------------------------


ENTRY_COLUMNS = (
    "id, kind, state, language, postcode, rank_birth_day, size, is_companion, "
    "avail_from_day, avail_bits, available_until, recipient, unanswered_count, "
    "link_version, registered_at, updated_at"
)
ENTRY_CENTRE_COLUMNS = (
    "entry_id, centre_id, rankable, priority, rank_birth_day, registered_at, "
    "avail_from_day, avail_bits, size"
)


def null(value):
    return r"\N" if value is None else str(value)


class Generator:
    def __init__(self, rng, population, centres_by_postcode, now):
        self.rng = rng
        self.population = population
        self.centres_by_postcode = centres_by_postcode
        self.now = now
        self.today = now.astimezone(BRUSSELS).date()
        self.today_number = day_number(self.today)
        self.weekend = {
            n for n in range(HORIZON) if (self.today + timedelta(n)).weekday() >= 5
        }
        self.launch = now.timestamp() - HORIZON * 86400
        self.sizes = weighted(GROUP_SIZES)
        self.centres_chosen = weighted(CENTRES_CHOSEN)
        self.states = weighted(STATES)
        self.stats = Counter()
        self.by_centre = defaultdict(list)  # rankable entry ids per centre

    def entry(self, entry_id):
        """One entry's lines for the entry and entry_centre tables."""
        rng = self.rng
        postcode, band = self.population.place_and_band()
        birth = self.population.birth_day(band, self.today_number)
        draw = rng.random()
        if draw < COMPANION_SHARE:
            kind, size, priority = "companion", 1, 0
            first, bits, last = availability(rng, self.today_number, self.weekend, 1)
        else:
            size = pick(rng, *self.sizes) if draw < COMPANION_SHARE + GROUP_SHARE else 1
            kind = (
                "group"
                if size > 1
                else pick(rng, ("self", "third_party", "patient"), (0.88, 0.95, 1.0))
            )
            priority = 1
            for _ in range(size - 1):
                other = self.population.birth_day(
                    self.population.other_band(), self.today_number
                )
                birth = min(birth, other)
            parts_count = min(15, max(4, int(rng.triangular(4, 16, 7))))
            first, bits, last = availability(
                rng, self.today_number, self.weekend, parts_count
            )
        if rng.random() < UNKNOWN_BIRTH_SHARE:
            birth = None
        state = pick(rng, *self.states)
        rankable = state == "active"
        if rng.random() < 0.3:
            offset = rng.random() * 86400
        else:
            offset = 86400 + rng.random() * (HORIZON - 1) * 86400
        registered = datetime.fromtimestamp(self.launch + offset, UTC)
        registered_text = registered.isoformat(sep=" ")
        region = self.population.region[postcode]
        language = {"Flanders": "nl", "Wallonia": "fr", "German-speaking": "de"}.get(
            region, "fr" if rng.random() < 0.8 else "nl"
        )
        recipient = "doctor" if kind == "patient" and rng.random() < 0.5 else "person"
        available_until = date.fromordinal(date(1970, 1, 1).toordinal() + last)
        entry_line = "\t".join(
            (
                str(entry_id),
                kind,
                state,
                language,
                postcode,
                null(birth),
                str(size),
                "t" if priority == 0 else "f",
                str(first),
                str(bits),
                available_until.isoformat(),
                recipient,
                "0",
                "1",
                registered_text,
                registered_text,
            )
        )
        serving = self.centres_by_postcode[postcode]
        count = min(len(serving), pick(rng, *self.centres_chosen))
        chosen = rng.sample(serving, count) if count > 1 else [rng.choice(serving)]
        centre_lines = []
        for centre_id in chosen:
            centre_lines.append(
                "\t".join(
                    (
                        str(entry_id),
                        str(centre_id),
                        "t" if rankable else "f",
                        str(priority),
                        null(birth),
                        registered_text,
                        str(first),
                        str(bits),
                        str(size),
                    )
                )
            )
            if rankable:
                self.by_centre[centre_id].append(entry_id)
        self.stats["entries"] += 1
        self.stats["people"] += size
        self.stats["entry_centre"] += len(chosen)
        self.stats[kind] += 1
        self.stats["unknown birth"] += birth is None
        self.stats["rankable"] += rankable
        return entry_line, centre_lines


def copy_lines(cursor, table, columns, lines):
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for n, line in enumerate(lines, 1):
            buffer.write(line)
            buffer.write("\n")
            if n % 20_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def secondary_indexes(cursor, tables):
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = %s AND tablename = ANY(%s) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint "
        "WHERE connamespace = %s::regnamespace)",
        (SCHEMA, list(tables), SCHEMA),
    )
    return cursor.fetchall()


def load(connection, generator, people):
    """Fill entry and entry_centre with COPY, building indexes afterwards."""
    cursor = connection.cursor()
    indexes = secondary_indexes(cursor, ("entry", "entry_centre"))
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{SCHEMA}"."{name}"')
    entry_id = 0
    while generator.stats["people"] < people:
        entries, links = [], []
        for _ in range(50_000):
            if generator.stats["people"] >= people:
                break
            entry_id += 1
            entry_line, centre_lines = generator.entry(entry_id)
            entries.append(entry_line)
            links.extend(centre_lines)
        copy_lines(cursor, "entry", ENTRY_COLUMNS, entries)
        copy_lines(cursor, "entry_centre", ENTRY_CENTRE_COLUMNS, links)
    cursor.execute(f"SELECT setval('entry_id_seq', {entry_id})")
    for name, definition in indexes:
        logger.info("building index %s", name)
        cursor.execute(definition)
    connection.commit()


def campaign_row(campaign_id, centre_id, day, start, end, state, created):
    starts_at = datetime.combine(day, start, tzinfo=BRUSSELS).astimezone(UTC)
    ends_at = datetime.combine(day, end, tzinfo=BRUSSELS).astimezone(UTC)
    return "\t".join(
        (
            str(campaign_id),
            str(centre_id),
            day.isoformat(),
            start.isoformat(),
            end.isoformat(),
            starts_at.isoformat(sep=" "),
            ends_at.isoformat(sep=" "),
            "20",
            r"\N",
            "30",
            "1",
            state,
            created.isoformat(sep=" "),
        )
    )


CAMPAIGN_COLUMNS = (
    "id, centre_id, day, start_time, end_time, starts_at, ends_at, slots, "
    "min_age, margin_minutes, per_slot, state, created_at"
)
INVITATION_COLUMNS = "campaign_id, entry_id, size, state, created_at"
LOADED_TABLES = ("entry", "entry_centre", "campaign", "invitation")


def load_invitations(connection, generator):
    """Past campaigns with closed invitations, and today's with open ones."""
    rng = generator.rng
    centre_ids = sorted(generator.by_centre)
    weights = [len(generator.by_centre[c]) for c in centre_ids]
    campaigns, invitations = [], []
    holding_open = set()
    closed = ("expired", "booked", "declined", "cancelled", "undeliverable")
    closed_weights = (0.45, 0.35, 0.12, 0.05, 0.03)
    for campaign_id in range(1, 1801):
        centre_id = rng.choices(centre_ids, weights)[0]
        is_open = campaign_id > 1500
        day = generator.today - timedelta(0 if is_open else rng.randint(1, HORIZON))
        created = datetime.combine(day, time(9), tzinfo=UTC)
        campaigns.append(
            campaign_row(
                campaign_id,
                centre_id,
                day,
                time(15),
                time(19),
                "open" if is_open else "closed",
                created,
            )
        )
        pool = generator.by_centre[centre_id]
        invited = set()
        while len(invited) < min(len(pool), 10 if is_open else 20):
            entry_id = rng.choice(pool)
            if entry_id in invited or (is_open and entry_id in holding_open):
                continue
            invited.add(entry_id)
            if is_open:
                holding_open.add(entry_id)
                state = rng.choice(("queued", "sent"))
            else:
                state = rng.choices(closed, closed_weights)[0]
            invitations.append(
                f"{campaign_id}\t{entry_id}\t1\t{state}\t{created.isoformat(sep=' ')}"
            )
    cursor = connection.cursor()
    copy_lines(cursor, "campaign", CAMPAIGN_COLUMNS, campaigns)
    copy_lines(cursor, "invitation", INVITATION_COLUMNS, invitations)
    cursor.execute("SELECT setval('campaign_id_seq', 1800)")
    cursor.execute(
        "SELECT setval('invitation_id_seq', (SELECT max(id) FROM invitation))"
    )
    connection.commit()
    return len(invitations), len(holding_open)


# --- measuring ----------------------------------------------------------------


def add_campaign(centre_id, day, start, end, min_age):
    starts_at = datetime.combine(day, start, tzinfo=BRUSSELS).astimezone(UTC)
    ends_at = datetime.combine(day, end, tzinfo=BRUSSELS).astimezone(UTC)
    campaign = Campaign(
        centre_id=centre_id,
        day=day,
        start_time=start,
        end_time=end,
        starts_at=starts_at,
        ends_at=ends_at,
        slots=WAVE,
        min_age=min_age,
    )
    db.session.add(campaign)
    db.session.commit()
    # Loaded once and detached, as a caller holds it: ending each timed
    # transaction must not make the next run reload it.
    db.session.refresh(campaign)
    db.session.expunge(campaign)
    return campaign


def earlier_waves(campaign, other_campaign):
    """Four earlier waves: 200 people invited by this campaign and no longer
    open, and the next 100 holding an open invitation of another campaign."""
    chosen = ranking.rank_for_campaign(db.session, campaign, 300)
    people = 0
    for candidate in chosen:
        if people < 200:
            campaign_id = campaign.id
            state = InvitationState.EXPIRED
        else:
            campaign_id = other_campaign.id
            state = InvitationState.SENT
        db.session.add(
            Invitation(
                campaign_id=campaign_id,
                entry_id=candidate.entry_id,
                size=candidate.size,
                state=state,
            )
        )
        people += candidate.size
    db.session.commit()


def time_waves(campaign):
    """Median and 95th percentile in ms of rank_for_campaign, each run in a
    transaction of its own, and what the last run chose."""
    timings = []
    chosen = []
    for run in range(WARM_UP + RUNS):
        started = clock.perf_counter()
        chosen = ranking.rank_for_campaign(db.session, campaign, WAVE)
        elapsed = clock.perf_counter() - started
        db.session.rollback()
        if run >= WARM_UP:
            timings.append(elapsed * 1000)
    p95 = statistics.quantiles(timings, n=20, method="inclusive")[18]
    return statistics.median(timings), p95, chosen


def fetches(campaign):
    """How many queries one wave needs (outside the timed runs)."""
    limits = []
    original = ranking.candidates

    def counted(*args, **kwargs):
        limits.append(kwargs["limit"])
        return original(*args, **kwargs)

    ranking.candidates = counted
    try:
        ranking.rank_for_campaign(db.session, campaign, WAVE)
    finally:
        ranking.candidates = original
        db.session.rollback()
    return len(limits)


def first_statement(campaign):
    return ranking.candidates_statement(
        centre_id=campaign.centre_id,
        day=campaign.day,
        start_time=campaign.start_time,
        end_time=campaign.end_time,
        min_age=campaign.min_age,
        campaign_id=campaign.id,
        limit=WAVE + 20,
    )


def explain(campaign):
    statement = first_statement(campaign)
    sql = str(
        statement.compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
        )
    )
    rows = db.session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql))
    plan = [row[0] for row in rows]
    db.session.rollback()
    return plan


def generic_plan(campaign):
    """The plan PostgreSQL keeps once the statement is prepared (psycopg
    prepares a statement run five times), with parameters unknown."""
    statement = first_statement(campaign)
    dialect = type(db.engine.dialect)(paramstyle="numeric_dollar")
    compiled = statement.compile(dialect=dialect)
    values = ", ".join(str(int(compiled.params[name])) for name in compiled.positiontup)
    db.session.execute(sa.text("PREPARE bench_rank AS " + compiled.string))
    db.session.execute(sa.text("SET LOCAL plan_cache_mode = force_generic_plan"))
    rows = db.session.execute(
        sa.text(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_rank({values})")
    )
    plan = [row[0] for row in rows]
    db.session.execute(sa.text("DEALLOCATE bench_rank"))
    db.session.rollback()
    return plan


def summarise(plan):
    """The index scan node, what it read and threw away, and the time."""
    facts = []
    in_scan = False
    for line in plan:
        text = line.strip().removeprefix("-> ")
        if "ix_entry_centre_rank" in text:
            facts.append(text.split("  (")[0])
            in_scan = True
        elif in_scan and text.startswith(("Rows Removed", "Heap Fetches", "Buffers")):
            facts.append(text)
        elif text.startswith(("Execution Time", "SubPlan", "Nested Loop")):
            in_scan = False
            if text.startswith("Execution Time"):
                facts.append(text)
    return "; ".join(facts) if facts else "ix_entry_centre_rank NOT used"


def measure(generator):
    busiest, rows, rankable = db.session.execute(
        sa.text(
            "SELECT centre_id, count(*), count(*) FILTER (WHERE rankable) "
            "FROM entry_centre GROUP BY centre_id ORDER BY 2 DESC LIMIT 1"
        )
    ).one()
    code = db.session.scalar(
        sa.text("SELECT code FROM centre WHERE id = :id"), {"id": busiest}
    )
    out(f"Busiest centre: {code}, {rows:,} entry_centre rows ({rankable:,} rankable)")
    day = generator.today
    other = add_campaign(busiest, day, time(8), time(22), None)
    results = []
    plans = {}
    for label, start, end, min_age in SCENARIOS:
        campaign = add_campaign(busiest, day, start, end, min_age)
        for wave in ("first", "fifth"):
            if wave == "fifth":
                earlier_waves(campaign, other)
            logger.info("timing %s, %s wave", label, wave)
            median, p95, chosen = time_waves(campaign)
            plan = explain(campaign)
            plans[(label, wave)] = plan
            people = sum(c.size for c in chosen)
            queries = fetches(campaign)
            results.append(
                (label, wave, median, p95, len(chosen), people, queries, plan)
            )
    return results, plans, busiest


def report(results, plans, campaign_for_generic):
    out()
    out(
        f"rank_for_campaign, wave of {WAVE}, {RUNS} runs each (after {WARM_UP} warm-up)"
    )
    out(
        f"{'window':<20} {'wave':<6} {'median ms':>9} {'p95 ms':>7} "
        f"{'units':>5} {'people':>6} {'queries':>7} {'server ms':>9}"
    )
    for label, wave, median, p95, units, people, queries, plan in results:
        server = next(
            (
                line.split(":")[1].strip().split()[0]
                for line in plan
                if "Execution Time" in line
            ),
            "?",
        )
        out(
            f"{label:<20} {wave:<6} {median:>9.2f} {p95:>7.2f} "
            f"{units:>5} {people:>6} {queries:>7} {server:>9}"
        )
    out()
    out("Plan summaries (first fetch, EXPLAIN ANALYZE, BUFFERS):")
    for (label, wave), plan in plans.items():
        out(f"  {label}, {wave} wave: {summarise(plan)}")
    label, wave = "afternoon 13-17", "fifth"
    out()
    out(f"Full plan, {label}, {wave} wave:")
    for line in plans[(label, wave)]:
        out("  " + line)
    out()
    out("Generic plan (prepared statement, bound parameters), same query:")
    for line in campaign_for_generic:
        out("  " + line)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr
    )
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        sys.exit("DATABASE_URL must name a PostgreSQL database.")
    if "search_path" in given:
        sys.exit("DATABASE_URL must not set a search_path: the benchmark sets its own.")

    admin = sa.create_engine(config.normalise_database_url(given))
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{SCHEMA}"'))
    started = clock.monotonic()
    try:
        run(args, bench_url(given))
    finally:
        if args.keep:
            logger.info("schema %s kept", SCHEMA)
        else:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{SCHEMA}" CASCADE'))
            logger.info("schema %s dropped", SCHEMA)
        admin.dispose()
        logger.info("done in %.0f s", clock.monotonic() - started)


def run(args, url):
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {s.name for s in config.SETTINGS}
    }
    environ.update(DATABASE_URL=url, LMB_ENV="development", LOG_LEVEL="WARNING")
    app = create_app(environ=environ)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        centres.import_reference_data()
        db.session.commit()
        served = defaultdict(list)
        for centre_id, postcode in db.session.execute(
            sa.text("SELECT centre_id, postcode FROM centre_postcode ORDER BY 1, 2")
        ):
            served[postcode].append(centre_id)
        db.session.remove()

        rng = random.Random(args.seed)
        population = Population(rng, served)
        generator = Generator(rng, population, served, datetime.now(UTC))
        logger.info("loading %s people", f"{args.people:,}")
        loaded = clock.monotonic()
        raw = db.engine.raw_connection()
        try:
            load(raw.driver_connection, generator, args.people)
            invitations, open_ = load_invitations(raw.driver_connection, generator)
            raw.driver_connection.autocommit = True
            command = "ANALYZE" if args.analyze_only else "VACUUM (ANALYZE)"
            logger.info("%s", command)
            tables = ", ".join(f"{SCHEMA}.{t}" for t in LOADED_TABLES)
            raw.driver_connection.execute(f"{command} {tables}")
        finally:
            raw.close()
        load_seconds = clock.monotonic() - loaded
        stats = generator.stats
        size = db.session.scalar(
            sa.text("SELECT pg_size_pretty(pg_relation_size('ix_entry_centre_rank'))")
        )
        out(
            f"Loaded in {load_seconds:.0f} s: {stats['people']:,} people in "
            f"{stats['entries']:,} entries ({stats['group']:,} groups, "
            f"{stats['companion']:,} companions, {stats['unknown birth']:,} without "
            f"a reliable birth date, {stats['rankable']:,} rankable), "
            f"{stats['entry_centre']:,} entry_centre rows, {invitations:,} "
            f"invitations ({open_:,} open). ix_entry_centre_rank: {size}."
        )
        out("Person rows are not created: ranking reads entry_centre only.")
        out(f"Statistics: {command} after loading.")
        results, plans, busiest = measure(generator)
        generic = generic_plan(
            db.session.scalars(
                sa.select(Campaign)
                .where(Campaign.centre_id == busiest, Campaign.start_time == time(13))
                .order_by(Campaign.id)
            ).first()
        )
        report(results, plans, generic)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
