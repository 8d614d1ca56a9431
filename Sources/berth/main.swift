import Commands

// Called from an async function so that overload resolution picks AsyncParsableCommand's async
// `main()`; from top-level code it picked ParsableCommand's synchronous one, which refuses an
// asynchronous root command at run time.
func start() async { await BerthCommand.main() }
await start()
