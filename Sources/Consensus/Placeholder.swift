// Consensus: see Sources/Consensus/README in the ensemble issue.
