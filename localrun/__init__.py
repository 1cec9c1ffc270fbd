"""Run the function on this machine: the LeadSquared emulator and moto stand in for the cloud."""
