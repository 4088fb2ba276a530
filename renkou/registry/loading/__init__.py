"""Parts of the registry bulk loader (`renkou.registry.loader`): reading the files
(`tables`), checking and deriving (`checks`), writing with raw SQL (`writer`) and the report
(`report`)."""
