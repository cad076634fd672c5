"""Every provider the host layer asks when it provisions a node (contract: lab/nodefiles.py)."""
from lab import base_layout
from lab.contrail.configplane import layout as config_plane
from lab.contrail.controlplane import layout as control_plane

PROVIDERS = (base_layout, config_plane, control_plane)
