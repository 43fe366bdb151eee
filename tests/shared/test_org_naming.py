"""One rule for naming an organization: exact name unless it is another's id; `#N` is the id."""

from __future__ import annotations

import asyncpg
import pytest

from shared import orgs
from shared.errors import BadInput
from shared.models import Method


async def _add(pg: asyncpg.Connection, name: str) -> int:
    return await orgs.register(pg, orgs.NewOrg(name, Method.SAFT))


async def test_a_name_that_is_another_organizations_id_is_ambiguous(pg: asyncpg.Connection) -> None:
    first = await _add(pg, "Bakeri AS")
    digits = await _add(pg, str(first))
    with pytest.raises(BadInput) as refused:
        await orgs.find(pg, str(first))
    assert "ambiguous" in str(refused.value)
    assert f"#{first}" in str(refused.value)
    assert f"#{digits}" in str(refused.value)
    assert (await orgs.find(pg, f"#{first}"))["name"] == "Bakeri AS"
    assert (await orgs.find(pg, f"#{digits}"))["name"] == str(first)


async def test_a_name_wins_when_no_organization_has_it_as_id(pg: asyncpg.Connection) -> None:
    named = await _add(pg, "999999")
    assert (await orgs.find(pg, "999999"))["id"] == named
    only = await _add(pg, "Fisk")
    assert (await orgs.find(pg, str(only)))["name"] == "Fisk"
    assert (await orgs.find(pg, "fisk"))["id"] == only


@pytest.mark.parametrize(
    "ref",
    [
        "²",
        "#²",
        "٣",
        "#",
        "#-1",
        "#0",
        "99999999999999999999999",
        "#99999999999999999999",
        "",
        "a\x00b",
        "\u202eevil",
        "x" * 5000,
        "\ud800",
    ],
)
async def test_odd_references_are_one_sentence(pg: asyncpg.Connection, ref: str) -> None:
    await _add(pg, "Bakeri AS")
    with pytest.raises(BadInput) as refused:
        await orgs.find(pg, ref)
    assert "\n" not in str(refused.value)
    assert len(str(refused.value)) < 300


@pytest.mark.parametrize(
    "name", ["two\nlines", "tab\there", "\u202eevil", "zero\u200bwidth", "x" * 201]
)
async def test_names_with_control_characters_or_too_long_are_refused(
    pg: asyncpg.Connection, name: str
) -> None:
    with pytest.raises(BadInput):
        await _add(pg, name)
    assert await pg.fetchval("SELECT count(*) FROM organizations") == 0


async def test_a_name_of_200_plain_characters_is_fine(pg: asyncpg.Connection) -> None:
    await _add(pg, "Æ" * 200)
