"""The settlement core: the pair declaration–payment, from declaring on.

Declare (`declare`, whose builder a payment made elsewhere reuses), open a payment (`open`), apply a
provider's answer (`notify`, `settle`), query and close (`query`), void (`declaration`), payments made
elsewhere (`elsewhere`); each validates (`check_*`) then mutates (`do_*`, `apply_*`) with its rows
locked by the one lock method (`lock`). Provider calls run
between the steps of a unit of work, never inside a transaction (decisions 0002 and 0007): no lock is
held across the network, and on SQLite the single write lock is never held while the (in-process)
sandbox needs it. The domains below keep their models; none of them imports this package.
"""
