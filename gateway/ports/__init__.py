"""Ports: the protocols the services need from the outside (stores, the address register, signers,
transports, inbound formats), implemented by ``gateway.store`` and ``adapters`` and bound in
``gateway.bootstrap``."""
