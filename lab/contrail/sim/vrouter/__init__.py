"""contrail_sim.vrouter"""
