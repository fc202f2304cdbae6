"""tcenter: credential-free review of the transparency center (plan, diff, reach, ...).

It knows the Pulumi program only through its entry point (`__main__.py`) and the plan
format (`tcenter.plan`); it never imports `components` directly.
"""

__version__ = "0.1.0"
