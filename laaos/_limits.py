"""The limits of the log format that the loader enforces (and a store keeps within).

Apart from the tokenizer and the parser (``laaos._literals``), so that a store, which
needs ``MAX_DEPTH``, does not import them.
"""

import sys

MAX_DEPTH = 100  # nesting of brackets in one statement
MAX_STATEMENT_BYTES = 64 << 20  # one statement, multi-line ones included
MAX_NUMBER_CHARS = 4301  # Python's own int limit (4300 digits), plus a sign
# Keys of one dict (elements of one set) that may share one hash: each new key compares
# with every key of its hash, so a flood of equal hashes costs quadratic time.  No
# realistic log comes near: distinct floats share a hash only 2**61 apart.
MAX_EQUAL_HASHES = 100
# Items that inserts and deletes before a list's end may move, in all: a budget of
# LIST_MOVES plus LIST_MOVES_PER_LINE for each line read (a few seconds of memmove at
# most, beyond time linear in the log), unless the caller names a total.
LIST_MOVES = 1 << 32
LIST_MOVES_PER_LINE = 1024
HASH_MODULUS = sys.hash_info.modulus  # an int inside it hashes to itself
