"""The records of one block of ids for each stream, generated column by column (see `draws`).

Every function returns the `BLOCK` records with ids `block * BLOCK + 1` to `(block + 1) * BLOCK`; the caller
trims a block to the ids it needs. Times come from `timeline`: `updated_at` is fixed by the id, the other times
lie before it (created_at <= added_to_cart_at <= purchased_at <= returned_at <= updated_at).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from source_faker import vocabulary as words
from source_faker.draws import BLOCK, block_rng, table, uint32s, weighted_table
from source_faker.timeline import EPOCH, STEP_SECONDS, format_many, format_optional

Record = dict[str, Any]
Generator = Callable[[int, int, int], list[Record]]
"""(seed, block, user_count) -> the block's records."""

PRODUCT_COUNT = 100

_GENDERS = weighted_table([("Female", 49), ("Male", 49), ("Other", 2)])
_FIRST = {gender: table(names) for gender, names in words.FIRST_NAMES.items()}
_TITLES = {gender: table(titles) for gender, titles in words.TITLES.items()}
_LAST = table(words.LAST_NAMES)
_DOMAINS = table(words.EMAIL_DOMAINS)
_AGES = table(range(18, 91))
_LANGUAGES = table(words.LANGUAGES)
_DEGREES = weighted_table([("Bachelor", 40), ("Master", 20), ("PhD", 5), ("Associate", 15), ("None", 20)])
_NATIONALITIES = table(words.NATIONALITIES)
_OCCUPATIONS = table(words.OCCUPATIONS)
_HEIGHTS = table([f"{cm / 100:.2f}" for cm in range(150, 206)])
_BLOOD = weighted_table([("O+", 37), ("A+", 36), ("B+", 9), ("AB+", 3), ("O-", 7), ("A-", 6), ("B-", 2), ("AB-", 1)])
_WEIGHTS = table(range(45, 131))
_AREA_CODES = [f"+1-{area}-555-" for area in range(201, 1000)]
_LINE_NUMBERS = [f"{n:04d}" for n in range(10_000)]
_STREETS = table([f"{name} {suffix}" for name in words.STREET_NAMES for suffix in words.STREET_SUFFIXES])
_PLACES = table(words.PLACES)
_CARS = table([(make, model) for make, models in words.CAR_MODELS.items() for model in models])
_YEARS = table(range(2005, 2025))
_PRODUCT_IDS = table(range(1, PRODUCT_COUNT + 1))
_PURCHASED = weighted_table([(True, 70), (False, 30)])  # 70% of carts are bought
_RETURNED = weighted_table([(True, 15), (False, 85)])  # 15% of purchases are returned

_CREATED_SPAN = 3 * 365 * 86_400  # a user or product was created up to three years before its last update
_CART_SPAN = 90 * 86_400  # a purchase record lives up to ninety days


def _updated(block: int) -> tuple[range, list[int]]:
    ids = range(block * BLOCK + 1, (block + 1) * BLOCK + 1)
    return ids, [EPOCH + i * STEP_SECONDS for i in ids]


def users(seed: int, block: int, user_count: int) -> list[Record]:
    rng = block_rng(seed, "users", block)
    ids, updated = _updated(block)
    draw = rng.randbytes
    genders = [_GENDERS[b] for b in draw(BLOCK)]
    firsts = [_FIRST[g][b] for g, b in zip(genders, draw(BLOCK), strict=True)]
    titles = [_TITLES[g][b] for g, b in zip(genders, draw(BLOCK), strict=True)]
    lasts = [_LAST[b] for b in draw(BLOCK)]
    created = format_many([u - r % _CREATED_SPAN for u, r in zip(updated, uint32s(rng, BLOCK), strict=True)])
    phones = [_AREA_CODES[r % 799] + _LINE_NUMBERS[r // 799 % 10_000] for r in uint32s(rng, BLOCK)]
    street_numbers = [str(1 + r % 9999) for r in uint32s(rng, BLOCK)]
    postal_codes = [str(10_000 + r % 90_000) for r in uint32s(rng, BLOCK)]
    places = [_PLACES[b] for b in draw(BLOCK)]
    return [
        {
            "id": i,
            "created_at": c,
            "updated_at": u,
            "name": f"{first} {last}",
            "title": title,
            "age": _AGES[age],
            "email": f"{first}.{last}{i}@{_DOMAINS[domain]}".lower(),
            "telephone": phone,
            "gender": gender,
            "language": _LANGUAGES[language],
            "academic_degree": _DEGREES[degree],
            "nationality": _NATIONALITIES[nationality],
            "occupation": _OCCUPATIONS[occupation],
            "height": _HEIGHTS[height],
            "blood_type": _BLOOD[blood],
            "weight": _WEIGHTS[weight],
            "address": {
                "street_number": number,
                "street_name": _STREETS[street],
                "city": place[0],
                "state": place[1],
                "province": place[2],
                "postal_code": postal,
                "country_code": place[3],
            },
        }
        for (
            i, c, u, gender, first, title, last, phone, number, postal, place,
            age, domain, language, degree, nationality, occupation, height, blood, weight, street,
        ) in zip(
            ids, created, format_many(updated), genders, firsts, titles, lasts, phones, street_numbers,
            postal_codes, places, draw(BLOCK), draw(BLOCK), draw(BLOCK), draw(BLOCK), draw(BLOCK), draw(BLOCK),
            draw(BLOCK), draw(BLOCK), draw(BLOCK), draw(BLOCK), strict=True,
        )
    ]  # fmt: skip


def products(seed: int, block: int, user_count: int) -> list[Record]:
    rng = block_rng(seed, "products", block)
    ids, updated = _updated(block)
    draw = rng.randbytes
    created = format_many([u - r % _CREATED_SPAN for u, r in zip(updated, uint32s(rng, BLOCK), strict=True)])
    prices = [round(9_999 + r % 90_000 + (r >> 20) % 100 / 100, 2) for r in uint32s(rng, BLOCK)]
    return [
        {
            "id": i,
            "make": _CARS[car][0],
            "model": _CARS[car][1],
            "year": _YEARS[year],
            "price": price,
            "created_at": c,
            "updated_at": u,
        }
        for i, c, u, price, car, year in zip(
            ids, created, format_many(updated), prices, draw(BLOCK), draw(BLOCK), strict=True
        )
    ]


def purchases(seed: int, block: int, user_count: int) -> list[Record]:
    """Purchase n is made by a user drawn from 1..user_count, of a product drawn from 1..PRODUCT_COUNT."""
    rng = block_rng(seed, "purchases", block)
    ids, updated = _updated(block)
    draw = rng.randbytes
    created = [u - r % _CART_SPAN for u, r in zip(updated, uint32s(rng, BLOCK), strict=True)]
    carted = [c + (u - c) * (r % 1000) // 4000 for c, u, r in zip(created, updated, uint32s(rng, BLOCK), strict=True)]
    bought: list[int | None] = [
        a + (u - a) * (r % 1000) // 2000 if _PURCHASED[b] else None
        for a, u, r, b in zip(carted, updated, uint32s(rng, BLOCK), draw(BLOCK), strict=True)
    ]
    returned: list[int | None] = [
        p + (u - p) * (r % 1000) // 1000 if p is not None and _RETURNED[b] else None
        for p, u, r, b in zip(bought, updated, uint32s(rng, BLOCK), draw(BLOCK), strict=True)
    ]
    return [
        {
            "id": i,
            "user_id": 1 + r % user_count,
            "product_id": _PRODUCT_IDS[product],
            "created_at": c,
            "updated_at": u,
            "added_to_cart_at": a,
            "purchased_at": p,
            "returned_at": x,
        }
        for i, r, product, c, u, a, p, x in zip(
            ids,
            uint32s(rng, BLOCK),
            draw(BLOCK),
            format_many(created),
            format_many(updated),
            format_many(carted),
            format_optional(bought),
            format_optional(returned),
            strict=True,
        )
    ]


GENERATORS: dict[str, Generator] = {"users": users, "products": products, "purchases": purchases}
