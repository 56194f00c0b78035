"""CI runs of the fault drills, reduced in rounds."""
