// ComposeSpec: compose files → typed `Project`. Pure: no I/O beyond reading the files it is given.
