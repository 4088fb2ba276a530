"""The registry bulk loader (`renkou load DIR`), conducted by `loader.load_directory`.

Reading the files (`tables`), one module per kind checking its rows (`units`, `households`,
`persons`, `links`, `marriages`, `events`) against the field specifications (`fields`) into
stores with named columns (`stores`, shared through `state`), the derived fields (`derived`),
writing the accepted rows (`persist`) with raw batched SQL (`writer`, `postgres`, `indexes`,
`sql`) and the report (`report`)."""
