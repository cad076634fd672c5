"""The embedded lab: a Contrail-shaped multi-node cluster on one machine, on 127.0.0.0/8."""
