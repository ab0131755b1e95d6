"""Reports for people: Markdown and HTML."""
