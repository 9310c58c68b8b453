"""Entry point of the provider plugin (``python -m freebsd_provider [flags] <engine-address>``)."""
from ._protos import light

light()  # a fresh plugin process: the protos without the whole SDK (see _protos)

from .server import main  # noqa: E402

if __name__ == "__main__":
    main()
