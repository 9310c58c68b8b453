"""Entry point of the provider plugin (``python -m freebsd_provider [flags] <engine-address>``,
the ``pulumi-resource-freebsd`` console script, or the plugin directory's ``__main__.py``)."""


def run() -> None:
    from ._protos import light

    light()  # a fresh plugin process: the protos without the whole SDK (see _protos)
    from .server import main

    main()


if __name__ == "__main__":
    run()
