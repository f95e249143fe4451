"""The registry: properties, their units, tenants (contact ↔ tenancy), contracts, guarantees and fees.

This module is the schema of the YAML file ops keep (`intake registry import FILE`) and the in-memory
object the classifiers read. `store.registry_db` imports it into the database and loads it back.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from store.errors import RegistryError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contract(_Strict):
    """A service contract: inside it, maintenance is covered by the SLA rather than billed."""

    starts: date
    ends: date

    def is_active(self, on: date) -> bool:
        return self.starts <= on <= self.ends


class Guarantee(_Strict):
    """Work done under guarantee: a repeat problem of this subcategory within `days` is not billed."""

    subcategory: str
    units: list[str] = Field(default_factory=list)  # empty: the whole property
    completed_on: date
    days: int = Field(gt=0)

    @field_validator("units", mode="before")
    @classmethod
    def _units_as_text(cls, value):
        return [str(unit) for unit in value or []]

    def covers(self, unit: str | None, subcategory: str | None, on: date) -> bool:
        in_period = self.completed_on <= on <= self.completed_on + timedelta(days=self.days)
        unit_ok = not self.units or (unit is not None and unit in self.units)
        return in_period and unit_ok and subcategory == self.subcategory


class Property(_Strict):
    id: str
    name: str
    address: str | None = None
    aliases: list[str] = Field(default_factory=list)
    units: list[str] = Field(default_factory=list)
    contract: Contract | None = None
    guarantees: list[Guarantee] = Field(default_factory=list)

    @field_validator("units", mode="before")
    @classmethod
    def _units_as_text(cls, value):
        # YAML reads `101` as an int; unit ids are strings ("PH1", "0101" must survive).
        return [str(unit) for unit in value or []]


class Tenant(_Strict):
    name: str
    email: str | None = None
    phone: str | None = None  # E.164
    property: str
    unit: str

    @field_validator("unit", mode="before")
    @classmethod
    def _unit_as_text(cls, value):
        return str(value)


class Fee(_Strict):
    subcategory: str
    urgency: str | None = None  # None: any urgency
    amount: float
    currency: str = "USD"


class Registry(_Strict):
    """The whole registry, validated: every tenant points at a property and unit that exist."""

    properties: list[Property] = Field(default_factory=list)
    tenants: list[Tenant] = Field(default_factory=list)
    fee_schedule: list[Fee] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> Registry:
        by_id = {prop.id: prop for prop in self.properties}
        if len(by_id) != len(self.properties):
            raise ValueError("property ids must be unique")
        for tenant in self.tenants:
            prop = by_id.get(tenant.property)
            if prop is None:
                raise ValueError(f"tenant {tenant.name!r}: unknown property {tenant.property!r}")
            if prop.units and tenant.unit not in prop.units:
                raise ValueError(f"tenant {tenant.name!r}: property {prop.id} has no unit {tenant.unit!r}")
        return self

    def property(self, property_id: str) -> Property | None:
        return next((prop for prop in self.properties if prop.id == property_id), None)

    def tenants_by_email(self, email: str) -> list[Tenant]:
        email = email.strip().lower()
        return [t for t in self.tenants if t.email and t.email.lower() == email]

    def tenants_by_phone(self, phone: str) -> list[Tenant]:
        return [t for t in self.tenants if t.phone and t.phone == phone]

    def tenants_for_sender(self, sender: str) -> list[Tenant]:
        """Tenancies of a sender given as an email address or an E.164 phone number."""
        return self.tenants_by_email(sender) if "@" in sender else self.tenants_by_phone(sender)

    def fee_for(self, subcategory: str | None, urgency: str | None) -> Fee | None:
        exact = [f for f in self.fee_schedule if f.subcategory == subcategory and f.urgency == urgency]
        fallback = [f for f in self.fee_schedule if f.subcategory == subcategory and f.urgency is None]
        return (exact or fallback or [None])[0]


def load_registry(path: str | Path) -> Registry:
    """Read and validate a registry YAML file; errors name the file and what is wrong."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RegistryError(f"{path}: {exc}") from exc
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(f"{path}: invalid registry:\n{exc}") from exc
