"""Host interaction, pure: per tool a module of argv builders and output parsers.

Nothing here does I/O. Builders return argv lists; parsers take the text a command printed
and return plain data ("facts"). Each is tested against real FreeBSD output samples in
``tests/unit/fixtures``.
"""
