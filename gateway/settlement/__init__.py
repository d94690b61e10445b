"""HELFO settlement: the batch of bill cards (:mod:`.batch`), its domain model (:mod:`.model`) and
the rules that decide which bills go into the BehandlerKrav (:mod:`.rules`)."""

__all__: list[str] = []
