"""Education: books, a dictionary, online courses and universities (a held-out category).

Tools: ``book_library`` (books and authors), ``dictionary_api`` (definitions, synonyms,
translations into the world's languages, word of the day), ``online_courses`` (course
catalogue, sessions and enrolment — stateful, collection ``enrollments``) and
``university_info`` (universities of the geography cities and their world ranking).

Courses are offered by universities and authors teach at universities, so the tools chain.
Universities are searched by city *name*: Education tasks never need a Location tool
(Education is a held-out category and must stay out of cross-category tasks).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

from steptool_env.seeding import StableRng, derive_seed
from steptool_env.world.domain import Domain
from steptool_env.world.domains import geography
from steptool_env.world.generation import checked_draft, listed_call, retrying, run_api
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    domain_data,
    enum_arg,
    get_by_id,
    has_words,
    norm,
    paginate,
    parse_date,
    query_words,
    require_text,
    search_text,
    warm,
)
from steptool_env.world.names import person, place, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, StateFact, TaskDraft

DOMAIN = Domain("education", requires=("geography",))

PAGE = 5
LEVELS = ("beginner", "intermediate", "advanced")
GENRES = ("novel", "poetry", "history", "biography", "science", "philosophy", "travel", "essays")
_ADJ = (
    "Silver",
    "Quiet",
    "Northern",
    "Hidden",
    "Broken",
    "Golden",
    "Restless",
    "Distant",
    "Painted",
    "Burning",
    "Patient",
    "Hollow",
    "Crimson",
    "Gentle",
    "Forgotten",
    "Salt",
)
_NOUN = (
    "Orchard",
    "Lantern",
    "Harbour",
    "Almanac",
    "Cartographer",
    "Meadow",
    "Ledger",
    "Archive",
    "Tide",
    "Lighthouse",
    "Garden",
    "Compass",
    "Atlas",
    "Winter",
    "Choir",
    "Observatory",
    "Loom",
    "Ferry",
    "Quarry",
    "Vineyard",
)
_PUBLISHER_FORMS = ("{w} House", "{w} Press", "{w} & Sons", "{w} Books", "Editions {w}")
_SUBJECTS = (
    "Data Visualization",
    "Organic Chemistry",
    "Game Theory",
    "Urban Ecology",
    "Medieval History",
    "Machine Learning",
    "Marine Biology",
    "Public Speaking",
    "Financial Accounting",
    "Cognitive Psychology",
    "Climate Science",
    "Graphic Design",
    "Creative Writing",
    "Linear Algebra",
    "Music Theory",
    "Supply Chain Management",
    "Cybersecurity",
    "Renewable Energy",
    "Art History",
    "Astrophysics",
    "Moral Philosophy",
    "Web Development",
    "Epidemiology",
    "Behavioral Economics",
    "Film Studies",
    "Genetics",
    "Project Management",
    "Human Anatomy",
    "Robotics",
    "Sociolinguistics",
    "Probability",
    "Landscape Architecture",
    "Nutrition Science",
    "Digital Marketing",
    "Cryptography",
    "Oceanography",
    "Political Theory",
    "Quantum Computing",
    "Sculpture",
    "Statistics",
    "Volcanology",
    "World Religions",
    "Jazz Improvisation",
    "Entrepreneurship",
    "Neuroscience",
    "Photography",
    "Forensic Science",
    "Bioethics",
    "Typography",
    "Glaciology",
)
_COURSE_FORMS = (
    "Introduction to {s}",
    "Foundations of {s}",
    "Advanced {s}",
    "Applied {s}",
    "{s} for Beginners",
    "{s} in Practice",
    "Topics in {s}",
    "{s} for Professionals",
    "Essentials of {s}",
    "{s} Masterclass",
    "Principles of {s}",
    "{s}: A Practical Guide",
    "{s} Bootcamp",
)
_UNIVERSITY_FORMS = (
    "University of {c}",
    "{c} Institute of Technology",
    "{c} Polytechnic",
    "{w} University",
    "{w} College",
    "Royal Academy of {c}",
)
_ENDINGS = {
    "Aldric": "ric",
    "Belamese": "e",
    "Corvish": "sk",
    "Dunari": "ari",
    "Estovan": "o",
    "Farrin": "in",
    "Galic": "ach",
    "Hestian": "is",
    "Ivorian": "iu",
    "Jorvic": "vik",
    "Kesh": "esh",
    "Lumeran": "el",
}
"""Typical word endings of the world's languages (see geography.LANGUAGES)."""
_MAIL_DOMAINS = ("postbox.net", "mailcove.com", "inboxly.org", "letterfall.net", "quillmail.com")

# the dictionary, one entry a line: word|part of speech|definition|synonyms|antonyms
_LEXICON_TEXT = """
abundant|adjective|existing in large quantities; more than enough|plentiful,ample,copious|scarce
brave|adjective|ready to face danger or pain without showing fear|courageous,valiant,bold|cowardly
candid|adjective|truthful and straightforward; frank|frank,open,direct|evasive
diligent|adjective|careful and hard-working in one's duties|industrious,hardworking,assiduous|lazy
eager|adjective|strongly wanting to do or have something|keen,enthusiastic,avid|reluctant
fragile|adjective|easily broken or damaged|delicate,brittle,frail|sturdy
generous|adjective|showing readiness to give more than is expected|liberal,lavish,charitable|stingy
humble|adjective|having a modest view of one's own importance|modest,unassuming,meek|arrogant
immense|adjective|extremely large or great|huge,vast,enormous|tiny
jovial|adjective|cheerful and friendly|jolly,cheerful,genial|morose
keen|adjective|having or showing eagerness or enthusiasm|eager,avid,zealous|indifferent
lucid|adjective|expressed clearly; easy to understand|clear,coherent,transparent|confusing
meticulous|adjective|showing great attention to detail|careful,precise,thorough|careless
novel|adjective|new or unusual in an interesting way|original,fresh,innovative|familiar
obscure|adjective|not discovered or known about; uncertain|unknown,vague,hidden|famous
placid|adjective|not easily upset or excited; calm|calm,serene,tranquil|excitable
quaint|adjective|attractively unusual or old-fashioned|charming,picturesque,old-fashioned|modern
robust|adjective|strong and healthy; vigorous|sturdy,strong,tough|weak
serene|adjective|calm, peaceful and untroubled|peaceful,tranquil,placid|agitated
tenacious|adjective|holding firmly to something; persistent|persistent,determined,dogged|irresolute
vivid|adjective|producing powerful feelings or clear images in the mind|bright,striking,graphic|dull
wary|adjective|feeling or showing caution about possible dangers|cautious,careful,watchful|reckless
zealous|adjective|having great energy for a cause or objective|fervent,ardent,passionate|apathetic
ancient|adjective|belonging to the very distant past|old,antique,archaic|recent
bitter|adjective|having a sharp, pungent taste; resentful|acrid,sour,resentful|sweet
abandon|verb|to leave behind or give up completely|desert,forsake,quit|keep
borrow|verb|to take and use something with the intention of returning it|take,obtain,use|lend
conceal|verb|to keep from sight; to hide|hide,cover,mask|reveal
diminish|verb|to make or become less|decrease,reduce,lessen|increase
embrace|verb|to hold closely in one's arms; to accept willingly|hug,accept,welcome|reject
flourish|verb|to grow or develop in a healthy or vigorous way|thrive,prosper,bloom|wither
gather|verb|to come or bring together|collect,assemble,amass|scatter
hesitate|verb|to pause before saying or doing something|pause,waver,falter|proceed
ignite|verb|to catch fire or cause to catch fire|kindle,light,spark|extinguish
justify|verb|to show or prove to be right or reasonable|defend,vindicate,warrant|condemn
linger|verb|to stay in a place longer than necessary|remain,stay,tarry|hurry
mend|verb|to repair something that is broken or damaged|repair,fix,restore|break
neglect|verb|to fail to care for properly|ignore,overlook,disregard|tend
obey|verb|to comply with a command or instruction|follow,heed,observe|defy
persuade|verb|to cause someone to do something through reasoning|convince,coax,induce|dissuade
quarrel|verb|to have an angry argument|argue,bicker,squabble|agree
reveal|verb|to make known something previously secret|disclose,expose,divulge|conceal
scatter|verb|to throw in various random directions|disperse,spread,strew|gather
thrive|verb|to grow or develop well|flourish,prosper,boom|decline
vanish|verb|to disappear suddenly and completely|disappear,fade,evaporate|appear
wander|verb|to walk or move in a leisurely way without a fixed course|roam,stroll,drift|settle
yearn|verb|to have an intense longing for something|long,pine,crave|spurn
accelerate|verb|to begin to move more quickly|quicken,speed,hasten|decelerate
broaden|verb|to become or make wider|widen,expand,extend|narrow
cherish|verb|to protect and care for lovingly|treasure,adore,prize|despise
anchor|noun|a heavy object used to moor a ship to the sea bottom|mooring,support,mainstay|
blossom|noun|a flower or a mass of flowers on a tree or bush|bloom,flower,bud|
canyon|noun|a deep gorge, typically one with a river flowing through it|gorge,ravine,chasm|
dwelling|noun|a house, flat or other place of residence|home,residence,abode|
ember|noun|a small piece of burning wood or coal in a dying fire|cinder,coal,spark|
fortune|noun|chance or luck; a large amount of money|luck,wealth,destiny|misfortune
glimpse|noun|a momentary or partial view|glance,peek,sight|
harbor|noun|a place on the coast where vessels may find shelter|port,haven,anchorage|
insight|noun|an accurate and deep understanding of something|understanding,perception,intuition|
journey|noun|an act of travelling from one place to another|trip,voyage,expedition|
kinship|noun|blood relationship; a sharing of characteristics|relationship,affinity,bond|
labyrinth|noun|a complicated irregular network of passages|maze,warren,tangle|
meadow|noun|a piece of grassland, especially one used for hay|field,pasture,lea|
nuance|noun|a subtle difference in meaning, expression or sound|subtlety,shade,distinction|
orchard|noun|a piece of land planted with fruit trees|grove,plantation,garden|
pinnacle|noun|the most successful point; the culmination|peak,summit,apex|nadir
quarry|noun|an open excavation from which stone is extracted|pit,mine,excavation|
remedy|noun|a medicine or treatment for a disease or injury|cure,treatment,antidote|
solitude|noun|the state of being alone|isolation,seclusion,privacy|company
threshold|noun|a strip of wood or stone forming the bottom of a doorway|doorstep,entrance,brink|
upheaval|noun|a violent or sudden change or disruption|disruption,turmoil,chaos|stability
venture|noun|a risky or daring journey or undertaking|enterprise,undertaking,project|
wisdom|noun|experience, knowledge and good judgement|sagacity,insight,prudence|folly
zenith|noun|the time at which something is most powerful or successful|peak,summit,height|nadir
beacon|noun|a fire or light set up in a high place as a signal|signal,light,flare|
cascade|noun|a small waterfall, typically one of several|waterfall,torrent,flood|
dilemma|noun|a situation requiring a difficult choice|predicament,quandary,plight|
eclipse|noun|the hiding of one celestial body by another|blocking,shadowing,darkening|
folklore|noun|the traditional beliefs and stories of a community|tradition,legend,mythology|
gently|adverb|in a mild or kind manner|softly,tenderly,lightly|roughly
hastily|adverb|with excessive speed or urgency|hurriedly,quickly,rashly|slowly
rarely|adverb|not often; seldom|seldom,infrequently,hardly|often
boldly|adverb|in a confident or courageous way|bravely,daringly,fearlessly|timidly
swiftly|adverb|in a quick manner; promptly|quickly,rapidly,speedily|slowly
silently|adverb|without making any sound|quietly,noiselessly,mutely|loudly
"""
_LEXICON: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = tuple(
    (w, pos, d, tuple(filter(None, syn.split(","))), tuple(filter(None, ant.split(","))))
    for w, pos, d, syn, ant in (line.split("|") for line in _LEXICON_TEXT.strip().splitlines())
)

N_AUTHORS = 160
N_PUBLISHERS = 12
COURSE_UNIVERSITIES = 150


@dataclass(frozen=True, slots=True)
class University:
    university_id: str
    name: str
    city_id: str
    founded: int
    students: int
    acceptance_rate: float
    tuition_usd: int
    kind: str
    world_rank: int


@dataclass(frozen=True, slots=True)
class Author:
    author_id: str
    name: str
    born: int
    country: str
    university_id: str | None


@dataclass(frozen=True, slots=True)
class Book:
    book_id: str
    title: str
    author_id: str
    year: int
    pages: int
    isbn: str
    publisher: str
    genre: str
    rating: float
    copies_available: int


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    start: dt.date
    seats: int


@dataclass(frozen=True, slots=True)
class Course:
    course_id: str
    title: str
    university_id: str
    instructor: str
    level: str
    weeks: int
    hours_per_week: int
    price_usd: int
    rating: float
    language: str
    enrolled: int
    sessions: tuple[Session, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    word: str
    pos: str
    definition: str
    synonyms: tuple[str, ...]
    antonyms: tuple[str, ...]
    first_attested: int
    frequency_rank: int


@dataclass(frozen=True)
class EduData:
    universities: Mapping[str, University]
    university_list: tuple[University, ...]
    """Sorted by name (search order)."""
    university_rows: tuple[tuple[str, University], ...]
    universities_by_city: Mapping[str, tuple[University, ...]]
    ranking: tuple[University, ...]
    city_by_name: Mapping[str, str]
    authors: Mapping[str, Author]
    author_rows: tuple[tuple[str, Author], ...]
    books: Mapping[str, Book]
    book_rows: tuple[tuple[str, Book], ...]
    books_by_author: Mapping[str, tuple[Book, ...]]
    """author id → books, oldest first."""
    courses: Mapping[str, Course]
    course_rows: tuple[tuple[str, Course], ...]
    courses_by_university: Mapping[str, tuple[Course, ...]]
    sessions: Mapping[str, tuple[Course, Session]]
    lexicon: Mapping[str, Entry]
    words: tuple[str, ...]
    languages: tuple[str, ...]
    seed: int
    """Seed of the on-demand parts (translations, word of the day)."""

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def book_index(self) -> SearchIndex[Book]:
        return SearchIndex.of_rows(self.book_rows)

    @cached_property
    def author_index(self) -> SearchIndex[Author]:
        return SearchIndex.of_rows(self.author_rows)

    @cached_property
    def course_index(self) -> SearchIndex[Course]:
        return SearchIndex.of_rows(self.course_rows)

    @cached_property
    def course_level_hits(self) -> Mapping[str, frozenset[int]]:
        """Level → positions in :attr:`course_rows` of the courses of that level."""
        out: dict[str, set[int]] = {}
        for i, (_, c) in enumerate(self.course_rows):
            out.setdefault(c.level, set()).add(i)
        return {k: frozenset(v) for k, v in out.items()}

    @cached_property
    def university_index(self) -> SearchIndex[University]:
        return SearchIndex.of_rows(self.university_rows)

    @cached_property
    def university_hay(self) -> Mapping[str, str]:
        return {u.university_id: hay for hay, u in self.university_rows}

    @cached_property
    def session_dates(self) -> Mapping[str, tuple[str, str, str | None]]:
        """Session id → (start ISO, end ISO, status when it no longer depends on
        enrolments — ``"finished"`` or ``"in progress"`` — else None)."""
        out: dict[str, tuple[str, str, str | None]] = {}
        for c, s in self.sessions.values():
            end = s.start + dt.timedelta(weeks=c.weeks)
            fixed = "finished" if end < TODAY else "in progress" if s.start <= TODAY else None
            out[s.session_id] = (s.start.isoformat(), end.isoformat(), fixed)
        return out

    @cached_property
    def courses_sorted(self) -> Mapping[tuple[str, str], tuple[Course, ...]]:
        """(university id, sort) → its courses in that order (courses_by_university)."""
        return {
            (uid, sort): tuple(sorted(own, key=key))
            for uid, own in self.courses_by_university.items()
            for sort, key in _COURSE_SORTS.items()
        }


# ---------------------------------------------------------------- build
def _book_title(rng: StableRng) -> str:
    k = rng.below(5)
    if k == 0:
        return f"The {rng.choice(_ADJ)} {rng.choice(_NOUN)}"
    if k == 1:
        return f"The {rng.choice(_NOUN)} of {place(rng)}"
    if k == 2:
        return f"A {rng.choice(_NOUN)} for {person(rng).split()[0]}"
    if k == 3:
        return f"{place(rng)}: {rng.choice(_ADJ)} {rng.choice(_NOUN)}s"
    return f"{rng.choice(_ADJ)} {place(rng)}"


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> EduData:
    g: geography.GeoData = world["geography"]
    cities = g.city_list

    # universities: most cities have one to three
    taken: set[str] = set()
    unis: list[University] = []
    for city in cities:
        n = rng.weighted((0, 1, 2, 3), (2, 4, 3, 2))
        forms = rng.sample(_UNIVERSITY_FORMS, n)
        for form in forms:
            name = form.format(c=city.name, w=word(rng, (2, 2)))
            if name.lower() in taken:
                continue
            taken.add(name.lower())
            unis.append(
                University(
                    university_id=f"U{5001 + len(unis)}",
                    name=name,
                    city_id=city.city_id,
                    founded=rng.randint(1150, 1995),
                    students=rng.randint(20, 600) * 100,
                    acceptance_rate=round(rng.uniform(4, 85), 1),
                    tuition_usd=0 if rng.random() < 0.2 else rng.randint(15, 550) * 100,
                    kind=rng.choice(("public", "public", "private")),
                    world_rank=0,
                )
            )
    score = {u.university_id: rng.random() + (2025 - u.founded) / 900 for u in unis}
    ranked = sorted(unis, key=lambda u: (-score[u.university_id], u.university_id))
    rank_of = {u.university_id: i + 1 for i, u in enumerate(ranked)}
    unis = [replace(u, world_rank=rank_of[u.university_id]) for u in unis]
    universities = {u.university_id: u for u in unis}
    uni_list = tuple(sorted(unis, key=lambda u: u.name))
    by_city: dict[str, list[University]] = {}
    for u in uni_list:
        by_city.setdefault(u.city_id, []).append(u)

    # authors and books
    country_names = tuple(c.name for c in g.countries.values())
    publishers = [
        rng.choice(_PUBLISHER_FORMS).format(w=w)
        for w in unique(rng, lambda r: word(r, (2, 2)), N_PUBLISHERS)
    ]
    authors: dict[str, Author] = {}
    books: dict[str, Book] = {}
    by_author: dict[str, tuple[Book, ...]] = {}
    author_names = unique(rng, person, N_AUTHORS)
    counts = [rng.randint(2, 11) for _ in author_names]
    titles = iter(unique(rng, _book_title, sum(counts)))
    for i, name in enumerate(author_names):
        aid = f"A{6001 + i}"
        born = rng.randint(1900, 1990)
        authors[aid] = Author(
            author_id=aid,
            name=name,
            born=born,
            country=rng.choice(country_names),
            university_id=rng.choice(unis).university_id if rng.random() < 0.6 else None,
        )
        years = sorted(rng.sample(range(born + 22, min(born + 85, 2025) + 1), counts[i]))
        own = []
        for year in years:
            bid = f"B{7001 + len(books)}"
            digits = "".join(str(rng.below(10)) for _ in range(9))
            book = Book(
                book_id=bid,
                title=next(titles),
                author_id=aid,
                year=year,
                pages=rng.randint(90, 880),
                isbn=f"978-{digits[0]}-{digits[1:5]}-{digits[5:]}-{rng.below(10)}",
                publisher=rng.choice(publishers),
                genre=rng.choice(GENRES),
                rating=round(rng.uniform(2.9, 4.9), 2),
                copies_available=rng.randint(0, 12),
            )
            books[bid] = book
            own.append(book)
        by_author[aid] = tuple(own)

    # courses: offered by a subset of the universities
    pool = [form.format(s=subject) for form in _COURSE_FORMS for subject in _SUBJECTS]
    rng.shuffle(pool)
    course_titles = iter(pool)
    courses: dict[str, Course] = {}
    by_uni: dict[str, list[Course]] = {}
    sessions: dict[str, tuple[Course, Session]] = {}
    n_sessions = 0
    for u in rng.sample(unis, min(COURSE_UNIVERSITIES, len(unis))):
        for title in [next(course_titles, None) for _ in range(rng.randint(1, 5))]:
            if title is None:
                break
            cid = f"K{8001 + len(courses)}"
            weeks = rng.randint(4, 16)
            starts = sorted(rng.sample(range(-60, 181, 7), rng.randint(2, 4)))
            sess = []
            for off in starts:
                n_sessions += 1
                seats = 0 if rng.random() < 0.15 else rng.randint(1, 40)
                sess.append(Session(f"S{9001 + n_sessions}", TODAY + dt.timedelta(days=off), seats))
            course = Course(
                course_id=cid,
                title=title,
                university_id=u.university_id,
                instructor=person(rng),
                level=rng.choice(LEVELS),
                weeks=weeks,
                hours_per_week=rng.randint(2, 10),
                price_usd=0 if rng.random() < 0.15 else rng.randint(3, 50) * 10 - 1,
                rating=round(rng.uniform(3.0, 5.0), 1),
                language=rng.choice(("English", "English", "English", *geography.LANGUAGES[:4])),
                enrolled=rng.randint(40, 90000),
                sessions=tuple(sess),
            )
            courses[cid] = course
            by_uni.setdefault(u.university_id, []).append(course)
            for s in sess:
                sessions[s.session_id] = (course, s)

    # the dictionary
    ranks = rng.sample(range(300, 30000), len(_LEXICON))
    lexicon = {
        w: Entry(w, pos, d, syn, ant, rng.randint(1150, 1950), ranks[i])
        for i, (w, pos, d, syn, ant) in enumerate(_LEXICON)
    }

    data = EduData(
        universities=universities,
        university_list=uni_list,
        university_rows=tuple((search_text(u.name), u) for u in uni_list),
        universities_by_city={k: tuple(v) for k, v in by_city.items()},
        ranking=tuple(sorted(universities.values(), key=lambda u: u.world_rank)),
        city_by_name={norm(c.name): c.city_id for c in cities},
        authors=authors,
        author_rows=tuple(
            (search_text(a.name), a) for a in sorted(authors.values(), key=lambda a: a.name)
        ),
        books=books,
        book_rows=tuple(
            (search_text(b.title, authors[b.author_id].name), b)
            for b in sorted(books.values(), key=lambda b: b.title)
        ),
        books_by_author=by_author,
        courses=courses,
        course_rows=tuple(
            (search_text(c.title), c) for c in sorted(courses.values(), key=lambda c: c.title)
        ),
        courses_by_university={k: tuple(v) for k, v in by_uni.items()},
        sessions=sessions,
        lexicon=lexicon,
        words=tuple(sorted(lexicon)),
        languages=geography.LANGUAGES,
        seed=rng.randint(0, 2**62),
    )
    return warm(data)


def ed(state_or_world: WorldState | World) -> EduData:
    return domain_data(state_or_world, "education")


# ---------------------------------------------------------------- helpers
def _city_name(state_or_world: WorldState | World, city_id: str) -> str:
    return geography.geo(state_or_world).cities[city_id].name


_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")


# ---------------------------------------------------------------- book_library
def _book_summary(data: EduData, b: Book) -> dict[str, Any]:
    a = data.authors[b.author_id]
    return {"book_id": b.book_id, "title": b.title, "author": a.name, "author_id": a.author_id}


@DOMAIN.api("book_library", "search_books")
def search_books(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    words = query_words(require_text(args, "query"))
    found = data.book_index.select(words)
    return paginate(found, args.get("page", 1), PAGE, lambda b: _book_summary(data, b))


@DOMAIN.api("book_library", "get_book")
def get_book(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    b = get_by_id(data.books, args["book_id"], "book")
    return {
        **_book_summary(data, b),
        "year": b.year,
        "pages": b.pages,
        "isbn": b.isbn,
        "publisher": b.publisher,
        "genre": b.genre,
        "rating": b.rating,
        "copies_available": b.copies_available,
    }


@DOMAIN.api("book_library", "search_authors")
def search_authors(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    words = query_words(require_text(args, "name"))
    found = data.author_index.select(words)
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda a: {
            "author_id": a.author_id,
            "name": a.name,
            "book_count": len(data.books_by_author[a.author_id]),
        },
    )


@DOMAIN.api("book_library", "get_author")
def get_author(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    a = get_by_id(data.authors, args["author_id"], "author")
    uni = data.universities[a.university_id] if a.university_id else None
    return {
        "author_id": a.author_id,
        "name": a.name,
        "born": a.born,
        "country": a.country,
        "book_count": len(data.books_by_author[a.author_id]),
        "university_id": uni.university_id if uni else None,
        "university": uni.name if uni else None,
    }


@DOMAIN.api("book_library", "author_books")
def author_books(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    a = get_by_id(data.authors, args["author_id"], "author")
    sort = enum_arg(args, "sort", ("year", "title"), "year")
    own = data.books_by_author[a.author_id]
    if sort == "title":
        own = tuple(sorted(own, key=lambda b: b.title))
    return paginate(
        own,
        args.get("page", 1),
        PAGE,
        lambda b: {"book_id": b.book_id, "title": b.title, "year": b.year},
    )


# ---------------------------------------------------------------- dictionary_api
def _entry(data: EduData, value: Any) -> Entry:
    if not isinstance(value, str) or not value.strip():
        raise ApiInputError("word must be a non-empty string")
    key = value.strip().lower()
    if key not in data.lexicon:
        raise ApiInputError(f"{value!r} is not in the dictionary")
    return data.lexicon[key]


@lru_cache(maxsize=4096)
def translation(seed: int, word_: str, language: str) -> str:
    """The word in one of the world's (fictional) languages, fixed by the world seed."""
    rng = StableRng(derive_seed(seed, "translate", word_, language))
    return (word(rng, (1, 2)) + _ENDINGS.get(language, "")).lower()


def _word_of_day(data: EduData, date: dt.date) -> Entry:
    i = (date.toordinal() * 7919 + data.seed) % len(data.words)
    return data.lexicon[data.words[i]]


@DOMAIN.api("dictionary_api", "define_word")
def define_word(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    e = _entry(ed(state), args["word"])
    return {
        "word": e.word,
        "part_of_speech": e.pos,
        "definition": e.definition,
        "first_attested": e.first_attested,
        "frequency_rank": e.frequency_rank,
    }


@DOMAIN.api("dictionary_api", "synonyms")
def synonyms(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    e = _entry(ed(state), args["word"])
    return {"word": e.word, "synonyms": list(e.synonyms), "antonyms": list(e.antonyms)}


@DOMAIN.api("dictionary_api", "translate_word")
def translate_word(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    e = _entry(data, args["word"])
    lang = args["language"]
    if lang not in data.languages:
        raise ApiInputError(f"language must be one of {', '.join(data.languages)}")
    return {"word": e.word, "language": lang, "translation": translation(data.seed, e.word, lang)}


@DOMAIN.api("dictionary_api", "word_of_the_day")
def word_of_the_day(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    date = parse_date(args.get("date", TODAY.isoformat()))
    e = _word_of_day(data, date)
    return {
        "date": date.isoformat(),
        "word": e.word,
        "part_of_speech": e.pos,
        "definition": e.definition,
    }


# ---------------------------------------------------------------- online_courses
def _seats_left(state: WorldState, s: Session) -> int:
    return max(0, s.seats - len(state.find("enrollments", session_id=s.session_id)))


@DOMAIN.api("online_courses", "search_courses")
def search_courses(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    words = query_words(require_text(args, "query"))
    level = args.get("level")
    if level is not None and level not in LEVELS:
        raise ApiInputError(f"level must be one of {', '.join(LEVELS)}")
    hits = data.course_index.hits(words)
    if level is not None:
        hits = hits & data.course_level_hits.get(level, frozenset())
    courses = data.course_index.items
    found = [courses[i] for i in sorted(hits)]
    return paginate(
        found,
        args.get("page", 1),
        PAGE,
        lambda c: {"course_id": c.course_id, "title": c.title, "level": c.level},
    )


@DOMAIN.api("online_courses", "get_course")
def get_course(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    c = get_by_id(data.courses, args["course_id"], "course")
    return {
        "course_id": c.course_id,
        "title": c.title,
        "university_id": c.university_id,
        "university": data.universities[c.university_id].name,
        "instructor": c.instructor,
        "level": c.level,
        "weeks": c.weeks,
        "hours_per_week": c.hours_per_week,
        "price_usd": c.price_usd,
        "rating": c.rating,
        "language": c.language,
        "enrolled": c.enrolled,
    }


_COURSE_SORTS: dict[str, Callable[[Course], Any]] = {
    "rating": lambda c: (-c.rating, c.title),
    "price": lambda c: (c.price_usd, c.title),
    "title": lambda c: c.title,
}


@DOMAIN.api("online_courses", "courses_by_university")
def courses_by_university(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    u = get_by_id(data.universities, args["university_id"], "university")
    sort = enum_arg(args, "sort", tuple(_COURSE_SORTS), "rating")
    own = data.courses_sorted.get((u.university_id, sort), ())
    return paginate(
        own,
        args.get("page", 1),
        PAGE,
        lambda c: {
            "course_id": c.course_id,
            "title": c.title,
            "level": c.level,
            "rating": c.rating,
            "price_usd": c.price_usd,
        },
    )


def _session_status(state: WorldState, c: Course, s: Session) -> str:
    end = s.start + dt.timedelta(weeks=c.weeks)
    if end < TODAY:
        return "finished"
    if s.start <= TODAY:
        return "in progress"
    return "open" if _seats_left(state, s) > 0 else "full"


@DOMAIN.api("online_courses", "course_sessions")
def course_sessions(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    c = get_by_id(data.courses, args["course_id"], "course")
    rows = []
    for s in c.sessions:
        start, end, status = data.session_dates[s.session_id]
        left = 0
        if status is None:  # not started yet (as _session_status decides)
            left = _seats_left(state, s)
            status = "open" if left > 0 else "full"
        rows.append(
            {
                "session_id": s.session_id,
                "start_date": start,
                "end_date": end,
                "seats_left": left,
                "status": status,
            }
        )
    return {"course_id": c.course_id, "sessions": rows}


@DOMAIN.api("online_courses", "enroll")
def enroll(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    c = get_by_id(data.courses, args["course_id"], "course")
    sid = args["session_id"]
    if not isinstance(sid, str) or sid.strip() not in data.sessions:
        raise ApiInputError(f"no session with id {sid!r}")
    owner, s = data.sessions[sid.strip()]
    if owner.course_id != c.course_id:
        raise ApiInputError(f"session {s.session_id} belongs to course {owner.course_id}")
    status = _session_status(state, c, s)
    if status != "open":
        raise ApiInputError(f"session {s.session_id} is {status}: enrolment is closed")
    name = require_text(args, "student_name")
    email = require_text(args, "student_email").lower()
    if not _EMAIL.match(email):
        raise ApiInputError(f"{email!r} is not a valid e-mail address")
    if state.find("enrollments", session_id=s.session_id, student_email=email):
        raise ApiInputError(f"{email} is already enrolled in session {s.session_id}")
    record = {
        "enrollment_id": state.next_id("ENR"),
        "course_id": c.course_id,
        "session_id": s.session_id,
        "student_name": name,
        "student_email": email,
        "start_date": s.start.isoformat(),
        "price_usd": c.price_usd,
    }
    state.add("enrollments", record)
    return dict(record)


# ---------------------------------------------------------------- university_info
def _uni_summary(state: WorldState | World, u: University) -> dict[str, Any]:
    return {
        "university_id": u.university_id,
        "name": u.name,
        "city": _city_name(state, u.city_id),
        "founded": u.founded,
    }


@DOMAIN.api("university_info", "search_universities")
def search_universities(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    query, city = args.get("query"), args.get("city")
    words = norm(query).split() if isinstance(query, str) else []
    city_words = norm(city).split() if isinstance(city, str) else []
    if not words and not city_words:
        raise ApiInputError("give a query (university name) or a city name, or both")
    city_id = None
    if city_words:
        city_id = data.city_by_name.get(" ".join(city_words))
        if city_id is None:
            raise ApiInputError(f"unknown city {city!r}: give the city name only")
    if city_id:
        hay = data.university_hay
        found = [
            u
            for u in data.universities_by_city.get(city_id, ())
            if not words or has_words(words, hay[u.university_id])
        ]
    else:
        found = data.university_index.select(words)
    return paginate(found, args.get("page", 1), PAGE, lambda u: _uni_summary(state, u))


@DOMAIN.api("university_info", "get_university")
def get_university(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    u = get_by_id(ed(state).universities, args["university_id"], "university")
    city = geography.geo(state).cities[u.city_id]
    return {
        **_uni_summary(state, u),
        "city_id": u.city_id,
        "country_code": city.country_code,
        "type": u.kind,
        "students": u.students,
        "acceptance_rate_percent": u.acceptance_rate,
        "tuition_usd_per_year": u.tuition_usd,
        "world_rank": u.world_rank,
    }


@DOMAIN.api("university_info", "university_rankings")
def university_rankings(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    data = ed(state)
    return paginate(
        data.ranking,
        args.get("page", 1),
        10,
        lambda u: {"rank": u.world_rank, **_uni_summary(state, u)},
    )


# ---------------------------------------------------------------- task helpers
def _find_book(world: World, b: Book) -> GoldCall | None:
    call = GoldCall("book_library", "search_books", {"query": b.title})
    return listed_call(world, search_books, call, "book_id", b.book_id)


def _find_course(world: World, c: Course) -> GoldCall | None:
    call = GoldCall("online_courses", "search_courses", {"query": c.title})
    return listed_call(world, search_courses, call, "course_id", c.course_id)


def _find_university(world: World, u: University) -> GoldCall | None:
    call = GoldCall("university_info", "search_universities", {"query": u.name})
    return listed_call(world, search_universities, call, "university_id", u.university_id)


def _multi_course(data: EduData) -> list[str]:
    """Ids of the universities that offer at least two courses."""
    return [k for k, v in data.courses_by_university.items() if len(v) >= 2]


def _student(rng: StableRng) -> tuple[str, str]:
    name = person(rng)
    first, last = name.lower().split()
    return name, f"{first}.{last}@{rng.choice(_MAIL_DOMAINS)}"


def _next_open(world: World, c: Course) -> dict[str, Any] | None:
    res = run_api(world, course_sessions, course_id=c.course_id)
    open_ = [s for s in res["sessions"] if s["status"] == "open"]
    return min(open_, key=lambda s: s["start_date"]) if open_ else None


def _enroll_call(c: Course, session_id: str, name: str, email: str, dep: int) -> GoldCall:
    return GoldCall(
        "online_courses",
        "enroll",
        {
            "course_id": c.course_id,
            "session_id": session_id,
            "student_name": name,
            "student_email": email,
        },
        (dep,),
        match=("course_id", "session_id", "student_email"),
    )


# ---------------------------------------------------------------- G1: book_library
@DOMAIN.task("education.book_details", group="G1", tools=("book_library",))
@retrying
def task_book_details(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    b = data.books[rng.choice(tuple(data.books))]
    search = _find_book(world, b)
    if search is None:
        return None
    return checked_draft(
        {"book": b.title},
        (search, GoldCall("book_library", "get_book", {"book_id": b.book_id}, (0,))),
        (
            AnswerFact(b.year, "year"),
            AnswerFact(b.pages, "pages"),
            AnswerFact(b.publisher, "publisher"),
        ),
        f"{b.title} was published in {b.year} by {b.publisher} and has {b.pages} pages.",
    )


@DOMAIN.task("education.author_latest_book", group="G1", tools=("book_library",))
@retrying
def task_author_latest_book(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    prolific = [k for k, v in data.books_by_author.items() if len(v) > PAGE]
    a = data.authors[rng.choice(prolific)]
    own = data.books_by_author[a.author_id]
    if own[-1].year == own[-2].year:
        return None
    call = GoldCall("book_library", "search_authors", {"name": a.name})
    search = listed_call(world, search_authors, call, "author_id", a.author_id)
    if search is None:
        return None
    pages = -(-len(own) // PAGE)
    gold = [
        search,
        GoldCall(
            "book_library", "author_books", {"author_id": a.author_id}, (0,), match=("author_id",)
        ),
    ]
    for p in range(2, pages + 1):
        gold.append(
            GoldCall(
                "book_library",
                "author_books",
                {"author_id": a.author_id, "page": p},
                (p - 1,),
                match=("author_id", "page"),
            )
        )
    last = own[-1]
    return checked_draft(
        {"author": a.name},
        gold,
        (
            AnswerFact(last.title, "latest book", tuple(b.title for b in own[:-1])),
            AnswerFact(last.year, "year"),
        ),
        f"The most recent book by {a.name} is {last.title}, published in {last.year}.",
    )


# ---------------------------------------------------------------- G1: dictionary_api
@DOMAIN.task("education.word_info", group="G1", tools=("dictionary_api",))
@retrying
def task_word_info(rng: StableRng, world: World) -> TaskDraft | None:
    e = ed(world).lexicon[rng.choice(ed(world).words)]
    return checked_draft(
        {"word": e.word},
        (GoldCall("dictionary_api", "define_word", {"word": e.word}),),
        (AnswerFact(e.pos, "part of speech"), AnswerFact(e.first_attested, "first attested")),
        f"'{e.word}' is a {e.pos} ({e.definition}); it is first attested in {e.first_attested}.",
    )


@DOMAIN.task("education.translate", group="G1", tools=("dictionary_api",))
@retrying
def task_translate(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    w = rng.choice(data.words)
    lang = rng.choice(data.languages)
    out = translation(data.seed, w, lang)
    return checked_draft(
        {"word": w, "language": lang},
        (GoldCall("dictionary_api", "translate_word", {"word": w, "language": lang}),),
        (AnswerFact(out, "translation"),),
        f"In {lang}, '{w}' is '{out}'.",
    )


@DOMAIN.task("education.word_of_day_translation", group="G1", tools=("dictionary_api",))
@retrying
def task_wotd_translation(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    date = TODAY + dt.timedelta(days=rng.randint(-120, 30))
    lang = rng.choice(data.languages)
    e = _word_of_day(data, date)
    out = translation(data.seed, e.word, lang)
    return checked_draft(
        {"date": date.isoformat(), "language": lang},
        (
            GoldCall("dictionary_api", "word_of_the_day", {"date": date.isoformat()}),
            GoldCall("dictionary_api", "translate_word", {"word": e.word, "language": lang}, (0,)),
        ),
        (AnswerFact(e.word, "word of the day"), AnswerFact(out, "translation")),
        f"The word of the day for {date.isoformat()} is '{e.word}'; in {lang} it is '{out}'.",
    )


# ---------------------------------------------------------------- G1: online_courses
@DOMAIN.task("education.course_details", group="G1", tools=("online_courses",))
@retrying
def task_course_details(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    c = data.courses[rng.choice(tuple(data.courses))]
    search = _find_course(world, c)
    if search is None:
        return None
    return checked_draft(
        {"course": c.title},
        (search, GoldCall("online_courses", "get_course", {"course_id": c.course_id}, (0,))),
        (
            AnswerFact(c.price_usd, "price"),
            AnswerFact(c.weeks, "weeks"),
            AnswerFact(c.instructor, "instructor"),
        ),
        f"{c.title} is taught by {c.instructor}, lasts {c.weeks} weeks and costs "
        f"{c.price_usd} USD.",
    )


@DOMAIN.task("education.enroll_next_session", group="G1", tools=("online_courses",))
@retrying
def task_enroll_next(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    c = data.courses[rng.choice(tuple(data.courses))]
    nxt = _next_open(world, c)
    search = _find_course(world, c)
    if nxt is None or search is None:
        return None
    name, email = _student(rng)
    return checked_draft(
        {"course": c.title, "name": name, "email": email},
        (
            search,
            GoldCall("online_courses", "course_sessions", {"course_id": c.course_id}, (0,)),
            _enroll_call(c, nxt["session_id"], name, email, 1),
        ),
        (
            StateFact(
                "enrollments",
                {"course_id": c.course_id, "session_id": nxt["session_id"], "student_email": email},
                "enrollment",
            ),
            AnswerFact(nxt["start_date"], "start date"),
        ),
        f"{name} ({email}) is enrolled in {c.title}, session {nxt['session_id']} starting "
        f"{nxt['start_date']}.",
    )


# ---------------------------------------------------------------- G1: university_info
@DOMAIN.task("education.university_facts", group="G1", tools=("university_info",))
@retrying
def task_university_facts(rng: StableRng, world: World) -> TaskDraft | None:
    u = rng.choice(ed(world).university_list)
    search = _find_university(world, u)
    if search is None:
        return None
    return checked_draft(
        {"university": u.name},
        (
            search,
            GoldCall("university_info", "get_university", {"university_id": u.university_id}, (0,)),
        ),
        (
            AnswerFact(u.acceptance_rate, "acceptance rate"),
            AnswerFact(u.tuition_usd, "tuition"),
            AnswerFact(u.students, "students"),
        ),
        f"{u.name} has {u.students} students, accepts {u.acceptance_rate}% of applicants and "
        f"charges {u.tuition_usd} USD tuition per year.",
    )


@DOMAIN.task("education.oldest_university", group="G1", tools=("university_info",))
@retrying
def task_oldest_university(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    city_id = rng.choice([k for k, v in data.universities_by_city.items() if 2 <= len(v) <= PAGE])
    own = sorted(data.universities_by_city[city_id], key=lambda u: u.founded)
    if own[0].founded == own[1].founded:
        return None
    city = _city_name(world, city_id)
    oldest = own[0]
    return checked_draft(
        {"city": city},
        (GoldCall("university_info", "search_universities", {"city": city}),),
        (
            AnswerFact(oldest.name, "oldest university", tuple(u.name for u in own[1:])),
            AnswerFact(oldest.founded, "founded"),
        ),
        f"The oldest university in {city} is {oldest.name}, founded in {oldest.founded}.",
    )


# ---------------------------------------------------------------- G2
@DOMAIN.task("education.course_university", group="G2", tools=("online_courses", "university_info"))
@retrying
def task_course_university(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    c = data.courses[rng.choice(tuple(data.courses))]
    u = data.universities[c.university_id]
    search = _find_course(world, c)
    if search is None:
        return None
    city = _city_name(world, u.city_id)
    return checked_draft(
        {"course": c.title},
        (
            search,
            GoldCall("online_courses", "get_course", {"course_id": c.course_id}, (0,)),
            GoldCall("university_info", "get_university", {"university_id": u.university_id}, (1,)),
        ),
        (
            AnswerFact(u.name, "university"),
            AnswerFact(city, "city"),
            AnswerFact(u.world_rank, "world rank"),
        ),
        f"{c.title} is offered by {u.name}, located in {city} and ranked {u.world_rank} in "
        "the world.",
    )


@DOMAIN.task("education.author_university", group="G2", tools=("book_library", "university_info"))
@retrying
def task_author_university(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    b = rng.choice([x for x in data.books.values() if data.authors[x.author_id].university_id])
    a = data.authors[b.author_id]
    u = data.universities[str(a.university_id)]
    search = _find_book(world, b)
    if search is None:
        return None
    return checked_draft(
        {"book": b.title},
        (
            search,
            GoldCall("book_library", "get_author", {"author_id": a.author_id}, (0,)),
            GoldCall("university_info", "get_university", {"university_id": u.university_id}, (1,)),
        ),
        (
            AnswerFact(u.name, "university"),
            AnswerFact(u.acceptance_rate, "acceptance rate"),
        ),
        f"{b.title} was written by {a.name}, who is affiliated with {u.name}; its acceptance "
        f"rate is {u.acceptance_rate}%.",
    )


@DOMAIN.task(
    "education.university_top_course", group="G2", tools=("university_info", "online_courses")
)
@retrying
def task_university_top_course(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    u = data.universities[rng.choice(_multi_course(data))]
    own = sorted(data.courses_by_university[u.university_id], key=_COURSE_SORTS["rating"])
    if own[0].rating == own[1].rating:
        return None
    search = _find_university(world, u)
    if search is None:
        return None
    top = own[0]
    return checked_draft(
        {"university": u.name},
        (
            search,
            GoldCall(
                "online_courses",
                "courses_by_university",
                {"university_id": u.university_id, "sort": "rating"},
                (0,),
                match=("university_id",),
            ),
        ),
        (
            AnswerFact(top.title, "best course", tuple(c.title for c in own[1:])),
            AnswerFact(top.rating, "rating"),
            AnswerFact(len(own), "course count"),
        ),
        f"{u.name} offers {len(own)} online courses; the best rated is {top.title} "
        f"({top.rating} stars).",
    )


@DOMAIN.task(
    "education.enroll_cheapest_course",
    group="G2",
    tools=("university_info", "online_courses"),
)
@retrying
def task_enroll_cheapest(rng: StableRng, world: World) -> TaskDraft | None:
    data = ed(world)
    u = data.universities[rng.choice(_multi_course(data))]
    own = sorted(data.courses_by_university[u.university_id], key=_COURSE_SORTS["price"])
    if own[0].price_usd == own[1].price_usd:
        return None
    c = own[0]
    nxt = _next_open(world, c)
    search = _find_university(world, u)
    if nxt is None or search is None:
        return None
    name, email = _student(rng)
    return checked_draft(
        {"university": u.name, "name": name, "email": email},
        (
            search,
            GoldCall(
                "online_courses",
                "courses_by_university",
                {"university_id": u.university_id, "sort": "price"},
                (0,),
                match=("university_id",),
            ),
            GoldCall("online_courses", "course_sessions", {"course_id": c.course_id}, (1,)),
            _enroll_call(c, nxt["session_id"], name, email, 2),
        ),
        (
            StateFact(
                "enrollments",
                {"course_id": c.course_id, "session_id": nxt["session_id"], "student_email": email},
                "enrollment",
            ),
            AnswerFact(c.title, "course", tuple(x.title for x in own[1:])),
            AnswerFact(nxt["start_date"], "start date"),
        ),
        f"The cheapest course of {u.name} is {c.title} ({c.price_usd} USD). {name} is now "
        f"enrolled in its next open session, starting {nxt['start_date']}.",
    )
