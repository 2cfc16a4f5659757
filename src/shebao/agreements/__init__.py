"""Payment agreements (缴费协议): sign with the bank's verification, take effect the next day, revoke."""
