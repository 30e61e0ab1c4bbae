"""Statistics shared by the method wings: the bootstrap rule, change points."""
