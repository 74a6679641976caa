"""Commands of the later capabilities; each module defines ``register(main: click.Group)``."""
