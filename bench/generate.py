"""Synthetic organizations of N people for benchmarks: offices, licence pools, persons of
every account type with EMR profiles, providers with valid NPIs, groups, insurance plans.

`generate_org(n_people, seed, today)` is pure (stdlib only, deterministic for a seed) and
returns {relative file path: YAML text}; `write_org` puts those files in a folder. The
org is meant to pass every rule of docs/domain.md as of `today`; it does not import
`provisioner`, so it cannot drift with it silently (tests/bench/ validates its output).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

MIN_PEOPLE = 20
PERSONS_PER_FILE = 500
DEFAULT_TODAY = dt.date(2026, 11, 23)

FIRST = ("maria", "james", "aisha", "wei", "olga", "diego", "fatima", "john", "priya", "sam",
         "noah", "emma", "liam", "sofia", "omar", "grace", "ivan", "mei", "lucas", "zoe",
         "ana", "kofi", "hana", "ravi", "nina", "tom", "leah", "yusuf", "clara", "ben")
LAST = ("lopez", "smith", "khan", "chen", "ivanova", "garcia", "okafor", "nguyen", "patel", "lee",
        "brown", "mueller", "rossi", "kim", "haddad", "walsh", "novak", "tanaka", "silva", "cohen",
        "diallo", "berg", "moreau", "singh", "kowalski", "obi", "larsen", "reyes", "park", "adams")
CITIES = ("eastside", "westside", "riverside", "lakeview", "hillcrest", "northgate", "southport",
          "midtown", "oakwood", "pinecrest", "harbor", "meadow", "summit", "valley", "bayview")
OFFICE_KINDS = ("rehab", "physical-therapy", "therapy-center", "clinic", "sports-medicine")
SPECIALTIES = ("orthopedics", "sports medicine", "neurology", "physiatry", "pediatrics",
               "family medicine", "rheumatology")
SPECIALTY_WEIGHTS = (30, 20, 12, 12, 10, 10, 6)
PLANS = ("medicare", "medicaid", "bcbs-ppo", "bcbs-hmo", "aetna-choice", "cigna-open-access",
         "united-choice-plus", "humana-gold", "tricare-select", "kaiser-hmo", "workers-comp", "self-pay")
# Role mix of the people not placed by the per-office guarantees (weights sum to 100).
ROLES = {"physician": 6, "physician_staff": 4, "therapist": 33, "assistant": 18, "student": 5,
         "clerical": 12, "biller": 7, "coordinator": 15}
THERAPIST_TYPES, ASSISTANT_OF, STUDENT_OF = ("PT", "OT", "SLP"), {"PT": "PTA", "OT": "COTA", "SLP": "SLPA"}, \
    {"PT": "SPT", "OT": "SOT", "SLP": "SSLP"}
NOTES = ["start_soap_notes", "forward_soap_notes"]
LIMITED_ADMIN = ("calendar_admin", "clinic_admin", "company_admin", "billing_report_admin", "insurance_admin")


def npi_check_digit(first9: str) -> str:
    """The Luhn check digit of an NPI: computed over `80840` + the first nine digits."""
    total = 0
    for i, ch in enumerate(reversed("80840" + first9)):
        d = int(ch)
        if i % 2 == 0:  # doubled: these positions sit left of the (future) check digit
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


@dataclass
class _Person:
    """A person as decided in the first pass (role, offices, status); rendered in the second."""

    idx: int
    role: str
    offices: list[str]
    active: bool = True
    discipline: str | None = None  # PT/OT/SLP for clinical roles
    extra: set[str] = field(default_factory=set)  # markers: lead-admin, billing-admin, ...

    @property
    def id(self) -> str:
        return f"{FIRST[self.idx % 30]}-{LAST[(self.idx // 30) % 30]}-{self.idx:06d}"

    @property
    def home(self) -> str | None:
        return self.offices[0] if self.offices else None


class _Builder:
    def __init__(self, n: int, seed: int, today: dt.date) -> None:
        if n < MIN_PEOPLE:
            raise ValueError(f"a synthetic org needs at least {MIN_PEOPLE} people, not {n}")
        self.n, self.rng, self.today = n, random.Random(seed), today
        self.domain = f"synthetic-{n}.example"
        self.offices: list[dict] = []
        self.people: list[_Person] = []

    # -- pass 1: decide who is who -------------------------------------------------------
    def plan(self) -> None:
        rng = self.rng
        n_offices = max(3, round(self.n / 40))
        for i in range(n_offices):
            city, kind = CITIES[i % len(CITIES)], OFFICE_KINDS[(i // len(CITIES)) % len(OFFICE_KINDS)]
            if i == 0:
                self.offices.append({"id": "patient-access-center", "name": "Patient Access Center",
                                     "call_center": True, "mips": "none", "virtual_visits": False})
                continue
            office = {"id": f"{city}-{kind}-{i:03d}", "name": f"{city.title()} {kind.replace('-', ' ').title()} {i}",
                      "call_center": False, "mips": rng.choice(("none", "none", "individual", "group")),
                      "virtual_visits": rng.random() < 0.6}
            if rng.random() < 0.1:  # a new office, created well ahead of its go-live (LIFE004)
                office["go_live"] = self.today + dt.timedelta(days=rng.randint(14, 90))
            self.offices.append(office)
        call_center, regular = self.offices[0]["id"], [o["id"] for o in self.offices[1:]]
        weights = [rng.uniform(0.5, 1.5) for _ in regular]
        add = lambda role, offices, **kw: self.people.append(_Person(len(self.people), role, offices, **kw))
        add("client_admin_full", [])
        add("client_admin_reporting", [])
        for _ in range(max(1, self.n // 200)):
            add("call_center_staff", [call_center])
        for _ in range(max(1, self.n // 1000)):
            add("system_wide_staff", [])
        if self.n - len(self.people) < 3 * len(regular):
            raise ValueError(f"{self.n} people are too few for {len(regular)} offices")
        for office in regular:  # every office: a provider, a manager, a therapist (LIFE005, GOV004)
            add(rng.choice(("physician", "physician_staff")), [office])
            add("office_manager", [office])
            add("therapist", [office], discipline=rng.choice(THERAPIST_TYPES))
        roles, role_weights = list(ROLES), list(ROLES.values())
        while len(self.people) < self.n:
            role = rng.choices(roles, role_weights)[0]
            offices = rng.choices(regular, weights)
            if len(regular) > 1 and role != "student" and rng.random() < 0.12:
                offices.append(rng.choice([o for o in regular if o != offices[0]]))
            discipline = rng.choice(THERAPIST_TYPES) if role in ("therapist", "assistant", "student") else None
            add(role, offices, active=rng.random() >= 0.03, discipline=discipline)
        # At most two holders of each limited admin permission (PERM003).
        therapists = [p for p in self.people if p.role == "therapist" and p.active]
        therapists[0].extra.add("lead-admin")  # profile `admin: true`: all five
        billers = [p for p in self.people if p.role == "biller" and p.active]
        (billers[0] if billers else therapists[-1]).extra.add("billing-admin")
        if len(therapists) > 1:
            therapists[1].extra.add("calendar-admin")
        for p in therapists[2::25]:
            p.extra.add("second-profile")
        for p in therapists[3::33]:
            p.extra.add("former-student")

    # -- pass 2: render ------------------------------------------------------------------
    def files(self) -> dict[str, str]:
        self.plan()
        office_by_id = {o["id"]: o for o in self.offices}
        supervisors: dict[str, list[str]] = {}
        for p in self.people:
            if p.role == "therapist" and p.active:
                supervisors.setdefault(p.home, []).append(p.id)
        providers = {p.home: p.id for p in reversed(self.people) if p.role in ("physician", "physician_staff")
                     and p.active}
        persons = [self._person(p, office_by_id, supervisors, providers) for p in self.people]
        self._licenses(persons)
        out = {"organization.yaml": _docs([{
            "kind": "Organization", "id": f"synthetic-{self.n}", "name": f"Synthetic Health {self.n}",
            "master_group": "synthetic", "policy": {"max_client_admins": 2, "review_period_days": 365}}])}
        out["offices.yaml"] = _docs([{"kind": "Office", **o} for o in self.offices])
        out["insurance-plans.yaml"] = _docs([{"kind": "InsurancePlan", "id": plan,
                                              "name": plan.replace("-", " ").title()} for plan in PLANS])
        for start in range(0, len(persons), PERSONS_PER_FILE):
            out[f"people-{start // PERSONS_PER_FILE:03d}.yaml"] = _docs(persons[start:start + PERSONS_PER_FILE])
        out["groups.yaml"] = _docs(self._groups(persons))
        return out

    def _days_ago(self, low: int, high: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(low, high))

    def _person(self, p: _Person, offices: dict, supervisors: dict, providers: dict) -> dict:
        rng = self.rng
        first, last = FIRST[p.idx % 30], LAST[(p.idx // 30) % 30]
        login = f"{first}.{last}.{p.idx}@{self.domain}"
        if rng.random() < 0.1:
            login = login.capitalize()  # e-mails compare case-insensitively (EMAIL001)
        d: dict = {"kind": "Person", "id": p.id, "name": f"{first.title()} {last.title()}", "email": login}
        if not p.active:
            d["status"] = "inactive"
            if rng.random() < 0.7:
                d["end_date"] = self._days_ago(10, 400)
        account, admin = "office_staff", []
        if p.role in ("client_admin_full", "client_admin_reporting"):
            account, admin = "master_group_staff", [p.role]
        elif p.role == "call_center_staff":
            account = "master_group_staff"
        elif p.role == "system_wide_staff":
            d["template"], account = "system-wide-referral-staff", None
        elif p.role in ("physician", "physician_staff"):
            account = p.role
        elif p.role == "coordinator" and rng.random() < 0.5:
            d["template"], account = "referral-staff", None
        elif p.role == "office_manager":
            admin = ["office_admin"]
        if account:
            d["account_type"] = account
        if p.role == "call_center_staff":
            d["call_center"] = p.offices[0]
        elif p.offices:
            d["offices"] = list(p.offices)
        if admin:
            d["admin"] = admin
        if p.role.startswith("client_admin"):
            d["work_queue_chat"] = True
        if p.role in ("coordinator", "clerical", "call_center_staff", "physician_staff") and rng.random() < 0.4:
            d["front_office"] = "scheduler"  # never biller: its refunds + payments trip GOV006
        if account in ("physician", "physician_staff"):
            self._provider(p, d, providers)
        profiles = self._profiles(p, d, offices, supervisors)
        if profiles:
            d["profiles"] = profiles
        is_admin = bool(admin) or p.extra & {"lead-admin", "billing-admin", "calendar-admin"}
        d["grants"] = {"approved_by": f"cmo@{self.domain}",
                       "justification": "admin rights for office operations" if is_admin else "role-based access",
                       "reviewed_on": self._days_ago(0, 80) if is_admin else self._days_ago(0, 330)}
        return d

    def _provider(self, p: _Person, d: dict, providers: dict) -> None:
        rng = self.rng
        first9 = f"{rng.choice('12')}{(p.idx * 48271 + 12345) % 10**8:08d}"
        d["npi"] = first9 + npi_check_digit(first9)
        d["specialty"] = rng.choices(SPECIALTIES, SPECIALTY_WEIGHTS)[0]
        d["profile_approved"] = True
        jan1 = dt.date(self.today.year, 1, 1)
        d["insurance"] = {"plans": sorted(rng.sample(PLANS, rng.randint(2, 5))),
                          "reviewed_on": jan1 + dt.timedelta(days=rng.randint(0, (self.today - jan1).days))}
        if not p.active:  # a departing provider disposes of open referrals (LIFE002)
            heir = providers.get(p.home)
            d["referral_disposition"] = {"action": "reassign", "to": heir} if heir and heir != p.id \
                else {"action": "decline"}

    def _profiles(self, p: _Person, d: dict, offices: dict, supervisors: dict) -> list[dict]:
        rng, role, home = self.rng, p.role, p.home
        if role in ("client_admin_full", "client_admin_reporting", "call_center_staff", "system_wide_staff",
                    "physician", "physician_staff", "coordinator"):
            return []
        base = d["email"].lower().split("@")[0]

        def profile(user_type: str, permissions: list[str], suffix: str = "", **more) -> dict:
            prof = {"id": f"{p.id}-{user_type.lower()}{suffix}", "user_type": user_type,
                    "email": d["email"] if not suffix and user_type == first_type
                    else f"{base}+{user_type.lower()}{suffix}@{self.domain}",
                    "clinics": list(p.offices), "default_clinic": home, "permissions": permissions}
            office = offices[home]
            if user_type in THERAPIST_TYPES + tuple(ASSISTANT_OF.values()):
                if office["mips"] != "none" and rng.random() < 0.5:
                    prof["mips"] = True
                if office["virtual_visits"] and rng.random() < 0.5:
                    prof["virtual_visits"] = True
            prof.update(more)
            return prof

        def supervised() -> dict:
            pool = [s for s in supervisors.get(home, ()) if s != p.id]
            return {"supervisor": rng.choice(pool)} if pool else {}

        if role == "office_manager":
            first_type = "Clerical"
            return [profile("Clerical", ["view_patients", "edit_patients", "view_users", "edit_users",
                                         "analytics_access"])]
        if role == "clerical":
            first_type = "Clerical"
            return [profile("Clerical", ["view_patients", "edit_patients", "edit_patient_transactions"])]
        if role == "biller":
            first_type = "Biller"
            perms = ["view_patients", "edit_patient_transactions", "analytics_access"]
            if "billing-admin" in p.extra:
                perms += ["billing_report_admin", "insurance_admin"]
            return [profile("Biller", perms)]
        t = p.discipline
        if role == "assistant":
            first_type = ASSISTANT_OF[t]
            return [profile(first_type, ["view_patients", "edit_patients"] + NOTES, **supervised())]
        if role == "student":
            first_type = STUDENT_OF[t]
            end = self.today + dt.timedelta(days=rng.randint(30, 330))
            return [profile(first_type, ["view_patients"] + NOTES[:1], **supervised(), end_date=end)]
        first_type = t  # therapist
        perms = ["view_patients", "edit_patients", "edit_patient_transactions"] + NOTES + ["finish_soap_notes"]
        if "billing-admin" in p.extra:
            perms += ["billing_report_admin", "insurance_admin"]
        if "calendar-admin" in p.extra:
            perms += ["calendar_admin", "clinic_admin", "company_admin"]
        more = {"signature": rng.choice(("uploaded", "drawn", "selected"))}
        if "lead-admin" in p.extra:
            more["admin"] = True
        out = [profile(t, perms, **more)]
        if "second-profile" in p.extra:  # one profile per discipline (TYPE003)
            other = THERAPIST_TYPES[(THERAPIST_TYPES.index(t) + 1) % 3]
            out.append(profile(other, perms[:6], signature=more["signature"]))
        if "former-student" in p.extra:  # replaced, never changed in place (TYPE002)
            out.append(profile(STUDENT_OF[t], ["view_patients"], "-old", status="inactive",
                               end_date=self._days_ago(200, 700)))
        return out

    def _licenses(self, persons: list[dict]) -> None:
        """Seat every pool exactly: no LIC001 overflow, no LIC003 waste; some unlimited."""
        kind = {**{t: "therapist" for t in THERAPIST_TYPES}, **{t: "assistant" for t in ASSISTANT_OF.values()},
                **{t: "student" for t in STUDENT_OF.values()}}
        used: dict[str, dict[str, int]] = {}
        for d in persons:
            if d.get("status", "active") != "active":
                continue
            for prof in d.get("profiles", ()):
                lic = kind.get(prof["user_type"])
                if lic and prof.get("status", "active") == "active":
                    pool = used.setdefault(prof["default_clinic"], {})
                    pool[lic] = pool.get(lic, 0) + 1
        for i, office in enumerate(self.offices):
            counts = used.get(office["id"])
            if not counts:
                continue
            if i % 10 == 7:
                office["licenses"] = "unlimited"
            else:
                office["licenses"] = {t: ("unlimited" if i % 6 == 5 and t == "student" else counts[t])
                                      for t in ("therapist", "assistant", "student") if t in counts}

    def _groups(self, persons: list[dict]) -> list[dict]:
        by_key: dict[tuple[str, str], list[str]] = {}
        staff: dict[str, list[str]] = {}
        for d in persons:
            if d.get("status", "active") != "active":
                continue
            if d.get("account_type") in ("physician", "physician_staff"):
                for office in d["offices"]:
                    by_key.setdefault((office, d["specialty"]), []).append(d["id"])
            elif d.get("account_type", "office_staff") == "office_staff" and "template" not in d:
                for office in d.get("offices", ()):
                    staff.setdefault(office, []).append(d["id"])
        groups = []
        for (office, specialty), members in sorted(by_key.items()):
            if len(members) < 2 and self.rng.random() >= 0.3:
                continue  # GRP003 only asks for a group when two or more share a specialty
            pool = staff.get(office, [])
            groups.append({"kind": "Group", "id": f"{office}-{re.sub('[^a-z]+', '-', specialty)}",
                           "name": f"{specialty.title()} at {office}", "office": office, "specialty": specialty,
                           "role": self.rng.choice(("sender", "receiver", "both")), "members": members,
                           "staff": sorted(self.rng.sample(pool, min(len(pool), 2)))})
        return groups


def generate_org(n_people: int, seed: int = 0, today: dt.date = DEFAULT_TODAY) -> dict[str, str]:
    """An org of `n_people` persons that passes docs/domain.md's rules on `today`, as
    {relative path: YAML text}. Same arguments, same bytes."""
    return _Builder(n_people, seed, today).files()


def write_org(root: str | Path, files: dict[str, str]) -> list[Path]:
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = root / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# -- a small YAML emitter: block mappings at the top, flow style for small collections -----
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ._@+/'()-]*[A-Za-z0-9.)]$|^[A-Za-z]$|^\d{4}-\d{2}-\d{2}$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return "null"
    if _PLAIN.match(value) and value.lower() not in _RESERVED:
        return value
    return json.dumps(value)  # a JSON string is a YAML double-quoted scalar


def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _mapping(d: dict, indent: str, lines: list[str], first_prefix: str | None = None) -> None:
    for i, (key, value) in enumerate(d.items()):
        prefix = first_prefix if (i == 0 and first_prefix is not None) else indent
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{prefix}{key}:")
            for item in value:
                _mapping(item, indent + "    ", lines, indent + "  - ")
        else:
            lines.append(f"{prefix}{key}: {_flow(value)}")


def _docs(documents: list[dict]) -> str:
    lines: list[str] = []
    for d in documents:
        lines.append("---")
        _mapping(d, "", lines)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("n_people", type=int)
    parser.add_argument("out_dir")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=DEFAULT_TODAY)
    args = parser.parse_args(argv)
    write_org(args.out_dir, generate_org(args.n_people, args.seed, args.today))


if __name__ == "__main__":
    main()
