"""contrail_sim.control"""
