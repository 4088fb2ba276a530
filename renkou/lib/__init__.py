"""Pure helper libraries shared by the importers, views and CLI (no Django imports)."""
