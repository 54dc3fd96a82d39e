"""The import contract of the linop package."""
