"""Who a last-minute campaign invites, in which order.

Candidates are the entries registered at the campaign's centre that may be
ranked, are available on the campaign's day in a day part overlapping its
window, hold no open invitation anywhere and were not invited by this
campaign before. With a minimum age only entries whose oldest member has
reached it on that day are candidates (an unknown birth day never is).

Order: companions first, then oldest first (unknown birth day last), then
earliest registration, then entry id. A group is one unit, ranked by its
oldest member, and takes one slot per member; a unit that does not fit the
free slots is passed over for this wave without losing its place.

`choose` is the rule itself, without a database. `candidates` is the query
that feeds it: it walks ix_entry_centre_rank in index order and stops after
`limit` rows, so a wave costs about the same at a centre of 100 or 100,000
entries (README, Benchmarks).

Limitation: when a centre has fewer candidates than asked for, the walk reads
all of its rankable rows (about 2 ms at 80,000 on PostgreSQL). A minimum age
does not shorten it: priority sits between centre_id and rank_birth_day in
the index, so the cutoff is checked per index entry rather than ending the
scan. Splitting companions and others into two index ranges would bound it;
at this cost it was not worth the longer query.

Limitation: nothing here locks. Two waves computed at the same time (the
same campaign twice, or two centres sharing an entry) can choose the same
entry; the unique indexes on invitation (one open invitation per entry, one
invitation per campaign and entry) stop the second insert, and the caller
must expect that and rank again, or take a lock per campaign first.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from app.models import EntryCentre, Invitation, InvitationState
from app.services.availability import day_number, parts_mask

# Availability reaches at most this many days past avail_from_day (15 days in
# 45 bits; 20 leaves room and keeps every shift of a BIGINT under 64).
MAX_DAY_OFFSET = 20


@dataclass(frozen=True)
class Candidate:
    entry_id: int
    priority: int  # 0 companion, 1 everyone else
    rank_birth_day: int | None  # oldest member, days since 1970; None unknown
    registered_at: datetime
    size: int  # members, one slot each


def rank_key(candidate):
    """Sort key: companions, oldest, unknown birth last, earliest, lowest id."""
    return (
        candidate.priority,
        candidate.rank_birth_day is None,
        candidate.rank_birth_day or 0,
        candidate.registered_at,
        candidate.entry_id,
    )


def choose(candidates, free_slots):
    """The units to invite for `free_slots` slots, in rank order.

    Walks the candidates in rank order and takes each unit that still fits;
    a unit too large for what is left is skipped, and a smaller one after it
    may take the remaining slots. Stops when no slot is left.
    """
    chosen = []
    left = free_slots
    for candidate in sorted(candidates, key=rank_key):
        if left <= 0:
            break
        if 0 < candidate.size <= left:
            chosen.append(candidate)
            left -= candidate.size
    return chosen


def birth_cutoff(day, min_age):
    """The latest birth date of someone at least `min_age` years old on `day`.

    Someone born on 29 February turns a year older on 1 March in other years,
    so on 28 February of a common year they are not yet counted.
    """
    try:
        return day.replace(year=day.year - min_age)
    except ValueError:  # 29 February, and the year min_age back is common
        return date(day.year - min_age, 2, 28)


@functools.cache
def _statement(with_campaign, with_min_age):
    """The candidate query of one shape, built once. Values are bound at run
    time: centre_id, day and cutoff (day numbers), mask, campaign_id, limit."""
    ec = EntryCentre.__table__.c
    inv = Invitation.__table__.c
    day = sa.bindparam("day", type_=sa.Integer)
    offset = day - ec.avail_from_day
    # Never shift by a negative amount or past the stored days: PostgreSQL
    # leaves such shifts undefined, SQLite shifts the other way.
    in_reach = sa.and_(ec.avail_from_day <= day, offset <= MAX_DAY_OFFSET)
    parts = ec.avail_bits.op(">>")((offset * 3).self_group()).op("&")(
        sa.bindparam("mask", type_=sa.BigInteger)
    )
    available = sa.case((in_reach, parts), else_=0) != 0

    # Literal states, so PostgreSQL matches the partial unique index on open
    # invitations even when the statement is prepared once and reused.
    open_states = [sa.literal_column(f"'{state}'") for state in InvitationState.OPEN]
    holds_open = sa.exists().where(
        inv.entry_id == ec.entry_id, inv.state.in_(open_states)
    )

    conditions = [
        ec.centre_id == sa.bindparam("centre_id", type_=sa.Integer),
        ec.rankable,
        available,
        ~holds_open,
    ]
    if with_campaign:
        # NOT IN, not NOT EXISTS: PostgreSQL hashes this campaign's invitations
        # once instead of scanning them for every row walked. Erased entries
        # leave NULL entry ids, which would make NOT IN exclude everyone.
        invited_here = sa.select(inv.entry_id).where(
            inv.campaign_id == sa.bindparam("campaign_id", type_=sa.Integer),
            inv.entry_id.is_not(None),
        )
        conditions.append(ec.entry_id.not_in(invited_here))
    if with_min_age:
        # NULL (unknown) fails the comparison: not a candidate.
        conditions.append(ec.rank_birth_day <= sa.bindparam("cutoff", type_=sa.Integer))

    return (
        sa.select(
            ec.entry_id, ec.priority, ec.rank_birth_day, ec.registered_at, ec.size
        )
        .where(*conditions)
        # Exactly the order of ix_entry_centre_rank on PostgreSQL (ascending
        # is NULLS LAST there); SQLite needs NULLS LAST spelt out.
        .order_by(
            ec.priority,
            ec.rank_birth_day.asc().nulls_last(),
            ec.registered_at,
            ec.entry_id,
        )
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


def _bound(*, centre_id, day, start_time, end_time, min_age, campaign_id, limit):
    """(statement, parameters), or None when the window overlaps no day part
    (nobody can be available then)."""
    mask = parts_mask(start_time, end_time)
    if not mask:
        return None
    parameters = {
        "centre_id": centre_id,
        "day": day_number(day),
        "mask": mask,
        "limit": limit,
    }
    if campaign_id is not None:
        parameters["campaign_id"] = campaign_id
    if min_age is not None:
        parameters["cutoff"] = day_number(birth_cutoff(day, min_age))
    statement = _statement(campaign_id is not None, min_age is not None)
    return statement, parameters


def candidates_statement(
    *, centre_id, day, start_time, end_time, min_age=None, campaign_id=None, limit
):
    """The SELECT behind `candidates` with its values bound (to show or
    EXPLAIN it), or None when the window overlaps no day part."""
    bound = _bound(
        centre_id=centre_id,
        day=day,
        start_time=start_time,
        end_time=end_time,
        min_age=min_age,
        campaign_id=campaign_id,
        limit=limit,
    )
    if bound is None:
        return None
    statement, parameters = bound
    return statement.params(parameters)


def candidates(
    session,
    *,
    centre_id,
    day,
    start_time,
    end_time,
    min_age=None,
    campaign_id=None,
    limit,
):
    """The first `limit` candidates in rank order (see the module docstring)."""
    bound = _bound(
        centre_id=centre_id,
        day=day,
        start_time=start_time,
        end_time=end_time,
        min_age=min_age,
        campaign_id=campaign_id,
        limit=limit,
    )
    if bound is None:
        return []
    statement, parameters = bound
    return [Candidate(*row) for row in session.execute(statement, parameters)]


def rank_for_campaign(session, campaign, free_slots):
    """The units to invite next for `free_slots` slots of `campaign`.

    The first fetch has room for 20 units passed over (groups that do not
    fit) besides the ones chosen, which is plenty with about 5% groups; when
    the slots are still not filled and the fetch was full, a four times
    larger one follows. Taking units greedily from a prefix of the ranking
    chooses the same as from the whole of it, so nothing is lost.
    """
    if free_slots <= 0:
        return []
    limit = free_slots + 20
    while True:
        found = candidates(
            session,
            centre_id=campaign.centre_id,
            day=campaign.day,
            start_time=campaign.start_time,
            end_time=campaign.end_time,
            min_age=campaign.min_age,
            campaign_id=campaign.id,
            limit=limit,
        )
        chosen = choose(found, free_slots)
        if len(found) < limit or sum(c.size for c in chosen) >= free_slots:
            return chosen
        limit *= 4
