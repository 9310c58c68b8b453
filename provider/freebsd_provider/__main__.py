"""Entry point of the provider plugin (``python -m freebsd_provider [flags] <engine-address>``)."""
from .server import main

if __name__ == "__main__":
    main()
