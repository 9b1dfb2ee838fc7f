"""The lake: paths and layout, atomic publish, run manifests."""
