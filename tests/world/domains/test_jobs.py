"""Behaviour of the jobs domain: postings, employers, salary statistics and applications."""

from __future__ import annotations

import pytest

from steptool_env.world.domains import jobs
from steptool_env.world.helpers import ApiInputError
from steptool_env.world.state import World, WorldState
from tests.world.domains.support import build_world
from tests.world.domains.support import checked_call as call


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(("geography", "finance", "jobs"))


def _busy_city(world: World) -> tuple[str, str]:
    """A (title, city name) pair with several postings."""
    d, g = jobs.jd(world), world["geography"]
    for title in jobs.TITLE_NAMES:
        for job in d.jobs_by_title[title]:
            if sum(1 for j in d.jobs_by_title[title] if j.city_id == job.city_id) >= 3:
                return title, g.cities[job.city_id].name
    raise AssertionError("no busy city")


def test_search_jobs_filters_and_sorts(world: World, state: WorldState) -> None:
    title, city = _busy_city(world)
    out = call(state, "job_search", "search_jobs", title=title.lower(), city=city, sort="salary")
    assert out["total_results"] >= 3
    assert all(r["title"] == title and r["city"] == city for r in out["results"])
    tops = [r["salary_max"] for r in out["results"]]
    assert tops == sorted(tops, reverse=True)
    newest = call(state, "job_search", "search_jobs", title=title, city=city, sort="newest")
    dates = [r["posted_date"] for r in newest["results"]]
    assert dates == sorted(dates, reverse=True)
    every = call(state, "job_search", "search_jobs", title="Engineer")
    assert every["total_pages"] > 2
    assert all("Engineer" in r["title"] for r in every["results"])
    with pytest.raises(ApiInputError, match="unknown city"):
        call(state, "job_search", "search_jobs", title=title, city="Atlantis")


def test_get_job_round_trip(world: World, state: WorldState) -> None:
    title, city = _busy_city(world)
    row = call(state, "job_search", "search_jobs", title=title, city=city)["results"][0]
    job = call(state, "job_search", "get_job", job_id=row["job_id"].lower())
    assert job["salary_max"] == row["salary_max"] and job["company"] == row["company"]
    assert job["salary_min"] <= job["salary_max"]
    similar = call(state, "job_search", "similar_jobs", job_id=row["job_id"])["results"]
    assert all(s["title"] == title and s["job_id"] != row["job_id"] for s in similar)
    with pytest.raises(ApiInputError, match="no job"):
        call(state, "job_search", "get_job", job_id="J1")


def test_company_search_profile_and_openings(world: World, state: WorldState) -> None:
    company = next(iter(jobs.jd(world).companies.values()))
    hit = call(state, "company_info", "search_companies", name=company.name)["results"][0]
    assert hit["company_id"] == company.company_id
    profile = call(state, "company_info", "get_company", company_id=company.company_id)
    assert profile["ceo"] == company.ceo
    listed = call(state, "company_info", "company_jobs", company_id=company.company_id)
    assert listed["total_results"] == profile["open_positions"]
    assert all(r["company"] == company.name for r in listed["results"])


def test_salary_statistics_are_local_and_ordered(world: World, state: WorldState) -> None:
    g = world["geography"]
    city = g.city_list[3]
    out = call(
        state, "salary_estimates", "salary_by_title_and_city", title="chef", city=city.city_id
    )
    assert out["title"] == "Chef"
    assert out["currency"] == g.countries[city.country_code].currency
    assert out["percentile_25"] < out["median"] < out["percentile_75"]
    with pytest.raises(ApiInputError, match="unknown job title"):
        call(state, "salary_estimates", "salary_by_title_and_city", title="Wizard", city=city.name)
    country = g.countries[city.country_code]
    top = call(state, "salary_estimates", "top_paying_cities", title="Chef", country=country.name)[
        "results"
    ]
    assert {r["country_code"] for r in top} == {country.code}
    medians = [r["median"] for r in top]
    assert medians == sorted(medians, reverse=True)
    assert out["median"] in medians
    world_top = call(state, "salary_estimates", "top_paying_cities", title="Chef")["results"]
    usd = [r["median_usd"] for r in world_top]
    assert len(world_top) == 10 and usd == sorted(usd, reverse=True)


def test_apply_withdraw_and_refuse_duplicates(world: World, state: WorldState) -> None:
    title, city = _busy_city(world)
    job_id = call(state, "job_search", "search_jobs", title=title, city=city)["results"][0][
        "job_id"
    ]
    app = call(
        state,
        "job_applications",
        "apply_to_job",
        job_id=job_id,
        applicant_name="Iris Moreau",
        email="iris@example.com",
    )
    assert state.find("applications", job_id=job_id, applicant_name="Iris Moreau")
    with pytest.raises(ApiInputError, match="already applied"):
        call(state, "job_applications", "apply_to_job", job_id=job_id, applicant_name="iris moreau")
    got = call(state, "job_applications", "get_application", application_id=app["application_id"])
    assert got["status"] == "submitted"
    out = call(
        state, "job_applications", "withdraw_application", application_id=app["application_id"]
    )
    assert out["status"] == "withdrawn"
    again = call(
        state, "job_applications", "apply_to_job", job_id=job_id, applicant_name="Iris Moreau"
    )
    assert again["application_id"] != app["application_id"]
    with pytest.raises(ApiInputError, match="email"):
        call(
            state,
            "job_applications",
            "apply_to_job",
            job_id=job_id,
            applicant_name="Zed Quill",
            email="not an email",
        )
