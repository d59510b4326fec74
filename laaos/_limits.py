"""The limits of the log format: those the loader enforces, and the tighter ones within
which a store writes.  Every module takes its limits from here.

Apart from the tokenizer and the parser (``laaos._literals``), so that a store, which
needs ``MAX_DEPTH``, does not import them.
"""

import sys

MAX_DEPTH = 100  # nesting of brackets in one statement
MAX_STATEMENT_BYTES = 64 << 20  # one statement, multi-line ones included
# Python refuses to print ints of more than 4300 digits (3.11+); older Pythons, and a
# program that raised the limit (sys.set_int_max_str_digits), would write them, and no
# loader with the default limit could read them back.  Both backends refuse to write them.
MAX_INT_DIGITS = 4300
MAX_NUMBER_CHARS = MAX_INT_DIGITS + 1  # a number the loader reads: the digits, and a sign
# A number token of the tokenizer has no sign ('-' is an operator of its own).
MAX_NUMBER_TOKEN = MAX_NUMBER_CHARS - 1
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

# ---- what a store writes: within the loader's limits, with room to spare --------------

# The longest statement laaos writes, in bytes: an eighth of what the loader accepts, so
# that a reader with tighter limits, or laaos 2.1.1, still loads every log.  Longer
# values are written as several statements (laaos._statements); a single string or bytes
# value this long is refused.
MAX_WRITTEN_STATEMENT = MAX_STATEMENT_BYTES // 8
# The longest value (or run of set elements) written in one statement: the rest of the
# statement, its accessor (``store['key'][3]``) and call, takes what is left.
ACCESSOR_ROOM = 1024
MAX_WRITTEN_VALUE = MAX_WRITTEN_STATEMENT - ACCESSOR_ROOM
# A value may nest this deep below the statement that logs it: the accessor and the
# statement's own brackets take VALUE_DEPTH_MARGIN levels of MAX_DEPTH.
VALUE_DEPTH_MARGIN = 4
MAX_VALUE_DEPTH = MAX_DEPTH - VALUE_DEPTH_MARGIN
# How deep one literal of a whole store's statements may nest (laaos._statements: the
# statement's own brackets and the accessor of a split container take the rest).
LITERAL_DEPTH_MARGIN = 10
MAX_LITERAL_DEPTH = MAX_DEPTH - LITERAL_DEPTH_MARGIN
