"""The intake broker (handler.handle): a Lambda function per customer region (docs/intake.md)."""
