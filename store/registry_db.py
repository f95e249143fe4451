"""The registry in the database: `import_registry` replaces it from a validated file, `load` reads it back."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import ContactRow, FeeRow, PropertyRow, UnitRow
from store.registry import Contract, Fee, Guarantee, Property, Registry, Tenant


def import_registry(session: Session, registry: Registry) -> dict[str, int]:
    """Replace the stored registry with `registry` in the caller's transaction; returns counts."""
    for table in (ContactRow, UnitRow, FeeRow, PropertyRow):
        session.execute(delete(table))
    for position, prop in enumerate(registry.properties):
        session.add(
            PropertyRow(
                id=prop.id,
                position=position,
                name=prop.name,
                address=prop.address,
                aliases=list(prop.aliases),
                contract_starts=prop.contract.starts if prop.contract else None,
                contract_ends=prop.contract.ends if prop.contract else None,
                guarantees=[g.model_dump(mode="json") for g in prop.guarantees],
            )
        )
    session.flush()
    session.add_all(UnitRow(property_id=prop.id, unit=unit) for prop in registry.properties for unit in prop.units)
    session.add_all(
        ContactRow(name=t.name, email=t.email, phone=t.phone, property_id=t.property, unit=t.unit)
        for t in registry.tenants
    )
    session.add_all(FeeRow(**fee.model_dump()) for fee in registry.fee_schedule)
    return {
        "properties": len(registry.properties),
        "units": sum(len(p.units) for p in registry.properties),
        "tenants": len(registry.tenants),
        "fees": len(registry.fee_schedule),
    }


def load(session: Session) -> Registry:
    """The stored registry as the same validated object the YAML file gives."""
    units: dict[str, list[str]] = {}
    for row in session.execute(select(UnitRow).order_by(UnitRow.id)).scalars():
        units.setdefault(row.property_id, []).append(row.unit)
    properties = [
        Property(
            id=row.id,
            name=row.name,
            address=row.address,
            aliases=row.aliases,
            units=units.get(row.id, []),
            contract=Contract(starts=row.contract_starts, ends=row.contract_ends) if row.contract_starts else None,
            guarantees=[Guarantee.model_validate(g) for g in row.guarantees],
        )
        for row in session.execute(select(PropertyRow).order_by(PropertyRow.position)).scalars()
    ]
    tenants = [
        Tenant(name=r.name, email=r.email, phone=r.phone, property=r.property_id, unit=r.unit)
        for r in session.execute(select(ContactRow).order_by(ContactRow.id)).scalars()
    ]
    fees = [
        Fee(subcategory=r.subcategory, urgency=r.urgency, amount=r.amount, currency=r.currency)
        for r in session.execute(select(FeeRow).order_by(FeeRow.id)).scalars()
    ]
    return Registry(properties=properties, tenants=tenants, fee_schedule=fees)
