"""Every provider the host layer asks when it provisions a node (contract: lab/nodefiles.py).

Order matters: files of a later provider overwrite an earlier one's, and boot commands
run in this order (packages are installed before the planes' commands run).
"""
from lab import base_layout, sim_install
from lab.contrail import packaging_layout
from lab.contrail.configplane import layout as config_plane
from lab.contrail.controlplane import layout as control_plane

PROVIDERS = (base_layout, sim_install, packaging_layout, config_plane, control_plane)
