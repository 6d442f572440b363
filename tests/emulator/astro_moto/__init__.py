"""Extensions to moto's server for the astro-handshake test harness.

Each module patches one service; `install()` applies them all, once.
"""

_installed = False


def install():
    global _installed
    if _installed:
        return
    from . import ec2_ext, route53_ext

    ec2_ext.install()
    route53_ext.install()
    _installed = True
