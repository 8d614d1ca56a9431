import Commands

// Called from an async function so that overload resolution picks AsyncParsableCommand's
// `main()`; at top level it picked ParsableCommand's synchronous one, which refuses async
// subcommands ("Asynchronous root command needs availability annotation").
func start() async { await BerthCommand.main() }
await start()
