"""Practice types (NAV's kodeverk "Praksistyper") and HELFO's rules on diagnoses per practice type.

A bill's diagnosis (``Diagnose``, NAV: ``diagnoser``) is required, forbidden or optional depending on
the kind of practice it is claimed for, and where it is given, NAV names the code system. The
rules (:mod:`gateway.settlement.rules`) and the group bills (:mod:`gateway.groups`) both ask here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = ["DiagnosisRule", "DiagnosisSystem", "PracticeType", "diagnosis_rule", "diagnosis_systems"]


class DiagnosisSystem(StrEnum):
    ICPC_2 = "ICPC-2"
    ICD_10 = "ICD-10"


class PracticeType(StrEnum):
    """Praksistype from NAV's kodeverk "Praksistyper" (KUHR): the kind of practice a bill is
    claimed for. HELFO's rules on diagnoses (and on who must be named as Behandlerident) follow
    it. Only the types whose rules nordgate knows are listed; the values are NAV's codes."""

    # Doctors
    FASTLEGE = "FALE"
    SALARIED = "FALO"
    LIS1 = "FATU"
    MUNICIPAL_SALARIED_DOCTOR = "KOFA"
    MUNICIPAL_EMERGENCY = "KOLE"
    EMERGENCY_MUNICIPAL = "LEKO"
    EMERGENCY = "LEVA"
    SPECIALIST = "SPES"
    # Physiotherapists and chiropractors
    PHYSIOTHERAPIST = "FYNO"
    MANUAL_THERAPIST = "FYMT"
    PSYCHOMOTOR_PHYSIOTHERAPIST = "FYPM"
    MUNICIPAL_PHYSIOTHERAPY = "KOFY"
    MUNICIPAL_PHYSIOTHERAPIST = "FYKO"
    CHIROPRACTOR = "KINO"
    # Psychologists
    PSYCHOLOGIST = "PSNO"
    NEUROPSYCHOLOGIST = "PSNE"
    # Dentists
    DENTIST = "TANN"
    # Where HELFO forbids a diagnosis
    PATIENT_TRAVEL = "PASI"
    REHABILITATION_INSTITUTION = "OPPT"
    TREATMENT_ABROAD = "BEUT"
    # Others without a diagnosis rule of their own in NAV's description
    HEALTH_STATION = "HELS"
    MIDWIFE = "JORD"


class DiagnosisRule(StrEnum):
    """Whether a bill of a practice type must, must not or may carry a diagnosis (Diagnose)."""

    REQUIRED = "required"
    FORBIDDEN = "forbidden"
    OPTIONAL = "optional"


# NAV's description of BehandlerKrav, field "diagnoser": "ICPC-2 eller ICPC-2b skal benyttes for
# fysioterapeuter og kiropraktorer. Psykologer, tannleger og fritt behandlingsvalg skal benytte
# ICD-10. Leger benytter ICPC-2 ... ICD-10 for spesialistpraksis. For pasientreiser,
# rehabiliteringsinstitusjoner, behandlingsreiser i utlandet og kommunal fysioterapi skal diagnose
# ikke oppgis. Diagnosekode er ikke obligatorisk for tannleger."  Singling out dentists as the ones
# for whom it is not obligatory makes it obligatory for the others it names (doctors,
# physiotherapists, chiropractors, psychologists): REQUIRED. "Skal ikke oppgis": FORBIDDEN; a
# municipal physiotherapist (FYKO) works in kommunal fysioterapi as much as KOFY does. Types the
# text does not name (health station, midwife) are OPTIONAL: HELFO neither asks nor forbids.
_DIAGNOSIS_RULES: dict[PracticeType, DiagnosisRule] = {
    PracticeType.FASTLEGE: DiagnosisRule.REQUIRED,
    PracticeType.SALARIED: DiagnosisRule.REQUIRED,
    PracticeType.LIS1: DiagnosisRule.REQUIRED,
    PracticeType.MUNICIPAL_SALARIED_DOCTOR: DiagnosisRule.REQUIRED,
    PracticeType.MUNICIPAL_EMERGENCY: DiagnosisRule.REQUIRED,
    PracticeType.EMERGENCY_MUNICIPAL: DiagnosisRule.REQUIRED,
    PracticeType.EMERGENCY: DiagnosisRule.REQUIRED,
    PracticeType.SPECIALIST: DiagnosisRule.REQUIRED,
    PracticeType.PHYSIOTHERAPIST: DiagnosisRule.REQUIRED,
    PracticeType.MANUAL_THERAPIST: DiagnosisRule.REQUIRED,
    PracticeType.PSYCHOMOTOR_PHYSIOTHERAPIST: DiagnosisRule.REQUIRED,
    PracticeType.MUNICIPAL_PHYSIOTHERAPY: DiagnosisRule.FORBIDDEN,
    PracticeType.MUNICIPAL_PHYSIOTHERAPIST: DiagnosisRule.FORBIDDEN,
    PracticeType.CHIROPRACTOR: DiagnosisRule.REQUIRED,
    PracticeType.PSYCHOLOGIST: DiagnosisRule.REQUIRED,
    PracticeType.NEUROPSYCHOLOGIST: DiagnosisRule.REQUIRED,
    PracticeType.DENTIST: DiagnosisRule.OPTIONAL,
    PracticeType.PATIENT_TRAVEL: DiagnosisRule.FORBIDDEN,
    PracticeType.REHABILITATION_INSTITUTION: DiagnosisRule.FORBIDDEN,
    PracticeType.TREATMENT_ABROAD: DiagnosisRule.FORBIDDEN,
    PracticeType.HEALTH_STATION: DiagnosisRule.OPTIONAL,
    PracticeType.MIDWIFE: DiagnosisRule.OPTIONAL,
}


def diagnosis_rule(practice_type: PracticeType) -> DiagnosisRule:
    """HELFO's rule on diagnoses for bills of ``practice_type`` (see ``_DIAGNOSIS_RULES``)."""
    return _DIAGNOSIS_RULES[practice_type]


_BOTH: Final = frozenset(DiagnosisSystem)
_ICPC: Final = frozenset({DiagnosisSystem.ICPC_2})
_ICD: Final = frozenset({DiagnosisSystem.ICD_10})
# Same text: physiotherapists and chiropractors "skal" use ICPC-2, psychologists and dentists
# ICD-10, specialists ICD-10. General practice "benytter" ICPC-2, but GPs' EPJs send ICD-10 codes
# too (ICPC-2 is a primary-care grouping, ICD-10 the finer one) and HELFO maps them, so both pass.
_DIAGNOSIS_SYSTEMS: dict[PracticeType, frozenset[DiagnosisSystem]] = {
    PracticeType.SPECIALIST: _ICD,
    PracticeType.PHYSIOTHERAPIST: _ICPC,
    PracticeType.MANUAL_THERAPIST: _ICPC,
    PracticeType.PSYCHOMOTOR_PHYSIOTHERAPIST: _ICPC,
    PracticeType.CHIROPRACTOR: _ICPC,
    PracticeType.PSYCHOLOGIST: _ICD,
    PracticeType.NEUROPSYCHOLOGIST: _ICD,
    PracticeType.DENTIST: _ICD,
}


def diagnosis_systems(practice_type: PracticeType) -> frozenset[DiagnosisSystem]:
    """The code systems a diagnosis of ``practice_type`` may be given in."""
    return _DIAGNOSIS_SYSTEMS.get(practice_type, _BOTH)
