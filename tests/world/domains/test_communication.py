"""Behaviour of the communication domain: contacts and mail, calendar, text messages."""

from __future__ import annotations

import pytest

from steptool_env.seeding import StableRng, derive_seed
from steptool_env.tools.catalogue import Catalogue
from steptool_env.world.checker import check_answer
from steptool_env.world.domain import all_domains
from steptool_env.world.domains import communication as comm
from steptool_env.world.helpers import ApiInputError, clock_minutes, day
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import StateFact
from tests.world.domains.support import build_world, call, solve


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "communication"))


def _contact(state: WorldState, i: int = 0) -> comm.Contact:
    return comm.cd(state).contact_rows[i][1]


def test_build_is_deterministic(world: World) -> None:
    again = build_world(("geography", "communication"))["communication"]
    data = world["communication"]
    assert again.contacts == data.contacts
    assert again.events == data.events
    assert again.sms_log == data.sms_log
    assert list(again.emails) == list(data.emails)


def test_contact_search_then_details(state: WorldState) -> None:
    c = _contact(state, 5)
    res = call(state, "email_service", "search_contacts", query=c.name)
    assert c.contact_id in [r["contact_id"] for r in res["results"]]
    assert "email" not in res["results"][0]  # details need get_contact
    detail = call(state, "email_service", "get_contact", contact_id=c.contact_id)
    assert detail["email"] == c.email and detail["phone"].startswith("+")
    assert detail["city_id"] in state.world["geography"].cities
    with pytest.raises(ApiInputError):
        call(state, "email_service", "get_contact", contact_id="CN0")


def test_inbox_is_newest_first_and_filters(state: WorldState) -> None:
    p1 = call(state, "email_service", "list_inbox")
    p2 = call(state, "email_service", "list_inbox", page=2)
    dates = [m["date"] for m in p1["results"] + p2["results"]]
    assert dates == sorted(dates, reverse=True)
    e = next(iter(comm.cd(state).emails.values()))
    sender = comm.cd(state).contacts[e.sender_id]
    mine = call(state, "email_service", "list_inbox", sender=sender.name)
    assert all(m["from_name"] == sender.name for m in mine["results"])
    unread = call(state, "email_service", "list_inbox", unread_only=True)
    assert all(m["unread"] for m in unread["results"])
    body = call(state, "email_service", "read_email", email_id=e.email_id)
    assert body["subject"] == e.subject and body["body"] == e.body
    with pytest.raises(ApiInputError):
        call(state, "email_service", "list_inbox", page=10_000)


def test_send_and_forward_are_recorded(state: WorldState) -> None:
    sent = call(
        state,
        "email_service",
        "send_email",
        to=" Ava.Adler@Example.COM ",
        subject="Hi",
        body="Hello",
    )
    assert sent["to"] == "ava.adler@example.com"
    e = next(iter(comm.cd(state).emails.values()))
    call(state, "email_service", "forward_email", email_id=e.email_id, to="b@example.org")
    assert state.find("sent_emails", to="b@example.org", forwarded_email_id=e.email_id)
    assert len(state.records["sent_emails"]) == 2
    with pytest.raises(ApiInputError):
        call(state, "email_service", "send_email", to="not an address", subject="x", body="y")
    with pytest.raises(ApiInputError):
        call(state, "email_service", "forward_email", email_id="M1", to="b@example.org")


def test_created_event_is_listed_and_blocks_free_slot(state: WorldState) -> None:
    date = day(200)  # beyond the seeded calendar: an empty day
    assert call(state, "calendar_api", "list_events", date=date)["total_results"] == 0
    free = call(state, "calendar_api", "find_free_slot", date=date, duration_minutes=60)
    assert (free["available"], free["start_time"]) == (True, "09:00")
    ev = call(
        state,
        "calendar_api",
        "create_event",
        title="Focus",
        date=date,
        start_time="9:00",
        duration_minutes=90,
        attendees=["A@x.org"],
    )
    assert (ev["start_time"], ev["end_time"], ev["attendees"]) == ("09:00", "10:30", ["a@x.org"])
    listed = call(state, "calendar_api", "list_events", date=date)
    assert [e["event_id"] for e in listed["results"]] == [ev["event_id"]]
    free = call(state, "calendar_api", "find_free_slot", date=date, duration_minutes=60)
    assert free["start_time"] == "10:30"
    assert call(state, "calendar_api", "get_event", event_id=ev["event_id"])["title"] == "Focus"
    with pytest.raises(ApiInputError):
        call(
            state,
            "calendar_api",
            "create_event",
            title="Late",
            date=day(-3),
            start_time="10:00",
            duration_minutes=30,
        )
    with pytest.raises(ApiInputError):
        call(
            state,
            "calendar_api",
            "create_event",
            title="Long",
            date=date,
            start_time="23:30",
            duration_minutes=60,
        )


def test_seeded_day_paginates_and_free_slot_avoids_events(state: WorldState) -> None:
    data = comm.cd(state)
    date, own = next((k, v) for k, v in data.events_by_date.items() if len(v) > comm.EVENT_PAGE)
    p1 = call(state, "calendar_api", "list_events", date=date)
    p2 = call(state, "calendar_api", "list_events", date=date, page=2)
    assert len(p1["results"]) == comm.EVENT_PAGE
    assert [e["event_id"] for e in p1["results"] + p2["results"]][: len(own)] == [
        e.event_id for e in own
    ]
    free = call(state, "calendar_api", "find_free_slot", date=date, duration_minutes=30)
    if free["available"]:
        s, e = clock_minutes(free["start_time"]), clock_minutes(free["end_time"])
        assert all(not (clock_minutes(x.start) < e and s < clock_minutes(x.end)) for x in own)


def test_sms_send_status_history_and_lookup(state: WorldState) -> None:
    c = _contact(state, 3)
    spaced = f"{c.phone[:3]} {c.phone[3:7]}-{c.phone[7:]}"
    sms = call(state, "sms_gateway", "send_sms", to=spaced, message="Hello there")
    assert sms["to"] == c.phone and sms["segments"] == 1
    assert state.find("sent_sms", to=c.phone)
    assert call(state, "sms_gateway", "sms_status", sms_id=sms["sms_id"])["status"] == "queued"
    hist = call(state, "sms_gateway", "sms_history", phone=c.phone)
    assert hist["results"][0]["sms_id"] == sms["sms_id"]
    info = call(state, "sms_gateway", "lookup_number", phone=c.phone)
    assert info["valid"] and info["country_code"] == c.country_code
    assert call(state, "sms_gateway", "lookup_number", phone="+999000111222")["valid"] is False
    with pytest.raises(ApiInputError):
        call(state, "sms_gateway", "send_sms", to="12345", message="x")
    with pytest.raises(ApiInputError):
        call(state, "sms_gateway", "send_sms", to=c.phone, message="x" * 700)


_TYPES = next(d for d in all_domains() if d.name == "communication").task_types


def test_task_type_mix() -> None:
    groups = [t.group for t in _TYPES.values()]
    assert groups.count("G1") >= 3 and groups.count("G2") >= 2 and groups.count("G3") >= 3


@pytest.mark.parametrize("type_id", sorted(_TYPES))
def test_task_type_yields_solvable_distinct_tasks(
    type_id: str, world: World, catalogue: Catalogue
) -> None:
    tt = _TYPES[type_id]
    cats = {catalogue.by_tool[t].category for t in tt.tools}
    assert (len(cats) > 1) == (tt.group == "G3") and "Communication" in cats
    assert not cats & {"Food", "Education"}
    seen = set()
    for i in range(400):
        draft = tt.generate(StableRng(derive_seed("test", type_id, i)), world)
        if draft is None:
            continue
        if len(seen) < 5:
            records = solve(world, catalogue, draft.gold)
            assert check_answer(draft.facts, draft.answer, records).is_solved == 1.0
            if any(isinstance(f, StateFact) for f in draft.facts):
                assert check_answer(draft.facts, draft.answer, {}).is_solved < 1.0
        seen.add(draft.signature())
        if len(seen) >= 60:
            break
    assert len(seen) >= 60
