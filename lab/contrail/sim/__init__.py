"""Node-side software of the lab's Contrail simulation.

Installed into every lab node as the package `contrail_sim` (under
/usr/lib/python3/dist-packages) and run by Debian's /usr/bin/python3: standard library
only, relative imports only, never an import of issu/, lab/ or a third-party package.
"""
