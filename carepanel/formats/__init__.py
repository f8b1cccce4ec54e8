"""What bytes are, whoever received them: a file's true type, an HTML body as text.

The bottom layer both ends share: ``mailbox`` (reading a message's parts) and ``parsers``
(reading a form, or an Outlook item's body) each need these, and neither may import the other
(see ``docs/architecture.md``).  Nothing here imports the rest of carepanel.
"""
