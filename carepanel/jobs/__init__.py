"""Jobs: the modules that run one piece of work end to end.

A job reads the store, applies the pipeline's rules, writes through the store, renders with
``outputs`` and queues mail: it is the layer that may do all of that, under the faces (``cli``,
``web``, ``service``) and over everything else (see ``docs/architecture.md``).

    process   one message, from raw bytes to a committed submission
    review    the administrator's review actions (accept, accept late, sign-off, correct,
              move, reject, ask the sender), for the web app and ``carepanel review`` alike

TODO(layers): the top-level job modules (``decisions``, ``packs``, ``governance``, ``backup``,
``health``) belong here too; they are listed as exceptions in ``tests/test_architecture.py``
until the mechanical move.
"""
