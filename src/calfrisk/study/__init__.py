"""Study designs: misspecification sweeps and power analyses."""
