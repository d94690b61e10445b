"""The composition root: settings in, the running parts out.

The only package that chooses implementations: the stores of a database URL (:mod:`.stores`), the
address register, signers and transport of the settlement side (:mod:`.settlement`), the registry
of inbound formats and the handler of each event (:mod:`.inbound`), the operations probes
(:mod:`.operations`), and the :class:`~gateway.bootstrap.runtime.Runtime` that holds them
(:mod:`.runtime`). The API, the CLI, the toolkit and the tests build through it.
"""
