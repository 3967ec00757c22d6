"""Writes on the portfolio: cities, their budgets, and the people who act for parties."""

from decimal import Decimal

from .models import City, CityBudget, Party, User


def city_upsert(
    *, name: str, name_en: str = "", province: str = "", budgets: dict[int, Decimal] | None = None
) -> City:
    """Create or update a city and its yearly general public budget expenditure."""
    city, _ = City.objects.update_or_create(
        name=name, defaults={"name_en": name_en, "province": province}
    )
    for year, expenditure in (budgets or {}).items():
        CityBudget.objects.update_or_create(
            city=city, year=year, defaults={"general_expenditure": expenditure}
        )
    return city


def party_upsert(*, kind: str, name: str, credit_code: str = "") -> Party:
    party, _ = Party.objects.update_or_create(
        name=name, defaults={"kind": kind, "credit_code": credit_code}
    )
    return party


def user_upsert(*, username: str, party: Party, role: str, password: str | None, **fields) -> User:
    """Create or update a person acting for `party`; officials may log into the admin.
    Without a password (None) the person cannot log in at all."""
    user, _ = User.objects.get_or_create(username=username)
    user.party, user.role = party, role
    user.is_staff = role in (User.Role.PREPARER, User.Role.APPROVER)
    for name, value in fields.items():
        setattr(user, name, value)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user
