"""The simulated bank front end: accounts, the agreements it verified, a ledger of deductions, switches."""
