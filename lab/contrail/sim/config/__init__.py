"""contrail_sim.config"""
