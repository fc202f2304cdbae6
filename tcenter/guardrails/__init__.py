"""Guardrail rules by domain (the lead registers each module's RULES)."""
