"""National identifiers of Sweden and Norway: kinds, check digits, classification.

Adapters return an :class:`Identifier` with a *kind*; the FHIR system URI for each kind comes from
``mappings/identifier-systems.json`` (see :mod:`gateway.fhir.mappings`), so a region that uses another
local system for reserve numbers changes a JSON file, not Python.

The check-digit arithmetic is python-stdnum's (``stdnum.luhn`` for Swedish personnummer and
samordningsnummer, ``stdnum.no.fodselsnummer`` for fødselsnummer and D-nummer, ``stdnum.no.orgnr``),
a library that tracks the national rules. The *classification* stays here:
stdnum's whole-number validators decide things the gateway must not (``se.personnummer`` knows no
samordningsnummer, ``no.fodselsnummer`` refuses Skatteetaten's synthetic month + 80 test numbers and
birth dates after today), and each refusal keeps the stable code clients already match on.
Every input is checked to be ASCII digits of the right length first: stdnum's own ``compact``
would take spaces and dashes, which the gateway does not.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from operator import mul
from typing import Final

from stdnum import luhn
from stdnum.no import fodselsnummer, orgnr

from gateway.primitives.errors import Unprocessable

__all__ = [
    "Identifier",
    "IdentifierKind",
    "classify_norwegian_person",
    "classify_swedish_person",
    "fnr_check_digits",
    "is_valid_bank_account",
    "is_valid_orgnr",
    "luhn_ok",
    "mod11_fnr_ok",
]


class IdentifierKind(StrEnum):
    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    RESERVNUMMER = "reservnummer"
    HSA_ID = "hsa-id"
    FNR = "fnr"
    DNR = "dnr"
    HPR = "hpr"
    ORGNR = "orgnr"
    HER_ID = "her-id"
    BOOKING_ID = "booking-id"


@dataclass(frozen=True, slots=True)
class Identifier:
    kind: IdentifierKind
    value: str


def _digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


def luhn_ok(digits: str) -> bool:
    """Luhn check as used by Swedish personnummer (over the 10-digit form)."""
    return luhn.is_valid(digits)


_SE_PERSON = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{3})(\d)$")
_SE_RESERVE = re.compile(r"^\d{8}[A-Za-z][0-9A-Za-z]{3}$")


def classify_swedish_person(value: str, *, location: str | None = None) -> Identifier:
    """Classify a 12-character ``subject_of_care`` and verify it.

    - ``yyyymmddnnnc`` with a real date and a Luhn check digit: personnummer;
    - the same with day + 60: samordningsnummer;
    - a letter in the 9th position: a regional reserve number, kept as it is (no national check
      digit rule exists for those).
    """
    text = value.strip()
    if _SE_RESERVE.match(text):
        return Identifier(IdentifierKind.RESERVNUMMER, text.upper())
    match = _SE_PERSON.match(text)
    if not match:
        raise Unprocessable(
            "SUBJECT_OF_CARE_INVALID",
            f"subject_of_care {text!r} is not 12 characters of the form yyyymmddnnnc",
            location=location,
        )
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    kind = IdentifierKind.PERSONNUMMER
    if day > 60:
        kind, day = IdentifierKind.SAMORDNINGSNUMMER, day - 60
    try:
        dt.date(year, month, day)
    except ValueError:
        raise Unprocessable(
            "SUBJECT_OF_CARE_INVALID",
            f"subject_of_care {text!r} does not hold a valid date of birth",
            location=location,
        ) from None
    if not luhn_ok(text[2:]):
        raise Unprocessable(
            "SUBJECT_OF_CARE_CHECK_DIGIT",
            f"subject_of_care {text!r} fails the Luhn check digit",
            location=location,
        )
    return Identifier(kind, text)


_FNR_WEIGHTS_1: Final = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_FNR_WEIGHTS_2: Final = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def mod11_fnr_ok(value: str) -> bool:
    """Both mod-11 check digits of an 11-digit fødselsnummer or D-nummer (a remainder giving 10 is
    never issued: stdnum then computes "10", which equals no digit)."""
    if not _digits(value, 11):
        return False
    # The weighted sums stdnum.no.fodselsnummer computes, done with map/sum in C: every bill of a
    # settlement batch is checked, and stdnum's per-digit generators cost 6 µs a number (a 10,000-bill
    # batch: 60 ms). tests/gateway/primitives/test_identifiers_stdnum.py holds this to stdnum's answer.
    digits = [ord(char) - 48 for char in value]
    first: int = sum(map(mul, _FNR_WEIGHTS_1, digits))
    second: int = sum(map(mul, _FNR_WEIGHTS_2, digits))
    return (11 - first) % 11 == digits[9] and (11 - second) % 11 == digits[10]


def classify_norwegian_person(value: str, *, location: str | None = None) -> Identifier:
    """Classify and verify a fødselsnummer (FNR) or D-nummer (DNR: first digit + 4).

    Synthetic test numbers (month + 40 as used by NAV, month + 80 as used by Skatteetaten's Tenor)
    are accepted with the same check digits, because test traffic toward HELFO uses them.
    """
    text = value.strip()
    if not mod11_fnr_ok(text):
        raise Unprocessable(
            "NATIONAL_ID_CHECK_DIGIT",
            f"{text!r} is not a valid Norwegian fødselsnummer or D-nummer (mod 11 check digits)",
            location=location,
        )
    day, month = int(text[0:2]), int(text[2:4])
    kind = IdentifierKind.FNR
    if day > 40:
        kind, day = IdentifierKind.DNR, day - 40
    if month > 80:
        month -= 80
    elif month > 40:
        month -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise Unprocessable(
            "NATIONAL_ID_INVALID", f"{text!r} does not hold a valid date of birth", location=location
        )
    return Identifier(kind, text)


def is_valid_orgnr(value: str) -> bool:
    """Norwegian organisation number: nine digits, mod 11 with weights 3 2 7 6 5 4 3 2."""
    return _digits(value, 9) and orgnr.is_valid(value)


def fnr_check_digits(first_nine: str) -> str | None:
    """The two mod-11 check digits that complete ``first_nine`` to a valid FNR/DNR, or ``None``
    when no completion exists (a remainder of 10). Used to make synthetic test numbers."""
    if not _digits(first_nine, 9):
        return None
    k1 = fodselsnummer.calc_check_digit1(first_nine)
    k2 = fodselsnummer.calc_check_digit2(first_nine + k1) if len(k1) == 1 else "10"
    return f"{k1}{k2}" if len(k2) == 1 else None


_ACCOUNT_W = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def is_valid_bank_account(value: str) -> bool:
    """Norwegian bank account number (kontonummer): eleven digits, the last a mod-11 check digit
    over the first ten with weights 5 4 3 2 7 6 5 4 3 2; a remainder of 10 is never issued.

    By hand, not ``stdnum.no.kontonr``: that one reads a number starting ``0000`` as a seven-digit
    postgiro number with a Luhn digit, so ``00003722493`` would pass; a settlement account is
    always the eleven-digit form."""
    if not _digits(value, 11):
        return False
    check = (11 - sum(int(digit) * weight for digit, weight in zip(value, _ACCOUNT_W, strict=False)) % 11) % 11
    return check != 10 and check == int(value[10])
