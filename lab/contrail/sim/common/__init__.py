"""contrail_sim.common"""
