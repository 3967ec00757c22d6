"""What the portfolio dashboard shows, read in a fixed number of queries per page.

Scoping is `visible_to(user)`, the API's rule: projects, contracts, scores and payments are
the user's own (an enterprise its company's, an official their agency's, an auditor all).
The budget lines are the exception: a city's obligations against its budget are one
aggregate over all its contracts, shown to anyone who sees a project in the city; no other
company's contract is named in them."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, Subquery, Sum

from contracts.compliance import ComplianceFlags, Flag, compliance_flags
from contracts.models import Contract, Milestone, PaymentCalculation
from portfolio.models import City, Project
from portfolio.selectors import FiscalYear, city_fiscal_years
from reports.selectors import figure_status

# Payments computed or prepared: an official still has to approve them.
AWAITING_APPROVAL = [PaymentCalculation.State.COMPUTED, PaymentCalculation.State.PREPARED]
TREND_PERIODS = 12
CITIES_PER_PAGE = 20


@dataclass
class ContractRow:
    contract: Contract
    flags: list[Flag]
    latest_period: str | None = None
    score: Decimal | None = None
    grade: str = ""
    awaiting: int = 0
    awaiting_payable: Decimal = Decimal(0)


@dataclass
class ProjectRow:
    project: Project
    contracts: list[ContractRow] = field(default_factory=list)

    @property
    def flags(self) -> list[Flag]:
        return [f for row in self.contracts for f in row.flags]

    @property
    def awaiting(self) -> int:
        return sum(row.awaiting for row in self.contracts)


@dataclass
class CityRow:
    city: City
    fiscal_years: list[FiscalYear]
    flags: list[Flag]
    projects: list[ProjectRow] = field(default_factory=list)

    @property
    def investment(self) -> Decimal:
        return sum((p.project.total_investment for p in self.projects), Decimal(0))

    @property
    def awaiting(self) -> int:
        return sum(p.awaiting for p in self.projects)

    @property
    def awaiting_payable(self) -> Decimal:
        return sum((row.awaiting_payable for p in self.projects for row in p.contracts), Decimal(0))


def _fiscal_window(today: date) -> range:
    return range(today.year, today.year + settings.FISCAL_YEARS_AHEAD + 1)


def _contract_rows(*, user, contracts: list[Contract], flags: ComplianceFlags) -> list:
    latest = PaymentCalculation.objects.filter(period__contract=OuterRef("pk")).order_by(
        "-period__starts_on"
    )
    scores = {
        c["pk"]: c
        for c in Contract.objects.filter(pk__in=[c.pk for c in contracts])
        .annotate(
            latest_period=Subquery(latest.values("period__label")[:1]),
            latest_score=Subquery(latest.values("score")[:1]),
            latest_grade=Subquery(latest.values("grade")[:1]),
        )
        .values("pk", "latest_period", "latest_score", "latest_grade")
    }
    awaiting = {
        row["period__contract"]: row
        for row in PaymentCalculation.objects.visible_to(user)
        .filter(period__contract__in=[c.pk for c in contracts], state__in=AWAITING_APPROVAL)
        .values("period__contract")
        .annotate(count=Count("pk"), payable=Sum("payable"))
    }
    rows = []
    for contract in contracts:
        latest_row, waiting = scores[contract.pk], awaiting.get(contract.pk, {})
        rows.append(
            ContractRow(
                contract=contract,
                flags=flags.contracts.get(contract.pk, []),
                latest_period=latest_row["latest_period"],
                score=latest_row["latest_score"],
                grade=latest_row["latest_grade"] or "",
                awaiting=waiting.get("count", 0),
                awaiting_payable=waiting.get("payable") or Decimal(0),
            )
        )
    return rows


@dataclass(frozen=True)
class DashboardFilters:
    """What the dashboard's filter bar asks for; empty means everything."""

    q: str = ""  # a project's code or name, a contract's code, a company's name
    province: str = ""
    city: str = ""
    sector: str = ""
    stage: str = ""
    grade: str = ""  # the latest grade of one of the project's contracts
    flag: str = ""  # a compliance flag (FlagCode) of one of its contracts or of its city

    @property
    def per_contract(self) -> bool:
        return bool(self.grade or self.flag)


@dataclass
class DashboardPage:
    cities: list[CityRow]  # this page's cities, in pinyin order
    paginator: Paginator
    page: Page
    projects: int  # over every page
    investment: Decimal
    awaiting: int
    flagged: int


def pinyin_key(name: str) -> tuple[str, str]:
    """Names in the order Chinese readers look them up: by pinyin (北京 before 上海; 重庆 as
    chóng). pypinyin's phrase dictionary, which reads polyphones right, takes ~70 MB: it is
    imported here, by a process that orders names, not by every process that loads the URLs."""
    from pypinyin import lazy_pinyin

    return (" ".join(lazy_pinyin(name)), name)


def dashboard_cities(
    *,
    user,
    today: date,
    filters: DashboardFilters | None = None,
    page: int | str = 1,
    per_page: int = CITIES_PER_PAGE,
) -> DashboardPage:
    """The cities with a project the user may see that passes the filters, CITIES_PER_PAGE a
    page in pinyin order: each city's budget lines this year and the next ones, its flags, and
    the user's projects there with their contracts' latest scores, payments awaiting approval
    and flags. A fixed number of queries whatever the number of cities and projects."""
    filters = filters or DashboardFilters()
    projects = list(_filtered_projects(user, filters).select_related("city").order_by("code"))
    contracts = list(
        Contract.objects.visible_to(user)
        .filter(project__in=projects)
        .select_related("project", "private_party")
        .order_by("code")
    )
    flags = compliance_flags(contracts=contracts, today=today)
    project_rows = {p.pk: ProjectRow(project=p) for p in projects}
    for row in _contract_rows(user=user, contracts=contracts, flags=flags):
        if _row_passes(row, filters, flags):
            project_rows[row.contract.project_id].contracts.append(row)
    if filters.per_contract:
        project_rows = {pk: row for pk, row in project_rows.items() if row.contracts}
    cities = sorted(
        {row.project.city_id: row.project.city for row in project_rows.values()}.values(),
        key=lambda city: pinyin_key(city.name),
    )
    paginator = Paginator(cities, per_page)
    current = paginator.get_page(page)
    fiscal = city_fiscal_years(
        city_ids=[c.pk for c in current.object_list], years=_fiscal_window(today)
    )
    rows = {
        city.pk: CityRow(
            city=city, fiscal_years=fiscal[city.pk], flags=flags.cities.get(city.pk, [])
        )
        for city in current.object_list
    }
    for project_row in project_rows.values():
        if project_row.project.city_id in rows:
            rows[project_row.project.city_id].projects.append(project_row)
    all_rows = list(project_rows.values())
    return DashboardPage(
        cities=list(rows.values()),
        paginator=paginator,
        page=current,
        projects=len(all_rows),
        investment=sum((p.project.total_investment for p in all_rows), Decimal(0)),
        awaiting=sum(p.awaiting for p in all_rows),
        flagged=sum(len(p.flags) for p in all_rows)
        + sum(len(flags.cities.get(c.pk, [])) for c in cities),
    )


def _filtered_projects(user, filters: DashboardFilters):
    projects = Project.objects.visible_to(user)
    if filters.province:
        projects = projects.filter(city__province=filters.province)
    if filters.city:
        projects = projects.filter(city__name=filters.city)
    if filters.sector:
        projects = projects.filter(sector=filters.sector)
    if filters.stage:
        projects = projects.filter(stage=filters.stage)
    if filters.q:
        q = filters.q
        # Contracts and companies the user may see only: no other company is found by name.
        matching = Contract.objects.visible_to(user).filter(
            Q(code__icontains=q) | Q(private_party__name__icontains=q)
        )
        projects = projects.filter(
            Q(code__icontains=q)
            | Q(name__icontains=q)
            | Q(name_en__icontains=q)
            | Q(pk__in=matching.values("project_id"))
        )
    return projects


def _row_passes(row: ContractRow, filters: DashboardFilters, flags: ComplianceFlags) -> bool:
    if filters.grade and row.grade != filters.grade:
        return False
    return not filters.flag or any(f.code == filters.flag for f in flags.for_contract(row.contract))


@dataclass
class ProjectPage:
    project: Project
    contracts: list[ContractRow]
    milestones: dict[int, list[Milestone]]
    history: dict[int, list[dict]]  # contract id → the charts' rows, oldest first
    flags: ComplianceFlags


def dashboard_project(*, user, project_id: int, today: date) -> ProjectPage | None:
    """One project the user may see (else None): its contracts (the user's), milestones, the
    score and payable of their last periods, and their flags."""
    project = Project.objects.visible_to(user).select_related("city").filter(pk=project_id).first()
    if project is None:
        return None
    contracts = list(
        Contract.objects.visible_to(user)
        .filter(project=project)
        .select_related("project", "government_party", "private_party")
        .order_by("code")
    )
    ids = [c.pk for c in contracts]
    flags = compliance_flags(contracts=contracts, today=today)
    milestones = defaultdict(list)
    for milestone in Milestone.objects.filter(contract__in=ids).order_by("due_on", "code"):
        milestones[milestone.contract_id].append(milestone)
    history = defaultdict(list)
    calculations = (
        PaymentCalculation.objects.filter(period__contract__in=ids)
        .order_by("period__contract", "period__starts_on")
        .values_list(
            "period__contract", "period__label", "score", "grade", "payable", "full_amount", "state"
        )
    )
    for contract_id, label, score, grade, payable, full_amount, state in calculations:
        history[contract_id].append(
            {
                "period": label,
                "score": None if score is None else f"{score:.1f}",
                "grade": grade,
                "payable": payable,
                "full_amount": full_amount,
                "state": PaymentCalculation.State(state).label,
                # final (approved, paid) or not: the chart draws the others hollow
                "status": figure_status(state),
            }
        )
    return ProjectPage(
        project=project,
        contracts=_contract_rows(user=user, contracts=contracts, flags=flags),
        milestones=milestones,
        history={pk: rows[-TREND_PERIODS:] for pk, rows in history.items()},
        flags=flags,
    )
