"""Extensions to moto's server for the astro-handshake test harness.

Each module patches one service; `install()` applies them all, once.
"""

_installed = False


def install():
    global _installed
    if _installed:
        return
    from . import (
        cfn_changesets_ext,
        cfn_ext,
        ec2_ext,
        endpoint_services_ext,
        faults,
        lambda_s3_ext,
        logs_ext,
        prefix_list_ext,
        recorder,
        route53_ext,
        serial,
        stacksets_ext,
        throttle_ext,
    )

    ec2_ext.install()
    endpoint_services_ext.install()
    route53_ext.install()
    cfn_ext.install()
    cfn_changesets_ext.install()  # after cfn_ext: builds on its stack update
    prefix_list_ext.install()
    logs_ext.install()
    stacksets_ext.install()
    lambda_s3_ext.install()
    serial.install()  # innermost: around moto's own handling only
    faults.install()  # before the recorder, which logs the faults
    throttle_ext.install()  # likewise
    recorder.install()
    _installed = True
