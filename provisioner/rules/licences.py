"""Licence rules (“Managing Users and Permissions”): LIC001-LIC003, judged on the licence pools that
licence_pools.py derives (seats per office and licence type, used by active profiles whose
default clinic it is; clerical never counted; unlimited honoured).
"""

from __future__ import annotations

from ..diagnostics import Severity, error, warning
from .catalog import rule

SEED003 = "“Managing Users and Permissions (Large Organizations)” (docs/domain.md)"


def _seats_origin(office, license_type: str):
    """The written seat count, else the `licenses` key, else the office id."""
    if license_type in office.licenses:
        return office.origin.at("licenses", license_type), False
    return office.origin.at("licenses"), True


@rule("LIC001", "Active users fit the default clinic's licences", Severity.ERROR, source=SEED003,
      explanation="'To activate a user (or create a new, active user), you must have an available "
      "license for that user type ... the license must be present in the user's default clinic' "
      "(“Managing Users and Permissions”). Per office and licence type (therapist, assistant, student), active profiles whose "
      "default clinic it is never exceed the seats bought, unless `unlimited`; clerical users are "
      "not charged and never counted. A licence type absent from `licenses:` (or an office with no "
      "`licenses:` at all) has 0 seats of it.",
      example_fix="licenses: {therapist: 7, assistant: 3}   # buy a seat, or move a default clinic")
def seats_not_exceeded(ctx):
    for pool in ctx.pools.values():
        if pool.over:
            office = ctx.org.offices[pool.office]
            origin, key = _seats_origin(office, pool.license_type)
            seats = (f"{pool.seats} {pool.license_type} licence(s)" if pool.license_type in office.licenses else
                     f"no {pool.license_type} licences (a type absent from `licenses:` has 0 seats)")
            yield error("LIC001", f"{pool.used} active {pool.license_type} users have this default clinic "
                        f"but it has {seats}: {', '.join(pool.users)}",
                        origin=origin, subject=f"{office.id}/{pool.license_type}", key=key)


@rule("LIC002", "The default clinic is one of the profile's clinics", Severity.ERROR, source=SEED003,
      explanation="'Use the Default radio button to establish the default clinic on the profile for "
      "each user ... This should be their primary location and determines which clinic their "
      "license is allocated from' (“Managing Users and Permissions”). Exactly one default clinic, chosen among the "
      "profile's clinics.",
      example_fix="clinics: [eastside-rehab, westside-clinic]\ndefault_clinic: eastside-rehab")
def default_clinic_in_clinics(ctx):
    for prof in ctx.org.profiles():
        if prof.default_clinic not in prof.clinics:
            yield error("LIC002", f"default clinic {prof.default_clinic!r} is not among the profile's "
                        f"clinics ({', '.join(prof.clinics)})", origin=prof.origin.at("default_clinic"),
                        subject=f"{prof.person_id}/{prof.id}")


@rule("LIC003", "No unused licences", Severity.WARNING, source=SEED003,
      explanation="'We recommend ensuring that you aren't carrying extra Therapist, Assistant, or "
      "Student licenses' (“Managing Users and Permissions”). Seats bought at an office beyond the active profiles that draw "
      "on them are seats to reclaim; unlimited pools are ignored. The subject is `office/licence type` "
      "(e.g. `eastside-rehab/therapist`), so a waiver covers one pool, not the whole office.",
      example_fix="licenses: {therapist: 4}   # down from 6: two seats unused")
def seats_unused(ctx):
    for pool in ctx.pools.values():
        if pool.unused:
            office = ctx.org.offices[pool.office]
            origin, key = _seats_origin(office, pool.license_type)
            yield warning("LIC003", f"{pool.unused} of {pool.seats} {pool.license_type} licence(s) unused",
                          origin=origin, subject=f"{office.id}/{pool.license_type}", key=key)
