"""Text, read the same way by every layer: words and warmth of a message."""
