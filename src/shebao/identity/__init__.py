"""Identity documents: validation of the ID types people enrol with, and taxpayer IDs."""
