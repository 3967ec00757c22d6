"""Importing `ppp-bundle/1` documents: validate everything first, then write in one transaction.

Re-importing a bundle updates in place, matched by codes (project, contract, KPI, milestone,
period label) and, for parties, by credit code or else by name.

Who imports decides what a bundle may touch. Without a user (seed_demo, `import_bundle`
without `--as`) or as a superuser: everything. An official: only their own agency's projects
and contracts, with their own agency as the government party; another agency's project or
contract is "not found" (as everywhere else), on its JSON path. Nobody renames or re-kinds an
enterprise (or any party but an official's own agency) by a bundle: a difference is an error.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from contracts.models import (
    COUNTS,
    KPI,
    AvailabilityFailure,
    Contract,
    DeductionEvent,
    Measurement,
    MechanismVersion,
    Milestone,
    Period,
)
from contracts.selectors import evaluation_documents
from contracts.services.periods import period_get_or_create
from portfolio.models import City, Party, Project

from .reader import BundleError, ErrorList
from .validation import bundle_clean

NOT_FOUND = gettext_lazy("not found")


class BundleInvalid(Exception):
    def __init__(self, errors: list[BundleError]):
        super().__init__(f"{len(errors)} error(s) in bundle")
        self.errors = list(errors)

    @property
    def kind(self) -> str:
        """The gravest kind among the errors: not_found, then forbidden, then invalid."""
        kinds = {e.kind for e in self.errors}
        return next(k for k in ("not_found", "forbidden", "invalid") if k in kinds)


@dataclass
class ImportResult:
    contract: Contract
    contract_created: bool
    counts: dict[str, int] = field(default_factory=dict)


def bundle_import(*, document: Any, user=None, dry_run: bool = False) -> ImportResult:
    return bundles_import(documents=[("", document)], user=user, dry_run=dry_run)[0]


def bundles_import(
    *, documents: list[tuple[str, Any]], user=None, dry_run: bool = False
) -> list[ImportResult]:
    """Import (name, document) pairs together: all of them or, on any error, none.

    Raises BundleInvalid listing every error, each path prefixed with its document's name.
    With dry_run everything is checked, including against the database, and rolled back.
    `user`: whose import it is (see the module's docstring); None: a superuser's.
    """
    errors, cleaned = ErrorList(), []
    if user is not None and not (user.is_superuser or user.is_official):
        raise BundleInvalid(
            [BundleError("$", gettext("only officials import bundles"), "forbidden")]
        )
    for name, document in documents:
        document, document_errors = bundle_clean(document)
        cleaned.append((name, document))
        errors.extend(_named(name, document_errors))
    if errors:
        raise BundleInvalid(errors)
    results = []
    with transaction.atomic():
        for name, document in cleaned:
            try:
                with transaction.atomic():
                    results.append(_BundleWriter(document, user).write())
            except BundleInvalid as exc:
                errors.extend(_named(name, exc.errors))
        if errors:
            raise BundleInvalid(errors)
        if dry_run:
            transaction.set_rollback(True)
    return results


def _project_is_agencys(project: Project, agency: Party) -> bool:
    """A project is an agency's when it has contracts and all of them are the agency's
    (a project without contracts, or shared with another agency, is nobody's to change)."""
    agencies = set(project.contracts.values_list("government_party", flat=True))
    return agencies == {agency.pk}


def _is_party(entry: dict, party: Party) -> bool:
    """Whether a bundle's party entry is this party: by credit code when both have one,
    else by name."""
    if entry.get("credit_code") and party.credit_code:
        return entry["credit_code"] == party.credit_code
    return entry["name"] == party.name


def _named(name: str, errors: list[BundleError]) -> list[BundleError]:
    if not name:
        return list(errors)
    return [BundleError(f"{name}: {e.path}", e.message, e.kind) for e in errors]


def _telemetry_fields(source: dict | None) -> dict:
    """The KPI's data source columns from its optional `telemetry` object (none: reported)."""
    source = source or {}

    def dec(key: str) -> Decimal | None:
        return Decimal(str(source[key])) if source.get(key) is not None else None

    return {
        "data_source": KPI.DataSource.TELEMETRY if source else KPI.DataSource.REPORTED,
        "telemetry_stream": source.get("stream", ""),
        "telemetry_metric": source.get("metric", ""),
        "telemetry_p": dec("p"),
        "telemetry_condition": source.get("condition", ""),
        "telemetry_min_sample": source.get("min_sample"),
        "telemetry_tolerance": dec("tolerance"),
        "telemetry_places": source.get("places"),
    }


def _kpi_fields(entry: dict, position: int) -> dict:
    def dec(key: str) -> Decimal | None:
        return Decimal(str(entry[key])) if entry.get(key) is not None else None

    return {
        "position": position,
        "name": entry["name"],
        "dimension": entry["dimension"],
        "unit": entry.get("unit", ""),
        "rule": entry["rule"],
        "direction": entry.get("direction") or "",
        "target": dec("target"),
        "floor": dec("floor"),
        "max_points": dec("max_points"),
        "step": dec("step"),
        "points_per_step": dec("points_per_step"),
        "partial_step": entry.get("partial_step") or "",
        **_telemetry_fields(entry.get("telemetry")),
    }


def _update_changed(instance, fields: dict) -> bool:
    """Set fields that differ and save only those; True if anything changed."""
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, fields[name])
    if changed:
        instance.save(update_fields=changed)
    return bool(changed)


def _same_inputs(period: Period, entry: dict) -> bool:
    """Whether the bundle's evaluation says what the period already holds (numbers compared
    as decimals, so "95.50" equals "95.5")."""
    stored = evaluation_documents(periods=[period], accepted_only=False)[period.pk]
    return _as_numbers(_without_empty_lists(stored)) == _as_numbers(_without_empty_lists(entry))


def _without_empty_lists(entry: dict) -> dict:
    """`"events": []` says what a missing `events` says: none (the export leaves it out)."""
    return {key: value for key, value in entry.items() if value != []}


def _as_numbers(node):
    if isinstance(node, dict):
        return {k: _as_numbers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_as_numbers(v) for v in node]
    if isinstance(node, str | int) and not isinstance(node, bool):
        try:
            return Decimal(node)
        except ArithmeticError:
            return node
    return node


def _frozen_version_message(version: MechanismVersion) -> str:
    return gettext(
        "differs from mechanism version {version}, which payment calculations use; "
        "a change needs a new version (supplementary agreement)"
    ).format(version=version.version)


class _BundleWriter:
    """Writes one validated bundle; raises BundleInvalid for conflicts with stored data."""

    def __init__(self, document: dict, user):
        self.doc, self.user = document, user
        # The agency an official imports for; None: no scope (a superuser's import).
        self.agency = None if user is None or user.is_superuser else user.party
        self.errors = ErrorList()
        self.counts: dict[str, int] = {}

    def write(self) -> ImportResult:
        self._check_scope()
        self._raise_if_errors()
        project = self._project()
        parties = {
            entry["key"]: self._party(i, entry) for i, entry in enumerate(self.doc["parties"])
        }
        self._raise_if_errors()
        contract, created = self._contract(project, parties)
        self._raise_if_errors()
        kpis = self._kpis(self._mechanism_version(contract))
        self._milestones(contract)
        self._evaluations(contract, kpis)
        self._raise_if_errors()
        return ImportResult(contract=contract, contract_created=created, counts=self.counts)

    def _raise_if_errors(self) -> None:
        if self.errors:
            raise BundleInvalid(self.errors)

    def _count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def _check_scope(self) -> None:
        """Before anything is written: the existing project and contract must be the
        agency's, and the government party the agency itself."""
        if self.agency is None:
            return
        contract = Contract.objects.filter(code=self.doc["contract"]["code"]).first()
        if contract is not None and contract.government_party_id != self.agency.pk:
            self.errors.add("contract.code", NOT_FOUND, "not_found")
        project = Project.objects.filter(code=self.doc["project"]["code"]).first()
        if project is not None and not _project_is_agencys(project, self.agency):
            self.errors.add("project.code", NOT_FOUND, "not_found")
        if self.errors:
            return  # nothing more about another agency's data
        key = self.doc["contract"]["government_party"]
        index, entry = next((i, p) for i, p in enumerate(self.doc["parties"]) if p["key"] == key)
        if not _is_party(entry, self.agency):
            self.errors.add(
                f"parties[{index}]",
                gettext(
                    "must be your own agency ({agency}): officials import only "
                    "their agency's contracts"
                ).format(agency=self.agency.name),
                "forbidden",
            )

    def _project(self) -> Project:
        data = self.doc["project"]
        city, _ = City.objects.get_or_create(name=data["city"])
        project, _ = Project.objects.update_or_create(
            code=data["code"],
            defaults={
                "name": data["name"],
                "name_en": data.get("name_en", ""),
                "city": city,
                "sector": data["sector"],
                "stage": data["stage"],
                "operation_mode": data["operation_mode"],
                "return_mechanism": data["return_mechanism"],
                "total_investment": Decimal(str(data["total_investment"])),
                "cooperation_years": data["cooperation_years"],
            },
        )
        return project

    def _party(self, index: int, entry: dict) -> Party | None:
        path = f"parties[{index}]"
        code, name = entry.get("credit_code", ""), entry["name"]
        if self.agency is not None and entry["kind"] == Party.Kind.GOVERNMENT:
            party = self.agency  # checked by _check_scope
        else:
            party = Party.objects.filter(credit_code=code).first() if code else None
        if party is None:
            party = Party.objects.filter(name=name).first()
            if party and code and party.credit_code:
                self.errors.add(
                    f"{path}.name",
                    gettext("already registered with credit code {registered}, not {code}").format(
                        registered=party.credit_code, code=code
                    ),
                )
                return None
        if party is None:
            self._count("parties created")
            return Party.objects.create(kind=entry["kind"], name=name, credit_code=code)
        if party.kind != entry["kind"]:
            self.errors.add(
                f"{path}.kind",
                gettext("{party} is registered as {kind}").format(
                    party=party.name, kind=party.kind
                ),
            )
            return None
        if not self._may_change(party):
            return self._unchanged(path, party, entry)
        if party.name != name and Party.objects.filter(name=name).exists():
            self.errors.add(
                f"{path}.name", gettext("another party is already named {name}").format(name=name)
            )
            return None
        _update_changed(party, {"name": name, "credit_code": code or party.credit_code})
        return party

    def _may_change(self, party: Party) -> bool:
        """Government parties: a superuser's import, or an official's own agency. Nobody
        changes an enterprise by a bundle (it is registered once, used by many contracts)."""
        if party.kind != Party.Kind.GOVERNMENT:
            return False
        return self.agency is None or party.pk == self.agency.pk

    def _unchanged(self, path: str, party: Party, entry: dict) -> Party | None:
        """The registered party, if the bundle says what is registered."""
        if party.name != entry["name"]:
            self.errors.add(
                f"{path}.name",
                gettext(
                    "{party} is registered under this name; a bundle does not rename it"
                ).format(party=party.name),
            )
            return None
        code = entry.get("credit_code", "")
        if code and code != party.credit_code:
            self.errors.add(
                f"{path}.credit_code",
                (
                    gettext(
                        "{party} is registered with credit code {code}; a bundle does not change it"
                    )
                    if party.credit_code
                    else gettext(
                        "{party} is registered without a credit code; a bundle does not change it"
                    )
                ).format(party=party.name, code=party.credit_code),
            )
            return None
        return party

    def _contract(self, project: Project, parties: dict[str, Party]) -> tuple[Contract, bool]:
        data = self.doc["contract"]
        fields = {
            "project": project,
            "title": data["title"],
            "government_party": parties[data["government_party"]],
            "private_party": parties[data["private_party"]],
            "signed_on": date.fromisoformat(data["signed_on"]),
            "starts_on": date.fromisoformat(data["starts_on"]),
            "ends_on": date.fromisoformat(data["ends_on"]),
            "currency": data["currency"],
            "frequency": data["frequency"],
        }
        contract = Contract.objects.select_related("project").filter(code=data["code"]).first()
        if contract is None:
            return Contract.objects.create(code=data["code"], **fields), True
        if contract.project_id != project.pk:
            self.errors.add(
                "contract.code",
                gettext("belongs to project {project}").format(project=contract.project.code),
            )
        elif contract.frequency != data["frequency"] and contract.periods.exists():
            self.errors.add(
                "contract.frequency", gettext("cannot change: the contract has periods")
            )
        else:
            _update_changed(contract, fields)
        return contract, False

    def _mechanism_version(self, contract: Contract) -> MechanismVersion:
        """The bundle describes the contract's latest mechanism version."""
        definition = dict(self.doc["contract"]["mechanism"])
        version = contract.mechanism_versions.order_by("-version").first()
        if version is None:
            self._count("mechanism versions created")
            return MechanismVersion.objects.create(
                contract=contract,
                version=1,
                effective_from=contract.starts_on,
                type=definition["type"],
                definition=definition,
            )
        if version.calculations.exists():
            # Calculations must stay reproducible from the version they used.
            if version.definition != definition:
                self.errors.add("contract.mechanism", _frozen_version_message(version))
            return version
        _update_changed(version, {"type": definition["type"], "definition": definition})
        return version

    def _kpis(self, version: MechanismVersion) -> dict[str, KPI]:
        existing = {kpi.code: kpi for kpi in version.kpis.all()}
        entries = self.doc["contract"]["kpis"]
        if version.calculations.exists():
            unchanged = set(existing) == {e["code"] for e in entries} and all(
                all(getattr(existing[e["code"]], k) == v for k, v in _kpi_fields(e, i).items())
                for i, e in enumerate(entries)
            )
            if not unchanged:
                self.errors.add("contract.kpis", _frozen_version_message(version))
            return existing
        kpis = {}
        for position, entry in enumerate(entries):
            fields = _kpi_fields(entry, position)
            kpi = existing.pop(entry["code"], None)
            if kpi is None:
                kpi = KPI.objects.create(mechanism_version=version, code=entry["code"], **fields)
                self._count("KPIs created")
            elif _update_changed(kpi, fields):
                self._count("KPIs updated")
            kpis[kpi.code] = kpi
        for code, kpi in existing.items():
            if kpi.measurements.exists():
                self.errors.add(
                    "contract.kpis",
                    gettext("KPI {code} has measurements and cannot be removed").format(code=code),
                )
            else:
                kpi.delete()
                self._count("KPIs removed")
        return kpis

    def _milestones(self, contract: Contract) -> None:
        existing = {m.code: m for m in contract.milestones.all()}
        for entry in self.doc["contract"]["milestones"]:
            met_on = entry.get("met_on")
            fields = {
                "name": entry["name"],
                "due_on": date.fromisoformat(entry["due_on"]),
                "met_on": date.fromisoformat(met_on) if met_on else None,
            }
            milestone = existing.pop(entry["code"], None)
            if milestone is None:
                Milestone.objects.create(contract=contract, code=entry["code"], **fields)
                self._count("milestones created")
            else:
                _update_changed(milestone, fields)
        for milestone in existing.values():
            milestone.delete()
            self._count("milestones removed")

    def _evaluations(self, contract: Contract, kpis: dict[str, KPI]) -> None:
        current = {
            (m.period_id, m.kpi_id): m
            # A telemetry KPI's figures in a bundle are its telemetry measurements (COUNTS).
            for m in Measurement.objects.filter(COUNTS, period__contract=contract, is_current=True)
        }
        new_measurements = []
        for index, entry in enumerate(self.doc.get("evaluations", [])):
            period, created = period_get_or_create(contract=contract, label=entry["period"])
            if period.state == Period.State.LOCKED:
                if not _same_inputs(period, entry):
                    self.errors.add(
                        f"evaluations[{index}].period",
                        gettext(
                            "{period} is locked (its payment is approved) and cannot change"
                        ).format(period=period.label),
                    )
                continue
            changed = _update_changed(
                period,
                {
                    "state": Period.State.SUBMITTED,
                    "performance_points": entry.get("performance_points"),
                },
            )
            if created or changed:
                self._count("periods created" if created else "periods updated")
            for measurement in entry.get("measurements", []):
                kpi = kpis[measurement["kpi"]]
                new = self._measurement(period, kpi, measurement, current.get((period.pk, kpi.pk)))
                if new:
                    new_measurements.append(new)
            self._deduction_inputs(period, entry)
        Measurement.objects.bulk_create(new_measurements)
        self._count("measurements created", len(new_measurements))

    def _measurement(
        self, period: Period, kpi: KPI, entry: dict, current: Measurement | None
    ) -> Measurement | None:
        """Imported figures are the official record: accepted as they stand. One that an
        enterprise submitted is never overwritten: the import becomes a new revision, returned
        here to be created."""
        value = Decimal(str(entry["value"])) if "value" in entry else None
        points = Decimal(str(entry["points"])) if "points" in entry else None
        fields = {"value": value, "points": points, "state": Measurement.State.ACCEPTED}
        if current and current.source == Measurement.Source.IMPORT:
            if _update_changed(current, fields):
                self._count("measurements updated")
            return None
        if current and current.value == value and current.points == points:
            return None
        if current:
            current.is_current = False
            current.save(update_fields=["is_current"])
        return Measurement(
            period=period,
            kpi=kpi,
            revision=current.revision + 1 if current else 1,
            source=Measurement.Source.IMPORT,
            origin=kpi.data_source,
            submitted_by=self.user,
            submitted_at=timezone.now(),
            **fields,
        )

    def _deduction_inputs(self, period: Period, entry: dict) -> None:
        """Failures and events have no codes of their own: the bundle's list replaces them."""
        period.availability_failures.all().delete()
        period.deduction_events.all().delete()
        AvailabilityFailure.objects.bulk_create(
            AvailabilityFailure(period=period, position=i, **failure)
            for i, failure in enumerate(entry.get("availability_failures", []))
        )
        DeductionEvent.objects.bulk_create(
            DeductionEvent(
                period=period,
                position=i,
                code=event["code"],
                quantity=Decimal(str(event["quantity"])),
                note=event.get("note", ""),
            )
            for i, event in enumerate(entry.get("events", []))
        )
