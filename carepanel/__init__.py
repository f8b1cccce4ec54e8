"""carepanel: the clerical work of a children's services resource and care panel.

Data flows one way: mailbox -> parsers -> pipeline -> store -> outputs.  The faces
(``cli``, ``web``, ``service``) call into those parts and are never imported by them.
"""

__version__ = "0.1.0"
