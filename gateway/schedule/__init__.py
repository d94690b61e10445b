"""Published free times (crm:scheduling GetAvailableTimeslots): FHIR Schedule and Slot."""
