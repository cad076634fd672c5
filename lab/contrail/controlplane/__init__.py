"""Contrail controlplane simulation for the lab."""
