"""Contrail simulation for the lab: host-side providers (configplane/, controlplane/, packages) and the node-side software (sim/)."""
