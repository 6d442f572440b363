"""Extensions to moto's server for the astro-handshake test harness.

Each module patches one service; `install()` applies them all, once.
"""

_installed = False


def install():
    global _installed
    if _installed:
        return
    from . import cfn_ext, ec2_ext, lambda_s3_ext, recorder, route53_ext, stacksets_ext

    ec2_ext.install()
    route53_ext.install()
    cfn_ext.install()
    stacksets_ext.install()
    lambda_s3_ext.install()
    recorder.install()
    _installed = True
