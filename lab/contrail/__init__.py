"""The Contrail 3.2 simulation that runs on the lab's nodes.

Simulates behaviour, not internals: what a real cluster exposes (files, keys, commands,
ports, output formats, state changes) is what these daemons and tools expose.
The host layer asks every provider in PROVIDERS (see lab/nodefiles.py for the contract).
"""
from lab.contrail.configplane import layout as _config_layout
from lab.contrail.controlplane import layout as _control_layout

PROVIDERS = (_config_layout, _control_layout)
