"""One module per page; each builds its components inside the caller's Blocks and wires its events."""
