"""Jobs: employers, job postings, salary statistics and applications.

Tools: ``job_search`` (postings by title and city), ``company_info`` (employers and their
openings), ``salary_estimates`` (salary statistics per job title and city, in the local
currency of the city's country) and ``job_applications`` (apply, look up, withdraw).
Postings are concentrated in the two largest cities of each country (capitals included).
Stateful APIs write ``applications``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from steptool_env.seeding import StableRng, derive_seed
from steptool_env.world.domain import Domain
from steptool_env.world.domains.finance import FinanceData, convert, convert_call, fin
from steptool_env.world.domains.geography import CURRENCIES, City, GeoData, geo
from steptool_env.world.generation import chosen_fact, fmt, retrying, run_api
from steptool_env.world.helpers import (
    TODAY,
    ApiInputError,
    SearchIndex,
    day,
    domain_data,
    get_by_id,
    keyword_find,
    norm,
    paginate,
    require_text,
    search_text,
    warm,
)
from steptool_env.world.names import person, unique, word
from steptool_env.world.state import World, WorldState
from steptool_env.world.tasks import AnswerFact, GoldCall, StateFact, TaskDraft

DOMAIN = Domain("jobs", requires=("geography", "finance"))

TITLES: dict[str, int] = {
    "Software Engineer": 98000,
    "Data Analyst": 68000,
    "Registered Nurse": 64000,
    "Accountant": 60000,
    "Graphic Designer": 52000,
    "Marketing Manager": 85000,
    "Electrician": 56000,
    "Teacher": 50000,
    "Mechanical Engineer": 82000,
    "Sales Representative": 48000,
    "Pharmacist": 92000,
    "Chef": 42000,
    "Project Manager": 88000,
    "UX Designer": 80000,
    "Civil Engineer": 78000,
    "Financial Analyst": 75000,
}
TITLE_NAMES = tuple(TITLES)
_TITLE_INDEX = SearchIndex(TITLE_NAMES, lambda t: t)
_TITLE_KEY = {t: norm(t) for t in TITLE_NAMES}
_TITLE_BY_KEY: dict[str, str] = {}
for _t in TITLE_NAMES:
    _TITLE_BY_KEY.setdefault(norm(_t), _t)
EMPLOYER_KINDS = {
    "Solutions": "IT services",
    "Health": "Healthcare",
    "Works": "Manufacturing",
    "Partners": "Consulting",
    "Studio": "Design",
    "Dynamics": "Engineering",
    "Logistics": "Logistics",
    "Kitchens": "Hospitality",
    "Academy": "Education",
    "Group": "Conglomerate",
    "Construction": "Construction",
    "Analytics": "Data & analytics",
}
EMPLOYMENT_TYPES = ("full-time", "part-time", "contract")
N_COMPANIES = 110
N_JOBS = 1300


@dataclass(frozen=True, slots=True)
class Company:
    company_id: str
    name: str
    industry: str
    hq_city_id: str
    employees: int
    founded: int
    rating: float
    ceo: str


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    title: str
    company_id: str
    city_id: str
    salary_min: int
    salary_max: int
    currency: str
    employment_type: str
    remote: bool
    posted: str
    experience_years: int


@dataclass(frozen=True)
class JobsData:
    salt: int
    wage_factor: Mapping[str, float]
    """Country code → how well the country pays relative to the base salaries."""
    companies: Mapping[str, Company]
    company_keys: tuple[tuple[str, Company], ...]
    jobs: Mapping[str, Job]
    jobs_by_title: Mapping[str, tuple[Job, ...]]
    jobs_by_company: Mapping[str, tuple[Job, ...]]
    """Newest first."""
    city_by_name: Mapping[str, str]
    country_by_name: Mapping[str, str]
    ranking_cache: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    """Title → every city's salary row, best paid first (filled on first use; a pure
    function of the world, so caching does not change any response)."""

    # Derived lookups (not fields: no part of the world's content; see helpers.warm).
    @cached_property
    def company_index(self) -> SearchIndex[Company]:
        return SearchIndex.of_rows(self.company_keys, name=lambda c: c.name)

    @cached_property
    def jobs_by_title_city(self) -> Mapping[tuple[str, str], tuple[Job, ...]]:
        """(title, city id) → its postings in :attr:`jobs_by_title` order."""
        out: dict[tuple[str, str], list[Job]] = {}
        for title, own in self.jobs_by_title.items():
            for j in own:
                out.setdefault((title, j.city_id), []).append(j)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def top_cities(self) -> dict[tuple[str, str | None], tuple[dict[str, Any], ...]]:
        """(title, country code or None) → top_paying_cities rows (filled on first use;
        shared: callers copy them)."""
        return {}

    @cached_property
    def medians(self) -> dict[tuple[str, str], int]:
        """(title, city id) → median salary (filled on first use)."""
        return {}

    @cached_property
    def samples(self) -> dict[tuple[str, str], int]:
        """(title, city id) → salary_by_title_and_city's sample size (filled on use)."""
        return {}

    @cached_property
    def job_rows(self) -> dict[str, dict[str, Any]]:
        """Job id → its search row (filled on use; shared: callers copy it)."""
        return {}


def median_salary(
    g: GeoData, f: FinanceData, salt: int, wage: Mapping[str, float], title: str, city: City
) -> int:
    """Median yearly salary of a title in a city, in the local currency (whole hundreds)."""
    cur = g.countries[city.country_code].currency
    noise = 0.9 + (derive_seed(salt, "salary", title, city.city_id) % 2001) / 10000
    size = 0.85 + 0.3 * min(1.0, city.population / 3_000_000)
    usd = TITLES[title] * wage[city.country_code] * size * noise
    return int(round(usd * f.per_usd[cur][0], -2))


@DOMAIN.builder
def build(rng: StableRng, world: Mapping[str, Any]) -> JobsData:
    g: GeoData = world["geography"]
    f: FinanceData = world["finance"]
    salt = rng.randint(0, 2**62)
    wage = {code: round(rng.uniform(0.35, 1.5), 3) for code in g.countries}
    hubs: list[City] = []
    weights: list[float] = []
    for code in g.countries:
        for c in g.cities_by_country[code][:2]:
            hubs.append(c)
            weights.append(3.0 if c.is_capital else 1.5)
    names = unique(rng, lambda r: word(r, (2, 2)), N_COMPANIES)
    companies: dict[str, Company] = {}
    for i, base in enumerate(names):
        kind = rng.choice(tuple(EMPLOYER_KINDS))
        company = Company(
            company_id=f"CO{101 + i}",
            name=f"{base} {kind}",
            industry=EMPLOYER_KINDS[kind],
            hq_city_id=rng.weighted(hubs, weights).city_id,
            employees=rng.randint(12, 9000),
            founded=rng.randint(1950, 2021),
            rating=round(rng.uniform(2.6, 4.8), 1),
            ceo=person(rng),
        )
        companies[company.company_id] = company
    company_list = tuple(companies.values())
    jobs: dict[str, Job] = {}
    for i in range(N_JOBS):
        title = rng.choice(TITLE_NAMES)
        city = rng.weighted(hubs, weights)
        med = median_salary(g, f, salt, wage, title, city)
        low = int(round(med * rng.uniform(0.78, 1.0), -2))
        high = int(round(med * rng.uniform(1.08, 1.4), -2))
        j = Job(
            job_id=f"J{10001 + i}",
            title=title,
            company_id=rng.choice(company_list).company_id,
            city_id=city.city_id,
            salary_min=low,
            salary_max=high,
            currency=g.countries[city.country_code].currency,
            employment_type=rng.weighted(EMPLOYMENT_TYPES, (0.75, 0.12, 0.13)),
            remote=rng.random() < 0.2,
            posted=day(-rng.randint(0, 45)),
            experience_years=rng.randint(0, 10),
        )
        jobs[j.job_id] = j
    newest = sorted(jobs.values(), key=lambda j: (j.posted, j.job_id), reverse=True)
    by_title: dict[str, list[Job]] = {t: [] for t in TITLE_NAMES}
    by_company: dict[str, list[Job]] = {c: [] for c in companies}
    for j in newest:
        by_title[j.title].append(j)
        by_company[j.company_id].append(j)
    data = JobsData(
        salt=salt,
        wage_factor=wage,
        companies=companies,
        company_keys=tuple(
            (search_text(c.name), c) for c in sorted(company_list, key=lambda c: c.name)
        ),
        jobs=jobs,
        jobs_by_title={t: tuple(v) for t, v in by_title.items()},
        jobs_by_company={c: tuple(v) for c, v in by_company.items()},
        city_by_name={norm(c.name): c.city_id for c in g.city_list},
        country_by_name={norm(c.name): c.code for c in g.countries.values()},
    )
    return warm(data)


# ---------------------------------------------------------------- helpers
def jd(state_or_world: WorldState | World) -> JobsData:
    return domain_data(state_or_world, "jobs")


def _city(state: WorldState, value: Any) -> City:
    g = geo(state)
    text = value.strip() if isinstance(value, str) else ""
    if text in g.cities:
        return g.cities[text]
    cid = jd(state).city_by_name.get(norm(text))
    if cid is None:
        raise ApiInputError(f"unknown city {value!r}; give a city name or a city id")
    return g.cities[cid]


def _title(value: Any) -> str:
    key = norm(value) if isinstance(value, str) else ""
    if key in _TITLE_BY_KEY:
        return _TITLE_BY_KEY[key]
    raise ApiInputError(f"unknown job title {value!r}; see list_job_titles")


def _median(state: WorldState | World, title: str, city: City) -> int:
    d = jd(state)
    key = (title, city.city_id)
    med = d.medians.get(key)
    if med is None:
        med = median_salary(geo(state), fin(state), d.salt, d.wage_factor, title, city)
        d.medians[key] = med
    return med


def _job_row(state: WorldState | World, j: Job) -> dict[str, Any]:
    return _job_rows(state)(j)


def _job_rows(state: WorldState | World) -> Callable[[Job], dict[str, Any]]:
    """The renderer of job search rows (a fresh dictionary per call)."""
    d = jd(state)
    memo = d.job_rows

    def render(j: Job) -> dict[str, Any]:
        row = memo.get(j.job_id)
        if row is None:
            row = memo[j.job_id] = {
                "job_id": j.job_id,
                "title": j.title,
                "company": d.companies[j.company_id].name,
                "city": geo(state).cities[j.city_id].name,
                "salary_min": j.salary_min,
                "salary_max": j.salary_max,
                "currency": j.currency,
                "posted_date": j.posted,
                "remote": j.remote,
            }
        return dict(row)

    return render


def _job(state: WorldState, job_id: Any) -> Job:
    key = job_id.strip().upper() if isinstance(job_id, str) else job_id
    return get_by_id(jd(state).jobs, key, "job")


# ---------------------------------------------------------------- job_search
JOB_SORTS = ("relevance", "newest", "salary")


@DOMAIN.api("job_search", "search_jobs")
def search_jobs(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    words = norm(require_text(args, "title")).split()
    if not words:
        raise ApiInputError("title must contain letters")
    d = jd(state)
    titles = _TITLE_INDEX.select(words)
    if args.get("city"):
        cid = _city(state, args["city"]).city_id
        found = [j for t in titles for j in d.jobs_by_title_city.get((t, cid), ())]
    else:
        found = [j for t in titles for j in d.jobs_by_title[t]]
    if args.get("remote_only"):
        found = [j for j in found if j.remote]
    if args.get("employment_type"):
        et = args["employment_type"]
        if et not in EMPLOYMENT_TYPES:
            raise ApiInputError(f"employment_type must be one of {', '.join(EMPLOYMENT_TYPES)}")
        found = [j for j in found if j.employment_type == et]
    sort = args.get("sort", "relevance")
    if sort not in JOB_SORTS:
        raise ApiInputError(f"sort must be one of {', '.join(JOB_SORTS)}")
    q = " ".join(words)
    exact = {t for t in titles if _TITLE_KEY[t] == q}
    if sort == "relevance":
        found.sort(key=lambda j: (j.title not in exact, j.job_id))
    elif sort == "newest":
        found.sort(key=lambda j: (j.posted, j.job_id), reverse=True)
    else:
        found.sort(key=lambda j: (-j.salary_max, j.job_id))
    return paginate(found, args.get("page", 1), 5, _job_rows(state))


@DOMAIN.api("job_search", "get_job")
def get_job(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    j = _job(state, args["job_id"])
    company = jd(state).companies[j.company_id]
    city = geo(state).cities[j.city_id]
    return {
        **_job_row(state, j),
        "company_id": company.company_id,
        "city_id": city.city_id,
        "country_code": city.country_code,
        "employment_type": j.employment_type,
        "experience_years": j.experience_years,
        "description": (
            f"{company.name} is hiring a {j.title} in {city.name}. At least "
            f"{j.experience_years} year(s) of experience required."
        ),
    }


@DOMAIN.api("job_search", "similar_jobs")
def similar_jobs(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    j = _job(state, args["job_id"])
    same = [x for x in jd(state).jobs_by_title[j.title] if x.job_id != j.job_id]
    render = _job_rows(state)
    return {"job_id": j.job_id, "results": [render(x) for x in same[:5]]}


# ---------------------------------------------------------------- company_info
@DOMAIN.api("company_info", "search_companies")
def search_companies(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    q = require_text(args, "name")
    found = keyword_find(jd(state).company_index, q)
    return paginate(
        found,
        args.get("page", 1),
        5,
        lambda c: {"company_id": c.company_id, "name": c.name, "industry": c.industry},
    )


@DOMAIN.api("company_info", "get_company")
def get_company(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    key = args["company_id"].strip().upper() if isinstance(args["company_id"], str) else None
    c = get_by_id(jd(state).companies, key, "company")
    city = geo(state).cities[c.hq_city_id]
    return {
        "company_id": c.company_id,
        "name": c.name,
        "industry": c.industry,
        "headquarters": city.name,
        "headquarters_city_id": city.city_id,
        "employees": c.employees,
        "founded": c.founded,
        "employee_rating": c.rating,
        "ceo": c.ceo,
        "open_positions": len(jd(state).jobs_by_company[c.company_id]),
    }


@DOMAIN.api("company_info", "company_jobs")
def company_jobs(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    key = args["company_id"].strip().upper() if isinstance(args["company_id"], str) else None
    c = get_by_id(jd(state).companies, key, "company")
    found = list(jd(state).jobs_by_company[c.company_id])
    if args.get("title"):
        words = norm(str(args["title"])).split()
        wanted = set(_TITLE_INDEX.select(words))
        found = [j for j in found if j.title in wanted]
    return {
        "company_id": c.company_id,
        "company": c.name,
        **paginate(found, args.get("page", 1), 5, _job_rows(state)),
    }


# ---------------------------------------------------------------- salary_estimates
@DOMAIN.api("salary_estimates", "salary_by_title_and_city")
def salary_by_title_and_city(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    title = _title(args["title"])
    city = _city(state, args["city"])
    med = _median(state, title, city)
    d = jd(state)
    n = d.samples.get((title, city.city_id))
    if n is None:
        n = d.samples[title, city.city_id] = (
            20 + derive_seed(d.salt, "sample", title, city.city_id) % 480
        )
    return {
        "title": title,
        "city": city.name,
        "city_id": city.city_id,
        "country_code": city.country_code,
        "currency": geo(state).countries[city.country_code].currency,
        "period": "year",
        "median": med,
        "percentile_25": int(round(med * 0.82, -2)),
        "percentile_75": int(round(med * 1.21, -2)),
        "sample_size": n,
    }


@DOMAIN.api("salary_estimates", "top_paying_cities")
def top_paying_cities(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    title = _title(args["title"])
    g = geo(state)
    code = None
    if args.get("country"):
        raw = str(args["country"]).strip()
        code = (
            raw.upper() if raw.upper() in g.countries else jd(state).country_by_name.get(norm(raw))
        )
        if code is None:
            raise ApiInputError(f"unknown country {raw!r}; give its name or 2-letter code")
    ranking = _ranking(state, title)
    memo = jd(state).top_cities
    top = memo.get((title, code))
    if top is None:
        if code is None:
            rows = list(ranking)
        else:
            rows = [r for r in ranking if r["country_code"] == code]
            rows.sort(key=lambda r: (-r["median"], r["city_id"]))
        top = tuple({k: v for k, v in r.items() if k != "_usd"} for r in rows[:10])
        memo[title, code] = top
    return {"title": title, "results": [dict(r) for r in top]}


def _ranking(state: WorldState, title: str) -> tuple[dict[str, Any], ...]:
    d = jd(state)
    if title not in d.ranking_cache:
        g, f = geo(state), fin(state)
        rows: list[dict[str, Any]] = []
        for c in g.city_list:
            cur = g.countries[c.country_code].currency
            med = _median(state, title, c)
            usd = med / f.per_usd[cur][0]
            rows.append(
                {
                    "city": c.name,
                    "city_id": c.city_id,
                    "country_code": c.country_code,
                    "median": med,
                    "currency": cur,
                    "median_usd": int(round(usd, -2)),
                    "_usd": usd,
                }
            )
        rows.sort(key=lambda r: (-r["_usd"], r["city_id"]))
        d.ranking_cache[title] = tuple(rows)
    return d.ranking_cache[title]


@DOMAIN.api("salary_estimates", "list_job_titles")
def list_job_titles(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    return {"titles": list(TITLE_NAMES)}


# ---------------------------------------------------------------- job_applications
def _application(state: WorldState, app_id: Any) -> dict[str, Any]:
    key = app_id.strip().upper() if isinstance(app_id, str) else None
    for rec in state.records.get("applications", ()):
        if rec["application_id"] == key:
            return rec
    raise ApiInputError(f"no application with id {app_id!r}")


@DOMAIN.api("job_applications", "apply_to_job")
def apply_to_job(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    j = _job(state, args["job_id"])
    name = require_text(args, "applicant_name", min_len=2)
    email = str(args.get("email") or "").strip()
    if email and ("@" not in email or " " in email):
        raise ApiInputError("email must look like name@example.com")
    for rec in state.find("applications", job_id=j.job_id, status="submitted"):
        if norm(rec["applicant_name"]) == norm(name):
            raise ApiInputError(f"{name} has already applied to {j.job_id}")
    rec = {
        "application_id": state.next_id("APP"),
        "job_id": j.job_id,
        "job_title": j.title,
        "company": jd(state).companies[j.company_id].name,
        "applicant_name": name,
        "email": email,
        "status": "submitted",
        "applied_on": TODAY.isoformat(),
    }
    return dict(state.add("applications", rec))


@DOMAIN.api("job_applications", "get_application")
def get_application(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    return dict(_application(state, args["application_id"]))


@DOMAIN.api("job_applications", "withdraw_application")
def withdraw_application(state: WorldState, args: Mapping[str, Any]) -> dict[str, Any]:
    rec = _application(state, args["application_id"])
    if rec["status"] == "withdrawn":
        raise ApiInputError(f"application {rec['application_id']} is already withdrawn")
    rec["status"] = "withdrawn"
    return dict(rec)


# ---------------------------------------------------------------- tasks
def _pair_jobs(
    rng: StableRng, world: World, minimum: int = 2
) -> tuple[str, City, list[Job]] | None:
    """A (title, city) pair with at least ``minimum`` postings, and those postings."""
    d, g = jd(world), geo(world)
    j = rng.choice(tuple(d.jobs.values()))
    same = [x for x in d.jobs_by_title[j.title] if x.city_id == j.city_id]
    if len(same) < minimum:
        return None
    return j.title, g.cities[j.city_id], same


def _sorted_job_search(title: str, city: City, sort: str) -> GoldCall:
    """search_jobs for a title in a city, in ``sort`` order (any order satisfies the node)."""
    return GoldCall(
        "job_search",
        "search_jobs",
        {"title": title, "city": city.name, "sort": sort},
        match=("title", "city"),
    )


def _company_names(world: World, jobs: list[Job]) -> list[str]:
    return [jd(world).companies[j.company_id].name for j in jobs]


def _top_posting_task(
    world: World,
    title: str,
    city: City,
    ranked: list[Job],
    sort: str,
    answer: str,
    *details: AnswerFact,
) -> TaskDraft:
    """'Which company posts the first of these jobs': ``ranked`` are the postings of a title
    in a city in search_jobs order ``sort``; ``answer`` names the first one's company and
    states ``details``."""
    company = jd(world).companies[ranked[0].company_id].name
    return TaskDraft(
        slots={"title": title, "city": city.name},
        gold=(
            _sorted_job_search(title, city, sort),
            GoldCall("job_search", "get_job", {"job_id": ranked[0].job_id}, (0,)),
        ),
        facts=(
            chosen_fact(company, "company", answer, _company_names(world, ranked[1:])),
            *details,
        ),
        answer=answer,
    )


@DOMAIN.task("jobs.top_paying_job", group="G1", tools=("job_search",))
@retrying
def task_top_paying_job(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _pair_jobs(rng, world)
    if picked is None:
        return None
    title, city, same = picked
    same.sort(key=lambda j: -j.salary_max)
    top = same[0]
    if same[1].salary_max == top.salary_max:
        return None
    company = jd(world).companies[top.company_id].name
    answer = (
        f"The best-paid {title} job in {city.name} is at {company}, paying up to "
        f"{top.salary_max} {top.currency} a year and asking for {top.experience_years} "
        f"year(s) of experience."
    )
    return _top_posting_task(
        world,
        title,
        city,
        same,
        "salary",
        answer,
        AnswerFact(top.salary_max, "max salary"),
        AnswerFact(top.experience_years, "experience years"),
    )


@DOMAIN.task("jobs.newest_job", group="G1", tools=("job_search",))
@retrying
def task_newest_job(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _pair_jobs(rng, world)
    if picked is None:
        return None
    title, city, same = picked
    same.sort(key=lambda j: j.posted, reverse=True)
    top = same[0]
    if same[1].posted == top.posted:
        return None
    company = jd(world).companies[top.company_id].name
    answer = (
        f"The most recent {title} posting in {city.name} is from {company}, offering "
        f"{top.salary_min} to {top.salary_max} {top.currency} a year."
    )
    return _top_posting_task(
        world,
        title,
        city,
        same,
        "newest",
        answer,
        AnswerFact(top.salary_min, "min salary"),
        AnswerFact(top.salary_max, "max salary"),
    )


def _pick_company(rng: StableRng, world: World) -> Company | None:
    c = rng.choice(tuple(jd(world).companies.values()))
    first = run_api(world, search_companies, name=c.name)["results"][0]
    return c if first["company_id"] == c.company_id else None


@DOMAIN.task("jobs.company_facts", group="G1", tools=("company_info",))
@retrying
def task_company_facts(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_company(rng, world)
    if c is None:
        return None
    return TaskDraft(
        slots={"company": c.name},
        gold=(
            GoldCall("company_info", "search_companies", {"name": c.name}),
            GoldCall("company_info", "get_company", {"company_id": c.company_id}, (0,)),
        ),
        facts=(AnswerFact(c.ceo, "ceo"), AnswerFact(c.employees, "employees")),
        answer=f"{c.name} is run by {c.ceo} and employs {c.employees} people.",
    )


@DOMAIN.task("jobs.company_openings", group="G1", tools=("company_info",))
@retrying
def task_company_openings(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_company(rng, world)
    if c is None:
        return None
    own = jd(world).jobs_by_company[c.company_id]
    if len(own) < 2 or own[0].posted == own[1].posted or own[0].title == own[1].title:
        return None
    newest = own[0]
    answer = (
        f"{c.name} has {len(own)} open positions; the most recently posted one is {newest.title}."
    )
    return TaskDraft(
        slots={"company": c.name},
        gold=(
            GoldCall("company_info", "search_companies", {"name": c.name}),
            GoldCall("company_info", "company_jobs", {"company_id": c.company_id}, (0,)),
        ),
        facts=(
            AnswerFact(len(own), "openings"),
            chosen_fact(newest.title, "newest title", answer, [j.title for j in own[1:5]]),
        ),
        answer=answer,
    )


@DOMAIN.task("jobs.median_salary", group="G1", tools=("salary_estimates",))
def task_median_salary(rng: StableRng, world: World) -> TaskDraft:
    title = rng.choice(TITLE_NAMES)
    city = rng.choice(geo(world).city_list)
    out = run_api(world, salary_by_title_and_city, title=title, city=city.name)
    return TaskDraft(
        slots={"title": title, "city": city.name},
        gold=(
            GoldCall(
                "salary_estimates", "salary_by_title_and_city", {"title": title, "city": city.name}
            ),
        ),
        facts=(AnswerFact(out["median"], "median"), AnswerFact(out["currency"], "currency")),
        answer=(
            f"A {title} in {city.name} earns a median of {out['median']} {out['currency']} "
            f"a year (25th-75th percentile {out['percentile_25']} to "
            f"{out['percentile_75']})."
        ),
    )


@DOMAIN.task("jobs.top_paying_city", group="G1", tools=("salary_estimates",))
@retrying
def task_top_paying_city(rng: StableRng, world: World) -> TaskDraft | None:
    title = rng.choice(TITLE_NAMES)
    country = rng.choice(tuple(geo(world).countries.values()))
    rows = run_api(world, top_paying_cities, title=title, country=country.name)["results"]
    if len(rows) < 2 or rows[0]["median"] == rows[1]["median"]:
        return None
    top = rows[0]
    answer = (
        f"In {country.name}, {title}s earn the most in {top['city']}: a median of "
        f"{top['median']} {top['currency']} a year."
    )
    return TaskDraft(
        slots={"title": title, "country": country.name},
        gold=(
            GoldCall(
                "salary_estimates", "top_paying_cities", {"title": title, "country": country.name}
            ),
        ),
        facts=(
            chosen_fact(top["city"], "city", answer, (r["city"] for r in rows[1:])),
            AnswerFact(top["median"], "median"),
        ),
        answer=answer,
    )


@DOMAIN.task("jobs.apply_newest", group="G2", tools=("job_search", "job_applications"))
@retrying
def task_apply_newest(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _pair_jobs(rng, world, minimum=1)
    if picked is None:
        return None
    title, city, same = picked
    same.sort(key=lambda j: j.posted, reverse=True)
    if len(same) > 1 and same[0].posted == same[1].posted:
        return None
    top = same[0]
    company = jd(world).companies[top.company_id].name
    applicant = person(rng)
    return TaskDraft(
        slots={"title": title, "city": city.name, "applicant": applicant},
        gold=(
            _sorted_job_search(title, city, "newest"),
            GoldCall(
                "job_applications",
                "apply_to_job",
                {"job_id": top.job_id, "applicant_name": applicant},
                (0,),
                match=("job_id", "applicant_name"),
            ),
        ),
        facts=(
            StateFact(
                "applications",
                {"job_id": top.job_id, "applicant_name": applicant},
                "application sent",
            ),
            AnswerFact(company, "company"),
        ),
        answer=f"{applicant} has applied to the newest {title} job in {city.name}, at {company}.",
    )


@DOMAIN.task("jobs.company_title_salary", group="G2", tools=("company_info", "job_search"))
@retrying
def task_company_title_salary(rng: StableRng, world: World) -> TaskDraft | None:
    c = _pick_company(rng, world)
    if c is None:
        return None
    own = jd(world).jobs_by_company[c.company_id]
    j = rng.choice(own) if own else None
    if j is None or sum(1 for x in own if x.title == j.title) != 1:
        return None
    city = geo(world).cities[j.city_id]
    return TaskDraft(
        slots={"company": c.name, "title": j.title},
        gold=(
            GoldCall("company_info", "search_companies", {"name": c.name}),
            GoldCall(
                "company_info",
                "company_jobs",
                {"company_id": c.company_id, "title": j.title},
                (0,),
                match=("company_id",),
            ),
            GoldCall("job_search", "get_job", {"job_id": j.job_id}, (1,)),
        ),
        facts=(
            AnswerFact(j.salary_min, "min salary"),
            AnswerFact(j.salary_max, "max salary"),
            AnswerFact(city.name, "city"),
        ),
        answer=(
            f"{c.name}'s {j.title} opening is in {city.name} and pays {j.salary_min} to "
            f"{j.salary_max} {j.currency} a year; it requires {j.experience_years} year(s) "
            f"of experience."
        ),
    )


@DOMAIN.task("jobs.offer_vs_market", group="G2", tools=("job_search", "salary_estimates"))
@retrying
def task_offer_vs_market(rng: StableRng, world: World) -> TaskDraft | None:
    picked = _pair_jobs(rng, world, minimum=1)
    if picked is None:
        return None
    title, city, same = picked
    same.sort(key=lambda j: -j.salary_max)
    if len(same) > 1 and same[0].salary_max == same[1].salary_max:
        return None
    top = same[0]
    med = _median(world, title, city)
    return TaskDraft(
        slots={"title": title, "city": city.name},
        gold=(
            _sorted_job_search(title, city, "salary"),
            GoldCall(
                "salary_estimates", "salary_by_title_and_city", {"title": title, "city": city.name}
            ),
        ),
        facts=(AnswerFact(top.salary_max, "best offer"), AnswerFact(med, "median")),
        answer=(
            f"The best-paying {title} posting in {city.name} offers up to {top.salary_max} "
            f"{top.currency}, against a local median of {med} {top.currency}."
        ),
    )


@DOMAIN.task("jobs.capital_jobs", group="G3", tools=("countries_info", "job_search"))
@retrying
def task_capital_jobs(rng: StableRng, world: World) -> TaskDraft | None:
    g, d = geo(world), jd(world)
    country = rng.choice(tuple(g.countries.values()))
    capital = g.cities[country.capital_id]
    counts: dict[str, int] = {}
    for t in TITLE_NAMES:
        counts[t] = sum(1 for j in d.jobs_by_title[t] if j.city_id == capital.city_id)
    eligible = [t for t in TITLE_NAMES if counts[t] >= 2]
    if not eligible:
        return None
    title = rng.choice(eligible)
    same = sorted(
        (j for j in d.jobs_by_title[title] if j.city_id == capital.city_id),
        key=lambda j: -j.salary_max,
    )
    if len(same) < 2 or same[0].salary_max == same[1].salary_max:
        return None
    company = d.companies[same[0].company_id].name
    answer = (
        f"The capital of {country.name} is {capital.name}; it has {len(same)} {title} "
        f"openings, the best-paid at {company}."
    )
    return TaskDraft(
        slots={"title": title, "country": country.name},
        gold=(
            GoldCall("countries_info", "search_countries", {"name": country.name}),
            GoldCall("countries_info", "get_country", {"country_code": country.code}, (0,)),
            GoldCall(
                "job_search",
                "search_jobs",
                {"title": title, "city": capital.name, "sort": "salary"},
                (1,),
                match=("title", "city"),
            ),
        ),
        facts=(
            AnswerFact(len(same), "openings"),
            chosen_fact(company, "company", answer, _company_names(world, same[1:])),
        ),
        answer=answer,
    )


@DOMAIN.task("jobs.salary_converted", group="G3", tools=("salary_estimates", "currency_exchange"))
@retrying
def task_salary_converted(rng: StableRng, world: World) -> TaskDraft | None:
    title = rng.choice(TITLE_NAMES)
    city = rng.choice(geo(world).city_list)
    target = rng.choice(CURRENCIES)
    local = geo(world).countries[city.country_code].currency
    if target == local:
        return None
    med = _median(world, title, city)
    value = convert(fin(world), med, local, target)
    return TaskDraft(
        slots={"title": title, "city": city.name, "currency": target},
        gold=(
            GoldCall(
                "salary_estimates", "salary_by_title_and_city", {"title": title, "city": city.name}
            ),
            convert_call(med, local, target, (0,)),
        ),
        facts=(AnswerFact(value, "converted median"),),
        answer=(
            f"The median {title} salary in {city.name} is {med} {local} a year, about "
            f"{fmt(value)} {target}."
        ),
    )
