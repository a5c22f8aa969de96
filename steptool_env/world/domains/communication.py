"""Communication: the user's mailbox and contacts, calendar, and text messages.

Tools: ``email_service`` (contacts, inbox, sending and forwarding e-mail — stateful,
collection ``sent_emails``), ``calendar_api`` (the user's events, free-slot search, event
creation — stateful, collection ``calendar_events``) and ``sms_gateway`` (text messages,
delivery history, number lookup — stateful, collection ``sent_sms``).

Contacts live in geography cities, so cross-category tasks combine them with the Location
tools (local times, distances, countries). Phone numbers are E.164 strings (``+4512345678``);
stateful APIs store them, and e-mail addresses, in canonical form so that state facts compare
exactly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from steptool_env.seeding import StableRng
from steptool_env.world.domain import Domain
from steptool_env.world.domains import geography
from steptool_env.world.generation import checked_draft, listed_call, retrying, run_api
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    clock_minutes,
    domain_data,
    get_by_id,
    hhmm,
    money,
    norm,
    paginate,
    parse_clock,
    parse_date,
    query_words,
    require_text,
    search_text,
    warm,
)
from steptool_env.world.names import person, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, StateFact, TaskDraft

DOMAIN = Domain("communication", requires=("geography",))

PAGE = 5
EVENT_PAGE = 4
USER_EMAIL = "you@mailhub.example"
"""The mailbox owner (the user of the tools)."""
N_COMPANIES = 30
N_CONTACTS = 200
CALENDAR_FROM, CALENDAR_TO = -60, 120
"""The calendar holds events from TODAY - 60 days to TODAY + 120 days."""
INBOX_DAYS = 90

_COMPANY_SUFFIX = (
    "Labs",
    "Group",
    "Systems",
    "Partners",
    "Logistics",
    "Media",
    "Analytics",
    "Studio",
    "Works",
    "Consulting",
)
_JOBS = (
    "Account Manager",
    "Product Owner",
    "Software Engineer",
    "Data Analyst",
    "Designer",
    "Sales Director",
    "Procurement Lead",
    "Office Manager",
    "Marketing Specialist",
    "Chief Financial Officer",
    "Project Coordinator",
    "Research Scientist",
    "Recruiter",
    "Operations Manager",
    "Legal Counsel",
    "Customer Success Lead",
)
_CARRIER_SUFFIX = ("Mobile", "Telecom", "Wireless", "Connect")
_ROOMS = (
    "Room Aster",
    "Room Birch",
    "Room Cedar",
    "Room Delta",
    "Boardroom",
    "Video call",
    "Phone call",
    "Cafeteria",
    "Lab 2",
    "Client office",
)
_MEETINGS = (
    "Budget review",
    "Design critique",
    "Sprint planning",
    "Hiring panel",
    "Quarterly review",
    "Team lunch",
    "Architecture review",
    "Customer workshop",
    "Risk assessment",
    "Roadmap session",
    "Standup",
    "Retrospective",
    "Training session",
    "Board prep",
    "Security briefing",
    "Pricing discussion",
)
_SMS_TEXTS = (
    "See you at the station at 8.",
    "Thanks, got it!",
    "Can you call me back?",
    "Running late, sorry.",
    "The contract is signed.",
    "Happy birthday!",
    "Are we still on for tomorrow?",
    "Package arrived.",
    "Meeting moved to Room Birch.",
    "Please check your e-mail.",
)
SMS_MESSAGES = (
    "I'm running about 10 minutes late.",
    "Can you call me back when you're free?",
    "The documents are ready for pickup.",
    "Our meeting is confirmed.",
    "Please check the e-mail I just sent you.",
    "Thanks again for your help today!",
    "I've landed and I'm on my way.",
    "Lunch is on me next time.",
)
EVENT_TITLES = (
    "Project sync",
    "Contract review",
    "Intro call",
    "Planning session",
    "Quarterly check-in",
    "Strategy chat",
    "Demo walkthrough",
    "Coffee catch-up",
    "Partnership call",
    "Onboarding session",
    "Feedback session",
    "Focus time",
)
_CARRIERS_PER_COUNTRY = 2


@dataclass(frozen=True, slots=True)
class Contact:
    contact_id: str
    name: str
    email: str
    phone: str
    company: str
    job_title: str
    city_id: str
    country_code: str
    birthday: str


@dataclass(frozen=True, slots=True)
class Email:
    email_id: str
    sender_id: str
    date: str
    time: str
    subject: str
    body: str
    kind: str
    unread: bool
    facts: Mapping[str, Any]
    """Structured content of the body (amounts, dates...) for task generation."""


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    date: str
    start: str
    end: str
    title: str
    location: str
    organizer_id: str | None
    """A contact id, or None when the user organises it."""
    attendees: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sms:
    sms_id: str
    to: str
    date: str
    time: str
    message: str
    status: str


@dataclass(frozen=True, slots=True)
class Line:
    phone: str
    country_code: str
    carrier: str
    line_type: str


@dataclass(frozen=True)
class CommData:
    contacts: Mapping[str, Contact]
    contact_rows: tuple[tuple[str, Contact], ...]
    """(haystack, contact), sorted by name."""
    emails: Mapping[str, Email]
    inbox: tuple[tuple[str, str, Email], ...]
    """(sender haystack, subject haystack, email), newest first."""
    events: Mapping[str, Event]
    events_by_date: Mapping[str, tuple[Event, ...]]
    sms: Mapping[str, Sms]
    sms_log: tuple[Sms, ...]
    """Newest first."""
    lines: Mapping[str, Line]

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def contact_index(self) -> SearchIndex[Contact]:
        return SearchIndex.of_rows(self.contact_rows)

    @cached_property
    def inbox_emails(self) -> tuple[Email, ...]:
        return tuple(e for _, _, e in self.inbox)

    @cached_property
    def unread_emails(self) -> tuple[Email, ...]:
        return tuple(e for e in self.inbox_emails if e.unread)

    @cached_property
    def unread_hits(self) -> frozenset[int]:
        return frozenset(i for i, e in enumerate(self.inbox_emails) if e.unread)

    @cached_property
    def sender_index(self) -> SearchIndex[Email]:
        return SearchIndex.of_rows((hay, e) for hay, _, e in self.inbox)

    @cached_property
    def subject_index(self) -> SearchIndex[Email]:
        return SearchIndex.of_rows((hay, e) for _, hay, e in self.inbox)

    @cached_property
    def sms_by_phone(self) -> Mapping[str, tuple[Sms, ...]]:
        """Phone → its messages in :attr:`sms_log` order."""
        out: dict[str, list[Sms]] = {}
        for m in self.sms_log:
            out.setdefault(m.to, []).append(m)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def day_rows(self) -> Mapping[str, tuple[dict[str, Any], ...]]:
        """Date → the seeded events' list_events rows in start order (shared: callers
        copy them before handing them out)."""
        return {
            date: tuple(
                sorted(
                    (
                        {
                            "event_id": e.event_id,
                            "title": e.title,
                            "start_time": e.start,
                            "end_time": e.end,
                        }
                        for e in own
                    ),
                    key=_event_order,
                )
            )
            for date, own in self.events_by_date.items()
        }


def _event_order(x: Mapping[str, Any]) -> tuple[str, str, str]:
    return (x["start_time"], x["end_time"], x["event_id"])


# ---------------------------------------------------------------- helpers
_PHONE_JUNK = re.compile(r"[\s().\-]")
_PHONE = re.compile(r"^\+\d{8,15}$")
_EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}$")


def canonical_phone(value: Any, name: str = "phone") -> str:
    """E.164 form of a phone number (spaces, dashes, dots and brackets dropped)."""
    if not isinstance(value, str):
        raise ApiInputError(f"{name} must be a string like +4512345678")
    return _canonical_phone(value, name)


@lru_cache(maxsize=4096)
def _canonical_phone(value: str, name: str) -> str:
    phone = _PHONE_JUNK.sub("", value.strip())
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not _PHONE.match(phone):
        raise ApiInputError(f"{name} {value!r} is not an international number like +4512345678")
    return phone


def canonical_email(value: Any, name: str = "to") -> str:
    if not isinstance(value, str):
        raise ApiInputError(f"{name} must be an e-mail address")
    return _canonical_email(value, name)


@lru_cache(maxsize=4096)
def _canonical_email(value: str, name: str) -> str:
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise ApiInputError(f"{name} {value!r} is not a valid e-mail address")
    return email


# ---------------------------------------------------------------- build
def _email_content(
    rng: StableRng, kind: str, c: Contact, currency: str, date: dt.date, project: str
) -> tuple[str, str, dict[str, Any]]:
    first = c.name.split()[0]
    if kind == "invoice":
        number = f"INV-{rng.randint(10000, 99999)}"
        amount = money(rng.uniform(80, 9000))
        due = (date + dt.timedelta(days=rng.choice((14, 21, 30)))).isoformat()
        return (
            f"Invoice {number} from {c.company}",
            f"Hello,\n\nplease find attached invoice {number} for {amount:.2f} {currency}. "
            f"Payment is due by {due}.\n\nBest regards,\n{c.name}\n{c.company}",
            {"number": number, "amount": amount, "currency": currency, "due": due},
        )
    if kind == "meeting":
        when = (date + dt.timedelta(days=rng.randint(2, 20))).isoformat()
        at = hhmm(rng.randint(16, 34) * 30)
        room = rng.choice(_ROOMS)
        return (
            f"Meeting request: {project}",
            f"Hi,\n\ncould we meet about {project} on {when} at {at}? I suggest {room}.\n\n"
            f"Thanks,\n{first}",
            {"date": when, "time": at, "location": room},
        )
    if kind == "shipment":
        order = f"ORD-{rng.randint(100000, 999999)}"
        tracking = f"TRK{rng.randint(10**9, 10**10 - 1)}"
        eta = (date + dt.timedelta(days=rng.randint(2, 9))).isoformat()
        return (
            f"Your order {order} has shipped",
            f"Good news: order {order} left our warehouse. Tracking number {tracking}. "
            f"Expected delivery on {eta}.\n\n{c.company} customer service",
            {"order": order, "tracking": tracking, "eta": eta},
        )
    if kind == "update":
        pct = rng.randint(10, 95)
        return (
            f"{project} status update",
            f"Hi,\n\na quick update on {project}: we are {pct}% done and on track. "
            f"Next milestone review is in two weeks.\n\n{first}",
            {"percent": pct},
        )
    return (
        f"Question about {project}",
        f"Hello,\n\ndo you have the latest figures for {project}? I'd like to include them in "
        f"our report.\n\nKind regards,\n{c.name}",
        {},
    )


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> CommData:
    g: geography.GeoData = world["geography"]
    cities = g.city_list
    taken: set[str] = set()

    companies = []
    for w in unique(rng, lambda r: word(r, (2, 2)), N_COMPANIES, taken):
        companies.append(
            (f"{w} {rng.choice(_COMPANY_SUFFIX)}", w.lower() + rng.choice((".com", ".io", ".net")))
        )
    lines: dict[str, Line] = {}
    carriers = {
        code: [
            f"{w} {rng.choice(_CARRIER_SUFFIX)}"
            for w in unique(rng, lambda r: word(r, (2, 2)), _CARRIERS_PER_COUNTRY, taken)
        ]
        for code in g.countries
    }

    contacts: dict[str, Contact] = {}
    for i, name in enumerate(unique(rng, person, N_CONTACTS)):
        company, domain = rng.choice(companies)
        city = rng.choice(cities)
        country = g.countries[city.country_code]
        while True:
            phone = f"{country.calling_code}{rng.randint(10**8, 10**9 - 1)}"
            if phone not in lines:
                break
        lines[phone] = Line(
            phone,
            country.code,
            rng.choice(carriers[country.code]),
            rng.choice(("mobile", "mobile", "landline")),
        )
        first, last = name.lower().split()
        cid = f"CN{1001 + i}"
        contacts[cid] = Contact(
            contact_id=cid,
            name=name,
            email=f"{first}.{last}@{domain}",
            phone=phone,
            company=company,
            job_title=rng.choice(_JOBS),
            city_id=city.city_id,
            country_code=country.code,
            birthday=dt.date(
                rng.randint(1958, 2002), rng.randint(1, 12), rng.randint(1, 28)
            ).isoformat(),
        )
    contact_list = sorted(contacts.values(), key=lambda c: c.name)

    # inbox
    projects = [f"Project {w}" for w in unique(rng, lambda r: word(r, (2, 2)), 40, taken)]
    emails: list[Email] = []
    stamps: set[tuple[str, str]] = set()
    for c in contact_list:
        kinds = rng.sample(
            ("invoice", "meeting", "shipment", "update", "question", "update"), rng.randint(1, 5)
        )
        currency = g.countries[c.country_code].currency
        for kind in kinds:
            while True:
                date = TODAY - dt.timedelta(days=rng.randint(0, INBOX_DAYS))
                time = hhmm(rng.randint(7 * 60, 20 * 60))
                if (date.isoformat(), time) not in stamps:
                    break
            stamps.add((date.isoformat(), time))
            subject, body, facts = _email_content(
                rng, kind, c, currency, date, rng.choice(projects)
            )
            emails.append(
                Email(
                    email_id="",
                    sender_id=c.contact_id,
                    date=date.isoformat(),
                    time=time,
                    subject=subject,
                    body=body,
                    kind=kind,
                    unread=(TODAY - date).days < 10 and rng.random() < 0.6,
                    facts=facts,
                )
            )
    emails.sort(key=lambda e: (e.date, e.time), reverse=True)
    emails = [
        Email(
            f"M{5001 + i}",
            e.sender_id,
            e.date,
            e.time,
            e.subject,
            e.body,
            e.kind,
            e.unread,
            e.facts,
        )
        for i, e in enumerate(emails)
    ]

    # calendar
    events: dict[str, Event] = {}
    by_date: dict[str, tuple[Event, ...]] = {}
    for off in range(CALENDAR_FROM, CALENDAR_TO + 1):
        date = TODAY + dt.timedelta(days=off)
        weekend = date.weekday() >= 5
        n = rng.weighted((0, 1, 2), (6, 2, 1)) if weekend else rng.randint(2, 8)
        busy: list[tuple[int, int]] = []
        for start in rng.sample(range(16, 36), min(n * 2, 20)):
            if len(busy) == n:
                break
            s = start * 30
            e = s + rng.choice((30, 30, 45, 60, 60, 90))
            if e > 18 * 60 or any(s < be and bs < e for bs, be in busy):
                continue
            busy.append((s, e))
        busy.sort()
        titles = rng.sample(_MEETINGS, len(busy))
        own = []
        for (s, e), title in zip(busy, titles):
            organizer = rng.choice(contact_list) if rng.random() < 0.6 else None
            guests = rng.sample(contact_list, rng.randint(1, 4))
            if organizer is not None and organizer not in guests:
                guests.append(organizer)
            ev = Event(
                event_id=f"E{7001 + len(events)}",
                date=date.isoformat(),
                start=hhmm(s),
                end=hhmm(e),
                title=title,
                location=rng.choice(_ROOMS),
                organizer_id=organizer.contact_id if organizer else None,
                attendees=tuple(sorted(x.email for x in guests)),
            )
            events[ev.event_id] = ev
            own.append(ev)
        by_date[date.isoformat()] = tuple(own)

    # text messages sent in the past
    log: list[Sms] = []
    for c in rng.sample(contact_list, N_CONTACTS * 3 // 4):
        for _ in range(rng.randint(1, 4)):
            date = TODAY - dt.timedelta(days=rng.randint(1, 60))
            log.append(
                Sms(
                    sms_id="",
                    to=c.phone,
                    date=date.isoformat(),
                    time=hhmm(rng.randint(8 * 60, 22 * 60)),
                    message=rng.choice(_SMS_TEXTS),
                    status=rng.weighted(("delivered", "failed", "undeliverable"), (8, 2, 1)),
                )
            )
    log.sort(key=lambda m: (m.date, m.time, m.to), reverse=True)
    log = [
        Sms(f"SM{3001 + i}", m.to, m.date, m.time, m.message, m.status) for i, m in enumerate(log)
    ]

    data = CommData(
        contacts=contacts,
        contact_rows=tuple((search_text(c.name, c.company), c) for c in contact_list),
        emails={e.email_id: e for e in emails},
        inbox=tuple(
            (
                search_text(contacts[e.sender_id].name, contacts[e.sender_id].email),
                search_text(e.subject),
                e,
            )
            for e in emails
        ),
        events=events,
        events_by_date=by_date,
        sms={m.sms_id: m for m in log},
        sms_log=tuple(log),
        lines=lines,
    )
    return warm(data)


def cd(state_or_world: WorldState | World) -> CommData:
    return domain_data(state_or_world, "communication")


# ---------------------------------------------------------------- email_service
@DOMAIN.api("email_service", "search_contacts")
def search_contacts(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    words = query_words(require_text(args, "query"))
    found = cd(state).contact_index.select(words)
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda c: {"contact_id": c.contact_id, "name": c.name, "company": c.company},
    )


@DOMAIN.api("email_service", "get_contact")
def get_contact(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    c = get_by_id(cd(state).contacts, args["contact_id"], "contact")
    city = geography.geo(state).cities[c.city_id]
    return {
        "contact_id": c.contact_id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "company": c.company,
        "job_title": c.job_title,
        "city": city.name,
        "city_id": c.city_id,
        "country_code": c.country_code,
        "birthday": c.birthday,
    }


def _email_summary(data: CommData, e: Email) -> dict[str, Any]:
    sender = data.contacts[e.sender_id]
    return {
        "email_id": e.email_id,
        "from_name": sender.name,
        "from_email": sender.email,
        "subject": e.subject,
        "date": e.date,
        "unread": e.unread,
    }


@DOMAIN.api("email_service", "list_inbox")
def list_inbox(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = cd(state)
    sender, subject = args.get("sender"), args.get("subject")
    s_words = norm(sender).split() if isinstance(sender, str) else []
    t_words = norm(subject).split() if isinstance(subject, str) else []
    unread = args.get("unread_only", False)
    if not isinstance(unread, bool):
        raise ApiInputError("unread_only must be true or false")
    found: Sequence[Email]
    if not s_words and not t_words:
        found = data.unread_emails if unread else data.inbox_emails
    else:
        if not s_words:
            hits = data.subject_index.hits(t_words)
        elif not t_words:
            hits = data.sender_index.hits(s_words)
        else:
            hits = data.sender_index.hits(s_words) & data.subject_index.hits(t_words)
        if unread:
            hits = hits & data.unread_hits
        emails = data.inbox_emails
        found = [emails[i] for i in sorted(hits)]
    return paginate(found, args.get("page", 1), PAGE, lambda e: _email_summary(data, e))


@DOMAIN.api("email_service", "read_email")
def read_email(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = cd(state)
    e = get_by_id(data.emails, args["email_id"], "email")
    return {**_email_summary(data, e), "to": USER_EMAIL, "time": e.time, "body": e.body}


def _cc(args: Mapping[str, Any]) -> list[str]:
    cc = args.get("cc", [])
    if not isinstance(cc, list):
        raise ApiInputError("cc must be a list of e-mail addresses")
    return sorted({canonical_email(x, "cc") for x in cc})


@DOMAIN.api("email_service", "send_email")
def send_email(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    to = canonical_email(args["to"])
    subject = require_text(args, "subject")
    body = require_text(args, "body")
    record = {
        "message_id": state.next_id("MSG"),
        "to": to,
        "cc": _cc(args),
        "subject": subject,
        "body": body,
        "date": TODAY.isoformat(),
        "forwarded_email_id": None,
    }
    state.add("sent_emails", record)
    return {"status": "sent", **record}


@DOMAIN.api("email_service", "forward_email")
def forward_email(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = cd(state)
    e = get_by_id(data.emails, args["email_id"], "email")
    to = canonical_email(args["to"])
    note = args.get("note", "")
    if not isinstance(note, str):
        raise ApiInputError("note must be a string")
    sender = data.contacts[e.sender_id]
    quoted = (
        f"---------- Forwarded message ----------\nFrom: {sender.name} <{sender.email}>\n"
        f"Date: {e.date}\nSubject: {e.subject}\n\n{e.body}"
    )
    record = {
        "message_id": state.next_id("MSG"),
        "to": to,
        "cc": [],
        "subject": f"Fwd: {e.subject}",
        "body": f"{note.strip()}\n\n{quoted}" if note.strip() else quoted,
        "date": TODAY.isoformat(),
        "forwarded_email_id": e.email_id,
    }
    state.add("sent_emails", record)
    return {"status": "sent", **record}


# ---------------------------------------------------------------- calendar_api
def _date_arg(args: Mapping[str, Any]) -> dt.date:
    date = parse_date(args["date"])
    if not -3650 <= (date - TODAY).days <= 3650:
        raise ApiInputError("date must be within ten years of today")
    return date


def _day_events(state: WorldState, date: str) -> Sequence[Mapping[str, Any]]:
    """The events of a day (seeded and created in this episode), in start order. The rows
    are shared: copy them before handing them out."""
    seeded = cd(state).day_rows.get(date, ())
    created = [
        {k: r[k] for k in ("event_id", "title", "start_time", "end_time")}
        for r in state.records.get("calendar_events", ())
        if r["date"] == date
    ]
    if not created:
        return seeded
    return sorted((*seeded, *created), key=_event_order)


@DOMAIN.api("calendar_api", "list_events")
def list_events(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    date = _date_arg(args).isoformat()
    out = paginate(_day_events(state, date), args.get("page", 1), EVENT_PAGE, dict)
    return {"date": date, **out}


@DOMAIN.api("calendar_api", "get_event")
def get_event(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = cd(state)
    key = args["event_id"]
    if isinstance(key, str):
        created = state.find("calendar_events", event_id=key.strip())
        if created:
            return {**created[0], "organizer": {"name": "you", "email": USER_EMAIL}}
    e = get_by_id(data.events, key, "event")
    org = data.contacts[e.organizer_id] if e.organizer_id else None
    return {
        "event_id": e.event_id,
        "title": e.title,
        "date": e.date,
        "start_time": e.start,
        "end_time": e.end,
        "location": e.location,
        "organizer": (
            {"contact_id": org.contact_id, "name": org.name, "email": org.email}
            if org
            else {"name": "you", "email": USER_EMAIL}
        ),
        "attendees": list(e.attendees),
    }


def _duration(args: Mapping[str, Any]) -> int:
    value = args["duration_minutes"]
    if not isinstance(value, int) or isinstance(value, bool) or not 5 <= value <= 720:
        raise ApiInputError("duration_minutes must be an integer from 5 to 720")
    return value


@DOMAIN.api("calendar_api", "create_event")
def create_event(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    title = require_text(args, "title")
    date = _date_arg(args)
    if date < TODAY:
        raise ApiInputError("cannot create events in the past")
    start = parse_clock(args["start_time"], "start_time")
    duration = _duration(args)
    end = clock_minutes(start) + duration
    if end > 24 * 60:
        raise ApiInputError("the event must end by midnight")
    attendees = args.get("attendees", [])
    if not isinstance(attendees, list):
        raise ApiInputError("attendees must be a list of e-mail addresses")
    location = args.get("location", "")
    if not isinstance(location, str):
        raise ApiInputError("location must be a string")
    begin = clock_minutes(start)
    busy = [
        e["event_id"]
        for e in _day_events(state, date.isoformat())
        if clock_minutes(e["start_time"]) < end and begin < clock_minutes(e["end_time"])
    ]
    record = {
        "event_id": state.next_id("EV"),
        "title": title,
        "date": date.isoformat(),
        "start_time": start,
        "end_time": hhmm(end) if end < 24 * 60 else "24:00",
        "duration_minutes": duration,
        "attendees": sorted({canonical_email(a, "attendees") for a in attendees}),
        "location": location.strip(),
    }
    state.add("calendar_events", record)
    return {"status": "created", **record, "conflicts_with": busy}


@DOMAIN.api("calendar_api", "find_free_slot")
def find_free_slot(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    date = _date_arg(args).isoformat()
    duration = _duration(args)
    lo = clock_minutes(parse_clock(args.get("earliest", "09:00"), "earliest"))
    hi = clock_minutes(parse_clock(args.get("latest", "18:00"), "latest"))
    if hi <= lo:
        raise ApiInputError("latest must be after earliest")
    t = lo
    for e in _day_events(state, date):
        s, end = clock_minutes(e["start_time"]), clock_minutes(e["end_time"])
        if s - t >= duration:
            break
        t = max(t, end)
    found = t + duration <= hi
    return {
        "date": date,
        "duration_minutes": duration,
        "available": found,
        "start_time": hhmm(t) if found else None,
        "end_time": hhmm(t + duration) if found else None,
    }


# ---------------------------------------------------------------- sms_gateway
def _sms_view(m: Sms | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(m, Sms):
        return {
            "sms_id": m.sms_id,
            "to": m.to,
            "date": m.date,
            "time": m.time,
            "message": m.message,
            "status": m.status,
        }
    return {k: m[k] for k in ("sms_id", "to", "date", "time", "message", "status")}


@DOMAIN.api("sms_gateway", "send_sms")
def send_sms(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    to = canonical_phone(args["to"], "to")
    message = require_text(args, "message")
    if len(message) > 640:
        raise ApiInputError("message must be at most 640 characters (4 segments)")
    record = {
        "sms_id": state.next_id("SMS"),
        "to": to,
        "message": message,
        "segments": -(-len(message) // 160),
        "date": TODAY.isoformat(),
        "time": "12:00",
        "status": "queued",
    }
    state.add("sent_sms", record)
    return dict(record)


@DOMAIN.api("sms_gateway", "sms_status")
def sms_status(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    key = args["sms_id"]
    if isinstance(key, str):
        sent = state.find("sent_sms", sms_id=key.strip())
        if sent:
            return _sms_view(sent[0])
    return _sms_view(get_by_id(cd(state).sms, key, "text message"))


@DOMAIN.api("sms_gateway", "sms_history")
def sms_history(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    phone = args.get("phone")
    target = canonical_phone(phone) if phone not in (None, "") else None
    sent = [r for r in reversed(state.records.get("sent_sms", ())) if target in (None, r["to"])]
    data = cd(state)
    past = data.sms_log if target is None else data.sms_by_phone.get(target, ())
    return paginate([*sent, *past] if sent else past, args.get("page", 1), PAGE, _sms_view)


@DOMAIN.api("sms_gateway", "lookup_number")
def lookup_number(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    phone = canonical_phone(args["phone"])
    line = cd(state).lines.get(phone)
    if line is None:
        return {"phone": phone, "valid": False, "reason": "number is not assigned"}
    country = geography.geo(state).countries[line.country_code]
    return {
        "phone": phone,
        "valid": True,
        "country_code": line.country_code,
        "country": country.name,
        "carrier": line.carrier,
        "line_type": line.line_type,
    }


# ---------------------------------------------------------------- task helpers
def _pick_contact(rng: StableRng, world: World) -> Contact:
    return rng.choice(cd(world).contact_rows)[1]


def _find_contact(world: World, c: Contact) -> GoldCall | None:
    call = GoldCall("email_service", "search_contacts", {"query": c.name})
    return listed_call(world, search_contacts, call, "contact_id", c.contact_id)


def _contact_calls(world: World, c: Contact, base: int) -> list[GoldCall] | None:
    """search_contacts then get_contact, as gold nodes ``base`` and ``base + 1``."""
    search = _find_contact(world, c)
    if search is None:
        return None
    return [
        search,
        GoldCall("email_service", "get_contact", {"contact_id": c.contact_id}, (base,)),
    ]


def _find_city(world: World, city: geography.City) -> GoldCall | None:
    call = GoldCall("geodb_cities", "search_cities", {"query": city.name})
    return listed_call(world, geography.search_cities, call, "city_id", city.city_id)


def _future_weekday(rng: StableRng, low: int = 1, high: int = 60) -> dt.date:
    date = TODAY + dt.timedelta(days=rng.randint(low, high))
    while date.weekday() >= 5:
        date += dt.timedelta(days=1)
    return date


def _meeting_time(rng: StableRng) -> str:
    return hhmm(rng.randint(16, 34) * 30)


# ---------------------------------------------------------------- G1: email_service
@DOMAIN.task("communication.contact_details", group="G1", tools=("email_service",))
@retrying
def task_contact_details(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_contact(rng, world)
    calls = _contact_calls(world, c, 0)
    if calls is None:
        return None
    return checked_draft(
        {"contact": c.name},
        calls,
        (AnswerFact(c.phone, "phone"), AnswerFact(c.job_title, "job title")),
        f"{c.name} works as {c.job_title} at {c.company}; their phone number is {c.phone}.",
    )


def _sender_email(
    rng: StableRng, world: World, kind: str | None = None
) -> tuple[Contact, Email, GoldCall] | None:
    """A received e-mail (of ``kind``) that list_inbox(sender=name) shows on page 1, the only
    one of its kind from that sender."""
    data = cd(world)
    e = rng.choice([x for x in data.emails.values() if kind in (None, x.kind)])
    c = data.contacts[e.sender_id]
    args = {"sender": c.name}
    res = run_api(world, list_inbox, **args)
    if e.email_id not in [x["email_id"] for x in res["results"]]:
        return None
    same = [x for x in res["results"] if x["subject"] == e.subject]
    if len(same) != 1 or (
        kind is not None
        and sum(1 for x in data.emails.values() if x.sender_id == c.contact_id and x.kind == kind)
        != 1
    ):
        return None
    return c, e, GoldCall("email_service", "list_inbox", args, match=("sender",))


@DOMAIN.task("communication.invoice_details", group="G1", tools=("email_service",))
@retrying
def task_invoice_details(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _sender_email(rng, world, "invoice")
    if picked is None:
        return None
    c, e, listing = picked
    f = e.facts
    return checked_draft(
        {"contact": c.name},
        (listing, GoldCall("email_service", "read_email", {"email_id": e.email_id}, (0,))),
        (
            AnswerFact(f["amount"], "amount"),
            AnswerFact(f["due"], "due date"),
            AnswerFact(f["number"], "invoice number"),
        ),
        f"{c.name} sent invoice {f['number']} for {f['amount']:.2f} {f['currency']}, due by "
        f"{f['due']}.",
    )


@DOMAIN.task("communication.forward_email", group="G1", tools=("email_service",))
@retrying
def task_forward_email(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _sender_email(rng, world)
    if picked is None:
        return None
    sender, e, listing = picked
    recipient = _pick_contact(rng, world)
    if recipient.contact_id == sender.contact_id:
        return None
    calls = _contact_calls(world, recipient, 1)
    if calls is None:
        return None
    args = {"email_id": e.email_id, "to": recipient.email}
    return checked_draft(
        {"sender": sender.name, "subject": e.subject, "recipient": recipient.name},
        (
            listing,
            *calls,
            GoldCall("email_service", "forward_email", args, (0, 2), match=("email_id", "to")),
        ),
        (
            StateFact(
                "sent_emails",
                {"to": recipient.email, "forwarded_email_id": e.email_id},
                "forwarded e-mail",
            ),
        ),
        f'I forwarded the e-mail "{e.subject}" from {sender.name} to {recipient.name} '
        f"({recipient.email}).",
    )


@DOMAIN.task("communication.share_phone", group="G1", tools=("email_service",))
@retrying
def task_share_phone(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_contact(rng, world)
    r = _pick_contact(rng, world)
    if c.contact_id == r.contact_id:
        return None
    first = _contact_calls(world, c, 0)
    second = _contact_calls(world, r, 2)
    if first is None or second is None:
        return None
    mail = {
        "to": r.email,
        "subject": f"Phone number of {c.name}",
        "body": f"Hi {r.name.split()[0]}, you can reach {c.name} at {c.phone}.",
    }
    return checked_draft(
        {"contact": c.name, "recipient": r.name},
        (
            *first,
            *second,
            GoldCall("email_service", "send_email", mail, (1, 3), match=("to",)),
        ),
        (
            StateFact("sent_emails", {"to": r.email, "forwarded_email_id": None}, "e-mail"),
            AnswerFact(c.phone, "phone"),
        ),
        f"I e-mailed {r.name} ({r.email}) the phone number of {c.name}: {c.phone}.",
    )


# ---------------------------------------------------------------- G1: calendar_api
@DOMAIN.task("communication.last_meeting", group="G1", tools=("calendar_api",))
@retrying
def task_last_meeting(rng: StableRng, world: World) -> TaskDraft | None:
    data = cd(world)
    d = rng.choice([k for k, v in data.events_by_date.items() if len(v) > EVENT_PAGE])
    own = data.events_by_date[d]
    pages = -(-len(own) // EVENT_PAGE)
    gold = [GoldCall("calendar_api", "list_events", {"date": d})]
    for p in range(2, pages + 1):
        gold.append(GoldCall("calendar_api", "list_events", {"date": d, "page": p}, (p - 2,)))
    last = max(own, key=lambda e: (e.end, e.start))
    if sum(1 for e in own if e.end == last.end) > 1:
        return None
    return checked_draft(
        {"date": d},
        gold,
        (
            AnswerFact(last.title, "last meeting", tuple(e.title for e in own if e is not last)),
            AnswerFact(last.end, "end time"),
        ),
        f"Your last meeting on {d} is {last.title}, from {last.start} to {last.end}.",
    )


@DOMAIN.task("communication.book_free_slot", group="G1", tools=("calendar_api",))
@retrying
def task_book_free_slot(rng: StableRng, world: World) -> TaskDraft | None:
    date = _future_weekday(rng, 1, CALENDAR_TO - 3).isoformat()
    duration = rng.choice((30, 45, 60, 90, 120))
    title = rng.choice(EVENT_TITLES)
    slot = run_api(world, find_free_slot, date=date, duration_minutes=duration)
    if not slot["available"]:
        return None
    start = slot["start_time"]
    return checked_draft(
        {"date": date, "duration": str(duration), "title": title},
        (
            GoldCall(
                "calendar_api", "find_free_slot", {"date": date, "duration_minutes": duration}
            ),
            GoldCall(
                "calendar_api",
                "create_event",
                {"title": title, "date": date, "start_time": start, "duration_minutes": duration},
                (0,),
                match=("date", "start_time", "duration_minutes"),
            ),
        ),
        (
            StateFact(
                "calendar_events",
                {"date": date, "start_time": start, "duration_minutes": duration},
                "event",
            ),
            AnswerFact(start, "start time"),
        ),
        f"The first free {duration}-minute slot on {date} starts at {start}; I booked "
        f'"{title}" from {start} to {slot["end_time"]}.',
    )


# ---------------------------------------------------------------- G1: sms_gateway
@DOMAIN.task("communication.number_lookup", group="G1", tools=("sms_gateway",))
@retrying
def task_number_lookup(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_contact(rng, world)
    info = run_api(world, lookup_number, phone=c.phone)
    return checked_draft(
        {"phone": c.phone},
        (GoldCall("sms_gateway", "lookup_number", {"phone": c.phone}),),
        (
            AnswerFact(info["country"], "country"),
            AnswerFact(info["carrier"], "carrier"),
            AnswerFact(info["line_type"], "line type"),
        ),
        f"{c.phone} is a {info['line_type']} number in {info['country']} on the "
        f"{info['carrier']} network.",
    )


# ---------------------------------------------------------------- G2
@DOMAIN.task("communication.text_contact", group="G2", tools=("email_service", "sms_gateway"))
@retrying
def task_text_contact(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_contact(rng, world)
    message = rng.choice(SMS_MESSAGES)
    calls = _contact_calls(world, c, 0)
    if calls is None:
        return None
    return checked_draft(
        {"contact": c.name, "message": message},
        (
            *calls,
            GoldCall(
                "sms_gateway", "send_sms", {"to": c.phone, "message": message}, (1,), match=("to",)
            ),
        ),
        (StateFact("sent_sms", {"to": c.phone}, "text message"),),
        f'I texted {c.name} at {c.phone}: "{message}"',
    )


@DOMAIN.task("communication.invite_contact", group="G2", tools=("email_service", "calendar_api"))
@retrying
def task_invite_contact(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_contact(rng, world)
    date = _future_weekday(rng).isoformat()
    start = _meeting_time(rng)
    duration = rng.choice((30, 45, 60))
    title = rng.choice(EVENT_TITLES)
    calls = _contact_calls(world, c, 0)
    if calls is None:
        return None
    event = {
        "title": title,
        "date": date,
        "start_time": start,
        "duration_minutes": duration,
        "attendees": [c.email],
    }
    return checked_draft(
        {"contact": c.name, "date": date, "time": start, "duration": str(duration), "title": title},
        (
            *calls,
            GoldCall(
                "calendar_api",
                "create_event",
                event,
                (1,),
                match=("date", "start_time", "duration_minutes", "attendees"),
            ),
        ),
        (
            StateFact(
                "calendar_events",
                {
                    "date": date,
                    "start_time": start,
                    "duration_minutes": duration,
                    "attendees": [c.email],
                },
                "event",
            ),
        ),
        f'I scheduled "{title}" with {c.name} ({c.email}) on {date} at {start} for '
        f"{duration} minutes.",
    )


@DOMAIN.task("communication.organizer_phone", group="G2", tools=("calendar_api", "email_service"))
@retrying
def task_organizer_phone(rng: StableRng, world: World) -> TaskDraft | None:
    data = cd(world)
    e = rng.choice([x for x in data.events.values() if x.organizer_id is not None])
    assert e.organizer_id is not None  # chosen among the events with an organizer
    d = e.date
    k = data.events_by_date[d].index(e)
    org = data.contacts[e.organizer_id]
    gold = [GoldCall("calendar_api", "list_events", {"date": d})]
    page = k // EVENT_PAGE + 1
    for p in range(2, page + 1):
        gold.append(GoldCall("calendar_api", "list_events", {"date": d, "page": p}, (p - 2,)))
    gold.append(GoldCall("calendar_api", "get_event", {"event_id": e.event_id}, (len(gold) - 1,)))
    gold.append(
        GoldCall("email_service", "get_contact", {"contact_id": org.contact_id}, (len(gold) - 1,))
    )
    return checked_draft(
        {"title": e.title, "date": d},
        gold,
        (AnswerFact(org.name, "organizer"), AnswerFact(org.phone, "phone")),
        f"The {e.title} on {d} is organised by {org.name}; their phone number is {org.phone}.",
    )


@DOMAIN.task("communication.last_text_status", group="G2", tools=("email_service", "sms_gateway"))
@retrying
def task_last_text_status(rng: StableRng, world: World) -> TaskDraft | None:
    data = cd(world)
    texted = sorted({m.to for m in data.sms_log})
    phone = rng.choice(texted)
    c = next(x for _, x in data.contact_rows if x.phone == phone)
    last = next(m for m in data.sms_log if m.to == c.phone)
    calls = _contact_calls(world, c, 0)
    if calls is None:
        return None
    return checked_draft(
        {"contact": c.name},
        (
            *calls,
            GoldCall("sms_gateway", "sms_history", {"phone": c.phone}, (1,)),
        ),
        (
            AnswerFact(last.status, "status"),
            AnswerFact(last.date, "date"),
        ),
        f'Your last text to {c.name} was sent on {last.date} at {last.time} ("{last.message}") '
        f"and its status is {last.status}.",
    )


# ---------------------------------------------------------------- G3: with Location tools
def _home_city(rng: StableRng, world: World, c: Contact) -> geography.City | None:
    g = geography.geo(world)
    home = rng.choice(g.city_list)
    if home.city_id == c.city_id or home.utc_offset == g.cities[c.city_id].utc_offset:
        return None
    return home


@DOMAIN.task(
    "communication.call_in_their_time",
    group="G3",
    tools=("email_service", "geodb_cities", "timezone_db", "calendar_api"),
)
@retrying
def task_call_in_their_time(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_contact(rng, world)
    home = _home_city(rng, world, c)
    if home is None:
        return None
    their = geography.geo(world).cities[c.city_id]
    t = _meeting_time(rng)
    shifted = clock_minutes(t) + (home.utc_offset - their.utc_offset) * 60
    duration = rng.choice((30, 45, 60))
    if not 0 <= shifted <= 24 * 60 - duration:
        return None  # the call would fall on another day in the user's calendar
    local = hhmm(shifted)
    date = _future_weekday(rng).isoformat()
    calls = _contact_calls(world, c, 0)
    find_home = _find_city(world, home)
    if calls is None or find_home is None:
        return None
    convert = {"time": t, "from_city_id": c.city_id, "to_city_id": home.city_id}
    event = {
        "title": f"Call with {c.name}",
        "date": date,
        "start_time": local,
        "duration_minutes": duration,
        "attendees": [c.email],
    }
    return checked_draft(
        {
            "contact": c.name,
            "time": t,
            "date": date,
            "home_city": home.name,
            "duration": str(duration),
        },
        (
            *calls,
            find_home,
            GoldCall("timezone_db", "convert_time", convert, (1, 2)),
            GoldCall(
                "calendar_api",
                "create_event",
                event,
                (1, 3),
                match=("date", "start_time", "duration_minutes", "attendees"),
            ),
        ),
        (
            StateFact(
                "calendar_events",
                {
                    "date": date,
                    "start_time": local,
                    "duration_minutes": duration,
                    "attendees": [c.email],
                },
                "event",
            ),
            AnswerFact(local, "local start time"),
        ),
        f"{t} in {their.name} is {local} in {home.name}, so I put a {duration}-minute call with "
        f"{c.name} in your calendar on {date} at {local}.",
    )


@DOMAIN.task(
    "communication.email_distance",
    group="G3",
    tools=("email_service", "geodb_cities", "distance_calculator"),
)
@retrying
def task_email_distance(rng: StableRng, world: World) -> TaskDraft | None:
    g = geography.geo(world)
    c = _pick_contact(rng, world)
    other = rng.choice(g.city_list)
    if other.city_id == c.city_id:
        return None
    calls = _contact_calls(world, c, 0)
    find_other = _find_city(world, other)
    if calls is None or find_other is None:
        return None
    their = g.cities[c.city_id]
    km = geography.haversine_km(their, other)
    mail = {
        "to": c.email,
        "subject": f"Distance from {their.name} to {other.name}",
        "body": f"Hi {c.name.split()[0]}, {their.name} is {km} km from {other.name}.",
    }
    return checked_draft(
        {"contact": c.name, "city": other.name},
        (
            *calls,
            find_other,
            GoldCall(
                "distance_calculator",
                "city_distance",
                {"city_id_a": c.city_id, "city_id_b": other.city_id},
                (1, 2),
            ),
            GoldCall("email_service", "send_email", mail, (1, 3), match=("to",)),
        ),
        (
            StateFact("sent_emails", {"to": c.email, "forwarded_email_id": None}, "e-mail"),
            AnswerFact(km, "distance km"),
        ),
        f"{c.name} lives in {their.name}, {km} km from {other.name}; I e-mailed them that "
        f"at {c.email}.",
    )


@DOMAIN.task(
    "communication.text_local_time",
    group="G3",
    tools=("email_service", "geodb_cities", "timezone_db", "sms_gateway"),
)
@retrying
def task_text_local_time(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_contact(rng, world)
    home = _home_city(rng, world, c)
    if home is None:
        return None
    t = _meeting_time(rng)
    convert = {"time": t, "from_city_id": home.city_id, "to_city_id": c.city_id}
    their_time = run_api(world, geography.convert_time, **convert)["to_time"]
    calls = _contact_calls(world, c, 0)
    find_home = _find_city(world, home)
    if calls is None or find_home is None:
        return None
    text = f"The call is at {their_time} your time."
    return checked_draft(
        {"contact": c.name, "time": t, "home_city": home.name},
        (
            *calls,
            find_home,
            GoldCall("timezone_db", "convert_time", convert, (1, 2)),
            GoldCall(
                "sms_gateway", "send_sms", {"to": c.phone, "message": text}, (1, 3), match=("to",)
            ),
        ),
        (
            StateFact("sent_sms", {"to": c.phone}, "text message"),
            AnswerFact(their_time, "their local time"),
        ),
        f'{t} in {home.name} is {their_time} for {c.name}; I texted them at {c.phone}: "{text}"',
    )


@DOMAIN.task("communication.contact_country", group="G3", tools=("email_service", "countries_info"))
@retrying
def task_contact_country(rng: StableRng, world: World) -> TaskDraft | None:
    g = geography.geo(world)
    c = _pick_contact(rng, world)
    calls = _contact_calls(world, c, 0)
    if calls is None:
        return None
    country = g.countries[c.country_code]
    capital = g.cities[country.capital_id]
    return checked_draft(
        {"contact": c.name},
        (
            *calls,
            GoldCall("countries_info", "get_country", {"country_code": c.country_code}, (1,)),
        ),
        (
            AnswerFact(country.name, "country"),
            AnswerFact(capital.name, "capital"),
            AnswerFact(country.currency, "currency"),
        ),
        f"{c.name} lives in {country.name}; its capital is {capital.name} and the currency is "
        f"{country.currency}.",
    )
