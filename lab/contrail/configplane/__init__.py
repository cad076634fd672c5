"""Contrail configplane simulation for the lab."""
