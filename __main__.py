"""The Pulumi program: validate the stack's config, declare the center, export its outputs."""

import pulumi

from components.center import TransparencyCenter
from components.config import load_from_pulumi

config = load_from_pulumi()  # raises ConfigError before anything is declared
center = TransparencyCenter("tc", config)
for key, value in center.exports.items():
    pulumi.export(key, value)
