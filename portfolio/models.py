"""The portfolio: cities, parties, projects, and the people who act for a party."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .credit_codes import validate_credit_code
from .fields import MoneyField


class City(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CityBudget(models.Model):
    """A city's general public budget expenditure (一般公共预算支出) for one year: the base
    of the fiscal affordability lines (PPP spending at most 10%; above 5% no new projects)."""

    city = models.ForeignKey(City, models.CASCADE, related_name="budgets", verbose_name=_("city"))
    year = models.PositiveSmallIntegerField(_("year"))
    general_expenditure = MoneyField(_("general public budget expenditure"))

    class Meta:
        verbose_name = _("city budget")
        verbose_name_plural = _("city budgets")
        ordering = ["city__name", "year"]
        constraints = [
            models.UniqueConstraint(fields=["city", "year"], name="city_budget_unique_year"),
            models.CheckConstraint(
                condition=Q(general_expenditure__gt=0), name="city_budget_expenditure_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.year}"


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProjectQuerySet":
        """Projects of the contracts the user may see (the rule of contracts.ScopedQuerySet)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role == "auditor":
            return self
        side = user.contract_side
        if side is None:
            return self.none()
        return self.filter(**{f"contracts__{side}": user.party_id}).distinct()


class PartyQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PartyQuerySet":
        """A user's own party and the parties of the contracts they may see."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role == "auditor":
            return self
        if not user.party_id:
            return self.none()
        mine = Q(pk=user.party_id)
        if user.role in ("preparer", "approver"):
            return self.filter(
                mine | Q(private_contracts__government_party=user.party_id)
            ).distinct()
        return self.filter(mine | Q(government_contracts__private_party=user.party_id)).distinct()


class Party(models.Model):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("government agency")
        ENTERPRISE = "enterprise", _("enterprise")
        AUDITOR = "auditor", _("auditor organisation")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, unique=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
        help_text=_("18 characters, GB 32100-2015; leave empty for foreign parties."),
    )

    objects = PartyQuerySet.as_manager()

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="party_unique_credit_code",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["government", "enterprise", "auditor"]),
                name="party_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    class Sector(models.TextChoices):
        PUBLIC_WIFI = "public_wifi", _("public WiFi")
        SMART_PARKING = "smart_parking", _("smart parking")
        FLOOD_MONITORING = "flood_monitoring", _("waterlogging monitoring")
        TRANSIT_PAYMENT = "transit_payment", _("transit mobile payment")
        DATA_PLATFORM = "data_platform", _("city data platform")
        E_GOVERNMENT = "e_government", _("e-government app")
        ROADS = "roads", _("roads")
        PUBLIC_BUILDINGS = "public_buildings", _("public buildings")

    class Stage(models.TextChoices):
        IDENTIFICATION = "identification", _("identification")
        PREPARATION = "preparation", _("preparation")
        PROCUREMENT = "procurement", _("procurement")
        EXECUTION = "execution", _("execution")
        HANDOVER = "handover", _("handover")

    class ReturnMechanism(models.TextChoices):
        USER_PAYS = "user_pays", _("user pays")
        VIABILITY_GAP = "viability_gap", _("viability gap funding")
        GOVERNMENT_PAYS = "government_pays", _("government pays")

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    city = models.ForeignKey(City, models.PROTECT, related_name="projects", verbose_name=_("city"))
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    # BOT, TOT, ROT, BOO, DBFM, O&M, MC, OPBRC…: an open list in practice.
    operation_mode = models.CharField(_("operation mode"), max_length=20)
    return_mechanism = models.CharField(
        _("return mechanism"), max_length=20, choices=ReturnMechanism.choices
    )
    total_investment = MoneyField(_("total investment"))
    cooperation_years = models.PositiveSmallIntegerField(_("cooperation years"))

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_investment__gte=0), name="project_investment_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(cooperation_years__gte=1), name="project_cooperation_years_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A person acting for one party, in one role."""

    class Role(models.TextChoices):
        PREPARER = "preparer", _("official (preparer)")
        APPROVER = "approver", _("official (approver)")
        ENTERPRISE = "enterprise", _("enterprise staff")
        AUDITOR = "auditor", _("auditor")

    # The party kind each role acts for.
    ROLE_PARTY_KIND = {
        Role.PREPARER: Party.Kind.GOVERNMENT,
        Role.APPROVER: Party.Kind.GOVERNMENT,
        Role.ENTERPRISE: Party.Kind.ENTERPRISE,
        Role.AUDITOR: Party.Kind.AUDITOR,
    }

    party = models.ForeignKey(
        Party, models.PROTECT, null=True, blank=True, related_name="people", verbose_name=_("party")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # A role always comes with the party it acts for (superusers may have neither).
            models.CheckConstraint(
                condition=Q(role="", party__isnull=True) | (~Q(role="") & Q(party__isnull=False)),
                name="user_role_needs_party",
            ),
        ]

    @property
    def contract_side(self) -> str | None:
        """The side of a contract this user's party is on: officials the government party,
        enterprise staff the private party; None for anyone else."""
        return {
            self.Role.PREPARER: "government_party",
            self.Role.APPROVER: "government_party",
            self.Role.ENTERPRISE: "private_party",
        }.get(self.role)

    @property
    def is_official(self) -> bool:
        return self.role in (self.Role.PREPARER, self.Role.APPROVER)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        expected_kind = self.ROLE_PARTY_KIND.get(self.role)
        if expected_kind and self.party and self.party.kind != expected_kind:
            raise ValidationError(
                {
                    "party": _("A %(role)s must belong to a %(kind)s.")
                    % {"role": self.get_role_display(), "kind": Party.Kind(expected_kind).label}
                }
            )
