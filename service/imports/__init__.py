"""Importing participants in the console: upload, map the columns, preview, confirm."""
