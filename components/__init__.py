"""Pulumi components of the Zurich transparency center.

Components import config, layout, policies and hosts; they never import tcenter.
"""
