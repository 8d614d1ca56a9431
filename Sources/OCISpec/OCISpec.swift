// OCISpec: Codable models of the OCI image and runtime specifications, digests and image
// references. Pure: no I/O. Imports nothing from Berth.
