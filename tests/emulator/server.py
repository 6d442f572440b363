"""Start moto's server with the astro-handshake extensions installed.

Usage: python tests/emulator/server.py -H 127.0.0.1 -p PORT

The extensions add operations moto lacks (or behaves differently on) to moto's
own backends, following the AWS API reference; each is listed in the README.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import astro_moto  # noqa: E402

astro_moto.install()

from moto.server import main  # noqa: E402

if __name__ == "__main__":
    main()
